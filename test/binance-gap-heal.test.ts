/**
 * The Binance live connector healing trade-id gaps from Binance's REST API
 * (`/api/v3/historicalTrades`), against the local WebSocket server that speaks
 * Binance's stream protocol and a local HTTP server that answers like Binance's
 * REST API (test/helpers/binance-rest-server.ts): a gap healed into the lake,
 * a late socket copy of a missing trade, paging and the per-gap limit, 429 with
 * Retry-After, a 500 then success, an unreachable API.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { historicalTradesUrl, restTradeMessage } from '../src/adapters/binance/gap-healer.js';
import { type BinanceLive, type BinanceLiveOptions, formatBinanceLiveStatus, inspectFrame, startBinanceLive } from '../src/adapters/binance/live-connector.js';
import type { PutEntry, PutRecordsResult, StreamProducer } from '../src/ingest/stream-producer.js';
import { createStreamTransform } from '../src/ingest/stream-transform.js';
import { CheckpointStore } from '../src/local/checkpoints.js';
import { DEFAULT_EVENT_SOURCE_SETTINGS, ShardPoller } from '../src/local/event-source.js';
import { FileObjectStore } from '../src/local/file-object-store.js';
import { LocalStream } from '../src/local/local-stream.js';
import { LocalStreamProducer } from '../src/local/local-stream-producer.js';
import { JsonlDeadLetters } from '../src/local/on-failure.js';
import { scanTradeMessage } from '../src/sources/binance-trades/binance-fast.js';
import { parsePayload } from '../src/sources/binance-trades/index.js';
import { BinanceRestServer, restTrade } from './helpers/binance-rest-server.js';
import { BinanceWsServer, binanceTrade, combined, TRADE_T0, until } from './helpers/binance-ws-server.js';
import { duck, tempDir } from './helpers/lake-files.js';

const FAST_RECONNECT = { baseDelayMs: 20, maxDelayMs: 100 };
const FAST_RETRY = { maxRetries: 3, baseDelayMs: 20, maxDelayMs: 50, minAttemptMs: 0 };
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

class MemoryProducer implements StreamProducer {
  readonly put: PutEntry[] = [];
  async putRecords(entries: readonly PutEntry[]): Promise<PutRecordsResult> {
    this.put.push(...entries);
    return { failed: [] };
  }
}

/** Trade ids of `symbol` in what a producer put, in put order. */
const putIds = (entries: readonly PutEntry[], symbol: string) =>
  entries.flatMap((e) => {
    const t = inspectFrame(e.data).trade;
    return t && t.symbol === symbol ? [t.id] : [];
  });
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

let ws: BinanceWsServer | undefined;
let rest: BinanceRestServer | undefined;
let live: BinanceLive | undefined;
afterEach(async () => {
  await live?.stop(1_000);
  await ws?.close();
  await rest?.close();
  live = undefined;
  ws = undefined;
  rest = undefined;
});

/** Starts both servers and a connector on BTCUSDT healing from the REST server; returns the first socket connection. */
async function start(producer: StreamProducer, over: Partial<BinanceLiveOptions> = {}, heal: Partial<NonNullable<BinanceLiveOptions['heal']>> = {}) {
  ws = await BinanceWsServer.start();
  rest = await BinanceRestServer.start();
  live = startBinanceLive({
    url: ws.url,
    symbols: ['BTCUSDT'],
    producer,
    reconnect: FAST_RECONNECT,
    putter: { lingerMs: 5 },
    heal: { url: rest.url, retry: FAST_RETRY, ...heal },
    ...over,
  });
  return ws.connection(0);
}

const sendIds = (c: { ws: { send(s: string): void } }, ids: number[]) => {
  for (const id of ids) c.ws.send(combined('BTCUSDT', binanceTrade('BTCUSDT', id)));
};

