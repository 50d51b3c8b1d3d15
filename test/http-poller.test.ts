/**
 * The HTTP poller against a real local HTTP server (node:http on 127.0.0.1,
 * port 0): a CoinGecko-format price table, 429 with Retry-After, 500, a
 * timeout, malformed JSON, rows with missing fields and a duplicate symbol
 * (through the real stream transform into a lake read by DuckDB), PutRecords
 * partial failures, and the polling loop's schedule, counters and stop.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pollDeadlineMs, slotAtOrBefore } from '../src/adapters/http/poll-policy.js';
import { formatPollerStatus, HttpPoller, type PollResult, pollOnce, pollTargetOf, putAll } from '../src/adapters/http/poller.js';
import type { StreamProducer } from '../src/ingest/stream-producer.js';
import { type BatchSummary, createStreamTransform } from '../src/ingest/stream-transform.js';
import { FileObjectStore } from '../src/local/file-object-store.js';
import { cryptoQuotes } from '../src/sources/crypto-quotes/index.js';
import type { CoinGeckoMarket, QuoteRecord } from '../src/sources/crypto-quotes/quote.js';
import { SIM_COINS } from '../src/sources/crypto-quotes/simulator.js';
import { closeServers, type Handler, json, MemoryProducer, serve as serveAt, stopServer } from './helpers/http-test-server.js';
import { kinesisEvent } from './helpers/kinesis-events.js';
import { tempDir, withLake } from './helpers/lake-files.js';
import { clearOfUtcMidnight } from './helpers/utc-day.js';

/** A real-format /coins/markets response (12 coins). */
const FIXTURE = JSON.parse(readFileSync(join(import.meta.dirname, 'coingecko-coins-markets.json'), 'utf8')) as CoinGeckoMarket[];
const FIXTURE_LATEST = Math.max(...FIXTURE.map((c) => Date.parse(c.last_updated)));

/** The fixture as the API would answer now: the same coins, their update times moved to just before now. */
function freshTable(nowMs = Date.now()): Record<string, unknown>[] {
  return FIXTURE.map((c) => ({ ...c, last_updated: new Date(nowMs - 1_000 - (FIXTURE_LATEST - Date.parse(c.last_updated))).toISOString() }));
}

afterEach(closeServers);

/** A local server answering on CoinGecko's /coins/markets path. */
const serve = (handler: Handler) => serveAt(handler, '/api/v3/coins/markets?vs_currency=usd&order=market_cap_desc&per_page=100&page=1');

const FIVE_MIN = 5 * 60_000;
const FAST_RETRY = { maxRetries: 3, baseDelayMs: 20, maxDelayMs: 100, minAttemptMs: 50 };

/**
 * One poll of the current 5-minute slot against `url`, with fast retries and a
 * deadline a minute away (the slot's own deadline is the next slot less 2 s: a
 * test run at hh:m4:58 would find no time left).
 */
function poll(url: string, producer: StreamProducer, extra: Partial<Parameters<typeof pollOnce>[0]> = {}): Promise<PollResult> {
  return pollOnce({ target: pollTargetOf(cryptoQuotes, { url }), producer, retry: FAST_RETRY, timeoutMs: 2_000, deadlineMs: Date.now() + 60_000, ...extra });
}

