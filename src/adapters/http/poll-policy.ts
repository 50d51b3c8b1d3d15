/**
 * The HTTP poller's decisions, as small pure functions: when the next poll
 * runs (slots aligned to the wall clock, Retry-After honoured, missed slots
 * skipped rather than run in a burst), whether and when a failed request is
 * tried again within its slot, what `Retry-After` says, and how records are
 * cut into PutRecords calls.
 */
import { PUT_RECORDS_MAX_BYTES, PUT_RECORDS_MAX_ENTRIES, type PutEntry } from '../../ingest/stream-producer.js';
import { backoffDelayMs, type RetryPolicy } from '../../timeseries/retry.js';

/** Retries of one poll's request, within its slot. */
export interface PollRetryPolicy extends RetryPolicy {
  /** Time an attempt needs at least: a retry that would start later than `deadline - minAttemptMs` is not made. */
  readonly minAttemptMs: number;
}

/** Four retries, 1 s doubling to at most 30 s (full jitter), while they fit before the next slot. */
export const DEFAULT_POLL_RETRY: PollRetryPolicy = { maxRetries: 4, baseDelayMs: 1_000, maxDelayMs: 30_000, minAttemptMs: 1_000 };

/** Retries of PutRecords entries the stream did not take (throttling, internal failures). */
export const DEFAULT_PUT_RETRY: RetryPolicy = { maxRetries: 6, baseDelayMs: 100, maxDelayMs: 5_000 };

/** The slot a time falls in: the latest `offset + k * interval` at or before it. */
export function slotAtOrBefore(timeMs: number, intervalMs: number, offsetMs = 0): number {
  return Math.floor((timeMs - offsetMs) / intervalMs) * intervalMs + offsetMs;
}

/** The first slot at or after a time. */
export function slotAtOrAfter(timeMs: number, intervalMs: number, offsetMs = 0): number {
  return Math.ceil((timeMs - offsetMs) / intervalMs) * intervalMs + offsetMs;
}

export interface NextPollInput {
  readonly nowMs: number;
  readonly intervalMs: number;
  /** The slot that is due next: the one after the last polled, or the first one of a starting poller. */
  readonly candidateSlotMs: number;
  /** A server's Retry-After: no request before this time. */
  readonly notBeforeMs?: number;
}

export interface NextPoll {
  /** The slot polled (the snapshot's identity). */
  readonly slotMs: number;
  /** When to send the request: the slot's start, or later within its window when the clock or a Retry-After says so. */
  readonly atMs: number;
  /** Slots passed over: their whole window lay before now or before the Retry-After time. */
  readonly skipped: number;
}

/**
 * When the next poll runs. Polls never overlap and never bunch up: a slot
 * whose window `[slot, slot + interval)` has entirely passed (a long stall, a
 * clock jump) or lies entirely before a server's Retry-After is skipped; a
 * slot whose window has begun is polled at once.
 */
export function nextPollSlot(p: NextPollInput): NextPoll {
  const gate = Math.max(p.nowMs, p.notBeforeMs ?? Number.NEGATIVE_INFINITY);
  let slotMs = p.candidateSlotMs;
  let skipped = 0;
  if (gate >= slotMs + p.intervalMs) {
    skipped = Math.floor((gate - slotMs) / p.intervalMs);
    slotMs += skipped * p.intervalMs;
  }
  return { slotMs, atMs: Math.max(slotMs, gate), skipped };
}

