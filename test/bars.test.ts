import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createStreamTransform } from '../src/ingest/stream-transform.js';
import { BarAccumulator, finishBar, mergePartials, type Bar, type BarPartial } from '../src/core/bars.js';
import type { TradeRow } from '../src/sources/binance-trades/features.js';
import { BAR_COLUMNS, fromBarRow, toBarRow, type BarRow } from '../src/core/bars.js';
import { CheckpointStore } from '../src/local/checkpoints.js';
import { DEFAULT_EVENT_SOURCE_SETTINGS, type KinesisHandler, ShardPoller } from '../src/local/event-source.js';
import { FileObjectStore } from '../src/local/file-object-store.js';
import { LocalStream } from '../src/local/local-stream.js';
import { JsonlDeadLetters } from '../src/local/on-failure.js';
import { PartitionKeys } from '../src/sources/binance-trades/partition-keys.js';
import { Rng } from '../src/core/random.js';
import { simulateRecords } from '../src/sources/binance-trades/market.js';
import { barsFromTradesSql } from '../src/sql/bars.js';
import { DUCKDB } from '../src/sql/dialect.js';
import { tempDir, withLake } from './helpers/lake-files.js';
import { BARS_1M } from '../src/sources/binance-trades/tables.js';

const EXACT: (keyof BarRow)[] = ['symbol', 'minute_start', 'open', 'high', 'low', 'close', 'trade_count'];
const SUMS: (keyof BarRow)[] = ['vwap', 'avg_price', 'avg_quantity', 'avg_quote_quantity', 'volume', 'quote_volume', 'buyer_maker_share'];
/** Floating-point sums depend on addition order (in DuckDB and Athena too): equal to 1e-9 relative. */
const REL = 1e-9;

function expectSameBars(actual: readonly Record<string, unknown>[], expected: readonly Record<string, unknown>[]) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    for (const k of EXACT) expect(actual[i]![k], `${k} of bar ${i}`).toEqual(expected[i]![k]);
    for (const k of SUMS) {
      const a = Number(actual[i]![k]);
      const e = Number(expected[i]![k]);
      expect(Math.abs(a - e), `${k} of bar ${i}: ${a} vs ${e}`).toBeLessThanOrEqual(REL * Math.max(1, Math.abs(e)));
    }
  }
}

const tradeArb = fc.record({
  symbol: fc.constantFrom('BTCUSDT', 'ETHUSDT'),
  trade_id: fc.integer({ min: 1, max: 1_000_000 }),
  price: fc.integer({ min: 1, max: 10_000_000 }).map((p) => p / 100),
  quantity: fc.integer({ min: 1, max: 1_000_000 }).map((q) => q / 1e5),
  is_buyer_maker: fc.boolean(),
  // a few minutes, with many equal timestamps to exercise the trade-id tie-break
  trade_time: fc.integer({ min: 0, max: 3 * 60 * 20 }).map((t) => Date.UTC(2026, 10, 2) * 1000 + t * 50_000),
});

function toRow(t: { symbol: string; trade_id: number; price: number; quantity: number; is_buyer_maker: boolean; trade_time: number }): TradeRow {
  return { ...t, quote_quantity: t.price * t.quantity, event_time: t.trade_time, day_of_week: 1, hour: 0, minute: 0, ingest_time: 0, source: 'binance-ws' };
}

