/**
 * Sessionization: start / switch / stop events become view intervals, split at
 * the shows of the channel's schedule, and the ad spots each interval saw. Pure.
 * (`sql.ts` is the same derivation in SQL, for DuckDB and Athena; a test keeps
 * the two equal.)
 *
 * The rules, per (user_id, device_id), over the events deduplicated by their
 * natural key (event_time, seq) and ordered by (event_time, seq):
 * - a `start` or `switch` opens an interval on its channel, which the next event
 *   of the same user and device (whatever its type) closes; a `stop` opens nothing;
 * - an interval longer than {@link MAX_INTERVAL_MS} ends there (a set left on);
 * - the last interval stays open (it is no row) until a later event closes it;
 * - an interval becomes one row per show airing it overlaps (start and end cut
 *   to the airing), and one ad view per ad spot a row overlaps.
 *
 * Every interval is a function of the whole, deduplicated event set, never of
 * the order or the batches events came in: a late event re-derives its
 * neighbours, a retried or re-put event is one event.
 */
import type { ViewingEvent } from './event.js';
import { type AdSpot, airingAt, CHANNEL_GRIDS, floorIndex, type ScheduledShow } from './schedule.js';

/** The longest interval, ms: 4 hours without an event is a set left on. */
export const MAX_INTERVAL_MS = 4 * 3_600_000;

/** One row of `view_intervals`: a user's watching of one show airing (times in µs). */
export interface ViewInterval {
  readonly user_id: string;
  readonly device_id: string;
  readonly device_type: string;
  readonly location: string;
  readonly channel: string;
  readonly show_id: string;
  readonly show_title: string;
  readonly genre: string;
  /** Start of the show's airing. */
  readonly aired_at: number;
  readonly start_time: number;
  readonly end_time: number;
  readonly watch_ms: number;
  /** When the interval opened (the start or switch event), before the cut at the airing. */
  readonly opened_at: number;
}

/**
 * A device's watching from the start or switch that opened it to what closed it
 * (times in µs): the device's next event, or {@link MAX_INTERVAL_MS} on.
 */
export interface ClosedView {
  readonly user_id: string;
  readonly device_id: string;
  readonly opened_at: number;
  readonly closed_at: number;
  /** Its `view_intervals` rows, one per show airing it overlaps (none when it closed at once). */
  readonly rows: readonly ViewInterval[];
}

/** A view interval's overlap with one ad spot (times in µs). */
export interface AdView {
  readonly user_id: string;
  readonly device_type: string;
  readonly location: string;
  readonly channel: string;
  readonly show_id: string;
  readonly break_no: number;
  readonly ad_id: string;
  readonly advertiser: string;
  /** When the spot aired. */
  readonly spot_aired_at: number;
  readonly spot_ms: number;
  readonly watch_ms: number;
}

/** Order of a device's events: time, seq, then content (so that of two records with one key the same one is kept everywhere). */
export function compareEvents(a: ViewingEvent, b: ViewingEvent): number {
  return (
    a.event_time - b.event_time ||
    a.seq - b.seq ||
    cmp(a.event_type, b.event_type) ||
    cmp(a.channel, b.channel) ||
    cmp(a.location, b.location) ||
    cmp(a.device_type, b.device_type)
  );
}
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

interface DeviceEvents {
  readonly events: ViewingEvent[];
  sorted: boolean;
}

/**
 * Incremental sessionizer: add events in any order, any number of times, then
 * read the intervals of everything added so far. It keeps every event it is
 * given (a device's events sorted once, on the read after an out-of-order add):
 * the caller bounds what it holds, e.g. a day of one shard's devices.
 */
export class Sessionizer {
  private readonly devices = new Map<string, DeviceEvents>();

  /** Adds one event (a duplicate of one already added changes nothing). */
  add(e: ViewingEvent): void {
    const key = `${e.user_id}\u0000${e.device_id}`;
    let d = this.devices.get(key);
    if (d === undefined) {
      d = { events: [], sorted: true };
      this.devices.set(key, d);
    }
    const last = d.events[d.events.length - 1];
    if (last !== undefined && d.sorted && compareEvents(last, e) > 0) d.sorted = false;
    d.events.push(e);
  }

  /** The closed intervals, per show airing, of every user and device (per device in time order). */
  intervals(): ViewInterval[] {
    const out: ViewInterval[] = [];
    this.eachDevice((events) => deviceViews(events, Number.NEGATIVE_INFINITY, (open, toMs) => splitByShow(open, open.event_time / 1000, toMs, out)));
    return out;
  }

