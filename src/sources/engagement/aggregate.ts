/**
 * Running engagement per category in 1-minute tumbling windows of event time,
 * by mergeable partial aggregates (the design of the minute bars, src/core/bars.ts).
 * Pure. (`sql.ts` is the merge in SQL, for DuckDB and Athena.)
 *
 * Each stream batch writes one partial per (category, window) it touched:
 * counts, the watch-time sum in integer milliseconds and the longest watch.
 * Merging is associative and commutative and, with integer sums, exact: a
 * window's figures are the same whatever the batching, shard spread, retries
 * (a retried batch rewrites its own partials) or lateness (a late event adds
 * a partial to its window).
 */
import { US_PER_MINUTE } from '../../core/time.js';
import { type EngagementEvent, watchMs } from './event.js';

/** One partial aggregate (column names as in glue-schemas/engagement_partials.json, without batch_id). */
export interface EngagementPartial {
  /** Window start, microseconds since epoch (a multiple of a minute). */
  window_start: number;
  category: string;
  views: number;
  likes: number;
  sum_watch_time_ms: number;
  max_watch_time_ms: number;
}

/** A merged window: one row of `engagement_by_minute` (times in µs, watch times in seconds). */
export interface EngagementWindow {
  readonly window_start: number;
  readonly window_end: number;
  readonly category: string;
  readonly views: number;
  readonly likes: number;
  readonly like_rate: number;
  readonly avg_watch_time: number;
  readonly total_watch_time: number;
  readonly max_watch_time: number;
}

/** Start of the UTC minute of a time, µs. */
export function windowOf(timeUs: number): number {
  return Math.floor(timeUs / US_PER_MINUTE) * US_PER_MINUTE;
}

/** The partial of one event. */
export function partialOf(e: EngagementEvent): EngagementPartial {
  const ms = watchMs(e.watch_time);
  return { window_start: windowOf(e.event_time), category: e.category, views: 1, likes: e.liked ? 1 : 0, sum_watch_time_ms: ms, max_watch_time_ms: ms };
}

/** Two partials of the same (category, window) as one (a new object). */
export function mergePartials(a: EngagementPartial, b: EngagementPartial): EngagementPartial {
  return {
    window_start: a.window_start,
    category: a.category,
    views: a.views + b.views,
    likes: a.likes + b.likes,
    sum_watch_time_ms: a.sum_watch_time_ms + b.sum_watch_time_ms,
    max_watch_time_ms: Math.max(a.max_watch_time_ms, b.max_watch_time_ms),
  };
}

/** The window row of a (merged) partial. */
export function finishWindow(p: EngagementPartial): EngagementWindow {
  return {
    window_start: p.window_start,
    window_end: p.window_start + US_PER_MINUTE,
    category: p.category,
    views: p.views,
    likes: p.likes,
    like_rate: p.likes / p.views,
    avg_watch_time: p.sum_watch_time_ms / 1000 / p.views,
    total_watch_time: p.sum_watch_time_ms / 1000,
    max_watch_time: p.max_watch_time_ms / 1000,
  };
}

/** Folds one batch's events into partials per (category, window). */
export class EngagementAccumulator {
  // By category, then window start: the lookups build no key (categories are few strings, windows numbers).
  private readonly byCategory = new Map<string, Map<number, EngagementPartial>>();
  // Consecutive events often share a window and a category: skip the lookups then.
  private lastWindow = Number.NaN;
  private lastCategory = '';
  private last: EngagementPartial | undefined;

  add(e: EngagementEvent): void {
    const w = windowOf(e.event_time);
    let p = w === this.lastWindow && e.category === this.lastCategory ? this.last : undefined;
    if (p === undefined) {
      let windows = this.byCategory.get(e.category);
      if (windows === undefined) {
        windows = new Map();
        this.byCategory.set(e.category, windows);
      }
      p = windows.get(w);
      if (p === undefined) {
        p = { window_start: w, category: e.category, views: 0, likes: 0, sum_watch_time_ms: 0, max_watch_time_ms: 0 };
        windows.set(w, p);
      }
      this.lastWindow = w;
      this.lastCategory = e.category;
      this.last = p;
    }
    const ms = watchMs(e.watch_time);
    p.views++;
    if (e.liked) p.likes++;
    p.sum_watch_time_ms += ms;
    if (ms > p.max_watch_time_ms) p.max_watch_time_ms = ms;
  }

  /** The partials so far, by window then category. */
  partials(): EngagementPartial[] {
    const out: EngagementPartial[] = [];
    for (const windows of this.byCategory.values()) for (const p of windows.values()) out.push(p);
    return out.sort(byWindowThenCategory);
  }
}

function byWindowThenCategory(a: EngagementPartial, b: EngagementPartial): number {
  return a.window_start - b.window_start || (a.category < b.category ? -1 : a.category > b.category ? 1 : 0);
}

/** Merges partials (any batches, any order) into window rows, by window then category. */
export function mergeToWindows(partials: Iterable<EngagementPartial>): EngagementWindow[] {
  const m = new Map<string, EngagementPartial>();
  for (const p of partials) {
    const k = `${p.window_start}|${p.category}`;
    const prev = m.get(k);
    m.set(k, prev ? mergePartials(prev, p) : { ...p });
  }
  return [...m.values()].sort(byWindowThenCategory).map(finishWindow);
}