describe('minute bars from partial aggregates', () => {
  it('merging partials of any split and order equals aggregating all trades at once (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(tradeArb, { minLength: 1, maxLength: 300, selector: (t) => `${t.symbol}:${t.trade_id}` }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer(),
        (trades, parts, seed) => {
          // Prepare: one accumulation over all trades, and a shuffled split into `parts` batches
          const rows = trades.map(toRow);
          const whole = new BarAccumulator();
          for (const r of rows) whole.add(r);
          const rng = new Rng(seed);
          const shuffled = [...rows].sort(() => rng.next() - 0.5);
          const batches = Array.from({ length: parts }, () => new BarAccumulator());
          for (const r of shuffled) batches[rng.int(parts)]!.add(r);
          // Act: merge the batches' partials in reverse order
          const merged = new Map<string, BarPartial>();
          for (const b of batches.reverse())
            for (const p of b.partials()) {
              const k = `${p.symbol}|${p.minute_start}`;
              const prev = merged.get(k);
              merged.set(k, prev ? mergePartials(prev, p) : { ...p });
            }
          // Assess
          const key = (b: Bar) => `${b.symbol}|${b.minuteStartUs}`;
          const expected = whole
            .partials()
            .map(finishBar)
            .sort((a, b) => key(a).localeCompare(key(b)));
          const actual = [...merged.values()].map(finishBar).sort((a, b) => key(a).localeCompare(key(b)));
          expectSameBars(actual.map(toBarRow), expected.map(toBarRow));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('open/close follow trade time with ties broken by trade id, not arrival order', () => {
    // Prepare
    const t = Date.UTC(2026, 10, 2, 10, 0, 30) * 1000;
    const rows = [
      toRow({ symbol: 'BTCUSDT', trade_id: 9, price: 3, quantity: 1, is_buyer_maker: false, trade_time: t }),
      toRow({ symbol: 'BTCUSDT', trade_id: 7, price: 1, quantity: 1, is_buyer_maker: true, trade_time: t }),
      toRow({ symbol: 'BTCUSDT', trade_id: 8, price: 2, quantity: 2, is_buyer_maker: true, trade_time: t }),
    ];
    const acc = new BarAccumulator();
    // Act
    for (const r of rows) acc.add(r);
    const bar = finishBar(acc.partials()[0]!);
    // Assess
    expect(bar).toMatchObject({ open: 1, close: 3, high: 3, low: 1, tradeCount: 3, vwap: (1 + 3 + 4) / 4, avgPrice: 2, buyerMakerShare: 2 / 3 });
  });

  it('a bar is a bars_1m row under the column names of glue-schemas/bars_1m.json, and back', () => {
    // Prepare
    const acc = new BarAccumulator();
    acc.add(toRow({ symbol: 'BTCUSDT', trade_id: 1, price: 2, quantity: 3, is_buyer_maker: true, trade_time: Date.UTC(2026, 10, 2, 10, 0, 30) * 1000 }));
    const [bar] = acc.bars();
    // Act
    const row = toBarRow(bar!);
    // Assess
    expect(Object.values(BAR_COLUMNS)).toEqual(BARS_1M.columns.map((c) => c.name));
    expect(row).toMatchObject({ minute_start: Date.UTC(2026, 10, 2, 10) * 1000, avg_price: 2, quote_volume: 6, trade_count: 1, buyer_maker_share: 1 });
    expect(fromBarRow(row)).toEqual(bar);
  });

  it('stream bars equal batch bars on the same trades, across shards, small batches, retries and reordering', async () => {
    // Prepare: 20 minutes of BTCUSDT + ETHUSDT; trades reordered by up to 5 s (within the allowed lateness),
    // spread over 3 shards; the handler fails after writing on every 4th invocation (bisected retries)
    const recs = [...simulateRecords({ format: 'jsonl', symbols: ['BTCUSDT', 'ETHUSDT'], minutes: 20, seed: 3 })];
    const rng = new Rng(99);
    const reordered = recs
      .map((r, i) => ({ r, key: i + rng.int(600) }))
      .sort((a, b) => a.key - b.key)
      .map((x) => x.r);
    const dir = tempDir();
    const stream = LocalStream.open(join(dir, 'stream'), 'bars-test', 3);
    const keys = new PartitionKeys();
    for (const r of reordered) stream.putOne(keys.next(r.partitionKey), r.payload, Date.UTC(2026, 10, 2, 1));
    stream.flush();
    const lake = join(dir, 'lake');
    const transform = createStreamTransform({ lake: new FileObjectStore(lake), clock: () => Date.UTC(2026, 10, 3) });
    let calls = 0;
    const flaky: KinesisHandler = async (e) => {
      const res = await transform(e);
      if (++calls % 4 === 0) throw new Error('failed after writing');
      return res;
    };
    const settings = { ...DEFAULT_EVENT_SOURCE_SETTINGS, batchSize: 700, maximumBatchingWindowMs: 0, retryBackoffMs: 1, maximumRecordAgeSeconds: -1 };
    const dlq = new JsonlDeadLetters(join(dir, 'dlq.jsonl'));
    const checkpoints = new CheckpointStore(join(dir, 'cp'));
    // Act
    await Promise.all([0, 1, 2].map((i) => new ShardPoller(stream, i, flaky, checkpoints, dlq, settings).run(() => true)));
    await withLake(lake, async (sql) => {
      const streamBars = await sql.query('SELECT * FROM bars_1m ORDER BY symbol, minute_start');
      const batchBars = await sql.query(`SELECT * FROM (${barsFromTradesSql('trades', DUCKDB)}) ORDER BY symbol, minute_start`);
      const partials = await sql.query('SELECT count(*) AS n, count(DISTINCT batch_id) AS b FROM bar_partials');
      const tradeCount = await sql.query('SELECT count(*), count(DISTINCT (symbol, trade_id)) FROM trades');
      // Assess
      expect(dlq.sent).toBe(0);
      expect(calls).toBeGreaterThan(8);
      expect(tradeCount.rows[0]![0]).toBe(recs.length);
      expect(tradeCount.rows[0]![1]).toBe(recs.length);
      expect(Number(partials.rows[0]![0])).toBeGreaterThan(streamBars.rows.length); // minutes really were split across batches
      const obj = (r: typeof streamBars) => r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i]])));
      expect(streamBars.rows.length).toBeGreaterThan(39);
      expectSameBars(obj(streamBars), obj(batchBars));
    });
  }, 60_000);
});
