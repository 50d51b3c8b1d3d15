/**
 * The bounded queries of the closed-results publishers, written once for
 * DuckDB (local) and Athena (cloud), and the readers they make over a
 * {@link LakeQueryRunner}: `LakeSql` locally (src/local/enriched-publisher.ts),
 * Athena in the cloud (src/adapters/aws/athena-query-runner.ts). Query texts
 * are fixed per dialect; times and days travel as bound parameters (`?`),
 * never spliced into the text.
 *
 * Every query prunes on the `dt` partitions of its time range and filters on
 * the time column inside them:
 * - the watermark: `max(event_time)` of the source's events from a day on;
 * - category minutes: `engagement_by_minute`'s definition over
 *   `engagement_partials` (inlined, so the cloud needs no saved view), windows
 *   starting in `(after, through]`;
 * - viewing events: per device the events at its latest (event_time, seq) in
 *   `[after - 4 h, after]` (a window function: the look-back returns at most
 *   one event per device, not four hours of them), and every event in
 *   `(after, through]`.
 */
import { VIEW_TABLES } from '../catalog.js';
import { dateOfDay, dayNumber } from '../core/time.js';
import type { SqlDialect } from '../sql/dialect.js';
import type { BoundSql, SqlValue } from '../sql/panel.js';
import { ENGAGEMENT_BY_MINUTE, ENGAGEMENT_EVENTS, ENGAGEMENT_PARTIALS } from '../sources/engagement/tables.js';
import type { ViewingEvent } from '../sources/viewing/index.js';
import { VIEWING_EVENTS } from '../sources/viewing/tables.js';
import type { EngagementLakeReader } from './engagement-results.js';
import type { EngagementAggregate } from './records.js';
import type { ViewingEventsQuery, ViewingLakeReader } from './view-results.js';

/** Runs a bound query on the lake: DuckDB locally, Athena in the cloud. */
export interface LakeQueryRunner {
  readonly dialect: SqlDialect;
  /** The rows of the query, cells as the engine gives them (numbers, or text for what it returns as text). */
  run(q: BoundSql): Promise<{ readonly rows: readonly (readonly unknown[])[] }>;
}

/**
 * The sources whose closed results are published, with the kind of record
 * each gives and the lake tables its queries read (the cloud function's Glue
 * and S3 read grants).
 */
export const ENRICHED_RESULT_SOURCES = {
  engagement: { kind: 'engagement_1m', reads: [ENGAGEMENT_EVENTS.name, ENGAGEMENT_PARTIALS.name] },
  viewing: { kind: 'view_interval', reads: [VIEWING_EVENTS.name] },
} as const;
export type EnrichedResultSource = keyof typeof ENRICHED_RESULT_SOURCES;

/** Microseconds since the epoch of a `timestamp` expression (as the bar source reads them). */
function epochMicros(expr: string, dialect: SqlDialect): string {
  return dialect.name === 'duckdb' ? `epoch_us(${expr})` : `CAST(round(to_unixtime(${expr}) * 1000000) AS BIGINT)`;
}

function checkTime(us: number, what: string): number {
  if (!Number.isSafeInteger(us)) throw new RangeError(`${what} is not a whole number of µs: ${us}`);
  return us;
}

const at = (us: number, what: string): SqlValue => ({ type: 'timestamp', us: checkTime(us, what) });
const dayOf = (us: number, what: string): SqlValue => ({ type: 'varchar', value: dateOfDay(dayNumber(checkTime(us, what))) });

function checkRange(afterUs: number, throughUs: number): void {
  checkTime(afterUs, 'after');
  checkTime(throughUs, 'through');
  if (!(throughUs >= afterUs)) throw new RangeError(`empty time range (${afterUs}, ${throughUs}]`);
}

/** The latest event time (µs, NULL for none) of `table`, from the UTC day of `fromUs` on, or of the whole table. */
export function latestEventTimeSql(
  table: typeof ENGAGEMENT_EVENTS.name | typeof VIEWING_EVENTS.name,
  fromUs: number | undefined,
  dialect: SqlDialect,
): BoundSql {
  const select = `SELECT ${epochMicros('max(event_time)', dialect)} AS watermark_us\nFROM ${table}`;
  if (fromUs === undefined) return { text: select, params: [] };
  return { text: `${select}\nWHERE dt >= ?`, params: [dayOf(fromUs, 'from')] };
}

const WINDOW_NUMBERS = ['views', 'likes', 'like_rate', 'avg_watch_time', 'total_watch_time', 'max_watch_time'] as const;

