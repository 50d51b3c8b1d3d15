/**
 * The viewing views, in the SQL subset DuckDB and Athena share (see
 * src/sql/bars.ts): sessionization over the raw events at read time
 * (merge-on-read), so intervals are right whatever the batching, shards,
 * retries and lateness of the events. `sessionize.ts` is the same derivation in
 * TypeScript; a test keeps the two equal.
 *
 * Portability notes: times stay timestamps (DuckDB's and Athena's epoch
 * functions differ); `date_diff('millisecond', …)` agrees between the engines on
 * whole milliseconds, which every event time is (validated); `INTERVAL '1'
 * MINUTE * n` and `date_trunc('day', …)` exist in both.
 */
import { bind, type BoundSql, type SqlValue } from '../../sql/panel.js';
import { MAX_SHOW_MS, MAX_SPOT_MS } from './schedule.js';
import { MAX_INTERVAL_MS } from './sessionize.js';

/** The cap on an interval as a SQL interval literal (hours). */
const MAX_INTERVAL = `INTERVAL '${MAX_INTERVAL_MS / 3_600_000}' HOUR`;

/**
 * One row per (user, device, show airing) watched: events deduplicated by
 * natural key, each start/switch closed by the device's next event (LEAD),
 * capped, and cut at the schedule's show boundaries. Shows never cross
 * midnight and intervals last at most 4 h, so the airings of the interval's
 * first day and the next cover it.
 */
export function viewIntervalsSql(events = 'viewing_events', schedule = 'tv_schedule'): string {
  // One window pass dedupes and finds each event's next: copies of a natural key sort together, the one kept
  // (the first by type, channel, location, device type) last, so it alone is followed by another key (or none).
  const device = 'PARTITION BY user_id, device_id ORDER BY event_time, seq, event_type DESC, channel DESC, location DESC, device_type DESC';
  return `WITH bounded AS (
  SELECT user_id, device_id, device_type, location, event_type, channel, event_time, next_time
  FROM (
    SELECT user_id, device_id, device_type, location, event_type, channel, seq, event_time,
      lead(event_time) OVER (${device}) AS next_time,
      lead(seq) OVER (${device}) AS next_seq
    FROM ${events}
  ) w
  WHERE next_time IS NULL OR next_time <> event_time OR next_seq <> seq
),
opened AS (
  SELECT user_id, device_id, device_type, location, channel, opened_at, closed_at, open_day,
    date_diff('minute', open_day, opened_at) AS open_minute,
    date_diff('minute', open_day, closed_at) AS close_minute
  FROM (
    SELECT user_id, device_id, device_type, location, channel, event_time AS opened_at,
      least(next_time, event_time + ${MAX_INTERVAL}) AS closed_at,
      date_trunc('day', event_time) AS open_day
    FROM bounded
    -- A view ended the moment it opens (the next event of the device at the same time) is no view (no rows), as in sessionize.ts.
    WHERE event_type <> 'stop' AND next_time > event_time
  ) o
),
aired AS (
  SELECT o.user_id, o.device_id, o.device_type, o.location, o.channel, o.opened_at, o.closed_at, s.show_id, s.title, s.genre,
    o.open_day + INTERVAL '1' MINUTE * (s.start_minute + 1440 * d.n) AS aired_at,
    o.open_day + INTERVAL '1' MINUTE * (s.end_minute + 1440 * d.n) AS aired_end
  FROM opened o
  CROSS JOIN (VALUES (0), (1)) AS d(n)
  -- Whole minutes of the first day of the interval first (cheap), the exact bounds below.
  JOIN ${schedule} s ON s.channel = o.channel AND s.start_minute + 1440 * d.n <= o.close_minute AND s.end_minute + 1440 * d.n > o.open_minute
)
SELECT user_id, device_id, device_type, location, channel, show_id, title AS show_title, genre, aired_at,
  greatest(opened_at, aired_at) AS start_time,
  least(closed_at, aired_end) AS end_time,
  date_diff('millisecond', greatest(opened_at, aired_at), least(closed_at, aired_end)) AS watch_ms,
  opened_at
FROM aired
WHERE aired_at < closed_at AND aired_end > opened_at`;
}

