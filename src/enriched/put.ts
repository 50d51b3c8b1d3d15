/** Puts results on the enriched stream through the {@link StreamProducer} port: the same code locally and in Lambda. */
import { BatchedPutter } from '../ingest/batched-putter.js';
import type { PutEntry, StreamProducer } from '../ingest/stream-producer.js';

/**
 * Puts every entry (calls of at most 500 entries / 5 MiB; refused entries and
 * failed calls resent with backoff, as every producer of ticklake does) and
 * resolves once all are on the stream.
 */
export async function putEnriched(producer: StreamProducer, entries: readonly PutEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const putter = new BatchedPutter(producer, { lingerMs: 0 });
  for (const e of entries) putter.push(e);
  await putter.close();
}
