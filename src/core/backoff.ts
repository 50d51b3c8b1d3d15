/**
 * Exponential backoff with "full jitter", shared by everything that retries a
 * remote call or reconnects (time-series sinks, the stream putter, live
 * connectors). Pure: the random source is injected.
 */

export interface RetryPolicy {
  /** Attempts after the first one; 0 disables retries (callers that retry forever ignore it). */
  readonly maxRetries: number;
  /** First backoff ceiling in milliseconds; doubles per attempt. */
  readonly baseDelayMs: number;
  /** Upper bound of one backoff (and of a server's Retry-After we honour). */
  readonly maxDelayMs: number;
}

/** The ceiling of the delay before retry `attempt` (from 0): `min(maxDelay, base * 2^attempt)`. */
export function backoffCeilingMs(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(Math.max(0, attempt), 30));
}

/**
 * "Full jitter" exponential backoff: a uniformly random delay in
 * [0, min(maxDelay, base * 2^attempt)), so that many clients failing at the
 * same moment (throttled writers, connections dropped by one server restart)
 * do not retry in lock step. `attempt` counts from 0.
 */
export function backoffDelayMs(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
  return Math.floor(random() * backoffCeilingMs(attempt, policy));
}
