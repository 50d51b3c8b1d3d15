/**
 * The local publishers' shared step onto the enriched stream: closed results
 * put once per key, and again when their version changed (the bar publisher's
 * rule, src/timeseries/bar-publication.ts); what was put is remembered in a
 * state file between runs.
 */
import { putEnriched } from '../enriched/put.js';
import type { PutEntry, StreamProducer } from '../ingest/stream-producer.js';
import { type BarIdentity, planVersions, recordPublished } from '../timeseries/bar-publication.js';
import { loadPublished, savePublished } from './bar-publisher.js';

/** What a run put: results never put before, and results put again with a new version. */
export interface VersionedPublishResult {
  readonly closed: number;
  readonly corrections: number;
}

/**
 * Puts the closed results (as the rule's identity: `symbol` the series,
 * `minute_start` the start, `trade_count` the version) that are new or changed,
 * then records them in the state file at `statePath`.
 */
export async function publishVersioned<R extends BarIdentity>(
  enriched: StreamProducer,
  statePath: string,
  closed: readonly R[],
  entry: (result: R, correction: boolean) => PutEntry,
): Promise<VersionedPublishResult> {
  const state = loadPublished(statePath);
  const { fresh, corrections } = planVersions(closed, state.published);
  await putEnriched(enriched, [...fresh.map((r) => entry(r, false)), ...corrections.map((r) => entry(r, true))]);
  recordPublished(state.published, [...fresh, ...corrections]);
  savePublished(statePath, state);
  return { closed: fresh.length, corrections: corrections.length };
}