describe('REST trades as stream messages (pure)', () => {
  it('turns a historicalTrades item into a trade message the source parses like a websocket trade', () => {
    // Prepare: Binance's documented example item
    const item = { id: 28457, price: '4.00000100', qty: '12.00000000', quoteQty: '48.000012', time: 1499865549590, isBuyerMaker: true, isBestMatch: true };
    // Act
    const healed = restTradeMessage('BNBBTC', item)!;
    const parsed = parsePayload(healed.text, 'BNBBTC', { nowUs: Date.UTC(2026, 0, 1) * 1000 });
    // Assess: the exchange's key order (the transform's fast scanner reads it too), the fields as Binance sent them
    expect(healed.text).toBe('{"e":"trade","E":1499865549590,"s":"BNBBTC","t":28457,"p":"4.00000100","q":"12.00000000","T":1499865549590,"m":true,"M":true}');
    expect(scanTradeMessage(healed.text)).toMatchObject({ s: 'BNBBTC', t: 28457, p: '4.00000100', q: '12.00000000', T: 1499865549590, m: true });
    expect(parsed).toMatchObject({
      ok: true,
      trade: { symbol: 'BNBBTC', tradeId: 28457, price: 4.000001, quantity: 12, isBuyerMaker: true, tradeTimeUs: 1499865549590_000, source: 'binance-ws' },
    });
    expect({ id: healed.id, timeMs: healed.timeMs }).toEqual({ id: 28457, timeMs: 1499865549590 });
  });

  it('keeps a bad value for the transform to quarantine, and skips an item without a usable id or time', () => {
    // Act
    const badPrice = restTradeMessage('BTCUSDT', { ...restTrade('BTCUSDT', 5), price: 7 })!;
    // Assess
    expect(parsePayload(badPrice.text, 'BTCUSDT', { nowUs: Date.now() * 1000 })).toMatchObject({ ok: false, rejection: { code: 'WRONG_TYPE' } });
    expect(restTradeMessage('BTCUSDT', { ...restTrade('BTCUSDT', 5), id: '5' })).toBeUndefined();
    expect(restTradeMessage('BTCUSDT', { ...restTrade('BTCUSDT', 5), time: null })).toBeUndefined();
    expect(restTradeMessage('BTCUSDT', [1, 2])).toBeUndefined();
    expect(historicalTradesUrl('https://api.binance.com', 'BTCUSDT', 61, 5)).toBe(
      'https://api.binance.com/api/v3/historicalTrades?symbol=BTCUSDT&fromId=61&limit=5',
    );
  });
});