  /**
   * The closed views of every user and device (per device in time order): those
   * {@link intervals} has, grouped by the event that opened them, and also a
   * device's last view once `watermarkUs` (the latest event time seen) is
   * {@link MAX_INTERVAL_MS} past its opening, cut there. More events only add
   * views or end one earlier (a late event between it and the one that closed it).
   */
  closedViews(watermarkUs: number): ClosedView[] {
    const out: ClosedView[] = [];
    this.eachDevice((events) =>
      deviceViews(events, watermarkUs, (open, toMs) => {
        // Ended the moment it opened (the device's next event has the same time): no view, no rows, and
        // its key (user, device, opening time) belongs to the view that next event opens.
        if (toMs * 1000 <= open.event_time) return;
        const rows: ViewInterval[] = [];
        splitByShow(open, open.event_time / 1000, toMs, rows);
        out.push({ user_id: open.user_id, device_id: open.device_id, opened_at: open.event_time, closed_at: toMs * 1000, rows });
      }),
    );
    return out;
  }

  private eachDevice(f: (events: readonly ViewingEvent[]) => void): void {
    for (const d of this.devices.values()) {
      if (!d.sorted) {
        d.events.sort(compareEvents);
        d.sorted = true;
      }
      f(d.events);
    }
  }
}

/**
 * Calls `onView` with each view of one device's events (sorted by
 * {@link compareEvents}; duplicates adjacent) and the ms it closed at: the next
 * event, at most {@link MAX_INTERVAL_MS} on; the last view only when the cap is
 * at or before `watermarkUs`.
 */
function deviceViews(events: readonly ViewingEvent[], watermarkUs: number, onView: (open: ViewingEvent, toMs: number) => void): void {
  let open: ViewingEvent | undefined;
  let prev: ViewingEvent | undefined;
  for (const e of events) {
    // The first record of a natural key is the one kept (the SQL's row_number() = 1).
    if (prev !== undefined && prev.event_time === e.event_time && prev.seq === e.seq) continue;
    prev = e;
    if (open !== undefined) onView(open, Math.min(e.event_time / 1000, open.event_time / 1000 + MAX_INTERVAL_MS));
    open = e.event_type === 'stop' ? undefined : e;
  }
  if (open !== undefined && open.event_time / 1000 + MAX_INTERVAL_MS <= watermarkUs / 1000) onView(open, open.event_time / 1000 + MAX_INTERVAL_MS);
}

/** One row per show airing that [fromMs, toMs) on the opening event's channel overlaps. */
function splitByShow(open: ViewingEvent, fromMs: number, toMs: number, out: ViewInterval[]): void {
  for (let t = fromMs; t < toMs; ) {
    const a = airingAt(open.channel, t)!;
    const end = Math.min(toMs, a.endMs);
    out.push(row(open, a.show, a.startMs, t, end));
    t = end;
  }
}

function row(open: ViewingEvent, show: ScheduledShow, airedMs: number, fromMs: number, toMs: number): ViewInterval {
  return {
    user_id: open.user_id,
    device_id: open.device_id,
    device_type: open.device_type,
    location: open.location,
    channel: open.channel,
    show_id: show.show_id,
    show_title: show.title,
    genre: show.genre,
    aired_at: airedMs * 1000,
    start_time: fromMs * 1000,
    end_time: toMs * 1000,
    watch_ms: toMs - fromMs,
    opened_at: open.event_time,
  };
}

/** The intervals of a set of events in any order, with duplicates: the pure function the SQL view computes. */
export function sessionize(events: Iterable<ViewingEvent>): ViewInterval[] {
  const s = new Sessionizer();
  for (const e of events) s.add(e);
  return s.intervals();
}

const MS_PER_DAY = 86_400_000;

