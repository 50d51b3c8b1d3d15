/**
 * Which minute bars to publish to the time-series store, and when: the pure
 * rule shared by the local publisher (`src/local/bar-publisher.ts`, after every
 * demo or replay) and the cloud one (`src/timeseries/cloud-bar-publisher.ts`,
 * every minute in the predict function). No I/O.
 *
 * - **Closed.** A minute is closed when the watermark (the latest trade time
 *   in the lake) is at least the allowed lateness past its end. Open minutes
 *   are never published.
 * - **Fresh / correction.** What was published is remembered as the trade
 *   count of each (symbol, minute). A closed bar with no entry is fresh; one
 *   whose count differs from its entry changed after it was published (a
 *   trade later than the lateness arrived) and is re-published as a
 *   correction; one with the same count is left alone. Trades are only ever
 *   added to a minute, so a changed bar has a changed count.
 * - **Version.** Bars are written with record version = trade count
 *   ({@link BAR_WRITE_OPTIONS}): a correction carries a higher version than
 *   what it replaces (Timestream for LiveAnalytics upserts it), and re-sending
 *   an unchanged bar sends the identical record (accepted as a duplicate,
 *   nothing changes). Stores without versions (InfluxDB, embedded) replace the
 *   point of the same measurement, tags and time.
 */
import { US_PER_MINUTE } from '../core/time.js';
import type { BarRow } from '../core/bars.js';
import type { Point, WriteOptions } from './point.js';

/** Default allowed lateness: trades up to 10 s late still make their minute's first published bar. */
export const DEFAULT_ALLOWED_LATENESS_SECONDS = 10;

/** One minute in microseconds. */
export const MINUTE_US = US_PER_MINUTE;

/** What the rule needs of a bar (a `bars_1m` row; minute_start in µs; trade_count may come from SQL as a BIGINT). */
export type BarIdentity = Pick<BarRow, 'symbol' | 'minute_start'> & { readonly trade_count: number | bigint };

/**
 * What was published: per symbol, minute start (µs, as a decimal string) ->
 * trade count of the published bar. JSON-safe (a state file or document).
 */
export type PublishedBars = Record<string, Record<string, number>>;

/** Start of the latest closed minute for a watermark (µs); minutes at or before it are closed. */
export function lastClosedMinuteUs(watermarkUs: number, allowedLatenessSeconds = DEFAULT_ALLOWED_LATENESS_SECONDS): number {
  return Math.floor((watermarkUs - allowedLatenessSeconds * 1_000_000 - MINUTE_US) / MINUTE_US) * MINUTE_US;
}

/** True when the minute starting at `minuteStartUs` is closed for the watermark. */
export function isClosedMinute(minuteStartUs: number, watermarkUs: number, allowedLatenessSeconds = DEFAULT_ALLOWED_LATENESS_SECONDS): boolean {
  return minuteStartUs + MINUTE_US + allowedLatenessSeconds * 1_000_000 <= watermarkUs;
}

/** The bars a run writes. */
export interface PublicationPlan<B extends BarIdentity> {
  /** Closed bars never published, in input order. */
  readonly fresh: B[];
  /** Published bars whose trade count changed, in input order. */
  readonly corrections: B[];
}

/**
 * Splits the closed bars into fresh ones and corrections; unchanged and open
 * bars are left out. A (symbol, minute) listed twice counts once (its last row).
 */
export function planPublication<B extends BarIdentity>(
  bars: readonly B[],
  published: Readonly<PublishedBars>,
  watermarkUs: number,
  allowedLatenessSeconds = DEFAULT_ALLOWED_LATENESS_SECONDS,
): PublicationPlan<B> {
  return planVersions(
    bars.filter((b) => isClosedMinute(b.minute_start, watermarkUs, allowedLatenessSeconds)),
    published,
  );
}

/**
 * Splits closed results (a series, a start, a version: bars, or anything
 * published by the same rule) into fresh ones and changed ones; unchanged ones
 * are left out. One listed twice counts once (its last row).
 */
export function planVersions<B extends BarIdentity>(closed: readonly B[], published: Readonly<PublishedBars>): PublicationPlan<B> {
  const latest = new Map<string, B>();
  for (const b of closed) {
    const key = `${b.symbol}\u0000${b.minute_start}`;
    latest.delete(key);
    latest.set(key, b);
  }
  const fresh: B[] = [];
  const corrections: B[] = [];
  for (const b of latest.values()) {
    const prev = published[b.symbol]?.[String(b.minute_start)];
    if (prev === undefined) fresh.push(b);
    else if (prev !== Number(b.trade_count)) corrections.push(b);
  }
  return { fresh, corrections };
}

/** Records bars as published (their current trade counts); changes `published` in place and returns it. */
export function recordPublished(published: PublishedBars, bars: readonly BarIdentity[]): PublishedBars {
  for (const b of bars) {
    published[b.symbol] ??= {};
    published[b.symbol]![String(b.minute_start)] = Number(b.trade_count);
  }
  return published;
}

/** The entries of minutes at or after `fromUs` (older ones are outside the correction horizon). */
export function publishedSince(published: Readonly<PublishedBars>, fromUs: number): PublishedBars {
  const out: PublishedBars = {};
  for (const [symbol, minutes] of Object.entries(published)) {
    const kept = Object.entries(minutes).filter(([m]) => Number(m) >= fromUs);
    if (kept.length > 0) out[symbol] = Object.fromEntries(kept);
  }
  return out;
}

/** Record version of a `bar_1m` point: its trade count (at least 1 for a bar). */
export function barVersion(p: Point): number {
  return Math.max(1, Number(p.fields.trade_count ?? 1));
}

/** Write options of bar points: version = trade count (see the module comment). */
export const BAR_WRITE_OPTIONS: WriteOptions = { version: barVersion };
