/**
 * Puts closed 1-minute short-video category aggregates (`engagement_by_minute`)
 * on the enriched stream, once per category and minute, and again with a higher
 * version when late views change a published minute: the bar publisher's rule
 * (src/timeseries/bar-publication.ts) with the view count as the version. The
 * watermark is the latest view in the lake. Each round reads the minutes closed
 * since the last one plus the correction horizon (src/enriched/closed-results.ts,
 * the rule the cloud's enriched publisher runs), never the whole table.
 */
import type { ClosedResultsSettings } from '../enriched/closed-results.js';
import { engagementResults } from '../enriched/engagement-results.js';
import { LakeResultsReader } from '../enriched/lake-queries.js';
import type { StreamProducer } from '../ingest/stream-producer.js';
import { lakeSqlRunner, publishClosed, type VersionedPublishResult } from './enriched-publisher.js';
import type { LakeSql } from './lake-sql.js';

export interface EngagementPublishOptions extends ClosedResultsSettings {
  readonly sql: LakeSql;
  readonly enriched: StreamProducer;
  /** Where the last minute handled and the minutes published inside the horizon are remembered between runs. */
  readonly statePath: string;
  readonly allowedLatenessSeconds?: number;
}

/** Publishes what closed (or changed) since the last run. */
export function publishClosedEngagement(o: EngagementPublishOptions): Promise<VersionedPublishResult> {
  const kind = engagementResults(new LakeResultsReader(lakeSqlRunner(o.sql)), o.allowedLatenessSeconds);
  return publishClosed(kind, o.statePath, o.enriched, o);
}