/** The ad spots each interval overlaps, with how long it watched each. */
export function adViews(intervals: Iterable<ViewInterval>): AdView[] {
  const out: AdView[] = [];
  for (const v of intervals) {
    const g = CHANNEL_GRIDS.get(v.channel)!;
    const fromMs = v.start_time / 1000;
    const toMs = v.end_time / 1000;
    const day = Math.floor(v.aired_at / 1000 / MS_PER_DAY) * MS_PER_DAY;
    // From the last spot starting at or before the interval (it may run into it) to the first starting after its end.
    for (let i = Math.max(0, floorIndex(g.spotStarts, Math.floor((fromMs - day) / 1000))); i < g.spots.length; i++) {
      const spot: AdSpot = g.spots[i]!;
      const spotFrom = day + spot.start_second * 1000;
      if (spotFrom >= toMs) break;
      const spotTo = day + spot.end_second * 1000;
      if (spotTo <= fromMs || spot.show_id !== v.show_id) continue;
      out.push({
        user_id: v.user_id,
        device_type: v.device_type,
        location: v.location,
        channel: v.channel,
        show_id: v.show_id,
        break_no: spot.break_no,
        ad_id: spot.ad_id,
        advertiser: spot.advertiser,
        spot_aired_at: spotFrom * 1000,
        spot_ms: spotTo - spotFrom,
        watch_ms: Math.min(toMs, spotTo) - Math.max(fromMs, spotFrom),
      });
    }
  }
  return out;
}

/** One row of `watch_time_by_show`: an airing of a show, by device type and location. */
export interface ShowWatchTime {
  readonly aired_at: number;
  readonly channel: string;
  readonly show_id: string;
  readonly show_title: string;
  readonly genre: string;
  readonly device_type: string;
  readonly location: string;
  readonly viewers: number;
  readonly views: number;
  readonly watch_ms: number;
}

/** One row of `watch_time_by_ad`: an airing of an ad spot, by device type and location. */
export interface AdWatchTime {
  readonly spot_aired_at: number;
  readonly ad_id: string;
  readonly advertiser: string;
  readonly channel: string;
  readonly show_id: string;
  readonly break_no: number;
  readonly device_type: string;
  readonly location: string;
  readonly viewers: number;
  readonly impressions: number;
  readonly completed: number;
  readonly watch_ms: number;
}

/** Groups rows by a key, folding each group. */
function groupBy<T, R>(rows: Iterable<T>, key: (r: T) => string, first: (r: T) => R, fold: (acc: R, r: T) => void): R[] {
  const m = new Map<string, R>();
  for (const r of rows) {
    const k = key(r);
    const acc = m.get(k);
    if (acc === undefined) m.set(k, first(r));
    else fold(acc, r);
  }
  return [...m.values()];
}

/** Watch time per show airing, device type and location (what the `watch_time_by_show` view computes). */
export function watchTimeByShow(intervals: Iterable<ViewInterval>): ShowWatchTime[] {
  type Acc = { -readonly [K in keyof ShowWatchTime]: ShowWatchTime[K] } & { users: Set<string> };
  return groupBy<ViewInterval, Acc>(
    intervals,
    (v) => `${v.aired_at}|${v.show_id}|${v.channel}|${v.device_type}|${v.location}`,
    (v) => ({ ...pick(v), viewers: 1, views: 1, watch_ms: v.watch_ms, users: new Set([v.user_id]) }),
    (a, v) => {
      a.users.add(v.user_id);
      a.viewers = a.users.size;
      a.views++;
      a.watch_ms += v.watch_ms;
    },
  ).map(({ users: _, ...r }) => r);
}

const pick = (v: ViewInterval) => ({
  aired_at: v.aired_at,
  channel: v.channel,
  show_id: v.show_id,
  show_title: v.show_title,
  genre: v.genre,
  device_type: v.device_type,
  location: v.location,
});

/** Watch time per ad spot airing, device type and location (what the `watch_time_by_ad` view computes). */
export function watchTimeByAd(views: Iterable<AdView>): AdWatchTime[] {
  type Acc = { -readonly [K in keyof AdWatchTime]: AdWatchTime[K] } & { users: Set<string> };
  return groupBy<AdView, Acc>(
    views,
    (v) => `${v.spot_aired_at}|${v.ad_id}|${v.channel}|${v.device_type}|${v.location}`,
    (v) => ({
      spot_aired_at: v.spot_aired_at,
      ad_id: v.ad_id,
      advertiser: v.advertiser,
      channel: v.channel,
      show_id: v.show_id,
      break_no: v.break_no,
      device_type: v.device_type,
      location: v.location,
      viewers: 1,
      impressions: 1,
      completed: v.watch_ms === v.spot_ms ? 1 : 0,
      watch_ms: v.watch_ms,
      users: new Set([v.user_id]),
    }),
    (a, v) => {
      a.users.add(v.user_id);
      a.viewers = a.users.size;
      a.impressions++;
      if (v.watch_ms === v.spot_ms) a.completed++;
      a.watch_ms += v.watch_ms;
    },
  ).map(({ users: _, ...r }) => r);
}
