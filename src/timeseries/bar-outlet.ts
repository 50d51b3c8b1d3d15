/**
 * Where a bar publisher sends the closed bars it decided to publish: straight
 * into a time-series store, or onto the enriched stream, whose consumer (the
 * time-series writer) writes them to the store and which other consumers read
 * too. Both publishers (local and cloud) go through here.
 */
import type { BarRow } from '../core/bars.js';
import { putEnriched } from '../enriched/put.js';
import { barEntry } from '../enriched/records.js';
import type { StreamProducer } from '../ingest/stream-producer.js';
import { BAR_WRITE_OPTIONS } from './bar-publication.js';
import { barPoint } from './measurements.js';
import type { TimeSeriesSink, WriteResult } from './point.js';

/** A store, or the enriched stream. */
export type BarOutlet = { readonly sink: Pick<TimeSeriesSink, 'write'> } | { readonly enriched: StreamProducer };

/**
 * Sends fresh bars and corrections. To a store: the store's verdict per point.
 * To the enriched stream: every bar is put (the stream refuses nothing), so all
 * count as written; the store's verdict is the consumer's.
 */
export async function sendBars(outlet: BarOutlet, fresh: readonly BarRow[], corrections: readonly BarRow[]): Promise<WriteResult> {
  const n = fresh.length + corrections.length;
  if (n === 0) return { written: 0, rejected: [], retried: 0, corrected: 0 };
  if ('sink' in outlet) return outlet.sink.write([...fresh, ...corrections].map(barPoint), BAR_WRITE_OPTIONS);
  await putEnriched(outlet.enriched, [...fresh.map((b) => barEntry(b, false)), ...corrections.map((b) => barEntry(b, true))]);
  return { written: n, rejected: [], retried: 0, corrected: 0 };
}
