/** Engagement views, in the SQL subset DuckDB and Athena share (see src/sql/bars.ts). */

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