/** Watch time per show airing, device type and location, from `view_intervals`. */
export function watchTimeByShowSql(intervals = 'view_intervals'): string {
  return `SELECT aired_at, channel, show_id, show_title, genre, device_type, location,
  count(DISTINCT user_id) AS viewers,
  count(*) AS views,
  CAST(sum(watch_ms) AS BIGINT) AS watch_ms
FROM ${intervals}
GROUP BY aired_at, channel, show_id, show_title, genre, device_type, location`;
}

/** Watch time per ad spot airing, device type and location: each interval's overlap with the spots of its airing. */
export function watchTimeByAdSql(intervals = 'view_intervals', spots = 'tv_ad_spots'): string {
  return `WITH segments AS (
  SELECT user_id, device_type, location, channel, show_id, start_time, end_time, aired_day,
    date_diff('second', aired_day, start_time) AS start_second,
    date_diff('second', aired_day, end_time) AS end_second
  FROM (SELECT *, date_trunc('day', aired_at) AS aired_day FROM ${intervals}) v
),
spots AS (
  SELECT v.user_id, v.device_type, v.location, v.channel, v.show_id, a.break_no, a.ad_id, a.advertiser, v.start_time, v.end_time,
    v.aired_day + INTERVAL '1' SECOND * a.start_second AS spot_aired_at,
    v.aired_day + INTERVAL '1' SECOND * a.end_second AS spot_end,
    CAST(a.end_second - a.start_second AS BIGINT) * 1000 AS spot_ms
  FROM segments v
  -- Whole seconds of the airing day first (cheap), the exact bounds below.
  JOIN ${spots} a ON a.channel = v.channel AND a.show_id = v.show_id AND a.start_second <= v.end_second AND a.end_second > v.start_second
),
seen AS (
  SELECT *, date_diff('millisecond', greatest(start_time, spot_aired_at), least(end_time, spot_end)) AS watch_ms
  FROM spots
  WHERE spot_aired_at < end_time AND spot_end > start_time
)
SELECT spot_aired_at, ad_id, advertiser, channel, show_id, break_no, device_type, location,
  count(DISTINCT user_id) AS viewers,
  count(*) AS impressions,
  CAST(sum(CASE WHEN watch_ms = spot_ms THEN 1 ELSE 0 END) AS BIGINT) AS completed,
  CAST(sum(watch_ms) AS BIGINT) AS watch_ms
FROM seen
GROUP BY spot_aired_at, ad_id, advertiser, channel, show_id, break_no, device_type, location`;
}

/*
 * Bounded forms, for the dashboard panels: the rows of `watch_time_by_show` (or
 * `watch_time_by_ad`) whose airing (spot) starts in [from, to), from only the
 * events that can reach them. Exact, not approximate, because:
 * - a `view_intervals` row depends only on its opening event and the device's
 *   next event (LEAD) after dedupe by the exact natural key; copies of a key
 *   share event_time, so a time window holds all of them or none;
 * - a row of an airing starting at a in [from, to) has an interval that closed
 *   after a >= from and lasts at most the cap: it opened after from - cap; and
 *   it opened before the airing ended, a + the longest show < to + the longest
 *   show (for a spot: before to + the longest spot);
 * - every event of the window [from - cap, to + longest show) is there, so the
 *   LEAD of one but the device's last in it is exact; for that last one a probe
 *   adds the device's first event at or after the window's end (a `stop`, which
 *   opens nothing), its true next event: the closing time is exact (at most the
 *   cap after the opening), and an interval open over all events (no later
 *   event at all) stays open here too.
 * So each interval opened in the window is the unbounded view's, and each that
 * can reach the range opened in it. The window is cut on the partition columns
 * (dt, hour), which DuckDB and Athena prune on, then on event_time; the probe
 * reads the partitions from the window's end on, none for a range ending now.
 */

