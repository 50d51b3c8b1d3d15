/**
 * Record sources for the local runtime: the seeded market simulator and Binance
 * trade files. Each yields batches of {@link SourceRecord} in a deterministic
 * order, so an interrupted job resumes exactly where it stopped.
 */
import { statSync } from 'node:fs';
import { extname } from 'node:path';
import { isCsvHeader } from '../sources/binance-trades/binance.js';
import { simulateRecords, type RecordOptions } from '../sim/market.js';
import { simulateStockTicks } from '../sources/stock-ticks/simulator.js';
import type { SourceRecord } from './producer.js';
import { readLineBatches, symbolFromFileName, type ReadProgress } from './trade-files.js';

const BATCH = 2_000;

/**
 * Sub-keys per symbol. A Kinesis shard takes at most 1,000 records/s, and a busy
 * symbol bursts far above that, so producers spread a symbol over
 * `SYMBOL/0` ... `SYMBOL/15`; the handler reads the symbol before the `/`.
 * Per-symbol order across shards is not needed: everything downstream is keyed
 * by (symbol, trade_id) and aggregated by trade time.
 */
export const KEY_SPREAD = 16;

/** Cycles through the spread partition keys of each symbol. */
export class PartitionKeys {
  private readonly keys = new Map<string, string[]>();
  private n = 0;
  constructor(private readonly spread = KEY_SPREAD) {}

  next(symbol: string): string {
    let k = this.keys.get(symbol);
    if (!k) {
      k = Array.from({ length: this.spread }, (_, i) => (this.spread === 1 ? symbol : `${symbol}/${i}`));
      this.keys.set(symbol, k);
    }
    return k[this.n++ % this.spread]!;
  }
}

/**
 * Simulated Binance stream messages (the demo's market), optionally with the
 * stock-trading source's ticks on the same stream, interleaved in time order.
 */
export function* simulatorSource(
  options: Omit<RecordOptions, 'format'> & { format?: RecordOptions['format']; stocks?: boolean },
): Generator<SourceRecord[]> {
  let batch: SourceRecord[] = [];
  const keys = new PartitionKeys();
  const ticks = options.stocks
    ? simulateStockTicks({ minutes: options.minutes ?? 60, seed: options.seed ?? 1, ...(options.startTimeMs !== undefined ? { startTimeMs: options.startTimeMs } : {}) })
    : undefined;
  let nextTick = ticks?.next();
  for (const r of simulateRecords({ format: 'jsonl', ...options })) {
    // Stock ticks due before this trade go first (trade time read from the message's "T").
    if (nextTick && !nextTick.done) {
      const tradeMs = Number(/"T":(\d+)/.exec(r.payload)?.[1] ?? Infinity);
      while (nextTick && !nextTick.done && nextTick.value.timeMs <= tradeMs) {
        batch.push({ partitionKey: nextTick.value.partitionKey, payload: nextTick.value.payload });
        nextTick = ticks!.next();
      }
    }
    batch.push({ partitionKey: keys.next(r.partitionKey), payload: r.payload });
    if (batch.length === BATCH) {
      yield batch;
      batch = [];
    }
  }
  while (nextTick && !nextTick.done) {
    batch.push({ partitionKey: nextTick.value.partitionKey, payload: nextTick.value.payload });
    nextTick = ticks!.next();
  }
  if (batch.length > 0) yield batch;
}

/** Kind of trade file, from its extension (`.zip` holds a CSV). */
export function fileKind(path: string): 'csv' | 'jsonl' {
  const ext = extname(path.replace(/\.gz$/i, '')).toLowerCase();
  if (ext === '.csv' || ext === '.zip') return 'csv';
  if (ext === '.jsonl' || ext === '.json' || ext === '.ndjson') return 'jsonl';
  throw new Error(`unsupported input ${path}: expected .csv, .zip, .jsonl or .json`);
}

const SYMBOL_IN_MESSAGE = /"s":"([^"\\]{1,40})"/;

export interface FileSourceOptions {
  /** Symbol of a CSV file (Binance CSVs have no symbol column); default from the file name. */
  readonly symbol?: string;
  readonly onProgress?: (p: ReadProgress) => void;
}

/**
 * Lines of a Binance trade file as stream records. CSV header lines are skipped;
 * every other line (blank or broken ones included) becomes a record, so bad
 * lines reach the quarantine with a reason instead of vanishing.
 */
export async function* fileSource(path: string, options: FileSourceOptions = {}): AsyncGenerator<SourceRecord[]> {
  const kind = fileKind(path);
  const symbol = options.symbol ?? symbolFromFileName(path);
  if (kind === 'csv' && !symbol) {
    throw new Error(`cannot tell the symbol of ${path}: Binance CSV files have no symbol column; pass --symbol (e.g. --symbol BTCUSDT) or use Binance's file name (BTCUSDT-trades-YYYY-MM-DD.csv)`);
  }
  const keys = new PartitionKeys();
  for await (const lines of readLineBatches(path, options.onProgress ? { onProgress: options.onProgress } : {})) {
    const batch: SourceRecord[] = [];
    for (const line of lines) {
      if (kind === 'csv') {
        if (isCsvHeader(line)) continue;
        batch.push({ partitionKey: keys.next(symbol!), payload: line });
      } else {
        const m = SYMBOL_IN_MESSAGE.exec(line);
        batch.push({ partitionKey: keys.next(options.symbol ?? m?.[1] ?? 'unknown'), payload: line });
      }
    }
    if (batch.length > 0) yield batch;
  }
}

/** Size of a readable input file, or a clear error. */
export function inputSize(path: string): number {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new Error(`cannot read input ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (!st.isFile()) throw new Error(`cannot read input ${path}: not a file`);
  return st.size;
}
