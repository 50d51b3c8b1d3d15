/** The HTTP poller's pure decisions: slots, Retry-After, retries and backoff, PutRecords chunks. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AttemptFailure,
  chunkEntries,
  DEFAULT_POLL_RETRY,
  nextPollSlot,
  parseHttpDate,
  parseRetryAfterMs,
  pollDeadlineMs,
  retryDecision,
  slotAtOrAfter,
  slotAtOrBefore,
} from '../src/adapters/http/poll-policy.js';

const MIN = 60_000;
const FIVE = 5 * MIN;
const T = Date.UTC(2026, 10, 2, 10, 0);

describe('poll slots', () => {
  it('are aligned to the wall clock (and an offset)', () => {
    // Assess
    expect(slotAtOrBefore(T + 2 * MIN, FIVE)).toBe(T);
    expect(slotAtOrAfter(T + 2 * MIN, FIVE)).toBe(T + FIVE);
    expect(slotAtOrAfter(T, FIVE)).toBe(T);
    expect(slotAtOrBefore(T + 2 * MIN, FIVE, 30_000)).toBe(T + 30_000);
    expect(slotAtOrAfter(T + 31_000, FIVE, 30_000)).toBe(T + FIVE + 30_000);
  });

  it.each([
    ['on time', { nowMs: T + 4 * MIN }, { slotMs: T + FIVE, atMs: T + FIVE, skipped: 0 }],
    ['the window has begun: at once', { nowMs: T + FIVE + 1_000 }, { slotMs: T + FIVE, atMs: T + FIVE + 1_000, skipped: 0 }],
    ['after a stall of two windows: skips them', { nowMs: T + 3 * FIVE + 10 }, { slotMs: T + 3 * FIVE, atMs: T + 3 * FIVE + 10, skipped: 2 }],
    [
      'Retry-After within the window: waits for it',
      { nowMs: T + 4 * MIN, notBeforeMs: T + FIVE + MIN },
      { slotMs: T + FIVE, atMs: T + FIVE + MIN, skipped: 0 },
    ],
    ['Retry-After beyond the window: skips it', { nowMs: T + 4 * MIN, notBeforeMs: T + 2 * FIVE }, { slotMs: T + 2 * FIVE, atMs: T + 2 * FIVE, skipped: 1 }],
    ['Retry-After already passed', { nowMs: T + 4 * MIN, notBeforeMs: T }, { slotMs: T + FIVE, atMs: T + FIVE, skipped: 0 }],
  ])('next poll: %s', (_what, input, expected) => {
    // Act / Assess
    expect(nextPollSlot({ intervalMs: FIVE, candidateSlotMs: T + FIVE, ...input })).toEqual(expected);
  });

  it('never runs before now or the Retry-After time, stays in its slot window, and skips whole windows only (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3_600_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: -5_000_000, max: 50_000_000 }),
        fc.option(fc.integer({ min: -5_000_000, max: 50_000_000 }), { nil: undefined }),
        (interval, k, nowOffset, notBeforeOffset) => {
          // Prepare
          const candidate = k * interval;
          const input = {
            nowMs: candidate + nowOffset,
            intervalMs: interval,
            candidateSlotMs: candidate,
            ...(notBeforeOffset === undefined ? {} : { notBeforeMs: candidate + notBeforeOffset }),
          };
          // Act
          const n = nextPollSlot(input);
          // Assess
          const gate = Math.max(input.nowMs, input.notBeforeMs ?? Number.NEGATIVE_INFINITY);
          expect(n.slotMs).toBe(candidate + n.skipped * interval);
          expect(n.skipped).toBeGreaterThanOrEqual(0);
          expect(n.atMs).toBeGreaterThanOrEqual(gate);
          expect(n.atMs).toBeGreaterThanOrEqual(n.slotMs);
          expect(n.atMs).toBeLessThan(n.slotMs + interval);
          if (n.skipped > 0) expect(gate).toBeGreaterThanOrEqual(n.slotMs);
        },
      ),
    );
  });

  it('a poll must be done before the next slot, less a guard', () => {
    expect(pollDeadlineMs(T, FIVE)).toBe(T + FIVE - 2_000);
    expect(pollDeadlineMs(T, 1_000)).toBe(T + 900);
    expect(pollDeadlineMs(T, FIVE, 0)).toBe(T + FIVE);
  });
});

describe('Retry-After', () => {
  it.each([
    ['120', 120_000],
    ['0', 0],
    [' 7 ', 7_000],
    ['Mon, 02 Nov 2026 10:02:00 GMT', 2 * MIN],
    ['Mon, 02 Nov 2026 09:00:00 GMT', 0],
    ['Monday, 02-Nov-26 10:00:30 GMT', 30_000],
    ['Mon Nov  2 10:01:00 2026', MIN],
    [null, undefined],
    ['', undefined],
    ['1.5', undefined],
    ['-1', undefined],
    ['soon', undefined],
    ['2026-11-02T10:02:00Z', undefined],
    ['Mon, 31 Feb 2026 10:02:00 GMT', undefined],
    ['Mon, 02 Nov 2026 25:02:00 GMT', undefined],
  ])('%j -> %s ms', (header, expected) => {
    // Act / Assess
    expect(parseRetryAfterMs(header, T)).toBe(expected);
  });

  it('reads back every delay in seconds and every IMF-fixdate (property)', () => {
    fc.assert(
      fc.property(fc.nat(10_000_000), fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2090, 0, 1) }), (seconds, when) => {
        // Prepare
        const whole = Math.floor(when / 1000) * 1000;
        // Act / Assess
        expect(parseRetryAfterMs(String(seconds), T)).toBe(seconds * 1000);
        expect(parseHttpDate(new Date(whole).toUTCString(), T)).toBe(whole);
        expect(parseRetryAfterMs(new Date(whole).toUTCString(), T)).toBe(Math.max(0, whole - T));
      }),
    );
  });

  it('takes a two-digit RFC 850 year more than 50 years ahead as the last century', () => {
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', T)).toBe(Date.UTC(1994, 10, 6, 8, 49, 37));
    expect(parseHttpDate('Thursday, 06-Nov-30 08:49:37 GMT', T)).toBe(Date.UTC(2030, 10, 6, 8, 49, 37));
  });
});

describe('retries within a slot', () => {
  const deadline = pollDeadlineMs(T, FIVE);
  const policy = DEFAULT_POLL_RETRY;
  const top = () => 0.999_999;
  const status = (s: number, retryAfterMs?: number): AttemptFailure => ({ kind: 'status', status: s, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });

  it('backs off exponentially with full jitter, up to a ceiling', () => {
    // Act
    const ceilings = [0, 1, 2, 3, 4].map((a) => retryDecision(status(500), a, { ...policy, maxRetries: 10, maxDelayMs: 10_000 }, T, deadline, top));
    const low = retryDecision(status(500), 3, policy, T, deadline, () => 0);
    // Assess
    expect(ceilings.map((d) => (d.retry ? d.delayMs : -1))).toEqual([999, 1_999, 3_999, 7_999, 9_999]);
    expect(low).toEqual({ retry: true, delayMs: 0 });
  });

  it.each([
    ['429 with Retry-After: waits what it says', status(429, 20_000), 0, { retry: true, delayMs: 20_000 }],
    ['503 with Retry-After', status(503, 3_000), 0, { retry: true, delayMs: 3_000 }],
    ["418 with Retry-After (Binance's IP ban)", status(418, 5_000), 0, { retry: true, delayMs: 5_000 }],
    ['429 without Retry-After: backoff', status(429), 1, { retry: true, delayMs: 1_999 }],
    ['500', status(500), 0, { retry: true, delayMs: 999 }],
    ['408', status(408), 0, { retry: true, delayMs: 999 }],
    ['a timeout', { kind: 'timeout', timeoutMs: 10_000 } as const, 2, { retry: true, delayMs: 3_999 }],
    ['a broken connection', { kind: 'network', message: 'fetch failed (ECONNRESET)' } as const, 0, { retry: true, delayMs: 999 }],
  ])('retries %s', (_what, f, attempt, expected) => {
    // Act / Assess
    expect(retryDecision(f, attempt, policy, T, deadline, top)).toEqual(expected);
  });

  it.each([
    ['a 404', status(404), 0, 'HTTP 404'],
    ['a 401', status(401), 0, 'HTTP 401'],
    ['a 418 without Retry-After', status(418), 0, 'HTTP 418'],
    ['a 500 after the last retry', status(500), 4, 'HTTP 500, after 5 attempts'],
    [
      'a 429 whose Retry-After runs past the next slot',
      status(429, 10 * MIN),
      0,
      'HTTP 429 (Retry-After 600 s); the wait it asks for would not fit before the next poll',
    ],
    ['a 502 too close to the next slot', status(502), 0, 'HTTP 502; another attempt would not fit before the next poll'],
  ])('does not retry %s', (what, f, attempt, reason) => {
    // Prepare: the last case fails 1.5 s before the deadline
    const now = what.includes('too close') ? deadline - 1_500 : T;
    // Act / Assess
    expect(retryDecision(f, attempt, policy, now, deadline, top)).toEqual({ retry: false, reason });
  });
});

describe('PutRecords chunks', () => {
  const entry = (bytes: number, key = 'k') => ({ partitionKey: key, data: 'x'.repeat(bytes) });

  it('keeps order within 500 entries and 5 MiB per call', () => {
    // Act
    const byCount = chunkEntries(Array.from({ length: 1_201 }, () => entry(10)));
    const byBytes = chunkEntries([entry(3 * 1024 * 1024), entry(3 * 1024 * 1024), entry(1024)]);
    const utf8 = chunkEntries([entry(0, 'é'.repeat(2)), entry(0, 'é'.repeat(2))], 500, 7);
    // Assess
    expect(byCount.map((c) => c.length)).toEqual([500, 500, 201]);
    expect(byCount.flat()).toEqual(Array.from({ length: 1_201 }, (_, i) => i));
    expect(byBytes).toEqual([[0], [1, 2]]);
    expect(utf8).toEqual([[0], [1]]);
  });
});
