/**
 * The stream handler's throughput as `handler_records_per_s` measures it: the
 * handler (in-memory lake that keeps nothing) on a few 10,000-record Kinesis
 * events, three warm-up passes, then the best of `rounds` timed passes, as a
 * warm Lambda container runs (the machinery of bench/run.ts, for its child processes).
 */
import type { KinesisStreamEvent } from 'aws-lambda';
import { createStreamTransform } from '../src/ingest/stream-transform.js';
import { kinesisEvent } from '../test/helpers/kinesis-events.js';
import { MemoryObjectStore } from '../test/helpers/memory-object-store.js';

/** Keeps nothing it is given (the rounds rewrite the same keys; the objects are built and encoded all the same). */
export class DiscardingLake extends MemoryObjectStore {
  override async put(_key: string, _body: Uint8Array): Promise<void> {}
}

/** `payloads` as consecutive `batch`-record Kinesis events of one shard. */
export function eventsOf(payloads: readonly string[], batch: number): KinesisStreamEvent[] {
  return Array.from({ length: Math.ceil(payloads.length / batch) }, (_, b) =>
    kinesisEvent(payloads.slice(b * batch, (b + 1) * batch), 'shardId-000000000000', b * batch + 1),
  );
}

/** Best records per second of the handler over `events`, after three warm-up passes. */
export async function handlerRecordsPerSecond(events: readonly KinesisStreamEvent[], rounds = 15): Promise<number> {
  const handler = createStreamTransform({ lake: new DiscardingLake(), clock: () => Date.UTC(2026, 10, 3) });
  const records = events.reduce((a, e) => a + e.Records.length, 0);
  // Warm-up: three passes, so the timed rounds run optimised code (rounds keep improving until then).
  for (let w = 0; w < 3; w++) for (const e of events) await handler(e);
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    for (const e of events) await handler(e);
    best = Math.min(best, performance.now() - t);
  }
  return records / (best / 1000);
}
