/**
 * A generic HTTP poller: fetches a JSON API on an interval aligned to the wall
 * clock, hands the parsed body to a source to turn into stream records, and
 * puts them through the {@link StreamProducer} port (Kinesis PutRecords in the
 * cloud, the local stream on a laptop).
 *
 * - One poll per slot (`10:00`, `10:05`, … for 5 minutes), never two at once.
 *   The slot, not the fetch time, identifies the snapshot, so a retried or
 *   repeated poll of a slot writes the same keys.
 * - HTTP 429 honours `Retry-After` (seconds or an HTTP date): within the slot
 *   when it fits, else the slots it covers are skipped. 408, 5xx, timeouts and
 *   broken connections are retried with jittered exponential backoff while a
 *   retry fits before the next slot. Other statuses, malformed JSON and bodies
 *   the source cannot use fail the poll at once.
 * - A failed poll is logged and counted; the next one runs on time.
 * - Entries the stream did not take are retried alone, with backoff.
 * - `stop()` aborts a fetch or a wait under way, lets a put under way finish,
 *   and resolves when the loop has ended.
 *
 * {@link pollOnce} is one poll: what a scheduled Lambda function (EventBridge
 * Scheduler) calls with the schedule's time as the slot and a Kinesis producer.
 */
import type { TransformLogger } from '../../ingest/stream-transform.js';
import type { PutEntry, StreamProducer } from '../../ingest/stream-producer.js';
import type { PollContext, PolledRecords, SourceDefinition } from '../../sources/contract.js';
import { backoffDelayMs, type RetryPolicy } from '../../timeseries/retry.js';
import { type Fetched, fetchOnce, wait } from './fetch-once.js';
import {
  chunkEntries,
  DEFAULT_POLL_RETRY,
  DEFAULT_PUT_RETRY,
  describeFailure,
  nextPollSlot,
  type PollRetryPolicy,
  pollDeadlineMs,
  retryDecision,
  slotAtOrAfter,
  slotAtOrBefore,
} from './poll-policy.js';
import { jsonFetch } from './simulated-fetch.js';

