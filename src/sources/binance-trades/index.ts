/**
 * Binance trades: live `<symbol>@trade` stream messages (WebSocket connector →
 * stream) and historical spot CSV lines (files → replay or backfill), parsed
 * and validated into `trades`, with per-batch minute-bar partials
 * (`bar_partials`) and the `bars_1m` view over them.
 *
 * Recognition: stream messages start with `{"e":"trade"` or the combined-stream
 * wrapper `{"stream":`; CSV lines have no marker at all, so this source is the
 * registry's fallback and names the format error of anything no source claims.
 */
import { BarAccumulator } from '../../core/bars.js';
import { barsFromPartialsSql, partialsFromTradesSql } from '../../sql/bars.js';
import type { BatchContext, Quarantined, SourceBatch, SourceDefinition, SourceOption, TableRows } from '../contract.js';
import { parsePayload, tradeFromMessage } from './binance.js';
import { TRADE_MEASUREMENT, tradePoint } from './points.js';
import { tradeFeatures } from './features.js';
import { DEFAULT_SIGNAL, DEFAULT_SYMBOL_NAMES, MAX_SIGNAL, SYMBOL_PRESETS, checkSignal, simulateRecords } from './market.js';
import { PartitionKeys, symbolOfKey } from './partition-keys.js';
import { BarPartialRows, TradeRows } from './rows.js';
import { BAR_PARTIALS, BARS_1M, TRADES } from './tables.js';
import { REASON_CODES } from './trade.js';
import type { ValidationContext } from './validate.js';
import { MARKET_PANELS } from './panels.js';
import { BINANCE_TRADE_MESSAGE } from './message-schema.js';

/** Simulator preset symbols from a comma-separated list (upper-cased); throws naming the presets. */
export function parseSymbols(v: string): string[] {
  const list = v
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  const unknown = list.filter((s) => !SYMBOL_PRESETS[s]);
  if (list.length === 0) throw new Error('give at least one symbol');
  if (unknown.length > 0) throw new Error(`no simulator preset for ${unknown.join(', ')}; known: ${Object.keys(SYMBOL_PRESETS).join(', ')}`);
  return list;
}

/** `--symbols`: simulator presets, comma-separated. */
const symbolsOption: SourceOption = {
  flags: '--symbols <list>',
  description: `comma-separated simulator symbols (presets: ${Object.keys(SYMBOL_PRESETS).join(', ')})`,
  defaultValue: DEFAULT_SYMBOL_NAMES,
  parse: parseSymbols,
};

/** A signal strength from the command line (0..MAX_SIGNAL); throws naming the range. */
export function parseSignal(v: string): number {
  const x = v.trim() === '' ? Number.NaN : Number(v);
  return checkSignal(x);
}

/** `--signal`: strength of the simulated market's predictable component (0: a pure random walk). */
export const signalOption: SourceOption = {
  flags: '--signal <x>',
  description: `strength of the predictable component (order-flow imbalance moving the next minute's price), 0..${MAX_SIGNAL}; 0 is a pure random walk`,
  defaultValue: DEFAULT_SIGNAL,
  parse: parseSignal,
};

const symbolsOf = (extra: Readonly<Record<string, unknown>>) => (extra.symbols as readonly string[] | undefined) ?? DEFAULT_SYMBOL_NAMES;

/** One batch of trades: curated rows and the minute-bar partials they add to. */
class TradeBatch implements SourceBatch {
  private readonly trades = new TradeRows();
  private readonly bars = new BarAccumulator();
  private readonly ctx: ValidationContext;

  constructor(private readonly ingestUs: number) {
    this.ctx = { nowUs: ingestUs };
  }

  add(text: string, partitionKey: string, json?: unknown): Quarantined | undefined {
    const r = json === undefined ? parsePayload(text, symbolOfKey(partitionKey), this.ctx) : tradeFromMessage(json, this.ctx);
    if (!r.ok) return r;
    const row = tradeFeatures(r.trade, this.ingestUs);
    this.trades.add(row);
    this.bars.add(row);
    return undefined;
  }

  outputs(batchId: string): readonly TableRows[] {
    const bars = new BarPartialRows();
    for (const p of this.bars.partials()) bars.add(p, batchId);
    return [this.trades, bars];
  }
}

export const binanceTrades: SourceDefinition = {
  id: 'binance-trades',
  title: 'Binance trades',
  description: 'Binance spot trades: live <symbol>@trade stream messages and historical CSV files',
  enters: ['stream', 'files'],
  recognition: { prefixes: ['{"e":"trade"', '{"stream":'], fallback: true },
  tables: [TRADES, BAR_PARTIALS],
  viewTables: [{ table: BARS_1M, sql: () => barsFromPartialsSql(BAR_PARTIALS.name) }],
  compactionDerivations: [{ source: TRADES.name, table: BAR_PARTIALS.name, select: (d, trades, batchId) => partialsFromTradesSql(trades, batchId, d) }],
  panels: MARKET_PANELS,
  reasonCodes: REASON_CODES,
  messageSchema: BINANCE_TRADE_MESSAGE,
  formats: ['binance-ws', 'binance-csv', 'unknown'],
  newBatch: (ctx: BatchContext) => new TradeBatch(ctx.ingestUs),
  measurements: [TRADE_MEASUREMENT],
  points(text, partitionKey, json, ctx) {
    const c = { nowUs: ctx.ingestUs };
    const r = json === undefined ? parsePayload(text, symbolOfKey(partitionKey), c) : tradeFromMessage(json, c);
    return r.ok ? [tradePoint(tradeFeatures(r.trade, ctx.ingestUs))] : [];
  },
  simulator: {
    options: [symbolsOption, signalOption],
    *simulate(o) {
      const keys = new PartitionKeys();
      const idBase = o.idBase ?? 0;
      const specs = symbolsOf(o.extra).map((s) => {
        const p = SYMBOL_PRESETS[s]!;
        return idBase === 0
          ? p
          : { ...p, firstTradeId: (p.firstTradeId ?? 1_000_000_000) + idBase, firstOrderId: (p.firstOrderId ?? 30_000_000_000) + 30 * idBase };
      });
      const records = simulateRecords({
        format: 'jsonl',
        symbols: specs,
        minutes: o.minutes,
        seed: o.seed,
        startTimeMs: o.startTimeMs,
        malformedShare: o.malformedShare,
        signal: (o.extra.signal as number | undefined) ?? DEFAULT_SIGNAL,
      });
      for (const r of records) yield { timeMs: r.timeMs, partitionKey: keys.next(r.partitionKey), payload: r.payload };
    },
    describe: (o) => `${symbolsOf(o.extra).join(' + ')} trades (signal ${(o.extra.signal as number | undefined) ?? DEFAULT_SIGNAL})`,
    expectedRecords: (o) => Math.round(symbolsOf(o.extra).reduce((a, s) => a + SYMBOL_PRESETS[s]!.meanRatePerSec, 0) * o.minutes * 60),
  },
};

// The source's public face for use cases (time-series points of trades, the Binance backfill).
export { csvLineTimeUs, parsePayload } from './binance.js';
export { tradeFeatures, type TradeRow } from './features.js';
export { symbolOfKey } from './partition-keys.js';
export { TRADE_MEASUREMENT, type TradeLike, tradePoint } from './points.js';
export { checkSymbol } from './validate.js';
export { DEFAULT_SIGNAL, MAX_SIGNAL } from './market.js';
export { BACKFILL_TABLES, type BackfillStatements, backfillStatements } from './backfill-job.js';
