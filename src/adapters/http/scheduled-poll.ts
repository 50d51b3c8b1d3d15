/**
 * One poll per invocation of a scheduled function: the cloud side of a polled
 * source (EventBridge Scheduler → Lambda `lambdas/source-poller/handler.ts` →
 * {@link pollOnce} → Kinesis PutRecords). The handler only wires this to
 * Powertools and a Kinesis producer; everything it decides is here, tested
 * against a local HTTP server.
 *
 * - **The slot is the schedule's time.** The schedule passes
 *   `<aws.scheduler.scheduled-time>` as `scheduledTime`; it becomes the poll's
 *   slot, so every attempt of one scheduled invocation (Lambda's own retries
 *   of a failed asynchronous invocation included) writes the same natural keys
 *   `(snapshot_time, vs_currency, symbol)`. Without one (a manual
 *   `aws lambda invoke`), the slot is the one the clock is in.
 * - **The deadline** is the earlier of the next slot's start (less the
 *   poller's guard: a late retry never labels a later price table with an
 *   earlier slot) and the function's own timeout less a margin for the put.
 * - **What throws.** A poll that failed for a reason a later attempt can
 *   overcome fails the invocation, so Lambda retries it and, when the
 *   retries are spent, sends it to the on-failure destination (the schedule
 *   dead-letter queue): throttling, timeouts and server errors left after the
 *   in-invocation retries (HTTP 408, 429, 5xx), network errors, records the
 *   stream did not take, and a slot whose time ran out before a request could
 *   be made. A failure the same request would meet again a minute later
 *   returns normally, logged at error level and counted as `PollFailed`: any
 *   other HTTP status (404 wrong URL, 401/403 a key is needed or the client
 *   is blocked) and a body the source cannot use (malformed JSON, not a price
 *   table). Retrying those would only spend the API's rate limit.
 */
import type { StreamProducer } from '../../ingest/stream-producer.js';
import type { SourceDefinition } from '../../sources/contract.js';
import { SOURCES, sourceById } from '../../sources/index.js';
import type { RetryPolicy } from '../../timeseries/retry.js';
import { isRetryable, type PollRetryPolicy, pollDeadlineMs, slotAtOrBefore } from './poll-policy.js';
import { type PollerLogger, type PollFailureKind, type PollResult, type PollTarget, pollOnce, pollTargetOf } from './poller.js';

/** The source a poller function polls when `SOURCE_ID` is not set. */
export const DEFAULT_POLLED_SOURCE = 'crypto-quotes';

/** Kept free before the function's timeout for the put under way when the deadline passes (default). */
export const DEFAULT_FUNCTION_MARGIN_MS = 15_000;

/** How far ahead of the clock a scheduled time may be (the scheduler's and the function's clocks differ a little). */
const FUTURE_TOLERANCE_MS = 60_000;

/** The input the schedule sends. */
export interface ScheduledPollEvent {
  /** `<aws.scheduler.scheduled-time>`, ISO 8601: the slot polled. */
  readonly scheduledTime?: string;
  /** `<aws.scheduler.execution-id>`, for the logs. */
  readonly scheduleExecutionId?: string;
}

/** The part of the Lambda context used here. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

/** Counters, as Powertools metrics in the handler (unit: count). */
export interface PollMetrics {
  count(name: PollMetricName, value: number): void;
}

/** The metrics of every invocation: success and failure as 0/1, so an alarm never lacks data. */
export const POLL_METRICS = ['PollSucceeded', 'PollFailed', 'RecordsPut', 'Attempts'] as const;
export type PollMetricName = (typeof POLL_METRICS)[number];

export type ScheduledPollLogger = PollerLogger & { error(message: string, ...extra: Record<string, unknown>[]): void };

export interface ScheduledPollDeps {
  readonly target: PollTarget;
  readonly producer: StreamProducer;
  readonly logger: ScheduledPollLogger;
  readonly metrics?: PollMetrics;
  readonly clock?: () => number;
  /** Retries of the request within the invocation (default: the poller's). */
  readonly retry?: PollRetryPolicy;
  readonly putRetry?: RetryPolicy;
  /** Per request (default: the poller's, 10 s). */
  readonly timeoutMs?: number;
  /** See {@link DEFAULT_FUNCTION_MARGIN_MS}. */
  readonly functionMarginMs?: number;
}

/** What an invocation answers when it does not throw. */
export interface ScheduledPollSummary {
  readonly source: string;
  /** The slot polled (the records' `snapshot_time`), ISO 8601. */
  readonly slot: string;
  readonly ok: boolean;
  readonly records: number;
  readonly attempts: number;
  /** Failed polls: how, why, and that the invocation was not failed for it. */
  readonly kind?: PollFailureKind;
  readonly reason?: string;
  readonly status?: number;
}

/** A poll that failed for a reason a later attempt can overcome: thrown so Lambda retries the invocation. */
export class PollFailedError extends Error {
  constructor(
    readonly source: string,
    readonly result: PollResult & { ok: false },
  ) {
    super(`${source}: poll of slot ${new Date(result.slotMs).toISOString()} failed (${result.kind}): ${result.reason}`);
    this.name = 'PollFailedError';
  }
}

/**
 * Whether a failed poll is worth another attempt of the same slot a minute
 * or two later (see the module comment): throttling, timeouts, server and
 * network errors, puts; not a status the same request would get again, nor a
 * body the source cannot use.
 */