const HOUR_US = 3_600_000_000;
const CAP_US = MAX_INTERVAL_MS * 1000;
/** The hour partition a time falls in: its `dt` and `hour` values. */
const hourOf = (us: number) => [bind.day(us), bind.int(Math.floor(us / HOUR_US) % 24)] as const;

/**
 * The viewing events of [fromUs, toUs) plus, per device, a `stop` at its first
 * event time at or after toUs (the LEAD of its last event in the window): a
 * relation for {@link viewIntervalsSql} whose intervals opened in the window are
 * exactly those of all events. Request values are bound, never spliced.
 */
export function windowedEvents(fromUs: number, toUs: number, events = 'viewing_events'): BoundSql {
  const [fromDt, fromHour] = hourOf(fromUs);
  const [toDt, toHour] = hourOf(toUs);
  const params: SqlValue[] = [fromDt, toDt, fromDt, fromHour, toDt, toHour, bind.time(fromUs), bind.time(toUs), toDt, toDt, toHour, bind.time(toUs)];
  return {
    text: `(SELECT user_id, device_id, device_type, location, event_type, channel, seq, event_time
  FROM ${events}
  WHERE dt BETWEEN ? AND ? AND (dt <> ? OR hour >= ?) AND (dt <> ? OR hour <= ?) AND event_time >= ? AND event_time < ?
  UNION ALL
  SELECT user_id, device_id, CAST(NULL AS VARCHAR) AS device_type, CAST(NULL AS VARCHAR) AS location, 'stop' AS event_type,
    CAST(NULL AS VARCHAR) AS channel, CAST(0 AS BIGINT) AS seq, min(event_time) AS event_time
  FROM ${events}
  WHERE dt >= ? AND (dt <> ? OR hour >= ?) AND event_time >= ?
  GROUP BY user_id, device_id) viewing_window`,
    params,
  };
}

/**
 * The rows of `watch_time_by_show` whose airing starts in [fromUs, toUs)
 * (same columns), sessionizing only the events that can reach them (see above).
 */
export function watchTimeByShowInRange(fromUs: number, toUs: number, events = 'viewing_events', schedule = 'tv_schedule'): BoundSql {
  const w = windowedEvents(fromUs - CAP_US, toUs + MAX_SHOW_MS * 1000, events);
  return {
    text: `(SELECT * FROM (${watchTimeByShowSql(`(${viewIntervalsSql(w.text, schedule)}) view_intervals`)}) w
WHERE aired_at >= ? AND aired_at < ?) watch_time_by_show`,
    params: [...w.params, bind.time(fromUs), bind.time(toUs)],
  };
}

/**
 * The rows of `watch_time_by_ad` whose spot airs from [fromUs, toUs) (same
 * columns), sessionizing only the events that can reach them (see above).
 */
export function watchTimeByAdInRange(fromUs: number, toUs: number, events = 'viewing_events', schedule = 'tv_schedule', spots = 'tv_ad_spots'): BoundSql {
  const w = windowedEvents(fromUs - CAP_US, toUs + MAX_SPOT_MS * 1000, events);
  // Only rows overlapping [from, to + longest spot) can overlap a spot starting in the range (a cheap cut before the join).
  const intervals = `(SELECT * FROM (${viewIntervalsSql(w.text, schedule)}) v WHERE end_time > ? AND start_time < ?) view_intervals`;
  return {
    text: `(SELECT * FROM (${watchTimeByAdSql(intervals, spots)}) w
WHERE spot_aired_at >= ? AND spot_aired_at < ?) watch_time_by_ad`,
    params: [...w.params, bind.time(fromUs), bind.time(toUs + MAX_SPOT_MS * 1000), bind.time(fromUs), bind.time(toUs)],
  };
}