/** No request or retry of a slot's poll starts after this: the next slot's start, less a guard. */
export function pollDeadlineMs(slotMs: number, intervalMs: number, guardMs = Math.min(2_000, intervalMs / 10)): number {
  return slotMs + intervalMs - guardMs;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MON = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
/** RFC 9110 HTTP-date: IMF-fixdate, and the obsolete RFC 850 and asctime forms recipients must accept. */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MON} (\\d{4}) ${TIME} GMT$`);
const RFC850 = new RegExp(`^${LONG_DAY}, (\\d{2})-${MON}-(\\d{2}) ${TIME} GMT$`);
const ASCTIME = new RegExp(`^${DAY} ${MON} ([ \\d]\\d) ${TIME} (\\d{4})$`);

function utc(year: number, month: string, day: number, h: number, m: number, s: number): number {
  const mo = MONTHS.indexOf(month);
  if (h > 23 || m > 59 || s > 60) return Number.NaN;
  const t = Date.UTC(year, mo, day, h, m, Math.min(s, 59));
  // Reject days the month does not have (Date.UTC would roll 31 Feb over into March).
  return new Date(t).getUTCDate() === day ? t : Number.NaN;
}

/** An HTTP-date as ms since the epoch, or NaN. */
export function parseHttpDate(text: string, nowMs: number): number {
  let m = IMF_FIXDATE.exec(text);
  if (m) return utc(Number(m[3]), m[2]!, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  m = RFC850.exec(text);
  if (m) {
    // A two-digit year more than 50 years ahead is the most recent past year with those digits (RFC 9110 5.6.7).
    const nowYear = new Date(nowMs).getUTCFullYear();
    let year = Math.floor(nowYear / 100) * 100 + Number(m[3]);
    if (year > nowYear + 50) year -= 100;
    return utc(year, m[2]!, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  m = ASCTIME.exec(text);
  if (m) return utc(Number(m[6]), m[1]!, Number(m[2]!.trim()), Number(m[3]), Number(m[4]), Number(m[5]));
  return Number.NaN;
}

/**
 * What a `Retry-After` header asks for, in ms from now: delay-seconds (a
 * non-negative integer) or an HTTP-date (0 when it has passed). `undefined`
 * for no header or one that is neither.
 */
export function parseRetryAfterMs(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = parseHttpDate(v, nowMs);
  return Number.isNaN(t) ? undefined : Math.max(0, t - nowMs);
}

/** Why one request of a poll failed. */
export type AttemptFailure =
  | { readonly kind: 'status'; readonly status: number; readonly retryAfterMs?: number }
  | { readonly kind: 'timeout'; readonly timeoutMs: number }
  | { readonly kind: 'network'; readonly message: string };

/**
 * A failure worth trying again: throttling (429, and Binance's 418 with a
 * `Retry-After`: the IP ban it escalates a 429 to, lifted when the header says),
 * a request timeout (408), a server error (5xx), a timeout, a broken connection.
 */
export function isRetryable(f: AttemptFailure): boolean {
  if (f.kind !== 'status') return true;
  if (f.status === 418) return f.retryAfterMs !== undefined;
  return f.status === 429 || f.status === 408 || (f.status >= 500 && f.status <= 599);
}

/** A failure in a few words, for logs and the status line. */
export function describeFailure(f: AttemptFailure): string {
  if (f.kind === 'timeout') return `no response within ${f.timeoutMs} ms`;
  if (f.kind === 'network') return `request failed: ${f.message}`;
  const after = f.retryAfterMs === undefined ? '' : ` (Retry-After ${Math.ceil(f.retryAfterMs / 1000)} s)`;
  return `HTTP ${f.status}${after}`;
}

export type RetryDecision = { readonly retry: true; readonly delayMs: number } | { readonly retry: false; readonly reason: string };

/**
 * Whether the failed attempt `attempt` (0 = the first request) of a poll is
 * followed by another, and after how long: the server's Retry-After when it
 * gave one (429, 503), otherwise jittered exponential backoff; never past the
 * retry budget, never when the next try could not start `minAttemptMs` before
 * the deadline (the next slot's poll is never delayed by this one).
 */
export function retryDecision(
  f: AttemptFailure,
  attempt: number,
  policy: PollRetryPolicy,
  nowMs: number,
  deadlineMs: number,
  random: () => number = Math.random,
): RetryDecision {
  const what = describeFailure(f);
  if (!isRetryable(f)) return { retry: false, reason: what };
  if (attempt >= policy.maxRetries) return { retry: false, reason: `${what}, after ${attempt + 1} attempt${attempt === 0 ? '' : 's'}` };
  const serverSays = f.kind === 'status' ? f.retryAfterMs : undefined;
  const delayMs = serverSays ?? backoffDelayMs(attempt, policy, random);
  if (nowMs + delayMs + policy.minAttemptMs > deadlineMs) {
    const wait = serverSays === undefined ? 'another attempt' : 'the wait it asks for';
    return { retry: false, reason: `${what}; ${wait} would not fit before the next poll` };
  }
  return { retry: true, delayMs };
}

/** UTF-8 bytes an entry counts for in a PutRecords call (data and partition key). */
export function entryBytes(e: PutEntry): number {
  return Buffer.byteLength(e.data, 'utf8') + Buffer.byteLength(e.partitionKey, 'utf8');
}

/** Indexes of `entries` cut, in order, into PutRecords calls within the entry and byte limits. */
export function chunkEntries(entries: readonly PutEntry[], maxEntries = PUT_RECORDS_MAX_ENTRIES, maxBytes = PUT_RECORDS_MAX_BYTES): number[][] {
  const chunks: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  entries.forEach((e, i) => {
    const b = entryBytes(e);
    if (current.length > 0 && (current.length === maxEntries || bytes + b > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(i);
    bytes += b;
  });
  if (current.length > 0) chunks.push(current);
  return chunks;
}
