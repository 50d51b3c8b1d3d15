/**
 * The cloud poller's logic (src/adapters/http/scheduled-poll.ts) and its
 * Lambda entry point (lambdas/source-poller/handler.ts), against a real local
 * HTTP server (node:http on 127.0.0.1) answering in CoinGecko's
 * /coins/markets format, with a fake stream producer: the slot is the
 * schedule's time (a retried invocation writes the same keys), the deadline,
 * which failures throw (so Lambda retries the invocation and dead-letters it)
 * and which only log and count, and the environment.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { slotAtOrBefore } from '../src/adapters/http/poll-policy.js';
import type { PollResult } from '../src/adapters/http/poller.js';
import {
  createScheduledPoll,
  DEFAULT_POLLED_SOURCE,
  isWorthRetrying,
  type PollMetricName,
  PollFailedError,
  pollTargetFromEnv,
  type ScheduledPollDeps,
  slotOfEvent,
} from '../src/adapters/http/scheduled-poll.js';
import type { PutEntry, PutRecordsResult, StreamProducer } from '../src/ingest/stream-producer.js';
import { COINGECKO_MARKETS_URL } from '../src/sources/crypto-quotes/index.js';
import type { CoinGeckoMarket, QuoteRecord } from '../src/sources/crypto-quotes/quote.js';

const FIXTURE = JSON.parse(readFileSync(join(import.meta.dirname, 'coingecko-coins-markets.json'), 'utf8')) as CoinGeckoMarket[];
const FIXTURE_LATEST = Math.max(...FIXTURE.map((c) => Date.parse(c.last_updated)));
const FIVE_MIN = 5 * 60_000;
const FAST_RETRY = { maxRetries: 2, baseDelayMs: 20, maxDelayMs: 50, minAttemptMs: 50 };

/** The fixture as the API would answer now. */
function freshTable(nowMs = Date.now()): Record<string, unknown>[] {
  return FIXTURE.map((c) => ({ ...c, last_updated: new Date(nowMs - 1_000 - (FIXTURE_LATEST - Date.parse(c.last_updated))).toISOString() }));
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

/** A local server answering the n-th request with `handler`; the URL has CoinGecko's path and query. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse, n: number) => void): Promise<{ url: string; times: number[] }> {
  const times: number[] = [];
  const server = createServer((req, res) => {
    times.push(Date.now());
    handler(req, res, times.length - 1);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/api/v3/coins/markets?vs_currency=usd&order=market_cap_desc&per_page=100&page=1`, times };
}

const json = (res: ServerResponse, body: unknown, status = 200) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

/** Keeps what it is given; `fail(call)` lists the entries a call does not take. */
class MemoryProducer implements StreamProducer {
  readonly calls: PutEntry[][] = [];
  readonly put: PutEntry[] = [];
  constructor(private readonly fail: (call: number) => number[] = () => []) {}
  async putRecords(entries: readonly PutEntry[]): Promise<PutRecordsResult> {
    this.calls.push([...entries]);
    const failed = this.fail(this.calls.length - 1);
    entries.forEach((e, i) => {
      if (!failed.includes(i)) this.put.push(e);
    });
    return { failed: failed.map((index) => ({ index, code: 'ProvisionedThroughputExceededException' })) };
  }
}

interface Recorded {
  readonly logs: { level: string; message: string; extra: Record<string, unknown> }[];
  readonly metrics: Partial<Record<PollMetricName, number>>;
}

/** The scheduled poll of `url` with a recording logger and metrics, fast retries. */
function scheduledPoll(url: string, producer: StreamProducer, extra: Partial<ScheduledPollDeps> = {}) {
  const rec: Recorded = { logs: [], metrics: {} };
  const log =
    (level: string) =>
    (message: string, ...x: Record<string, unknown>[]) =>
      rec.logs.push({ level, message, extra: Object.assign({}, ...x) });
  const poll = createScheduledPoll({
    target: pollTargetFromEnv({ POLL_URL: url }),
    producer,
    logger: { info: log('info'), warn: log('warn'), error: log('error') },
    metrics: { count: (name, value) => (rec.metrics[name] = (rec.metrics[name] ?? 0) + value) },
    retry: FAST_RETRY,
    timeoutMs: 2_000,
    ...extra,
  });
  return { poll, rec };
}

/** A Lambda context with this much time left. */
const context = (remainingMs: number) => {
  const end = Date.now() + remainingMs;
  return { getRemainingTimeInMillis: () => end - Date.now() };
};

/** A recent scheduled time on the minute, off the 5-minute grid (rate schedules count from their creation). */
function scheduledTime(): string {
  const t = Math.floor((Date.now() - 30_000) / 60_000) * 60_000;
  return new Date(t % FIVE_MIN === 0 ? t - 60_000 : t).toISOString();
}

describe('scheduled poll: one poll of the scheduled slot', () => {
  it('puts one record per coin with the slot from the event, and counts it', async () => {
    // Prepare
    const server = await serve((_req, res) => json(res, freshTable()));
    const producer = new MemoryProducer();
    const { poll, rec } = scheduledPoll(server.url, producer);
    const at = scheduledTime();
    // Act
    const r = await poll({ scheduledTime: at, scheduleExecutionId: 'exec-1' }, context(60_000));
    // Assess
    expect(r).toEqual({ source: 'crypto-quotes', slot: at, ok: true, records: FIXTURE.length, attempts: 1 });
    expect(producer.put).toHaveLength(FIXTURE.length);
    const docs = producer.put.map((e) => JSON.parse(e.data) as QuoteRecord);
    expect(docs.every((d) => d.snapshot_time === at)).toBe(true);
    expect(new Set(producer.put.map((e) => e.partitionKey))).toEqual(new Set([`crypto-quotes/${at}`]));
    expect(rec.metrics).toEqual({ PollSucceeded: 1, PollFailed: 0, RecordsPut: FIXTURE.length, Attempts: 1 });
    const done = rec.logs.find((l) => l.message === 'poll done')!;
    expect(done.extra).toMatchObject({ source: 'crypto-quotes', slot: at, records: FIXTURE.length, scheduleExecutionId: 'exec-1' });
    // the URL is logged without its query (where an API key may be)
    expect(done.extra.url).toBe(server.url.split('?')[0]);
  });

  it('a retried invocation of the same slot writes the same natural keys', async () => {
    // Prepare
    const server = await serve((_req, res) => json(res, freshTable()));
    const first = new MemoryProducer();
    const retry = new MemoryProducer();
    const at = scheduledTime();
    // Act
    await scheduledPoll(server.url, first).poll({ scheduledTime: at }, context(60_000));
    await scheduledPoll(server.url, retry).poll({ scheduledTime: at }, context(60_000));
    // Assess
    const keys = (p: MemoryProducer) =>
      p.put.map((e) => {
        const d = JSON.parse(e.data) as QuoteRecord;
        return [e.partitionKey, d.snapshot_time, d.vs_currency, (d.coin as CoinGeckoMarket).symbol].join('|');
      });
    expect(keys(retry)).toEqual(keys(first));
    expect(new Set(keys(first)).size).toBe(FIXTURE.length);
  });

  it('without a scheduled time (a manual invoke) polls the slot the clock is in', async () => {
    // Prepare: a clock one minute into a slot (the wall clock may be at the end of one)
    const server = await serve((_req, res) => json(res, freshTable()));
    const producer = new MemoryProducer();
    const shift = (Date.now() % FIVE_MIN) - 60_000;
    const clock = () => Date.now() - shift;
    // Act
    const r = await scheduledPoll(server.url, producer, { clock }).poll({}, context(60_000));
    // Assess
    expect(r.slot).toBe(new Date(slotAtOrBefore(clock(), FIVE_MIN)).toISOString());
    expect(r.ok).toBe(true);
  });
});

describe('scheduled poll: what fails the invocation', () => {
  it('a 500 after the retries throws, so Lambda retries the invocation and then dead-letters it', async () => {
    // Prepare
    const server = await serve((_req, res) => json(res, { error: 'internal' }, 500));
    const producer = new MemoryProducer();
    const { poll, rec } = scheduledPoll(server.url, producer);
    // Act
    const thrown = await poll({ scheduledTime: scheduledTime() }, context(60_000)).catch((e: unknown) => e);
    // Assess
    expect(thrown).toBeInstanceOf(PollFailedError);
    expect((thrown as PollFailedError).message).toMatch(/^crypto-quotes: poll of slot .* failed \(http\): HTTP 500, after 3 attempts$/);
    expect((thrown as PollFailedError).result).toMatchObject({ kind: 'http', status: 500, attempts: 3 });
    expect(server.times).toHaveLength(3);
    expect(producer.calls).toHaveLength(0);
    expect(rec.metrics).toEqual({ PollSucceeded: 0, PollFailed: 1, RecordsPut: 0, Attempts: 3 });
    expect(rec.logs.find((l) => l.level === 'error')?.extra).toMatchObject({ kind: 'http', status: 500 });
  });

  it('a 429 whose Retry-After does not fit, a timeout and records the stream did not take also throw', async () => {
    // Prepare
    const throttled = await serve((_req, res) => {
      res.writeHead(429, { 'retry-after': '120' });
      res.end();
    });
    const silent = await serve(() => undefined);
    const table = await serve((_req, res) => json(res, freshTable()));
    const at = scheduledTime();
    // Act
    const a = await scheduledPoll(throttled.url, new MemoryProducer())
      .poll({ scheduledTime: at }, context(60_000))
      .catch((e: unknown) => e);
    const b = await scheduledPoll(silent.url, new MemoryProducer(), { timeoutMs: 100 })
      .poll({ scheduledTime: at }, context(60_000))
      .catch((e: unknown) => e);
    const c = await scheduledPoll(table.url, new MemoryProducer(() => [0]), { putRetry: { maxRetries: 1, baseDelayMs: 5, maxDelayMs: 10 } })
      .poll({ scheduledTime: at }, context(60_000))
      .catch((e: unknown) => e);
    // Assess
    expect((a as PollFailedError).result).toMatchObject({ kind: 'http', status: 429, attempts: 1, retryAfterMs: 120_000 });
    expect((b as PollFailedError).result).toMatchObject({ kind: 'timeout', attempts: 3 });
    expect((c as PollFailedError).result).toMatchObject({ kind: 'put', records: FIXTURE.length - 1 });
  });

  it('a 404 or a body that is not a price table does not throw: logged as an error and counted, not retried', async () => {
    // Prepare
    const missing = await serve((_req, res) => json(res, { error: 'not found' }, 404));
    const keyMissing = await serve((_req, res) => json(res, { status: { error_code: 10002, error_message: 'API Key Missing' } }));
    const producer = new MemoryProducer();
    const a = scheduledPoll(missing.url, producer);
    const b = scheduledPoll(keyMissing.url, producer);
    const at = scheduledTime();
    // Act
    const ra = await a.poll({ scheduledTime: at }, context(60_000));
    const rb = await b.poll({ scheduledTime: at }, context(60_000));
    // Assess
    expect(ra).toEqual({ source: 'crypto-quotes', slot: at, ok: false, records: 0, attempts: 1, kind: 'http', reason: 'HTTP 404', status: 404 });
    expect(rb).toMatchObject({ ok: false, kind: 'body', reason: expect.stringMatching(/API Key Missing/) });
    expect(missing.times).toHaveLength(1);
    expect(producer.calls).toHaveLength(0);
    expect(a.rec.metrics).toMatchObject({ PollSucceeded: 0, PollFailed: 1 });
    expect(a.rec.logs.filter((l) => l.level === 'error').map((l) => l.message)).toEqual([expect.stringMatching(/not retried/)]);
  });

  it("stops before the function's timeout: the deadline keeps a margin for the put", async () => {
    // Prepare: a server that never answers; 1.3 s left, of which 1 s is the margin
    const server = await serve(() => undefined);
    const started = Date.now();
    // Act
    const thrown = await scheduledPoll(server.url, new MemoryProducer(), { functionMarginMs: 1_000 })
      .poll({ scheduledTime: scheduledTime() }, context(1_300))
      .catch((e: unknown) => e);
    // Assess
    expect((thrown as PollFailedError).result.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('a slot whose time is over is not polled (a later table is never labelled with it) and throws', async () => {
    // Prepare
    const server = await serve((_req, res) => json(res, freshTable()));
    const producer = new MemoryProducer();
    const old = new Date(slotAtOrBefore(Date.now(), FIVE_MIN) - 2 * FIVE_MIN).toISOString();
    // Act
    const thrown = await scheduledPoll(server.url, producer)
      .poll({ scheduledTime: old }, context(60_000))
      .catch((e: unknown) => e);
    // Assess
    expect((thrown as PollFailedError).result).toMatchObject({ kind: 'timeout', attempts: 0, reason: 'no time left before the next poll' });
    expect(server.times).toHaveLength(0);
    expect(producer.calls).toHaveLength(0);
  });

  it('refuses a scheduled time that is not a time, or is ahead of the clock', () => {
    const now = Date.parse('2026-11-02T10:07:00Z');
    expect(slotOfEvent({ scheduledTime: '2026-11-02T10:03:00Z' }, now, FIVE_MIN)).toBe(Date.parse('2026-11-02T10:03:00Z'));
    expect(slotOfEvent(undefined, now, FIVE_MIN)).toBe(Date.parse('2026-11-02T10:05:00Z'));
    expect(() => slotOfEvent({ scheduledTime: 'yesterday' }, now, FIVE_MIN)).toThrow(/not an ISO 8601 time/);
    expect(() => slotOfEvent({ scheduledTime: '2026-11-02T10:15:00Z' }, now, FIVE_MIN)).toThrow(/in the future/);
  });

  it('classifies failures: throttling, server, timeout, network and put are worth retrying; other statuses and bodies are not', () => {
    const f = (kind: string, status?: number) =>
      ({ ok: false, slotMs: 0, kind, reason: '', attempts: 1, records: 0, ...(status ? { status } : {}) }) as PollResult & { ok: false };
    expect([f('http', 429), f('http', 408), f('http', 500), f('http', 503), f('timeout'), f('network'), f('put')].map(isWorthRetrying)).toEqual(
      Array(7).fill(true),
    );
    expect([f('http', 400), f('http', 401), f('http', 403), f('http', 404), f('body'), f('stopped')].map(isWorthRetrying)).toEqual(Array(6).fill(false));
  });
});

describe('scheduled poll: the environment', () => {
  it('defaults to crypto-quotes and its CoinGecko URL, never its simulated API', () => {
    const t = pollTargetFromEnv({});
    expect(DEFAULT_POLLED_SOURCE).toBe('crypto-quotes');
    expect(t).toMatchObject({ name: 'crypto-quotes', url: COINGECKO_MARKETS_URL, intervalMs: FIVE_MIN });
    expect(t.fetch).toBeUndefined();
    expect(t.simulated).toBeUndefined();
    expect(pollTargetFromEnv({ SOURCE_ID: ' ', POLL_URL: '' }).url).toBe(COINGECKO_MARKETS_URL);
  });

  it('takes POLL_URL, and refuses unknown sources, sources that are not polled and bad URLs', () => {
    expect(pollTargetFromEnv({ SOURCE_ID: 'crypto-quotes', POLL_URL: 'https://example.com/api?vs_currency=eur' }).url).toBe(
      'https://example.com/api?vs_currency=eur',
    );
    expect(() => pollTargetFromEnv({ SOURCE_ID: 'thermo' })).toThrow(/unknown source "thermo"; known: binance-trades, stock-ticks, crypto-quotes/);
    expect(() => pollTargetFromEnv({ SOURCE_ID: 'binance-trades' })).toThrow(/source binance-trades is not polled .*polled sources: crypto-quotes/);
    expect(() => pollTargetFromEnv({ POLL_URL: 'not a url' })).toThrow(/POLL_URL: not a URL/);
    expect(() => pollTargetFromEnv({ POLL_URL: 'ftp://example.com/x' })).toThrow(/POLL_URL: not an http\(s\) URL/);
  });
});

describe('lambdas/source-poller/handler.ts', () => {
  it('wires the environment, Powertools and the Kinesis producer: a 404 answers a failed summary without a put', async () => {
    // Prepare: a URL that answers 404 (so nothing reaches Kinesis) and a stream name
    const server = await serve((_req, res) => json(res, { error: 'not found' }, 404));
    vi.stubEnv('SOURCE_ID', 'crypto-quotes');
    vi.stubEnv('POLL_URL', server.url);
    vi.stubEnv('STREAM_NAME', 'ticklake-test-events');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    try {
      const { handler } = await import('../lambdas/source-poller/handler.js');
      const at = scheduledTime();
      // Act
      const r = await handler({ scheduledTime: at }, context(60_000) as never);
      // Assess
      expect(r).toMatchObject({ source: 'crypto-quotes', slot: at, ok: false, kind: 'http', status: 404 });
      expect(server.times).toHaveLength(1);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
