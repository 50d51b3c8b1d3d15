/**
 * Simulated short-video engagement, as the old mock producer sent it but with
 * realistic shape: categories of different popularity and video lengths, a
 * swipe-away share, completions and replays, likes more likely the more of a
 * video was watched, a few heavy users and hit videos (power laws), a daily
 * traffic cycle, and late arrivals (clients that were offline send their
 * views minutes later). Pure and seeded; records come in arrival order.
 */
import { Rng } from '../../core/random.js';

/** How one category behaves. */
export interface CategoryProfile {
  readonly category: string;
  /** Relative share of views. */
  readonly popularity: number;
  /** Median video length, seconds (log-normal). */
  readonly medianLengthS: number;
  /** Share of views swiped away within the first seconds. */
  readonly swipeShare: number;
  /** Like probability of a view watched to the end (less for partial views). */
  readonly likeAtCompletion: number;
}

/** The simulated categories: popularity, length and like behaviour differ, so per-category aggregates differ. */
export const CATEGORIES: readonly CategoryProfile[] = [
  { category: 'comedy', popularity: 24, medianLengthS: 22, swipeShare: 0.3, likeAtCompletion: 0.16 },
  { category: 'music', popularity: 18, medianLengthS: 35, swipeShare: 0.25, likeAtCompletion: 0.12 },
  { category: 'gaming', popularity: 14, medianLengthS: 55, swipeShare: 0.35, likeAtCompletion: 0.09 },
  { category: 'food', popularity: 10, medianLengthS: 40, swipeShare: 0.28, likeAtCompletion: 0.11 },
  { category: 'sports', popularity: 10, medianLengthS: 30, swipeShare: 0.32, likeAtCompletion: 0.1 },
  { category: 'pets', popularity: 9, medianLengthS: 18, swipeShare: 0.2, likeAtCompletion: 0.22 },
  { category: 'beauty', popularity: 8, medianLengthS: 45, swipeShare: 0.4, likeAtCompletion: 0.08 },
  { category: 'education', popularity: 7, medianLengthS: 75, swipeShare: 0.45, likeAtCompletion: 0.14 },
];

export interface EngagementSimConfig {
  readonly minutes: number;
  readonly seed?: number | string;
  readonly startTimeMs?: number;
  /** Mean views per second over a day (the daily cycle moves it between about 0.5x and 1.5x). Default 20. */
  readonly ratePerSec?: number;
  /** Share of views that arrive late (0..1). Default 0.03. */
  readonly lateShare?: number;
  /** Share of records corrupted on purpose (0..1). */
  readonly malformedShare?: number;
  /** Distinct users (default 5,000) and videos per category (default 400). */
  readonly users?: number;
  readonly videosPerCategory?: number;
}

/** One record for the stream: `timeMs` is when it is put (its arrival), the payload's `timestamp` when the view ended. */
export interface EngagementRecord {
  readonly timeMs: number;
  readonly partitionKey: string;
  readonly payload: string;
}

/** Default mean rate, views per second. */
export const DEFAULT_ENGAGEMENT_RATE = 20;
/** The latest a late view arrives, ms. */
const MAX_LATENESS_MS = 10 * 60_000;

/** Traffic relative to the daily mean at a time: peaks in the (UTC) evening, lowest before dawn. */
export function dailyCycle(timeMs: number): number {
  const hour = (timeMs / 3_600_000) % 24;
  return 1 + 0.5 * Math.sin((2 * Math.PI * (hour - 14)) / 24);
}

/** A corrupted variant of a valid message, as producers go wrong. */
function corrupt(msg: Record<string, unknown>, rng: Rng): string {
  switch (rng.int(7)) {
    case 0:
      return JSON.stringify({ ...msg, watch_time: -Math.round(rng.uniform(1, 30)) });
    case 1:
      return JSON.stringify({ ...msg, liked: rng.chance(0.5) ? 'yes' : 1 });
    case 2: {
      const { category: _c, ...rest } = msg;
      return JSON.stringify(rest);
    }
    case 3:
      return JSON.stringify(msg).slice(0, 40 + rng.int(40));
    case 4:
      return JSON.stringify({ ...msg, timestamp: String(msg.timestamp).replace('Z', '') });
    case 5:
      return JSON.stringify({ ...msg, category: `${String(msg.category).toUpperCase()} Clips` });
    default:
      return JSON.stringify({ ...msg, watch_time: String(msg.watch_time) });
  }
}

