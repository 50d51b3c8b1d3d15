/**
 * Heals the live connector's trade-id gaps from Binance's REST API:
 * `GET /api/v3/historicalTrades?symbol=BTCUSDT&fromId=<first missing id>&limit=<≤1000>`,
 * paged until the gap is covered. Each trade becomes the websocket trade
 * message the stream carries ({@link restTradeMessage}) and is handed back to
 * the connector, which puts it through its buffer only if it is still missing
 * (so a healed trade is never put twice, whichever copy comes first).
 *
 * - **Asynchronous and bounded.** A heal never blocks the socket; at most
 *   `maxConcurrent` heals run at once, `maxQueued` wait, and one heal covers
 *   at most `maxTradesPerGap` trades (the first ones after the gap's start).
 * - **Retries** as the HTTP poller's (`retryDecision`): 429 and Binance's 418
 *   honour `Retry-After`, and that wait holds every heal (the limit is per IP);
 *   408, 5xx, timeouts and broken connections are retried with full-jitter
 *   backoff while a retry fits before the heal's deadline (`healTimeoutMs`).
 *   A heal that fails is logged and counted by the connector, never thrown.
 * - No API key is sent.
 */
import { type Fetched, fetchOnce, wait } from '../http/fetch-once.js';
import { describeFailure, type PollRetryPolicy, retryDecision } from '../http/poll-policy.js';

/** Binance's production REST endpoint (what `--binance-rest-url` would name for the real exchange). */
export const BINANCE_REST_URL = 'https://api.binance.com';

/** Binance's largest `limit` of `historicalTrades`. */
export const HISTORICAL_TRADES_MAX_LIMIT = 1000;

/** Settings of gap healing: `url` is required, the rest have defaults. */
export interface GapHealOptions {
  /** REST base, e.g. `https://api.binance.com` (the path `/api/v3/historicalTrades` is added). */
  readonly url: string;
  /** Trades one heal covers at most; the rest of a larger gap stays missing (default 10,000). */
  readonly maxTradesPerGap?: number;
  /** Heals running at once (default 2). */
  readonly maxConcurrent?: number;
  /** Heals waiting to run; a gap beyond them is not healed (default 100). */
  readonly maxQueued?: number;
  /** `limit` of one request (default and at most 1,000). */
  readonly pageSize?: number;
  /** One request, headers and body (default 10 s). */
  readonly requestTimeoutMs?: number;
  /** No request or retry of a heal starts later than this after the heal started (default 120 s). */
  readonly healTimeoutMs?: number;
  /** Retries of one request (default 5, 500 ms doubling to 30 s). */
  readonly retry?: PollRetryPolicy;
  /** Answers instead of the network (tests). */
  readonly fetch?: typeof fetch;
}

/** A gap to heal: ids `from..to` (inclusive) of `symbol`. */
export interface HealRange {
  readonly symbol: string;
  readonly from: number;
  readonly to: number;
}

/** A trade from the REST API as the stream message the connector puts. */
export interface HealedTrade {
  readonly id: number;
  readonly timeMs: number;
  readonly text: string;
}

/** How a heal ended: `ok` (every page fetched), `failed` (with why), or `stopped` (the connector stopped). */
export type HealOutcome = { readonly kind: 'ok' } | { readonly kind: 'failed'; readonly reason: string } | { readonly kind: 'stopped' };

/** What the healer needs from the connector. */
export interface HealerHost {
  /** Takes the trades still missing into the buffer (waiting for room first); returns how many it took. */
  deliver(symbol: string, trades: readonly HealedTrade[]): Promise<number>;
  /** The first id at or after `from`, up to `to`, that is still missing, if any. */
  nextMissing(symbol: string, from: number, to: number): number | undefined;
  /** Called once per heal when it ends, with the requests it made. */
  ended(range: HealRange, outcome: HealOutcome, requests: number): void;
  readonly logger: { info(message: string, extra?: Record<string, unknown>): void };
  readonly clock: () => number;
  readonly random: () => number;
}

/** Five retries, 500 ms doubling to 30 s (full jitter), while they fit before the heal's deadline. */
export const DEFAULT_HEAL_RETRY: PollRetryPolicy = { maxRetries: 5, baseDelayMs: 500, maxDelayMs: 30_000, minAttemptMs: 500 };

