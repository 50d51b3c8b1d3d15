/**
 * Puts closed 1-minute short-video category aggregates (`engagement_by_minute`)
 * on the enriched stream, once per category and minute, and again with a higher
 * version when late views change a published minute: the bar publisher's rule
 * (src/timeseries/bar-publication.ts) with the view count as the version. The
 * watermark is the latest view in the lake.
 */
import { type EngagementAggregate, engagementEntry } from '../enriched/records.js';
import type { StreamProducer } from '../ingest/stream-producer.js';
import { DEFAULT_ALLOWED_LATENESS_SECONDS, lastClosedMinuteUs } from '../timeseries/bar-publication.js';
import { publishVersioned, type VersionedPublishResult } from './enriched-publisher.js';
import type { LakeSql } from './lake-sql.js';

export interface EngagementPublishOptions {
  readonly sql: LakeSql;
  readonly enriched: StreamProducer;
  /** Where published windows are remembered between runs. */
  readonly statePath: string;
  readonly allowedLatenessSeconds?: number;
}

const NUMERIC = ['views', 'likes', 'like_rate', 'avg_watch_time', 'total_watch_time', 'max_watch_time'] as const;

/** Publishes what closed (or changed) since the last run. */
export async function publishClosedEngagement(o: EngagementPublishOptions): Promise<VersionedPublishResult> {
  const lateness = o.allowedLatenessSeconds ?? DEFAULT_ALLOWED_LATENESS_SECONDS;
  const wm = await o.sql.query('SELECT epoch_us(max(event_time)) FROM engagement_events');
  const watermark = wm.rows[0]?.[0];
  if (watermark === null || watermark === undefined) return { closed: 0, corrections: 0 };
  const watermarkUs = Number(watermark);
  const r = await o.sql.query(
    `SELECT category, epoch_us(window_start) AS window_start, epoch_us(window_end) AS window_end, ${NUMERIC.join(', ')}
     FROM engagement_by_minute WHERE epoch_us(window_start) <= ${lastClosedMinuteUs(watermarkUs, lateness)} ORDER BY window_start, category`,
  );
  // The publication rule's identity: the category as the series, the view count as the version (the query keeps closed minutes only).
  const windows = r.rows.map((row) => {
    const a = Object.fromEntries(r.columns.map((c, i) => [c, c === 'category' ? String(row[i]) : Number(row[i] ?? 0)])) as unknown as EngagementAggregate;
    return { symbol: a.category, minute_start: a.window_start, trade_count: a.views, aggregate: a };
  });
  return publishVersioned(o.enriched, o.statePath, windows, (w, correction) => engagementEntry(w.aggregate, correction));
}
