/**
 * Worker thread running the pollers of some shards, so the handler uses every
 * core while the main thread produces. Each worker builds its own handler with
 * {@link createStreamTransform} (the Lambda code) and a file object store as the lake, and
 * reports batch summaries to the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createStreamTransform } from '../ingest/stream-transform.js';
import { CheckpointStore } from './checkpoints.js';
import type { EventSourceSettings } from './event-source.js';
import { ShardPoller } from './event-source.js';
import { FileObjectStore } from './file-object-store.js';
import { LocalStream } from './local-stream.js';
import { JsonlDeadLetters } from './on-failure.js';

/** What the main thread passes to a shard worker. */
export interface ShardWorkerData {
  readonly streamDir: string;
  readonly lakeRoot: string;
  readonly checkpointDir: string;
  readonly deadLetterPath: string;
  readonly shardIndexes: readonly number[];
  readonly settings: EventSourceSettings;
  /** Committed size per shard, then the producer-done flag (1n). */
  readonly shared: SharedArrayBuffer;
}

/** Messages a shard worker posts. */
export type ShardWorkerMessage =
  | { readonly type: 'batch'; readonly summary: import('../ingest/stream-transform.js').BatchSummary }
  | { readonly type: 'done'; readonly stats: import('./event-source.js').PollerStats[]; readonly deadLettered: number }
  | { readonly type: 'error'; readonly message: string };

async function run(data: ShardWorkerData): Promise<void> {
  const port = parentPort!;
  const shared = new BigInt64Array(data.shared);
  const stream = LocalStream.openReader(data.streamDir, shared);
  const doneSlot = stream.shardCount;
  const handler = createStreamTransform({
    lake: new FileObjectStore(data.lakeRoot),
    onBatch: (summary) => port.postMessage({ type: 'batch', summary } satisfies ShardWorkerMessage),
  });
  const checkpoints = new CheckpointStore(data.checkpointDir);
  const dlq = new JsonlDeadLetters(data.deadLetterPath);
  const pollers = data.shardIndexes.map((i) => new ShardPoller(stream, i, handler, checkpoints, dlq, data.settings));
  await Promise.all(pollers.map((p) => p.run(() => Atomics.load(shared, doneSlot) === 1n)));
  stream.close();
  port.postMessage({ type: 'done', stats: pollers.map((p) => p.stats), deadLettered: dlq.sent } satisfies ShardWorkerMessage);
}

run(workerData as ShardWorkerData).catch((e: unknown) => {
  parentPort!.postMessage({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies ShardWorkerMessage);
});