describe('Binance live connector: healing gaps from the REST API', () => {
  it('heals a gap into the lake: every trade once, also when the socket later sends the missing ones again', async () => {
    // Prepare: the connector on the local stream, BTCUSDT and ETHUSDT.
    const dir = tempDir();
    const stream = LocalStream.open(join(dir, 'stream'), 'ticklake-events', 2);
    const c = await start(new LocalStreamProducer(stream), { symbols: ['BTCUSDT', 'ETHUSDT'] });
    // Act: 61-65 never come through the socket; after the heal the socket sends them late (a server replay).
    sendIds(c, range(1, 60));
    for (const id of range(1, 10)) c.ws.send(combined('ETHUSDT', binanceTrade('ETHUSDT', id)));
    sendIds(c, range(66, 80));
    await until(() => live!.status().healedTrades === 5 && live!.status().healsUnderWay === 0, 'the heal');
    sendIds(c, range(61, 65));
    await until(() => live!.status().duplicates === 5, 'the late copies');
    const final = await live!.stop();
    live = undefined;
    // The stream transform, run by the local shard pollers, into the lake.
    const lake = join(dir, 'lake');
    const transform = createStreamTransform({ lake: new FileObjectStore(lake), clock: () => TRADE_T0 + 3_600_000 });
    const settings = { ...DEFAULT_EVENT_SOURCE_SETTINGS, batchSize: 50, maximumBatchingWindowMs: 0 };
    const checkpoints = new CheckpointStore(join(dir, 'cp'));
    const dlq = new JsonlDeadLetters(join(dir, 'dlq.jsonl'));
    await Promise.all([0, 1].map((i) => new ShardPoller(stream, i, transform, checkpoints, dlq, settings).run(() => true)));
    const rows = await duck(
      `SELECT symbol, trade_id, count(*)::INTEGER AS n, min(price) AS price, min(quantity) AS quantity, bool_and(is_buyer_maker) AS maker,
              min(epoch_ms(trade_time))::BIGINT AS t FROM read_parquet('${lake}/curated/trades/**/*.parquet') GROUP BY ALL ORDER BY symbol, trade_id`,
    );

    // Assess: every trade in the lake exactly once; the healed rows equal what the socket would have given.
    const ids = (symbol: string) => rows.filter((r) => r.symbol === symbol).map((r) => Number(r.trade_id));
    expect(ids('BTCUSDT')).toEqual(range(1, 80));
    expect(ids('ETHUSDT')).toEqual(range(1, 10));
    expect(rows.every((r) => r.n === 1)).toBe(true);
    const healed = rows.filter((r) => r.symbol === 'BTCUSDT' && Number(r.trade_id) >= 61 && Number(r.trade_id) <= 65);
    expect(healed.map((r) => ({ price: r.price, quantity: r.quantity, maker: r.maker, t: Number(r.t) }))).toEqual(
      range(61, 65).map((id) => {
        const x = restTrade('BTCUSDT', id);
        return { price: Number(x.price), quantity: Number(x.qty), maker: x.isBuyerMaker, t: TRADE_T0 + id };
      }),
    );
    expect(existsSync(join(lake, 'quarantine'))).toBe(false);
    // One request covered the gap; the counters and the status line say so.
    expect(rest!.requests.map((r) => [r.path, r.symbol, r.fromId, r.limit])).toEqual([['/api/v3/historicalTrades', 'BTCUSDT', 61, 5]]);
    expect(final).toMatchObject({ gaps: 1, gapTrades: 5, healedTrades: 5, healFailures: 0, healRequests: 1, duplicates: 5, tradesPut: 90, buffered: 0 });
    expect(formatBinanceLiveStatus(final)).toContain(', 1 gap (5 missing, 5 healed), ');
  });

  it('puts a missing trade the socket delivers while its heal is under way once, from the socket', async () => {
    // Prepare: a REST API that takes 300 ms to answer.
    const producer = new MemoryProducer();
    const c = await start(producer);
    rest!.ledgerDelayMs = 300;
    // Act: the gap 61-65, then 63 arrives late through the socket before the REST answer.
    sendIds(c, [...range(1, 60), ...range(66, 70)]);
    await until(() => rest!.requests.length === 1, 'the heal request');
    sendIds(c, [63]);
    await until(() => live!.status().healsUnderWay === 0, 'the heal');
    const final = await live!.stop();
    live = undefined;
    // Assess: 1-70 once each; four healed from REST, 63 from the socket.
    expect(sorted(putIds(producer.put, 'BTCUSDT'))).toEqual(range(1, 70));
    expect(final).toMatchObject({ healedTrades: 4, healFailures: 0, duplicates: 0, tradesPut: 70 });
    expect(producer.put.filter((e) => inspectFrame(e.data).trade?.id === 63).map((e) => e.data)).toEqual([combined('BTCUSDT', binanceTrade('BTCUSDT', 63))]);
  });

  it('pages through a gap 1,000 trades at a time, up to the per-gap limit; the rest counts as a failed heal', async () => {
    // Prepare: a gap of 2,500 trades, 2,000 healed at most.
    const producer = new MemoryProducer();
    const c = await start(producer, {}, { maxTradesPerGap: 2_000 });
    // Act
    sendIds(c, [1, 2_502]);
    await until(() => live!.status().healFailures === 1, 'the heal to end');
    const final = await live!.stop();
    live = undefined;
    // Assess
    expect(rest!.requests.map((r) => [r.fromId, r.limit])).toEqual([
      [2, 1_000],
      [1_002, 1_000],
    ]);
    expect(sorted(putIds(producer.put, 'BTCUSDT'))).toEqual([...range(1, 2_001), 2_502]);
    expect(final).toMatchObject({ gapTrades: 2_500, healedTrades: 2_000, healFailures: 1, healRequests: 2 });
    expect(formatBinanceLiveStatus(final)).toContain('1 gap (2,500 missing, 2,000 healed, 1 heal failed)');
  });

  it("honours a 429's Retry-After before asking again", async () => {
    // Prepare: the first answer is a 429 asking for 1 s.
    const producer = new MemoryProducer();
    const c = await start(producer);
    rest!.script.push({ status: 429, headers: { 'retry-after': '1' } });
    // Act
    sendIds(c, [...range(1, 10), ...range(16, 20)]);
    await until(() => live!.status().healedTrades === 5, 'the heal', 10_000);
    const final = await live!.stop();
    live = undefined;
    // Assess: the second request came a second after the first, not after the 20 ms backoff.
    const [first, second] = rest!.requests;
    expect(rest!.requests).toHaveLength(2);
    expect(second!.atMs - first!.atMs).toBeGreaterThanOrEqual(950);
    expect(sorted(putIds(producer.put, 'BTCUSDT'))).toEqual(range(1, 20));
    expect(final).toMatchObject({ healedTrades: 5, healFailures: 0, healRequests: 2 });
  });

  it('retries a 500 with backoff, then heals', async () => {
    // Prepare
    const producer = new MemoryProducer();
    const c = await start(producer);
    rest!.script.push({ status: 500, body: '{"code":-1000,"msg":"An unknown error occurred"}' });
    // Act
    sendIds(c, [...range(1, 10), ...range(13, 15)]);
    await until(() => live!.status().healedTrades === 2, 'the heal');
    const final = await live!.stop();
    live = undefined;
    // Assess
    expect(rest!.requests.map((r) => r.fromId)).toEqual([11, 11]);
    expect(sorted(putIds(producer.put, 'BTCUSDT'))).toEqual(range(1, 15));
    expect(final).toMatchObject({ healedTrades: 2, healFailures: 0, healRequests: 2 });
  });

  it('does not let a heal waiting for room in the buffer hold up a stop when the stream takes nothing', async () => {
    // Prepare: a stream that never answers, a buffer of 20, a gap whose heal then waits for room.
    const stuck: StreamProducer = { putRecords: () => new Promise<PutRecordsResult>(() => {}) };
    const c = await start(stuck, { putter: { lingerMs: 0, maxEntries: 5, highWaterMark: 20, lowWaterMark: 10 } });
    sendIds(c, [...range(1, 10), ...range(16, 30)]);
    await until(() => rest!.requests.length === 1 && live!.status().paused, 'the heal request and back-pressure');
    // Act
    const t0 = Date.now();
    const final = await live!.stop(300);
    live = undefined;
    // Assess: the stop ended by its timeout, with the records not put still counted as buffered.
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(final.buffered).toBeGreaterThan(0);
    expect(final.tradesPut).toBe(0);
  });

  it('counts an unreachable REST API as a failed heal and carries on', async () => {
    // Prepare: a port nothing listens on.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const producer = new MemoryProducer();
    const warnings: string[] = [];
    const logger = { info() {}, warn: (m: string) => warnings.push(m), error() {} };
    const c = await start(producer, { logger }, { url: `http://127.0.0.1:${port}` });
    // Act
    sendIds(c, [...range(1, 10), ...range(16, 20)]);
    await until(() => live!.status().healFailures === 1, 'the failed heal');
    sendIds(c, range(21, 25));
    await until(() => live!.status().tradesPut === 20, 'the later trades');
    const s = live!.status();
    // Assess: four attempts (three retries), nothing healed, the connector still connected and putting.
    expect(s).toMatchObject({ connected: true, healedTrades: 0, healFailures: 1, healRequests: 4, healsUnderWay: 0, gapTrades: 5 });
    expect(sorted(putIds(producer.put, 'BTCUSDT'))).toEqual([...range(1, 10), ...range(16, 25)]);
    expect(warnings).toContain('binance-live: heal failed; the trades stay missing');
    expect(formatBinanceLiveStatus(s)).toMatch(/^connected, .*, 1 gap \(5 missing, 0 healed, 1 heal failed\), /);
  });
});
