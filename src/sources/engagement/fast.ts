/**
 * A fast path for the exact layout the engagement producers write (the
 * simulator's `JSON.stringify` of the documented message, keys in this order):
 * `{"source":"engagement","timestamp":"2026-11-02T10:00:01.250Z","user_id":"u004217",
 * "video_id":"v-comedy-00312","category":"comedy","watch_time":23.417,"liked":true}`.
 *
 * JSON.parse builds a generic object per view, and validation then runs three
 * regular expressions and Date.parse; this scanner reads the fixed key
 * sequence with charCodeAt, checks the same rules on the characters it walks,
 * and returns the event, or `undefined` for anything it does not recognise
 * as canonical *and* valid (other key orders, whitespace, escapes, non-ASCII
 * ids, another timestamp form, an invalid value): the caller then takes the
 * general path, JSON.parse and {@link engagementFrom}, which names the
 * reason. So it can never accept what the general path rejects, nor read a
 * value differently; a property test checks both paths agree.
 */
import { checkEventTime } from '../../core/validation.js';
import { type EngagementEvent, MAX_WATCH_TIME_S } from './event.js';

const PREFIX = '{"source":"engagement","timestamp":"';
const USER_KEY = '","user_id":"';
const VIDEO_KEY = '","video_id":"';
const CATEGORY_KEY = '","category":"';
/** `YYYY-MM-DDTHH:MM:SS.mmmZ`: the form `Date.prototype.toISOString` writes (years 0000-9999). */
const TIMESTAMP_LENGTH = 24;
const MAX_ID = 64;
const MAX_CATEGORY = 32;
/** 10^k for the fraction digits of a watch time (exact doubles up to 10^22). */
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

// Views of a batch share a few dates and categories: the day's start and the category strings are reused.
let lastDate = '';
let lastDayMs = Number.NaN;
const categories: string[] = [];

/** An event the scanner may fill in place (a batch reuses one: its rows and windows copy the values). */
export type MutableEngagementEvent = { -readonly [K in keyof EngagementEvent]: EngagementEvent[K] };

/**
 * The view of a canonical, valid message, or undefined (then read it with
 * JSON.parse and {@link engagementFrom}).
 * @param into filled and returned instead of a new object (no allocation per view)
 */
export function scanEngagement(text: string, nowUs: number, into?: MutableEngagementEvent): EngagementEvent | undefined {
  if (!text.startsWith(PREFIX)) return undefined;
  let i = PREFIX.length;
  const ms = timestampMs(text, i);
  if (ms === undefined) return undefined;
  i += TIMESTAMP_LENGTH;
  let end = valueEnd(text, i, USER_KEY, idEnd);
  if (end < 0) return undefined;
  const user_id = text.slice(i + USER_KEY.length, end);
  i = end;
  end = valueEnd(text, i, VIDEO_KEY, idEnd);
  if (end < 0) return undefined;
  const video_id = text.slice(i + VIDEO_KEY.length, end);
  i = end;
  end = valueEnd(text, i, CATEGORY_KEY, categoryEnd);
  if (end < 0) return undefined;
  const category = categoryOf(text, i + CATEGORY_KEY.length, end);
  i = end;
  if (!text.startsWith('","watch_time":', i)) return undefined;
  i += 15;
  // Canonical numbers only: digits without a leading zero (or a single 0), an optional fraction, no exponent.
  let mantissa = 0;
  let digits = 0;
  const intStart = i;
  for (let d = text.charCodeAt(i) - 48; d >= 0 && d <= 9; d = text.charCodeAt(i) - 48) {
    mantissa = mantissa * 10 + d;
    digits++;
    i++;
  }
  if (digits === 0 || (digits > 1 && text.charCodeAt(intStart) === 48)) return undefined;
  let fraction = 0;
  if (text.charCodeAt(i) === 46 /* . */) {
    i++;
    for (let d = text.charCodeAt(i) - 48; d >= 0 && d <= 9; d = text.charCodeAt(i) - 48) {
      mantissa = mantissa * 10 + d;
      digits++;
      fraction++;
      i++;
    }
    if (fraction === 0) return undefined;
  }
  // Up to 15 digits the mantissa and the power of ten are exact doubles, so the one division rounds as JSON.parse does.
  if (digits > 15) return undefined;
  const watch_time = fraction === 0 ? mantissa : mantissa / POW10[fraction]!;
  if (watch_time > MAX_WATCH_TIME_S) return undefined;
  let liked: boolean;
  if (text.startsWith(',"liked":true}', i)) {
    liked = true;
    i += 14;
  } else if (text.startsWith(',"liked":false}', i)) {
    liked = false;
    i += 15;
  } else return undefined;
  if (i !== text.length) return undefined;
  const event_time = ms * 1000;
  if (checkEventTime(event_time, { nowUs }) !== undefined) return undefined;
  if (into === undefined) return { event_time, user_id, video_id, category, watch_time, liked };
  into.event_time = event_time;
  into.user_id = user_id;
  into.video_id = video_id;
  into.category = category;
  into.watch_time = watch_time;
  into.liked = liked;
  return into;
}