/** The `engagement_by_minute` rows whose window starts in `(afterUs, throughUs]`, by window then category. */
export function engagementWindowsSql(afterUs: number, throughUs: number, dialect: SqlDialect): BoundSql {
  checkRange(afterUs, throughUs);
  const view = VIEW_TABLES[ENGAGEMENT_BY_MINUTE.name]!();
  return {
    text: `SELECT category, ${epochMicros('window_start', dialect)} AS window_start_us, ${epochMicros('window_end', dialect)} AS window_end_us, ${WINDOW_NUMBERS.join(', ')}
FROM (${view}) w
WHERE dt BETWEEN ? AND ?
  AND window_start > ?
  AND window_start <= ?
ORDER BY window_start, category`,
    params: [dayOf(afterUs, 'after'), dayOf(throughUs, 'through'), at(afterUs, 'after'), at(throughUs, 'through')],
  };
}

const EVENT_COLUMNS = 'seq, user_id, device_id, device_type, location, event_type, channel';

/** The viewing events of {@link ViewingLakeReader.viewingEvents}. */
export function viewingEventsSql(q: ViewingEventsQuery, dialect: SqlDialect): BoundSql {
  checkRange(q.lookbackUs, q.afterUs);
  checkRange(q.afterUs, q.throughUs);
  const t = VIEWING_EVENTS.name;
  return {
    text: `WITH before_window AS (
  SELECT event_time, ${EVENT_COLUMNS},
    rank() OVER (PARTITION BY user_id, device_id ORDER BY event_time DESC, seq DESC) AS latest
  FROM ${t}
  WHERE dt BETWEEN ? AND ?
    AND event_time >= ?
    AND event_time <= ?
)
SELECT ${epochMicros('event_time', dialect)} AS event_time_us, ${EVENT_COLUMNS}
FROM before_window
WHERE latest = 1
UNION ALL
SELECT ${epochMicros('event_time', dialect)} AS event_time_us, ${EVENT_COLUMNS}
FROM ${t}
WHERE dt BETWEEN ? AND ?
  AND event_time > ?
  AND event_time <= ?`,
    params: [
      dayOf(q.lookbackUs, 'lookback'),
      dayOf(q.afterUs, 'after'),
      at(q.lookbackUs, 'lookback'),
      at(q.afterUs, 'after'),
      dayOf(q.afterUs, 'after'),
      dayOf(q.throughUs, 'through'),
      at(q.afterUs, 'after'),
      at(q.throughUs, 'through'),
    ],
  };
}

/** A cell as a finite number (engines give BIGINTs and DOUBLEs as numbers or text). */
function num(v: unknown, column: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) throw new Error(`${column} is not a finite number: ${String(v)}`);
  return n;
}

function str(v: unknown, column: string): string {
  if (typeof v !== 'string') throw new Error(`${column} is not text: ${String(v)}`);
  return v;
}

/** A row of {@link engagementWindowsSql} as an aggregate. */
export function windowFromRow(row: readonly unknown[]): EngagementAggregate {
  const [category, start, end, ...numbers] = row;
  const n = Object.fromEntries(WINDOW_NUMBERS.map((c, i) => [c, num(numbers[i], c)])) as Record<(typeof WINDOW_NUMBERS)[number], number>;
  return { window_start: num(start, 'window_start'), window_end: num(end, 'window_end'), category: str(category, 'category'), ...n };
}

/** A row of {@link viewingEventsSql} as an event. */
export function viewingEventFromRow(row: readonly unknown[]): ViewingEvent {
  const [time, seq, user_id, device_id, device_type, location, event_type, channel] = row;
  return {
    event_time: num(time, 'event_time'),
    seq: num(seq, 'seq'),
    user_id: str(user_id, 'user_id'),
    device_id: str(device_id, 'device_id'),
    device_type: str(device_type, 'device_type'),
    location: str(location, 'location'),
    event_type: str(event_type, 'event_type') as ViewingEvent['event_type'],
    channel: str(channel, 'channel'),
  };
}

/** Both readers over one runner. */
export class LakeResultsReader implements EngagementLakeReader, ViewingLakeReader {
  constructor(private readonly runner: LakeQueryRunner) {}

  latestEngagementTimeUs(fromUs: number | undefined): Promise<number | undefined> {
    return this.watermark(latestEventTimeSql(ENGAGEMENT_EVENTS.name, fromUs, this.runner.dialect));
  }

  async engagementWindows(afterUs: number, throughUs: number): Promise<EngagementAggregate[]> {
    const r = await this.runner.run(engagementWindowsSql(afterUs, throughUs, this.runner.dialect));
    return r.rows.map(windowFromRow);
  }

  latestViewingTimeUs(fromUs: number | undefined): Promise<number | undefined> {
    return this.watermark(latestEventTimeSql(VIEWING_EVENTS.name, fromUs, this.runner.dialect));
  }

  async viewingEvents(q: ViewingEventsQuery): Promise<ViewingEvent[]> {
    const r = await this.runner.run(viewingEventsSql(q, this.runner.dialect));
    return r.rows.map(viewingEventFromRow);
  }

  private async watermark(q: BoundSql): Promise<number | undefined> {
    const v = (await this.runner.run(q)).rows[0]?.[0];
    return v === null || v === undefined || v === '' ? undefined : num(v, 'watermark');
  }
}
