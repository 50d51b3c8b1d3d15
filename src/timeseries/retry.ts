/**
 * Retry and concurrency helpers shared by the remote sinks.
 */

export interface RetryPolicy {
  /** Attempts after the first one; 0 disables retries. */
  readonly maxRetries: number;
  /** First backoff in milliseconds; doubles per attempt. */
  readonly baseDelayMs: number;
  /** Upper bound of one backoff (and of a server's Retry-After we honour). */
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 5, baseDelayMs: 100, maxDelayMs: 10_000 };

/**
 * "Full jitter" exponential backoff: a uniformly random delay in
 * [0, min(maxDelay, base * 2^attempt)], so that many writers throttled at the
 * same moment do not retry in lock step. `attempt` counts from 0.
 */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `task` over `items` with at most `limit` tasks in flight. Results keep
 * the order of `items`. The first failure rejects, after the tasks already
 * started have settled (none is left running in the background).
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const i = next++;
      try {
        results[i] = await task(items[i]!, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker);
  await Promise.all(workers);
  if (failure) throw failure.error;
  return results;
}
