/** Engagement views, in the SQL subset DuckDB and Athena share (see src/sql/bars.ts). */
import { sqlString } from '../../sql/dialect.js';

/**
 * The `engagement_partials` of a relation of `engagement_events` rows as one batch `batchId`:
 * what compaction recomputes for an hour from its deduplicated events, so that a view put twice
 * (two stream batches, two partials) counts once in `engagement_by_minute` once its hour is
 * compacted. The same figures as `partialOf` and `mergePartials` (aggregate.ts): watch time in
 * whole milliseconds rounded half up (JavaScript's `Math.round`, equal to SQL `round` for the
 * non-negative watch times validation lets through), likes counted, the longest watch kept.
 */
export function partialsFromEventsSql(events: string, batchId: string): string {
  return `SELECT
  date_trunc('minute', event_time) AS window_start,
  category,
  CAST(count(*) AS BIGINT) AS views,
  CAST(sum(CASE WHEN liked THEN 1 ELSE 0 END) AS BIGINT) AS likes,
  CAST(sum(watch_ms) AS BIGINT) AS sum_watch_time_ms,
  CAST(max(watch_ms) AS BIGINT) AS max_watch_time_ms,
  ${sqlString(batchId)} AS batch_id
FROM (SELECT event_time, category, liked, CAST(round(watch_time * 1000) AS BIGINT) AS watch_ms FROM ${events}) AS views
GROUP BY date_trunc('minute', event_time), category`;
}

/**
 * Windows per category merged from a relation of `engagement_partials` rows:
 * the definition of `engagement_by_minute`. Integer sums, so exact in any order.
 */
export function engagementByMinuteSql(partials = 'engagement_partials'): string {
  return `SELECT
  window_start,
  window_start + INTERVAL '1' MINUTE AS window_end,
  category,
  CAST(sum(views) AS BIGINT) AS views,
  CAST(sum(likes) AS BIGINT) AS likes,
  CAST(sum(likes) AS DOUBLE) / CAST(sum(views) AS DOUBLE) AS like_rate,
  CAST(sum(sum_watch_time_ms) AS DOUBLE) / 1000.0 / CAST(sum(views) AS DOUBLE) AS avg_watch_time,
  CAST(sum(sum_watch_time_ms) AS DOUBLE) / 1000.0 AS total_watch_time,
  CAST(max(max_watch_time_ms) AS DOUBLE) / 1000.0 AS max_watch_time,
  dt,
  hour
FROM ${partials}
GROUP BY window_start, category, dt, hour`;
}
