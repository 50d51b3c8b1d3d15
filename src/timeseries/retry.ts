/**
 * Retry and concurrency helpers shared by the remote sinks.
 */

import type { RetryPolicy } from '../core/backoff.js';

export { backoffDelayMs, type RetryPolicy } from '../core/backoff.js';

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 5, baseDelayMs: 100, maxDelayMs: 10_000 };

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