describe('HTTP poller: one poll against a local server', () => {
  it('fetches a CoinGecko-format table and puts one record per coin, keyed by the slot, through the producer port', async () => {
    // Prepare
    const server = await serve((_req, res) => json(res, freshTable()));
    const producer = new MemoryProducer();
    const slot = slotAtOrBefore(Date.now(), FIVE_MIN);
    // Act
    const r = await poll(server.url, producer);
    // Assess
    expect(r).toMatchObject({ ok: true, slotMs: slot, records: FIXTURE.length, attempts: 1 });
    expect(server.headers[0]).toMatchObject({ accept: 'application/json' });
    expect(server.headers[0]!['user-agent']).toMatch(/^ticklake-poller/);
    expect(producer.calls).toHaveLength(1);
    const docs = producer.put.map((e) => JSON.parse(e.data) as QuoteRecord);
    expect(new Set(producer.put.map((e) => e.partitionKey))).toEqual(new Set([`crypto-quotes/${new Date(slot).toISOString()}`]));
    expect(docs.map((d) => (d.coin as CoinGeckoMarket).id)).toEqual(FIXTURE.map((c) => c.id));
    expect(docs.every((d) => d.snapshot_time === new Date(slot).toISOString() && d.vs_currency === 'usd')).toBe(true);
  });

  it('honours a 429 Retry-After in seconds: waits that long, then succeeds', async () => {
    // Prepare
    const server = await serve((_req, res, n) =>
      n === 0 ? json(res, { status: { error_code: 429, error_message: 'Rate limit' } }, 429, { 'retry-after': '1' }) : json(res, freshTable()),
    );
    const producer = new MemoryProducer();
    // Act
    const r = await poll(server.url, producer);
    // Assess
    expect(r).toMatchObject({ ok: true, attempts: 2, records: FIXTURE.length });
    expect(server.times[1]! - server.times[0]!).toBeGreaterThanOrEqual(990);
  });

  it('honours a 429 Retry-After given as an HTTP date', async () => {
    // Prepare: a date 2 s ahead, to the second
    const server = await serve((_req, res, n) =>
      n === 0 ? json(res, '', 429, { 'retry-after': new Date(Date.now() + 2_000).toUTCString() }) : json(res, freshTable()),
    );
    // Act
    const r = await poll(server.url, new MemoryProducer());
    // Assess
    expect(r).toMatchObject({ ok: true, attempts: 2 });
    expect(server.times[1]! - server.times[0]!).toBeGreaterThanOrEqual(990);
  });

  it('fails at once when the Retry-After runs past the next slot, and reports it for the schedule', async () => {
    // Prepare
    const server = await serve((_req, res) => json(res, '', 429, { 'retry-after': '600' }));
    const producer = new MemoryProducer();
    // Act
    const r = await poll(server.url, producer, { deadlineMs: Date.now() + 5_000 });
    // Assess
    expect(r).toMatchObject({ ok: false, kind: 'http', status: 429, attempts: 1, records: 0, retryAfterMs: 600_000 });
    expect(!r.ok && r.reason).toMatch(/HTTP 429 \(Retry-After 600 s\); the wait it asks for would not fit before the next poll/);
    expect(producer.calls).toHaveLength(0);
  });

  it('retries a 500 with backoff, then succeeds', async () => {
    // Prepare
    const server = await serve((_req, res, n) => (n < 2 ? json(res, { error: 'internal' }, 500) : json(res, freshTable())));
    const logs: string[] = [];
    const logger = { info: (m: string, ...x: Record<string, unknown>[]) => logs.push(`${m} ${JSON.stringify(x)}`), warn: () => undefined };
    // Act
    const r = await poll(server.url, new MemoryProducer(), { logger });
    // Assess
    expect(r).toMatchObject({ ok: true, attempts: 3, records: FIXTURE.length });
    expect(logs.filter((l) => l.includes('retrying') && l.includes('HTTP 500'))).toHaveLength(2);
  });

  it('gives up on a 500 after its retries, and on a 404 at once', async () => {
    // Prepare
    const failing = await serve((_req, res) => json(res, { error: 'internal' }, 500));
    const missing = await serve((_req, res) => json(res, { error: 'not found' }, 404));
    // Act
    const a = await poll(failing.url, new MemoryProducer());
    const b = await poll(missing.url, new MemoryProducer());
    // Assess
    expect(a).toMatchObject({ ok: false, kind: 'http', status: 500, attempts: 4, reason: 'HTTP 500, after 4 attempts' });
    expect(b).toMatchObject({ ok: false, kind: 'http', status: 404, attempts: 1, reason: 'HTTP 404' });
  });

  it('times out a request that does not answer (headers or body) and retries it', async () => {
    // Prepare: first no answer at all, then headers and half a body, then the table
    const server = await serve((_req, res, n) => {
      if (n === 0) return;
      if (n === 1) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('[{"id":"bitcoin",');
        return;
      }
      json(res, freshTable());
    });
    const started = Date.now();
    // Act
    const r = await poll(server.url, new MemoryProducer(), { timeoutMs: 300 });
    // Assess
    expect(r).toMatchObject({ ok: true, attempts: 3, records: FIXTURE.length });
    expect(server.times[1]! - server.times[0]!).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('fails as a timeout when no attempt answers in time', async () => {
    // Prepare
    const server = await serve(() => undefined);
    // Act
    const r = await poll(server.url, new MemoryProducer(), { timeoutMs: 200, retry: { ...FAST_RETRY, maxRetries: 1 } });
    // Assess
    expect(r).toMatchObject({ ok: false, kind: 'timeout', attempts: 2, reason: 'no response within 200 ms, after 2 attempts' });
  });

  it('fails a poll whose body is malformed JSON or not a price table, without retrying or putting anything', async () => {
    // Prepare
    const truncated = await serve((_req, res) => json(res, JSON.stringify(freshTable()).slice(0, 900)));
    const errorObject = await serve((_req, res) => json(res, { status: { error_code: 10002, error_message: 'API Key Missing' } }));
    const producer = new MemoryProducer();
    // Act
    const a = await poll(truncated.url, producer);
    const b = await poll(errorObject.url, producer);
    // Assess
    expect(a).toMatchObject({ ok: false, kind: 'body', attempts: 1 });
    expect(!a.ok && a.reason).toMatch(/^malformed JSON \(900 characters\): /);
    expect(b).toMatchObject({ ok: false, kind: 'body', attempts: 1, reason: expect.stringMatching(/error object: API Key Missing/) });
    expect(truncated.times).toHaveLength(1);
    expect(producer.calls).toHaveLength(0);
  });

  it('reports a connection refused as a network failure after its retries', async () => {
    // Prepare: a port nothing listens on
    const server = await serve(() => undefined);
    const url = server.url;
    await stopServer(server);
    // Act
    const r = await poll(url, new MemoryProducer(), { retry: { ...FAST_RETRY, maxRetries: 1 } });
    // Assess
    expect(r).toMatchObject({ ok: false, kind: 'network', attempts: 2 });
    expect(!r.ok && r.reason).toMatch(/ECONNREFUSED/);
  });
});

describe('HTTP poller: rows with missing fields and a duplicate symbol, through the stream transform', () => {
  it('puts every row; the transform quarantines the bad ones with reasons, even with the snapshot split over batches', async () => {
    // Prepare: the API answers with a table whose rows have problems
    const table = () => {
      const t = freshTable();
      delete t[3]!.current_price; // xrp: missing price
      delete t[4]!.name; // bnb: missing name
      t[5]!.current_price = 0; // sol: zero price
      t[8]!.symbol = 'usdt'; // trx claims tether's symbol
      t[10]!.last_updated = new Date(Date.now() - 3 * 3_600_000).toISOString(); // link: stale
      t[11]!.market_cap = null; // shib: missing market cap
      return t;
    };
    const server = await serve((_req, res) => json(res, table()));
    const producer = new MemoryProducer();
    const root = tempDir();
    const handler = createStreamTransform({ lake: new FileObjectStore(root) });
    // Act: poll, then the records as two Kinesis batches (the duplicate apart from its first occurrence)
    const r = await poll(server.url, producer);
    const specs = producer.put.map((e) => ({ data: e.data, partitionKey: e.partitionKey }));
    await handler(kinesisEvent(specs.slice(0, 6), 'shardId-000000000000', 1));
    await handler(kinesisEvent(specs.slice(6), 'shardId-000000000000', 10));
    // Assess
    expect(r).toMatchObject({ ok: true, records: 12 });
    await withLake(root, async (sql) => {
      const rows = await sql.query('SELECT symbol FROM crypto_quotes ORDER BY market_cap DESC');
      const q = await sql.query("SELECT reason_code, reason_message FROM quarantine WHERE source = 'crypto-quotes' ORDER BY reason_code, reason_message");
      const ranking = await sql.query('SELECT symbol FROM crypto_ranking ORDER BY cap_rank');
      expect(rows.rows.map((x) => x[0])).toEqual(['BTC', 'ETH', 'USDT', 'USDC', 'DOGE', 'ADA']);
      expect(q.rows.map((x) => x[0])).toEqual(['DUPLICATE_SYMBOL', 'MISSING_FIELD', 'MISSING_FIELD', 'MISSING_FIELD', 'NON_POSITIVE_PRICE', 'STALE_QUOTE']);
      expect(q.rows.map((x) => String(x[1]).replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>'))).toEqual([
        'symbol USDT of coin "tron" (usdt) at position 8 already appears at position 2 of the snapshot <time>',
        'coin "binancecoin" (bnb): field "name" is missing',
        'coin "ripple" (xrp): field "current_price" is missing',
        'coin "shiba-inu" (shib): field "market_cap" is missing',
        'coin "solana" (sol): current_price 0 is not a positive finite number',
        'coin "chainlink" (link): last updated <time>, 180 minutes before the fetch (stale after 30)',
      ]);
      expect(ranking.rows.map((x) => x[0])).toEqual(['BTC', 'ETH', 'USDT', 'USDC', 'DOGE', 'ADA']);
    });
  });
});

describe('HTTP poller: putting records', () => {
  const entries = Array.from({ length: 12 }, (_, i) => ({ partitionKey: 'crypto-quotes/x', data: `{"n":${i}}` }));
  const policy = { maxRetries: 3, baseDelayMs: 5, maxDelayMs: 20 };

  it('retries only the entries the stream did not take', async () => {
    // Prepare: the first call drops entries 2 and 5
    const producer = new MemoryProducer((call) => (call === 0 ? [2, 5] : []));
    // Act
    const r = await putAll(producer, entries, { policy });
    // Assess
    expect(r).toEqual({ put: 12 });
    expect(producer.calls.map((c) => c.length)).toEqual([12, 2]);
    expect(producer.calls[1]).toEqual([entries[2], entries[5]]);
    expect(producer.put.map((e) => e.data).sort()).toEqual(entries.map((e) => e.data).sort());
  });

  it('retries the whole call after a rejected one, and gives up after its retries', async () => {
    // Prepare
    const calls: number[] = [];
    const flaky: StreamProducer = {
      putRecords: async (e) => {
        calls.push(e.length);
        if (calls.length === 1) throw new Error('socket hang up');
        return { failed: [] };
      },
    };
    const stuck = new MemoryProducer((_call, e) => (e.length > 3 ? [0, 1, 2] : [0]));
    // Act
    const a = await putAll(flaky, entries, { policy });
    const b = await putAll(stuck, entries, { policy });
    // Assess
    expect(a).toEqual({ put: 12 });
    expect(calls).toEqual([12, 12]);
    expect(b.put).toBe(11);
    expect(b.error).toMatch(/^1 of 1 entries not put \(ProvisionedThroughputExceededException\); 1 of 12 records not put$/);
  });

  it('a poll whose records could not all be put fails, saying how many were', async () => {
    // Prepare
    const server = await serve((_req, res) => json(res, freshTable()));
    const producer = new MemoryProducer(() => [0]);
    // Act
    const r = await poll(server.url, producer, { putRetry: policy });
    // Assess
    expect(r).toMatchObject({ ok: false, kind: 'put', records: 11 });
  });
});

describe('HTTP poller: the polling loop', () => {
  it('polls on wall-clock slots; a failed poll is counted and the next runs on time; stop() ends it cleanly', async () => {
    // Prepare: 1-second slots; the first poll gets a 500 (no retries), the others the table
    const server = await serve((_req, res, n) => (n === 0 ? json(res, { error: 'internal' }, 500) : json(res, freshTable())));
    const results: PollResult[] = [];
    const warnings: string[] = [];
    const target = { ...pollTargetOf(cryptoQuotes, { url: server.url }), intervalMs: 1_000 };
    const poller = new HttpPoller({
      target,
      producer: new MemoryProducer(),
      retry: { ...FAST_RETRY, maxRetries: 0 },
      timeoutMs: 500,
      logger: { info: () => undefined, warn: (m) => warnings.push(m) },
      onPoll: (r) => results.push(r),
    }).start();
    // Act
    while (results.length < 3) await new Promise((r) => setTimeout(r, 50));
    await poller.stop();
    const requestsAtStop = server.times.length;
    await new Promise((r) => setTimeout(r, 1_200));
    // Assess
    expect(results.map((r) => r.ok)).toEqual([false, true, true]);
    expect(results.map((r) => r.slotMs % 1_000)).toEqual([0, 0, 0]);
    expect(results[1]!.slotMs - results[0]!.slotMs).toBe(1_000);
    expect(results[2]!.slotMs - results[1]!.slotMs).toBe(1_000);
    // Each request goes out within its slot, before the slot's deadline (its end less a guard: 900 ms in).
    for (const [i, r] of results.entries()) expect(server.times[i]!, `request ${i}`).toBeLessThan(pollDeadlineMs(r.slotMs, target.intervalMs));
    expect(server.times).toHaveLength(requestsAtStop);
    const s = poller.stats();
    expect(s).toMatchObject({ polls: 3, failures: 1, records: 2 * FIXTURE.length, retries: 0, skipped: 0, running: false });
    expect(s.lastSuccessMs).toBeGreaterThan(results[2]!.slotMs);
    expect(s.lastFailure).toMatchObject({ kind: 'http', reason: 'HTTP 500, after 1 attempt' });
    expect(warnings).toContain('poll failed');
    expect(poller.status()).toMatch(/^crypto-quotes: 3 polls, 1 failed, 24 records, last success \d\d:\d\d:\d\dZ, stopped$/);
  });

  it('skips the slots a Retry-After covers', async () => {
    // Prepare: 500 ms slots; the first answer asks for 2 s of quiet
    const server = await serve((_req, res, n) => (n === 0 ? json(res, '', 429, { 'retry-after': '2' }) : json(res, freshTable())));
    const results: PollResult[] = [];
    const target = { ...pollTargetOf(cryptoQuotes, { url: server.url }), intervalMs: 500 };
    const poller = new HttpPoller({ target, producer: new MemoryProducer(), retry: FAST_RETRY, onPoll: (r) => results.push(r) }).start();
    // Act
    while (results.length < 2) await new Promise((r) => setTimeout(r, 50));
    await poller.stop();
    // Assess
    expect(results[0]).toMatchObject({ ok: false, kind: 'http', retryAfterMs: 2_000 });
    expect(results[1]!.ok).toBe(true);
    expect(server.times[1]! - server.times[0]!).toBeGreaterThanOrEqual(1_990);
    expect(poller.stats().skipped).toBeGreaterThanOrEqual(3);
  });

  it('stop() aborts a request under way without counting a failure', async () => {
    // Prepare: the server never answers. A poll's deadline is its slot's end less a guard, which cuts the request
    // (a counted timeout) when the test runs across it: a daily slot, started well clear of its end.
    const server = await serve(() => undefined);
    await clearOfUtcMidnight(5_000, 40_000);
    const target = { ...pollTargetOf(cryptoQuotes, { url: server.url }), intervalMs: 86_400_000 };
    const poller = new HttpPoller({ target, producer: new MemoryProducer(), immediate: true, timeoutMs: 30_000 }).start();
    while (server.times.length === 0) await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    // Act
    await poller.stop();
    // Assess
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(poller.stats()).toMatchObject({ polls: 0, failures: 0, running: false });
  });

  it('without a URL polls the source simulated API through the same path', async () => {
    // Prepare
    const target = pollTargetOf(cryptoQuotes);
    const producer = new MemoryProducer();
    // Act: with time of its own (the current 5-minute slot may end a second from now, and a loaded machine is slow)
    const r = await pollOnce({ target, producer, timeoutMs: 30_000, deadlineMs: Date.now() + 60_000 });
    // Assess
    expect(target).toMatchObject({ simulated: true, url: cryptoQuotes.poller!.defaultUrl, intervalMs: FIVE_MIN });
    expect(r, JSON.stringify(r)).toMatchObject({ ok: true, records: SIM_COINS.length });
    const batches: BatchSummary[] = [];
    const handler = createStreamTransform({ lake: new FileObjectStore(tempDir()), onBatch: (b) => batches.push(b) });
    await handler(kinesisEvent(producer.put.map((e) => ({ data: e.data, partitionKey: e.partitionKey }))));
    expect(batches[0]).toMatchObject({ quarantined: 0, rowsByTable: { crypto_quotes: SIM_COINS.length } });
  });

  it('formats a status line', () => {
    expect(
      formatPollerStatus({
        name: 'crypto-quotes',
        polls: 12,
        failures: 1,
        records: 240,
        retries: 2,
        skipped: 0,
        lastSuccessMs: Date.UTC(2026, 10, 2, 10, 5, 0, 400),
        lastFailure: { atMs: Date.UTC(2026, 10, 2, 9, 0), kind: 'http', reason: 'HTTP 500' },
        nextPollMs: Date.UTC(2026, 10, 2, 10, 10),
        running: true,
      }),
    ).toBe('crypto-quotes: 12 polls, 1 failed, 240 records, last success 10:05:00Z, next 10:10:00Z');
  });
});
