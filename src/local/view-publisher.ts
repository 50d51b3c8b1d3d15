/**
 * Puts closed view intervals of the viewing source on the enriched stream: per
 * device, each view from the start or switch that opened it to the device's
 * next event (or the 4-hour cap, once the latest event in the lake is past it),
 * with its `view_intervals` rows. A view is put once, and again with a higher
 * version when a late event ends it earlier (src/enriched/records.ts). Each
 * round reads the events the views closed since the last round (plus the
 * correction horizon) depend on, and sessionizes them with the TypeScript
 * sessionizer (src/enriched/view-results.ts, the rule the cloud's enriched
 * publisher runs): never the whole of `viewing_events`.
 */
import type { ClosedResultsSettings } from '../enriched/closed-results.js';
import { LakeResultsReader } from '../enriched/lake-queries.js';
import { viewEntry, viewVersion } from '../enriched/records.js';
import { viewResults, viewSeries } from '../enriched/view-results.js';
import type { StreamProducer } from '../ingest/stream-producer.js';
import type { ClosedView } from '../sources/viewing/index.js';
import { lakeSqlRunner, publishClosed, publishVersioned, type VersionedPublishResult } from './enriched-publisher.js';
import type { LakeSql } from './lake-sql.js';

export interface ViewPublishOptions extends ClosedResultsSettings {
  readonly sql: LakeSql;
  readonly enriched: StreamProducer;
  /** Where the last close time handled and the views published inside the horizon are remembered between runs. */
  readonly statePath: string;
}

/** Publishes the views that closed (or changed) since the last run. */
export function publishClosedViews(o: ViewPublishOptions): Promise<VersionedPublishResult> {
  return publishClosed(viewResults(new LakeResultsReader(lakeSqlRunner(o.sql))), o.statePath, o.enriched, o);
}

/** Puts the closed views given that are new or changed (the publication rule's identity: the device as the series, the opening as the start). */
export function publishViews(enriched: StreamProducer, statePath: string, views: readonly ClosedView[]): Promise<VersionedPublishResult> {
  const identified = views.map((view) => ({ symbol: viewSeries(view), minute_start: view.opened_at, trade_count: viewVersion(view), view }));
  return publishVersioned(enriched, statePath, identified, (v, correction) => viewEntry(v.view, correction));
}
