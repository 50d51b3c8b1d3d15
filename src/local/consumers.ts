/**
 * The consuming side of the local runtime: one poller per shard (in worker
 * threads, or in this thread) feeding the stream-transform handler, until told
 * to finish; then they drain what is committed and stop. Used by the finite jobs
 * (demo, replay) and by `ticklake up`.
 */
import { Worker } from 'node:worker_threads';
import { type BatchSummary, createStreamTransform, type SourceCounts } from '../ingest/stream-transform.js';
import { CheckpointStore } from './checkpoints.js';
import { type EventSourceSettings, type KinesisHandler, type PollerStats, ShardPoller } from './event-source.js';
import { FileObjectStore } from './file-object-store.js';
import type { LocalStream } from './local-stream.js';
import { JsonlDeadLetters } from './on-failure.js';
import type { ShardWorkerData, ShardWorkerMessage } from './shard-worker.js';

/** Where the consumers read and write. */
export interface ConsumerPaths {
  readonly stream: string;
  readonly lake: string;
  readonly checkpoints: string;
  readonly deadLetter: string;
}

export interface ConsumerOptions {
  readonly stream: LocalStream;
  readonly paths: ConsumerPaths;
  readonly settings: EventSourceSettings;
  /** Worker threads (0 = pollers in this thread). */
  readonly workers: number;
  readonly onBatch: (s: BatchSummary) => void;
  /** Processing clock (ms), in-thread pollers only. */
  readonly clock?: () => number;
}

export interface Consumers {
  /** Makes what the producer committed visible to the pollers (call after every commit). */
  publish(): void;
  /** Lets the pollers stop once they have processed everything committed; resolves with their counters. */
  finish(): Promise<{ readonly stats: readonly PollerStats[]; readonly deadLettered: number }>;
  /** Settles when the pollers stop (or one fails). */
  readonly done: Promise<void>;
}

/** Starts one poller per shard. */
export function startConsumers(o: ConsumerOptions): Consumers {
  const { stream, paths, settings } = o;
  const stats: PollerStats[] = [];
  let deadLettered = 0;
  let finishing = false;
  const shared = new BigInt64Array(new SharedArrayBuffer(8 * (stream.shardCount + 1)));
  const publish = () => stream.publishCommitted(shared);
  publish();
  let done: Promise<void>;
  if (o.workers > 0) {
    const groups: number[][] = Array.from({ length: o.workers }, () => []);
    for (const i of stream.shardIds().keys()) groups[i % o.workers]!.push(i);
    done = Promise.all(
      groups
        .filter((g) => g.length > 0)
        .map(
          (shardIndexes) =>
            new Promise<void>((resolveWorker, rejectWorker) => {
              const data: ShardWorkerData = {
                streamDir: paths.stream,
                lakeRoot: paths.lake,
                checkpointDir: paths.checkpoints,
                deadLetterPath: paths.deadLetter,
                shardIndexes,
                settings,
                shared: shared.buffer as SharedArrayBuffer,
              };
              const w = new Worker(new URL('./shard-worker-entry.mjs', import.meta.url), { workerData: data });
              w.on('message', (m: ShardWorkerMessage) => {
                if (m.type === 'batch') o.onBatch(m.summary);
                else if (m.type === 'done') {
                  stats.push(...m.stats);
                  deadLettered += m.deadLettered;
                  void w.terminate().then(() => resolveWorker());
                } else rejectWorker(new Error(`shard worker failed: ${m.message}`));
              });
              w.on('error', rejectWorker);
              w.on('exit', (code) => {
                if (code !== 0 && code !== 1) rejectWorker(new Error(`shard worker exited with code ${code}`));
              });
            }),
        ),
    ).then(() => undefined);
  } else {
    // The same handler function Lambda runs, around the lake as a file object store.
    const handler = createStreamTransform({ lake: new FileObjectStore(paths.lake), onBatch: o.onBatch, ...(o.clock ? { clock: o.clock } : {}) });
    done = pollInThread({ stream, paths, handler, settings, finished: () => finishing, ...(o.clock ? { clock: o.clock } : {}) }).then((r) => {
      stats.push(...r.stats);
      deadLettered += r.deadLettered;
    });
  }
  return {
    publish,
    done,
    async finish() {
      finishing = true;
      publish();
      Atomics.store(shared, stream.shardCount, 1n);
      await done;
      return { stats, deadLettered };
    },
  };
}

/**
 * One poller per shard of `stream`, in this thread, invoking `handler` as the
 * event source mapping would (checkpoints, retries, bisection, on-failure
 * destination), until `finished()` is true and every committed record is processed.
 */
export async function pollInThread(o: {
  readonly stream: LocalStream;
  readonly paths: Pick<ConsumerPaths, 'checkpoints' | 'deadLetter'>;
  readonly handler: KinesisHandler;
  readonly settings: EventSourceSettings;
  readonly finished: () => boolean;
  readonly clock?: () => number;
}): Promise<{ readonly stats: readonly PollerStats[]; readonly deadLettered: number }> {
  const checkpoints = new CheckpointStore(o.paths.checkpoints);
  const dlq = new JsonlDeadLetters(o.paths.deadLetter);
  const pollers = o.stream.shardIds().map((_, i) => new ShardPoller(o.stream, i, o.handler, checkpoints, dlq, o.settings, o.clock));
  await Promise.all(pollers.map((p) => p.run(o.finished)));
  return { stats: pollers.map((p) => p.stats), deadLettered: dlq.sent };
}

/** Sums batch summaries (per table, per source, per reason) over a run. */
export class BatchTotals {
  records = 0;
  quarantined = 0;
  objects = 0;
  bytes = 0;
  readonly byReason: Record<string, number> = {};
  readonly rowsByTable: Record<string, number> = {};
  readonly bySource: Record<string, SourceCounts> = {};

  add(s: BatchSummary): void {
    this.records += s.records;
    this.quarantined += s.quarantined;
    this.objects += s.objectsWritten;
    this.bytes += s.bytesWritten;
    for (const [t, n] of Object.entries(s.rowsByTable)) this.rowsByTable[t] = (this.rowsByTable[t] ?? 0) + n;
    for (const [k, v] of Object.entries(s.quarantinedByReason)) this.byReason[k] = (this.byReason[k] ?? 0) + v;
    for (const [id, c] of Object.entries(s.bySource)) {
      const b = this.bySource[id];
      this.bySource[id] = b ? { records: b.records + c.records, rows: b.rows + c.rows, quarantined: b.quarantined + c.quarantined } : c;
    }
  }
}