/** The end (closing quote) of the string after `key` at `i`, as `end` finds it, or -1. */
function valueEnd(s: string, i: number, key: string, end: (s: string, i: number) => number): number {
  return s.startsWith(key, i) ? end(s, i + key.length) : -1;
}

const digit = (s: string, i: number) => {
  const d = s.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : -1;
};

/** Two digits at `i`, or -1. */
function two(s: string, i: number): number {
  const a = digit(s, i);
  const b = digit(s, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

/** Milliseconds of a `YYYY-MM-DDTHH:MM:SS.mmmZ` timestamp at `i` followed by its closing quote, else undefined. */
function timestampMs(s: string, i: number): number | undefined {
  if (s.charCodeAt(i + TIMESTAMP_LENGTH) !== 34 /* " */ || s.charCodeAt(i + 23) !== 90 /* Z */) return undefined;
  let dayMs = lastDayMs;
  if (!s.startsWith(lastDate, i) || lastDate === '') {
    const date = s.slice(i, i + 10);
    if (!/^\d{4}-\d\d-\d\d$/.test(date)) return undefined;
    // Date.parse itself decides which dates exist (it rolls 02-30 over, refuses month 13), as on the general path.
    dayMs = Date.parse(`${date}T00:00:00Z`);
    if (Number.isNaN(dayMs)) return undefined;
    lastDate = date;
    lastDayMs = dayMs;
  }
  if (s.charCodeAt(i + 10) !== 84 /* T */ || s.charCodeAt(i + 13) !== 58 || s.charCodeAt(i + 16) !== 58 || s.charCodeAt(i + 19) !== 46) return undefined;
  const h = two(s, i + 11);
  const m = two(s, i + 14);
  const sec = two(s, i + 17);
  const a = digit(s, i + 20);
  const b = digit(s, i + 21);
  const c = digit(s, i + 22);
  // Hour 24 (end of day) is valid ISO; leave such rarities to the general path.
  if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59 || a < 0 || b < 0 || c < 0) return undefined;
  return dayMs + h * 3_600_000 + m * 60_000 + sec * 1000 + a * 100 + b * 10 + c;
}

/**
 * End (the closing quote) of an id of 1-64 printable ASCII characters other
 * than `"` and `\` at `i`, else -1. A subset of the general rule (no
 * whitespace or control characters): other ids take the general path.
 */
function idEnd(s: string, i: number): number {
  const limit = Math.min(s.length, i + MAX_ID + 1);
  for (let j = i; j < limit; j++) {
    const ch = s.charCodeAt(j);
    if (ch === 34) return j > i ? j : -1;
    if (ch <= 32 || ch >= 127 || ch === 92) return -1;
  }
  return -1;
}

/** End (the closing quote) of a category of 1-32 characters of `[a-z0-9_-]` at `i`, else -1. */
function categoryEnd(s: string, i: number): number {
  const limit = Math.min(s.length, i + MAX_CATEGORY + 1);
  for (let j = i; j < limit; j++) {
    const ch = s.charCodeAt(j);
    if (ch === 34) return j > i ? j : -1;
    if (!((ch >= 97 && ch <= 122) || (ch >= 48 && ch <= 57) || ch === 95 || ch === 45)) return -1;
  }
  return -1;
}

/** The category text, as the same string object for the categories seen before (few per stream). */
function categoryOf(s: string, start: number, end: number): string {
  const n = end - start;
  for (const c of categories) if (c.length === n && s.startsWith(c, start)) return c;
  const c = s.slice(start, end);
  if (categories.length < 64) categories.push(c);
  return c;
}