/** What is polled and how its body becomes records. */
export interface PollTarget {
  /** For logs and the status line: the source id. */
  readonly name: string;
  readonly url: string;
  readonly intervalMs: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** The records of one parsed body (the source's `poller.records`). */
  records(body: unknown, poll: PollContext): PolledRecords;
  /** Answers requests instead of the network (a simulated API). */
  readonly fetch?: typeof fetch;
  /** True when {@link fetch} is a simulated API. */
  readonly simulated?: boolean;
}

export interface PollTargetOptions {
  /** The API to poll; without one, a source that can simulate its API is polled in-process. */
  readonly url?: string;
  readonly intervalMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Seed of the simulated API (default 42). */
  readonly seed?: number | string;
}

/**
 * The poll target of a registry source that enters by `poller`: its URL, or,
 * without one, its simulated API (`ticklake up` without network).
 */
export function pollTargetOf(source: SourceDefinition, o: PollTargetOptions = {}): PollTarget {
  const api = source.poller;
  if (!api) throw new Error(`source ${source.id} is not polled (it enters by ${source.enters.join(', ')})`);
  const base = { name: source.id, intervalMs: o.intervalMs ?? api.intervalMs, records: api.records, ...(o.headers ? { headers: o.headers } : {}) };
  if (o.url !== undefined || !api.simulate) return { ...base, url: o.url ?? api.defaultUrl };
  return { ...base, url: api.defaultUrl, fetch: jsonFetch(api.simulate(o.seed ?? 42)), simulated: true };
}

/** Logger shape (Powertools Logger and the transform's logger satisfy it). */
export type PollerLogger = Pick<TransformLogger, 'info' | 'warn'>;

export interface PollOnceOptions {
  readonly target: PollTarget;
  readonly producer: StreamProducer;
  /** The slot polled (default: the slot the clock is in). */
  readonly slotMs?: number;
  /** No request or retry starts after this (default: the next slot's start less a guard). */
  readonly deadlineMs?: number;
  /** Per request, headers and body (default 10 s). */
  readonly timeoutMs?: number;
  readonly retry?: PollRetryPolicy;
  readonly putRetry?: RetryPolicy;
  readonly clock?: () => number;
  readonly random?: () => number;
  /** Aborts the fetch and its waits (the poller's stop). */
  readonly signal?: AbortSignal;
  readonly logger?: PollerLogger;
}

/** How a poll failed: the request, the body, the put, or a stop. */
export type PollFailureKind = 'http' | 'timeout' | 'network' | 'body' | 'put' | 'stopped';

export type PollResult =
  | {
      readonly ok: true;
      readonly slotMs: number;
      readonly fetchedAtMs: number;
      /** Records put on the stream. */
      readonly records: number;
      /** HTTP requests made. */
      readonly attempts: number;
    }
  | {
      readonly ok: false;
      readonly slotMs: number;
      readonly kind: PollFailureKind;
      readonly reason: string;
      readonly attempts: number;
      /** Records put before the failure (a put that failed part-way). */
      readonly records: number;
      /** The server's Retry-After on the last response, ms from its arrival. */
      readonly retryAfterMs?: number;
      /** The HTTP status of the last response (kind `http`). */
      readonly status?: number;
    };

/**
 * Puts entries in PutRecords-sized calls, retrying only the entries a call did
 * not take (a rejected call took none), with backoff, while retries remain and
 * fit before the deadline. Returns how many were put and, if not all, why.
 */
export async function putAll(
  producer: StreamProducer,
  entries: readonly PutEntry[],
  o: { readonly policy?: RetryPolicy; readonly deadlineMs?: number; readonly clock?: () => number; readonly random?: () => number } = {},
): Promise<{ readonly put: number; readonly error?: string }> {
  const policy = o.policy ?? DEFAULT_PUT_RETRY;
  const clock = o.clock ?? Date.now;
  let put = 0;
  for (const chunk of chunkEntries(entries)) {
    let pending = chunk;
    for (let attempt = 0; ; attempt++) {
      let why: string;
      try {
        const res = await producer.putRecords(pending.map((i) => entries[i]!));
        const failed = res.failed.map((f) => pending[f.index]!);
        put += pending.length - failed.length;
        if (failed.length === 0) break;
        const codes = [...new Set(res.failed.map((f) => f.code))].join(', ');
        why = `${failed.length} of ${pending.length} entries not put (${codes})`;
        pending = failed;
      } catch (e) {
        why = `PutRecords failed: ${(e as Error).message}`;
      }
      const delay = backoffDelayMs(attempt, policy, o.random);
      const late = o.deadlineMs !== undefined && clock() + delay > o.deadlineMs;
      if (attempt >= policy.maxRetries || late) return { put, error: `${why}; ${entries.length - put} of ${entries.length} records not put` };
      await wait(delay);
    }
  }
  return { put };
}

/**
 * One poll of one slot: request (retried as {@link retryDecision} says), parse,
 * records from the source, put. Never throws for a failed poll: the result
 * says what happened.
 *
 * A scheduled function calls it once per invocation, e.g. with EventBridge
 * Scheduler's `<aws.scheduler.scheduled-time>` as `slotMs`, a Kinesis
 * {@link StreamProducer}, and `deadlineMs` before the function's own timeout.
 */
export async function pollOnce(o: PollOnceOptions): Promise<PollResult> {
  const clock = o.clock ?? Date.now;
  const random = o.random ?? Math.random;
  const t = o.target;
  const slotMs = o.slotMs ?? slotAtOrBefore(clock(), t.intervalMs);
  const deadlineMs = o.deadlineMs ?? pollDeadlineMs(slotMs, t.intervalMs);
  const policy = o.retry ?? DEFAULT_POLL_RETRY;
  const timeoutMs = o.timeoutMs ?? 10_000;
  const failed = (
    kind: PollFailureKind,
    reason: string,
    attempts: number,
    extra: { records?: number; retryAfterMs?: number; status?: number } = {},
  ): PollResult => ({
    ok: false,
    slotMs,
    kind,
    reason,
    attempts,
    records: extra.records ?? 0,
    ...(extra.retryAfterMs === undefined ? {} : { retryAfterMs: extra.retryAfterMs }),
    ...(extra.status === undefined ? {} : { status: extra.status }),
  });

  let attempt = 0;
  let fetched: Fetched & { ok: true };
  for (;;) {
    // The request may not run past the deadline either.
    const budget = Math.min(timeoutMs, deadlineMs - clock());
    if (budget <= 0) return failed('timeout', 'no time left before the next poll', attempt);
    const r = await fetchOnce(t.url, {
      timeoutMs: budget,
      clock,
      ...(t.headers ? { headers: t.headers } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      ...(t.fetch ? { fetch: t.fetch } : {}),
    });
    attempt++;
    if (r.ok) {
      fetched = r;
      break;
    }
    if (r.failure === 'stopped') return failed('stopped', 'the poller was stopped', attempt);
    const f = r.failure;
    const retryAfterMs = f.kind === 'status' ? f.retryAfterMs : undefined;
    const d = retryDecision(f, attempt - 1, policy, clock(), deadlineMs, random);
    if (!d.retry) {
      if (f.kind !== 'status') return failed(f.kind, d.reason, attempt);
      return failed('http', d.reason, attempt, { status: f.status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
    }
    o.logger?.info('poll request failed; retrying', {
      source: t.name,
      slot: new Date(slotMs).toISOString(),
      failure: describeFailure(f),
      attempt,
      delayMs: d.delayMs,
    });
    if (!(await wait(d.delayMs, o.signal))) return failed('stopped', 'the poller was stopped', attempt);
  }

  let body: unknown;
  try {
    body = JSON.parse(fetched.text);
  } catch (e) {
    return failed('body', `malformed JSON (${fetched.text.length} characters): ${(e as Error).message}`, attempt);
  }
  const out = t.records(body, { slotMs, fetchedAtMs: fetched.fetchedAtMs, url: t.url });
  if ('error' in out) return failed('body', out.error, attempt);
  const entries = out.records.map((r) => ({ partitionKey: r.partitionKey, data: r.payload }));
  const put = await putAll(o.producer, entries, {
    deadlineMs,
    clock,
    random,
    ...(o.putRetry ? { policy: o.putRetry } : {}),
  });
  if (put.error !== undefined) return failed('put', put.error, attempt, { records: put.put });
  return { ok: true, slotMs, fetchedAtMs: fetched.fetchedAtMs, records: put.put, attempts: attempt };
}

/** Counters of a running poller, for a status line and metrics. */
export interface PollerStats {
  readonly name: string;
  /** Polls run (slots polled). */
  readonly polls: number;
  readonly failures: number;
  /** Records put on the stream. */
  readonly records: number;
  /** Requests beyond the first of their poll. */
  readonly retries: number;
  /** Slots passed over (Retry-After, a stall). */
  readonly skipped: number;
  readonly lastSuccessMs?: number;
  readonly lastFailure?: { readonly atMs: number; readonly kind: PollFailureKind; readonly reason: string };
  /** When the next request is due. */
  readonly nextPollMs?: number;
  readonly running: boolean;
}

const hhmmss = (ms: number) => new Date(ms).toISOString().slice(11, 19);

/** One line: `crypto-quotes: 12 polls, 1 failed, 240 records, last success 10:05:00Z, next 10:10:00Z`. */
export function formatPollerStatus(s: PollerStats): string {
  const parts = [`${s.polls} polls`, `${s.failures} failed`, `${s.records} records`];
  if (s.skipped > 0) parts.push(`${s.skipped} skipped`);
  parts.push(s.lastSuccessMs === undefined ? 'no success yet' : `last success ${hhmmss(s.lastSuccessMs)}Z`);
  if (s.lastFailure && (s.lastSuccessMs === undefined || s.lastFailure.atMs > s.lastSuccessMs)) parts.push(`last failure: ${s.lastFailure.reason}`);
  parts.push(s.running && s.nextPollMs !== undefined ? `next ${hhmmss(s.nextPollMs)}Z` : 'stopped');
  return `${s.name}: ${parts.join(', ')}`;
}

export interface HttpPollerOptions extends Omit<PollOnceOptions, 'slotMs' | 'deadlineMs' | 'signal'> {
  /** Shifts the slots from the wall clock's round times (default 0: 10:00, 10:05, …). */
  readonly offsetMs?: number;
  /** Poll the slot the clock is in at once, instead of waiting for the next one. */
  readonly immediate?: boolean;
  /** Time kept free before the next slot (default min(2 s, interval / 10)). */
  readonly guardMs?: number;
  /** Called after every poll. */
  readonly onPoll?: (result: PollResult, stats: PollerStats) => void;
}

/** Polls a target on its interval until stopped. */
export class HttpPoller {
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private polls = 0;
  private failures = 0;
  private records = 0;
  private retries = 0;
  private skipped = 0;
  private lastSuccessMs: number | undefined;
  private lastFailure: PollerStats['lastFailure'];
  private nextPollMs: number | undefined;

  constructor(private readonly o: HttpPollerOptions) {}

  /** Starts the loop (once). */
  start(): this {
    this.loop ??= this.run().catch((e: unknown) => {
      // Not expected (pollOnce does not throw for failed polls): keep the cause visible.
      this.o.logger?.warn('poller loop ended by an error', { source: this.o.target.name, error: String(e) });
    });
    return this;
  }

  /** Stops: aborts a request or wait under way, lets a put under way finish, resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  stats(): PollerStats {
    return {
      name: this.o.target.name,
      polls: this.polls,
      failures: this.failures,
      records: this.records,
      retries: this.retries,
      skipped: this.skipped,
      ...(this.lastSuccessMs === undefined ? {} : { lastSuccessMs: this.lastSuccessMs }),
      ...(this.lastFailure === undefined ? {} : { lastFailure: this.lastFailure }),
      ...(this.nextPollMs === undefined ? {} : { nextPollMs: this.nextPollMs }),
      running: this.loop !== undefined && !this.abort.signal.aborted,
    };
  }

  status(): string {
    return formatPollerStatus(this.stats());
  }

  private async run(): Promise<void> {
    const o = this.o;
    const clock = o.clock ?? Date.now;
    const interval = o.target.intervalMs;
    const offset = o.offsetMs ?? 0;
    const signal = this.abort.signal;
    const now0 = clock();
    let candidate = o.immediate ? slotAtOrBefore(now0, interval, offset) : slotAtOrAfter(now0, interval, offset);
    let notBeforeMs: number | undefined;
    while (!signal.aborted) {
      const next = nextPollSlot({ nowMs: clock(), intervalMs: interval, candidateSlotMs: candidate, ...(notBeforeMs === undefined ? {} : { notBeforeMs }) });
      if (next.skipped > 0) {
        this.skipped += next.skipped;
        o.logger?.warn('poll slots skipped', { source: o.target.name, skipped: next.skipped, until: new Date(next.slotMs).toISOString() });
      }
      this.nextPollMs = next.atMs;
      if (!(await wait(next.atMs - clock(), signal))) break;
      const result = await pollOnce({ ...o, slotMs: next.slotMs, deadlineMs: pollDeadlineMs(next.slotMs, interval, o.guardMs), signal });
      candidate = next.slotMs + interval;
      notBeforeMs = result.ok || result.retryAfterMs === undefined ? undefined : clock() + result.retryAfterMs;
      if (!result.ok && result.kind === 'stopped') break;
      this.polls++;
      this.retries += Math.max(0, result.attempts - 1);
      this.records += result.records;
      const slot = new Date(next.slotMs).toISOString();
      if (result.ok) {
        this.lastSuccessMs = result.fetchedAtMs;
        o.logger?.info('poll done', { source: o.target.name, slot, records: result.records, attempts: result.attempts });
      } else {
        this.failures++;
        this.lastFailure = { atMs: clock(), kind: result.kind, reason: result.reason };
        o.logger?.warn('poll failed', {
          source: o.target.name,
          slot,
          kind: result.kind,
          reason: result.reason,
          attempts: result.attempts,
          recordsPut: result.records,
        });
      }
      o.onPoll?.(result, this.stats());
    }
    this.nextPollMs = undefined;
  }
}
