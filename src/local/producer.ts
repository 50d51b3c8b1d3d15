/**
 * Puts records from a deterministic source (a file or the seeded simulator) on a
 * {@link LocalStream}, exactly once across restarts: progress (records consumed
 * from the source, shard log sizes) is saved after every chunk, records become
 * visible to consumers only after that save, and a restarted producer first
 * truncates the logs back to the saved sizes and skips what was already put.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { LocalStream } from './local-stream.js';

/** One record to put: the payload text and its partition key. */
export interface SourceRecord {
  readonly partitionKey: string;
  readonly payload: string;
}

export interface ProducerState {
  /** Source records put so far. */
  readonly consumed: number;
  /** Shard log sizes after them. */
  readonly sizes: readonly number[];
  readonly done: boolean;
}

export interface ProducerOptions {
  /** Where progress is saved (one file per job). */
  readonly statePath: string;
  /** Records per chunk between saves. */
  readonly chunk?: number;
  /** Target records per second; undefined = as fast as possible. */
  readonly rate?: number;
  readonly onProgress?: (consumed: number) => void;
  /** Called after each commit (e.g. to publish committed sizes to reader threads). */
  readonly onCommit?: () => void;
  readonly clock?: () => number;
}

export function loadProducerState(path: string): ProducerState | undefined {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as ProducerState) : undefined;
}

function saveState(path: string, s: ProducerState): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(s));
  renameSync(`${path}.tmp`, path);
}

const tick = () => new Promise<void>((r) => setImmediate(r));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Runs the producer to the end of `source`.
 * @param source arrays of records, in a deterministic order (a rerun must yield the same sequence)
 * @returns records put by this run (excluding those a previous run had put)
 */
export async function produce(
  stream: LocalStream,
  source: Iterable<readonly SourceRecord[]> | AsyncIterable<readonly SourceRecord[]>,
  opts: ProducerOptions,
): Promise<number> {
  const chunk = opts.chunk ?? 5_000;
  const clock = opts.clock ?? Date.now;
  const prev = loadProducerState(opts.statePath);
  if (prev?.done) return 0;
  let consumed = 0;
  if (prev) {
    stream.truncateTo(prev.sizes);
  }
  const skip = prev?.consumed ?? 0;
  let put = 0;
  let inChunk = 0;
  const started = clock();
  let arrival = clock();
  // Sources yield arrays of records: one await per array, not per record.
  for await (const batch of source as AsyncIterable<readonly SourceRecord[]>) {
    for (const r of batch) {
      if (consumed < skip) {
        consumed++;
        continue;
      }
      stream.putOne(r.partitionKey, r.payload, arrival);
      consumed++;
      put++;
      if (++inChunk >= chunk) {
        inChunk = 0;
        stream.flush(false);
        saveState(opts.statePath, { consumed, sizes: stream.sizes(), done: false });
        stream.commit();
        opts.onCommit?.();
        opts.onProgress?.(consumed);
        arrival = clock();
        if (opts.rate) {
          const due = started + (put / opts.rate) * 1000;
          const wait = due - clock();
          if (wait > 0) await sleep(wait);
        } else {
          await tick();
        }
      }
    }
  }
  stream.flush(false);
  saveState(opts.statePath, { consumed, sizes: stream.sizes(), done: true });
  stream.commit();
  opts.onCommit?.();
  opts.onProgress?.(consumed);
  return put;
}