/** Checks a REST base URL (http or https) and returns it without a trailing slash. */
export function binanceRestBase(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`binance-live: not a URL: "${url}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`binance-live: ${url} is not an http:// or https:// URL`);
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}

/** `<base>/api/v3/historicalTrades?symbol=…&fromId=…&limit=…` */
export function historicalTradesUrl(base: string, symbol: string, fromId: number, limit: number): string {
  return `${base}/api/v3/historicalTrades?symbol=${encodeURIComponent(symbol)}&fromId=${fromId}&limit=${limit}`;
}

/**
 * One item of a `historicalTrades` response (`{"id":28457,"price":"4.00000100","qty":"12.00000000",
 * "quoteQty":"48.000012","time":1499865549590,"isBuyerMaker":true,"isBestMatch":true}`) as the trade
 * message of Binance's websocket stream, keys in the exchange's order:
 * `{"e":"trade","E":…,"s":…,"t":…,"p":…,"q":…,"T":…,"m":…,"M":…}`. The REST API has no event
 * time, so `E` is the trade time. Values are written as received (JSON), so a bad price still
 * reaches the stream transform and is quarantined with its reason. `undefined` when the item has
 * no usable id or time (it could be neither deduped nor placed).
 */
export function restTradeMessage(symbol: string, item: unknown): HealedTrade | undefined {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return undefined;
  const r = item as Record<string, unknown>;
  if (!Number.isSafeInteger(r.id) || (r.id as number) < 0 || !Number.isSafeInteger(r.time)) return undefined;
  const id = r.id as number;
  const timeMs = r.time as number;
  const json = (v: unknown) => JSON.stringify(v ?? null);
  const text =
    `{"e":"trade","E":${timeMs},"s":${JSON.stringify(symbol)},"t":${id},"p":${json(r.price)},"q":${json(r.qty)},` +
    `"T":${timeMs},"m":${json(r.isBuyerMaker)},"M":${json(r.isBestMatch ?? true)}}`;
  return { id, timeMs, text };
}

type Page = { readonly ok: true; readonly trades: HealedTrade[] } | { readonly ok: false; readonly outcome: HealOutcome };

/** Runs the heals (see the module comment). The live connector owns one when healing is configured. */
export class GapHealer {
  readonly base: string;
  private readonly abort = new AbortController();
  private readonly queue: HealRange[] = [];
  private readonly running = new Set<Promise<void>>();
  /** No request before this: the latest Retry-After of a 429 or 418 (Binance limits per IP). */
  private notBeforeMs = 0;
  private readonly o: Required<Omit<GapHealOptions, 'fetch' | 'url'>> & Pick<GapHealOptions, 'fetch'>;

