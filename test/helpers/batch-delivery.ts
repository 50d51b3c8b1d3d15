/** Delivering records to the stream handler as Lambda's event source mapping may: over shards, in batches, retried and bisected. */
import type { KinesisStreamEvent } from 'aws-lambda';
import type { Rng } from '../../src/core/random.js';
import { kinesisEvent } from './kinesis-events.js';

/**
 * Spreads `payloads` (in their order) over 1-3 shards and hands each shard's
 * records to `handler` in batches of 1-`maxBatch`, each batch invoked once,
 * or retried whole, or first invoked whole and then bisected into two halves.
 */
export async function deliverOverShards(
  handler: (e: KinesisStreamEvent) => Promise<unknown>,
  payloads: readonly string[],
  rng: Rng,
  maxBatch = 40,
): Promise<void> {
  const shards = 1 + rng.int(3);
  const perShard: string[][] = Array.from({ length: shards }, () => []);
  for (const p of payloads) perShard[rng.int(shards)]!.push(p);
  for (let s = 0; s < shards; s++) {
    const shardId = `shardId-00000000000${s}`;
    const list = perShard[s]!;
    for (let at = 0; at < list.length; ) {
      const size = Math.min(list.length - at, 1 + rng.int(maxBatch));
      const batch = list.slice(at, at + size);
      const first = at + 1;
      const mode = rng.int(3);
      await handler(kinesisEvent(batch, shardId, first));
      if (mode === 1) await handler(kinesisEvent(batch, shardId, first));
      if (mode === 2 && size > 1) {
        const half = Math.ceil(size / 2);
        await handler(kinesisEvent(batch.slice(0, half), shardId, first));
        await handler(kinesisEvent(batch.slice(half), shardId, first + half));
      }
      at += size;
    }
  }
}
