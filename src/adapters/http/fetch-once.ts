/**
 * One HTTP request with a timeout over headers and body, and an abortable
 * wait: the pieces the HTTP poller and the Binance gap healer retry around
 * (their retry decisions are in `poll-policy.ts`). Never throws: a failed
 * request says why ({@link AttemptFailure}), in the terms `retryDecision` takes.
 */
import { type AttemptFailure, parseRetryAfterMs } from './poll-policy.js';

/** The body text, or why there is none (`stopped`: the caller's signal aborted). */
export type Fetched =
  | { readonly ok: true; readonly text: string; readonly fetchedAtMs: number }
  | { readonly ok: false; readonly failure: AttemptFailure | 'stopped' };

export interface FetchOnceOptions {
  readonly timeoutMs: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly clock?: () => number;
  /** Aborts the request (a stop). */
  readonly signal?: AbortSignal;
  /** Answers instead of the network (a simulated API). */
  readonly fetch?: typeof fetch;
}

const USER_AGENT = 'ticklake-poller/0.1 (+https://github.com/ticklake)';

/** GETs `url` as JSON: the body text, or the status (with its `Retry-After`), timeout or network error. */
export async function fetchOnce(url: string, o: FetchOnceOptions): Promise<Fetched> {
  const clock = o.clock ?? Date.now;
  const timeout = AbortSignal.timeout(o.timeoutMs);
  const abort = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
  const fetchImpl = o.fetch ?? fetch;
  try {
    const res = await fetchImpl(url, { headers: { accept: 'application/json', 'user-agent': USER_AGENT, ...o.headers }, signal: abort });
    if (!res.ok) {
      const retryAfterMs = parseRetryAfterMs(res.headers.get('retry-after'), clock());
      await res.body?.cancel().catch(() => undefined);
      return { ok: false, failure: { kind: 'status', status: res.status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) } };
    }
    const text = await res.text();
    return { ok: true, text, fetchedAtMs: clock() };
  } catch (e) {
    if (o.signal?.aborted) return { ok: false, failure: 'stopped' };
    if (timeout.aborted) return { ok: false, failure: { kind: 'timeout', timeoutMs: o.timeoutMs } };
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const cause = err.cause?.code ?? err.cause?.message;
    return { ok: false, failure: { kind: 'network', message: cause ? `${err.message} (${cause})` : err.message } };
  }
}

/** Resolves true after `ms`, or early with false when `signal` aborts. */
export function wait(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (slept: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(slept);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