  constructor(
    options: GapHealOptions,
    private readonly host: HealerHost,
  ) {
    this.base = binanceRestBase(options.url);
    this.o = {
      maxTradesPerGap: options.maxTradesPerGap ?? 10_000,
      maxConcurrent: options.maxConcurrent ?? 2,
      maxQueued: options.maxQueued ?? 100,
      pageSize: Math.min(options.pageSize ?? HISTORICAL_TRADES_MAX_LIMIT, HISTORICAL_TRADES_MAX_LIMIT),
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      healTimeoutMs: options.healTimeoutMs ?? 120_000,
      retry: options.retry ?? DEFAULT_HEAL_RETRY,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    };
    for (const [k, v] of Object.entries({ maxTradesPerGap: this.o.maxTradesPerGap, maxConcurrent: this.o.maxConcurrent, pageSize: this.o.pageSize })) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`binance-live: heal ${k} must be a positive integer, got ${v}`);
    }
  }

  /** Trades one heal covers at most. */
  get maxTradesPerGap(): number {
    return this.o.maxTradesPerGap;
  }

  /** Heals running or waiting. */
  get underWay(): number {
    return this.running.size + this.queue.length;
  }

  /** True when a new heal can be queued (not stopped, queue not full). */
  canTake(): boolean {
    return !this.abort.signal.aborted && this.queue.length < this.o.maxQueued;
  }

  /** Queues a heal of `range` (check {@link canTake} first); it starts when a slot is free. */
  heal(range: HealRange): void {
    this.queue.push(range);
    this.pump();
  }

  /** Aborts the heals under way, ends the queued ones as stopped, and resolves when none runs. */
  async stop(): Promise<void> {
    this.abort.abort();
    for (const r of this.queue.splice(0)) this.host.ended(r, { kind: 'stopped' }, 0);
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private pump(): void {
    while (this.running.size < this.o.maxConcurrent && this.queue.length > 0 && !this.abort.signal.aborted) {
      const range = this.queue.shift()!;
      const p: Promise<void> = this.run(range)
        .catch((e: unknown) => {
          // Not expected (every failure is an outcome): keep the connector alive and the cause visible.
          this.host.ended(range, { kind: 'failed', reason: `unexpected error: ${String(e)}` }, 0);
        })
        .finally(() => {
          this.running.delete(p);
          this.pump();
        });
      this.running.add(p);
    }
  }

  private async run(range: HealRange): Promise<void> {
    const deadlineMs = this.host.clock() + this.o.healTimeoutMs;
    let requests = 0;
    let next = range.from;
    for (;;) {
      // Ids the socket delivered late are skipped: only what is still missing is asked for.
      const from = this.host.nextMissing(range.symbol, next, range.to);
      if (from === undefined) break;
      if (this.abort.signal.aborted) return this.host.ended(range, { kind: 'stopped' }, requests);
      const limit = Math.min(this.o.pageSize, range.to - from + 1);
      const url = historicalTradesUrl(this.base, range.symbol, from, limit);
      const page = await this.page(url, range.symbol, deadlineMs, () => requests++);
      if (!page.ok) return this.host.ended(range, page.outcome, requests);
      const inGap = page.trades.filter((t) => t.id >= from && t.id <= range.to);
      if (inGap.length === 0) {
        const reason = `the API returned no trade of ids ${from}..${range.to} (${page.trades.length} outside)`;
        return this.host.ended(range, { kind: 'failed', reason }, requests);
      }
      await this.host.deliver(range.symbol, inGap);
      next = inGap.reduce((m, t) => Math.max(m, t.id), from) + 1;
    }
    this.host.ended(range, { kind: 'ok' }, requests);
  }

  /** One page: the request with its retries, then the body as trades. */
  private async page(url: string, symbol: string, deadlineMs: number, counted: () => void): Promise<Page> {
    const { clock, random } = this.host;
    const signal = this.abort.signal;
    let fetched: Fetched & { ok: true };
    for (let attempt = 0; ; attempt++) {
      // A Retry-After another heal received holds this one too.
      if (this.notBeforeMs > clock()) {
        if (this.notBeforeMs > deadlineMs) return { ok: false, outcome: { kind: 'failed', reason: 'rate limited past the heal deadline (Retry-After)' } };
        if (!(await wait(this.notBeforeMs - clock(), signal))) return { ok: false, outcome: { kind: 'stopped' } };
      }
      const budget = Math.min(this.o.requestTimeoutMs, deadlineMs - clock());
      if (budget <= 0) return { ok: false, outcome: { kind: 'failed', reason: 'no time left before the heal deadline' } };
      counted();
      const r = await fetchOnce(url, { timeoutMs: budget, clock, signal, ...(this.o.fetch ? { fetch: this.o.fetch } : {}) });
      if (r.ok) {
        fetched = r;
        break;
      }
      if (r.failure === 'stopped') return { ok: false, outcome: { kind: 'stopped' } };
      const f = r.failure;
      if (f.kind === 'status' && f.retryAfterMs !== undefined) this.notBeforeMs = Math.max(this.notBeforeMs, clock() + f.retryAfterMs);
      const d = retryDecision(f, attempt, this.o.retry, clock(), deadlineMs, random);
      if (!d.retry) return { ok: false, outcome: { kind: 'failed', reason: d.reason } };
      this.host.logger.info('binance-live: heal request failed; retrying', { url, failure: describeFailure(f), attempt: attempt + 1, delayMs: d.delayMs });
      if (!(await wait(d.delayMs, signal))) return { ok: false, outcome: { kind: 'stopped' } };
    }
    let body: unknown;
    try {
      body = JSON.parse(fetched.text);
    } catch (e) {
      return { ok: false, outcome: { kind: 'failed', reason: `malformed JSON from ${url}: ${(e as Error).message}` } };
    }
    if (!Array.isArray(body)) return { ok: false, outcome: { kind: 'failed', reason: `${url} did not return an array of trades` } };
    const trades = body.map((item) => restTradeMessage(symbol, item)).filter((t): t is HealedTrade => t !== undefined);
    return { ok: true, trades };
  }
}