/** Views of every category, in arrival order. */
export function* simulateEngagement(cfg: EngagementSimConfig): Generator<EngagementRecord> {
  const rng = Rng.derive(cfg.seed ?? 1, 'engagement');
  const start = cfg.startTimeMs ?? Date.UTC(2026, 10, 2);
  const end = start + cfg.minutes * 60_000;
  const rate = cfg.ratePerSec ?? DEFAULT_ENGAGEMENT_RATE;
  const lateShare = cfg.lateShare ?? 0.03;
  const bad = cfg.malformedShare ?? 0;
  const users = cfg.users ?? 5_000;
  const perCategory = cfg.videosPerCategory ?? 400;
  const totalPopularity = CATEGORIES.reduce((a, c) => a + c.popularity, 0);
  // Each video's length is fixed for the run (drawn once), around its category's median.
  const lengths = CATEGORIES.map((c) => Array.from({ length: perCategory }, () => Math.min(180, Math.max(5, rng.logNormal(Math.log(c.medianLengthS), 0.5)))));
  // Records already produced but not yet arrived, by arrival time (late ones wait here).
  const pending: EngagementRecord[] = [];
  const enqueue = (r: EngagementRecord) => {
    let i = pending.length;
    while (i > 0 && pending[i - 1]!.timeMs > r.timeMs) i--;
    pending.splice(i, 0, r);
  };
  let t = start;
  for (;;) {
    t += rng.exponential(1000 / (rate * dailyCycle(t)));
    while (pending.length > 0 && pending[0]!.timeMs <= Math.min(t, end)) yield pending.shift()!;
    if (t >= end) break;
    let pick = rng.uniform(0, totalPopularity);
    let ci = 0;
    while (pick >= CATEGORIES[ci]!.popularity && ci < CATEGORIES.length - 1) pick -= CATEGORIES[ci++]!.popularity;
    const cat = CATEGORIES[ci]!;
    // Power laws: a few hit videos and heavy users take most views.
    const vi = Math.floor(perCategory * rng.next() ** 3);
    const length = lengths[ci]![vi]!;
    let fraction: number;
    if (rng.chance(cat.swipeShare)) fraction = Math.min(1, rng.uniform(0.5, 3) / length);
    else if (rng.chance(0.35)) fraction = 1 + (rng.chance(0.25) ? rng.geometric(0.6) + rng.next() : 0);
    else fraction = rng.next() ** 0.7;
    const watch = Math.round(length * fraction * 1000) / 1000;
    // Likes follow watched share: near zero for swipes, the category's rate at completion, more on replays.
    const liked = rng.chance(cat.likeAtCompletion * Math.min(1.5, fraction) ** 2);
    const user = `u${String(Math.floor(users * rng.next() ** 2)).padStart(6, '0')}`;
    const endedMs = Math.floor(t);
    const msg = {
      source: 'engagement',
      timestamp: new Date(endedMs).toISOString(),
      user_id: user,
      video_id: `v-${cat.category}-${String(vi).padStart(5, '0')}`,
      category: cat.category,
      watch_time: watch,
      liked,
    };
    const late = rng.chance(lateShare);
    const delay = late ? Math.min(MAX_LATENESS_MS, rng.logNormal(Math.log(20_000), 1.2)) : rng.uniform(20, 400);
    enqueue({ timeMs: Math.floor(endedMs + delay), partitionKey: user, payload: bad > 0 && rng.chance(bad) ? corrupt(msg, rng) : JSON.stringify(msg) });
  }
  while (pending.length > 0) yield pending.shift()!;
}
