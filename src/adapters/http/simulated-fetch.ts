/**
 * A stand-in for `fetch` that answers every request with JSON computed in
 * process: how a poller runs against a source's simulated API without network,
 * through the same code path as a real response.
 */

/** A `fetch` whose responses are `200 application/json` bodies of `answer(now, url)`. */
export function jsonFetch(answer: (nowMs: number, url: string) => unknown, clock: () => number = Date.now): typeof fetch {
  return async (input, init) => {
    init?.signal?.throwIfAborted();
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    return new Response(JSON.stringify(answer(clock(), url)), { status: 200, headers: { 'content-type': 'application/json' } });
  };
}
