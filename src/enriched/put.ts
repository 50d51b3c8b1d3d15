/** Puts results on the enriched stream through the {@link StreamProducer} port: the same code locally and in Lambda. */
import { BatchedPutter } from '../ingest/batched-putter.js';
import type { PutEntry, StreamProducer } from '../ingest/stream-producer.js';
import { type BarIdentity, type PublishedBars, planVersions, recordPublished } from '../timeseries/bar-publication.js';

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

/**
 * Puts the results (as the publication rule's identity: `symbol` the series,
 * `minute_start` the start, `trade_count` the version) never put before and
 * those whose version changed, then records them in `published`.
 */
export async function putVersioned<R extends BarIdentity>(
  producer: StreamProducer,
  published: PublishedBars,
  results: readonly R[],
  entry: (result: R, correction: boolean) => PutEntry,
): Promise<{ readonly fresh: readonly R[]; readonly corrections: readonly R[] }> {
  const { fresh, corrections } = planVersions(results, published);
  await putEnriched(producer, [...fresh.map((r) => entry(r, false)), ...corrections.map((r) => entry(r, true))]);
  recordPublished(published, [...fresh, ...corrections]);
  return { fresh, corrections };
}