export function isWorthRetrying(r: PollResult & { ok: false }): boolean {
  switch (r.kind) {
    case 'timeout':
    case 'network':
    case 'put':
      return true;
    case 'http':
      return r.status === undefined || isRetryable({ kind: 'status', status: r.status });
    case 'body':
    case 'stopped':
      return false;
  }
}

/** The registry sources a poller function can poll. */
export function polledSources(): readonly SourceDefinition[] {
  return SOURCES.filter((s) => s.poller !== undefined);
}

/**
 * The poll target from the function's environment: `SOURCE_ID` (default
 * {@link DEFAULT_POLLED_SOURCE}, any registry source with a `poller`) and
 * `POLL_URL` (default the source's own URL). Never the source's simulated
 * API: a function always polls a real URL.
 */
export function pollTargetFromEnv(env: Readonly<Record<string, string | undefined>>): PollTarget {
  const id = env.SOURCE_ID?.trim() || DEFAULT_POLLED_SOURCE;
  const source = sourceById(id);
  if (!source.poller) {
    throw new Error(
      `SOURCE_ID: source ${id} is not polled (it enters by ${source.enters.join(', ')}); polled sources: ${polledSources()
        .map((s) => s.id)
        .join(', ')}`,
    );
  }
  const url = env.POLL_URL?.trim() || source.poller.defaultUrl;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`POLL_URL: not a URL (${JSON.stringify(url)})`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error(`POLL_URL: not an http(s) URL (${JSON.stringify(url)})`);
  return pollTargetOf(source, { url });
}

/** The URL without its query (which may carry an API key), for logs. */
export function urlForLogs(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

/** The slot of an invocation: the scheduled time, or the slot the clock is in. */
export function slotOfEvent(event: ScheduledPollEvent | undefined, nowMs: number, intervalMs: number): number {
  const t = event?.scheduledTime;
  if (t === undefined || t === null || t === '') return slotAtOrBefore(nowMs, intervalMs);
  const ms = typeof t === 'string' ? Date.parse(t) : Number.NaN;
  if (Number.isNaN(ms)) throw new Error(`scheduledTime is not an ISO 8601 time: ${JSON.stringify(t)}`);
  if (ms > nowMs + FUTURE_TOLERANCE_MS) throw new Error(`scheduledTime ${t} is in the future: a snapshot is never labelled ahead of its fetch`);
  return ms;
}

/**
 * The invocation handler's logic: one poll of the event's slot through
 * `producer`. Resolves with a summary (also for failures not worth retrying);
 * rejects with {@link PollFailedError} for the others.
 */
export function createScheduledPoll(
  deps: ScheduledPollDeps,
): (event: ScheduledPollEvent | undefined, context?: InvocationContext) => Promise<ScheduledPollSummary> {
  const clock = deps.clock ?? Date.now;
  const { target, logger } = deps;
  const margin = deps.functionMarginMs ?? DEFAULT_FUNCTION_MARGIN_MS;
  const count = (name: PollMetricName, value: number) => deps.metrics?.count(name, value);
  return async (event, context) => {
    const now = clock();
    const slotMs = slotOfEvent(event, now, target.intervalMs);
    const slotDeadline = pollDeadlineMs(slotMs, target.intervalMs);
    const deadlineMs = context ? Math.min(slotDeadline, now + context.getRemainingTimeInMillis() - margin) : slotDeadline;
    const where = {
      source: target.name,
      slot: new Date(slotMs).toISOString(),
      url: urlForLogs(target.url),
      ...(event?.scheduleExecutionId ? { scheduleExecutionId: event.scheduleExecutionId } : {}),
    };
    const result = await pollOnce({
      target,
      producer: deps.producer,
      slotMs,
      deadlineMs,
      clock,
      logger,
      ...(deps.retry ? { retry: deps.retry } : {}),
      ...(deps.putRetry ? { putRetry: deps.putRetry } : {}),
      ...(deps.timeoutMs === undefined ? {} : { timeoutMs: deps.timeoutMs }),
    });
    count('PollSucceeded', result.ok ? 1 : 0);
    count('PollFailed', result.ok ? 0 : 1);
    count('RecordsPut', result.records);
    count('Attempts', result.attempts);
    if (result.ok) {
      logger.info('poll done', { ...where, records: result.records, attempts: result.attempts, fetchedAt: new Date(result.fetchedAtMs).toISOString() });
      return { source: target.name, slot: where.slot, ok: true, records: result.records, attempts: result.attempts };
    }
    const failure = {
      ...where,
      kind: result.kind,
      reason: result.reason,
      attempts: result.attempts,
      recordsPut: result.records,
      ...(result.status === undefined ? {} : { status: result.status }),
      ...(result.retryAfterMs === undefined ? {} : { retryAfterMs: result.retryAfterMs }),
    };
    if (isWorthRetrying(result)) {
      logger.error('poll failed; failing the invocation so that it is retried (then dead-lettered)', failure);
      throw new PollFailedError(target.name, result);
    }
    logger.error('poll failed; not retried: the same request would fail the same way (check the URL and the API)', failure);
    return {
      source: target.name,
      slot: where.slot,
      ok: false,
      records: result.records,
      attempts: result.attempts,
      kind: result.kind,
      reason: result.reason,
      ...(result.status === undefined ? {} : { status: result.status }),
    };
  };
}
