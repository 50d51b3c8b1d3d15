/**
 * Record producers for the local runtime: the registry's seeded simulators and
 * Binance trade files. Each yields batches of {@link SourceRecord} in a deterministic
 * order, so an interrupted job resumes exactly where it stopped.
 */
import { type Stats, statSync } from 'node:fs';
import { extname } from 'node:path';
import { isCsvHeader } from '../sources/binance-trades/binance.js';
import type { SimulatedRecord, SimulationOptions, SourceDefinition } from '../sources/contract.js';
import { PartitionKeys } from '../sources/binance-trades/partition-keys.js';
import type { SourceRecord } from './producer.js';
import { readLineBatches, symbolFromFileName, type ReadProgress } from './trade-files.js';

const BATCH = 2_000;

/**
 * The simulators of the selected sources, merged in event-time order (ties keep
 * the sources' order) into batches of stream records. Deterministic, so an
 * interrupted job resumes exactly where it stopped.
 */
export function* simulatorSource(sources: readonly SourceDefinition[], options: SimulationOptions): Generator<SourceRecord[]> {
  const its = sources.flatMap((s) => (s.simulator ? [s.simulator.simulate(options)[Symbol.iterator]()] : []));
  const heads = its.map((it) => it.next());
  let batch: SourceRecord[] = [];
  for (;;) {
    let k = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i]!;
      if (!h.done && (k < 0 || h.value.timeMs < (heads[k]!.value as SimulatedRecord).timeMs)) k = i;
    }
    if (k < 0) break;
    const r = heads[k]!.value as SimulatedRecord;
    batch.push({ partitionKey: r.partitionKey, payload: r.payload });
    heads[k] = its[k]!.next();
    if (batch.length === BATCH) {
      yield batch;
      batch = [];
    }
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
    throw new Error(
      `cannot tell the symbol of ${path}: Binance CSV files have no symbol column; pass --symbol (e.g. --symbol BTCUSDT) or use Binance's file name (BTCUSDT-trades-YYYY-MM-DD.csv)`,
    );
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
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    throw new Error(`cannot read input ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (!st.isFile()) throw new Error(`cannot read input ${path}: not a file`);
  return st.size;
}
