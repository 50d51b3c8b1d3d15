/**
 * The Binance live connector against a local WebSocket server that speaks
 * Binance's protocol (test/helpers/binance-ws-server.ts): combined and raw
 * frames, pings, an abrupt drop, a server close (1001), malformed frames, a
 * trade-id gap, a proactive rotation, a silent connection, and a slow stream
 * (back-pressure). End to end, trades go connector → local stream producer →
 * local stream → shard pollers running the real stream transform → a temp lake,
 * read back with DuckDB.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BINANCE_WS_URL,
  type BinanceLive,
  type BinanceLiveStatus,
  binanceStreamUrl,
  formatBinanceLiveStatus,
  inspectFrame,
  startBinanceLive,
  type TradeGap,
  UNKEYED_PARTITION_KEY,
} from '../src/adapters/binance/live-connector.js';
import type { PutEntry, PutRecordsResult, StreamProducer } from '../src/ingest/stream-producer.js';
import { createStreamTransform } from '../src/ingest/stream-transform.js';
import { CheckpointStore } from '../src/local/checkpoints.js';
import { DEFAULT_EVENT_SOURCE_SETTINGS, ShardPoller } from '../src/local/event-source.js';
import { FileObjectStore } from '../src/local/file-object-store.js';
import { LocalStream } from '../src/local/local-stream.js';
import { LocalStreamProducer } from '../src/local/local-stream-producer.js';
import { JsonlDeadLetters } from '../src/local/on-failure.js';
import { BinanceWsServer, binanceTrade, combined, TRADE_T0, until } from './helpers/binance-ws-server.js';
import { duck, tempDir } from './helpers/lake-files.js';

const FAST_RECONNECT = { baseDelayMs: 20, maxDelayMs: 100 };

/** A producer that records what it puts, optionally slowly. */
class MemoryProducer implements StreamProducer {
  readonly put: PutEntry[] = [];
  calls = 0;
  constructor(private readonly delayMs = 0) {}
  async putRecords(entries: readonly PutEntry[]): Promise<PutRecordsResult> {
    this.calls++;
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    this.put.push(...entries.map((e) => ({ partitionKey: e.partitionKey, data: e.data })));
    return { failed: [] };
  }
}

/** Trade ids per symbol in what a producer put (parsed from the frames). */
function putIds(entries: readonly PutEntry[], symbol: string): number[] {
  return entries.flatMap((e) => {
    const t = inspectFrame(e.data).trade;
    return t && t.symbol === symbol ? [t.id] : [];
  });
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

let server: BinanceWsServer | undefined;
let live: BinanceLive | undefined;
afterEach(async () => {
  await live?.stop(1_000);
  await server?.close();
  live = undefined;
  server = undefined;
});

describe('stream URL and frames (pure)', () => {
  it('builds the combined-stream URL from the symbols, and the raw one on /ws', () => {
    expect(binanceStreamUrl(BINANCE_WS_URL, ['BTCUSDT', 'ETHUSDT'])).toBe('wss://stream.binance.com:9443/stream?streams=btcusdt@trade/ethusdt@trade');
    expect(binanceStreamUrl('ws://127.0.0.1:9000/', ['BTCUSDT'])).toBe('ws://127.0.0.1:9000/stream?streams=btcusdt@trade');
    expect(binanceStreamUrl('wss://data-stream.binance.vision/stream', ['SOLUSDT'])).toBe('wss://data-stream.binance.vision/stream?streams=solusdt@trade');
    expect(binanceStreamUrl('wss://stream.binance.com:9443/ws', ['BTCUSDT'])).toBe('wss://stream.binance.com:9443/ws/btcusdt@trade');
    expect(binanceStreamUrl('ws://h/stream?streams=x@trade', ['BTCUSDT'])).toBe('ws://h/stream?streams=x@trade');
    expect(() => binanceStreamUrl('wss://h/ws', ['BTCUSDT', 'ETHUSDT'])).toThrow(/one stream/);
    expect(() => binanceStreamUrl(BINANCE_WS_URL, ['btcusdt'])).toThrow(/upper-case/);
    expect(() => binanceStreamUrl('https://h', ['BTCUSDT'])).toThrow(/ws:\/\//);
  });

  it('reads symbol and trade id from combined and raw frames, and a key from what it can of a malformed one', () => {
    const msg = binanceTrade('BTCUSDT', 42);
    expect(inspectFrame(msg)).toEqual({ trade: { symbol: 'BTCUSDT', id: 42, timeMs: TRADE_T0 + 42 }, symbol: 'BTCUSDT' });
    expect(inspectFrame(combined('ETHUSDT', binanceTrade('ETHUSDT', 7)))).toMatchObject({ trade: { symbol: 'ETHUSDT', id: 7 } });
    expect(inspectFrame(combined('BTCUSDT', msg).slice(0, 60))).toEqual({ symbol: 'BTCUSDT' });
    expect(inspectFrame('{"stream":"ethusdt@trade","data":{"e":"trade","s":"ETHUSDT","t":"7"}}')).toEqual({ symbol: 'ETHUSDT' });
    expect(inspectFrame('<html><body><h1>502 Bad Gateway</h1></body></html>')).toEqual({});
    expect(inspectFrame('{"result":null,"id":1}')).toEqual({});
    expect(inspectFrame('')).toEqual({});
  });
});

describe('Binance live connector', () => {
  it('lands every trade once through drops, a 1001 close, raw frames and duplicates; quarantines malformed frames; counts the gap', async () => {
    // Prepare: the connector on the local stream; the server scripted connection by connection.
    server = await BinanceWsServer.start();
    const dir = tempDir();
    const stream = LocalStream.open(join(dir, 'stream'), 'ticklake-events', 2);
    const warnings: Record<string, unknown>[] = [];
    const statuses: BinanceLiveStatus[] = [];
    const gaps: TradeGap[] = [];
    const logger = { info() {}, warn: (m: string, x?: Record<string, unknown>) => warnings.push({ m, ...x }), error() {} };
    live = startBinanceLive({
      url: server.url,
      symbols: ['BTCUSDT', 'ETHUSDT'],
      producer: new LocalStreamProducer(stream),
      logger,
      reconnect: FAST_RECONNECT,
      putter: { lingerMs: 5 },
      onStatus: (s) => statuses.push(s),
      statusIntervalMs: 10,
      onGap: (g) => gaps.push(g),
    });
    const settled = (trades: number, malformed: number) => () => {
      const s = live!.status();
      return s.trades === trades && s.malformed === malformed && s.buffered === 0;
    };
    const malformed = [
      combined('BTCUSDT', binanceTrade('BTCUSDT', 41)).slice(0, 70),
      '<html><body><h1>502 Bad Gateway</h1></body></html>',
      combined('ETHUSDT', binanceTrade('ETHUSDT', 21, { p: 'abc' })),
    ];

    // Act 1: combined frames, a ping, two malformed frames, then an abrupt drop.
    const c1 = await server.connection(0);
    for (const id of range(1, 40)) {
      c1.ws.send(combined('BTCUSDT', binanceTrade('BTCUSDT', id)));
      if (id <= 20) c1.ws.send(combined('ETHUSDT', binanceTrade('ETHUSDT', id)));
    }
    const pong = await server.ping(c1, 'ping-1');
    c1.ws.send(malformed[0]!);
    c1.ws.send(malformed[1]!);
    await until(settled(60, 2), 'the first 60 trades and 2 malformed frames');
    c1.ws.terminate();

    // Act 2: after the reconnect, a replay of trades already seen, raw frames, a bad trade and a gap (61-65 never sent), then a 1001 close.
    const c2 = await server.connection(1);
    for (const id of range(36, 60)) c2.ws.send(binanceTrade('BTCUSDT', id));
    c2.ws.send(malformed[2]!);
    for (const id of range(22, 30)) c2.ws.send(combined('ETHUSDT', binanceTrade('ETHUSDT', id)));
    for (const id of range(66, 80)) c2.ws.send(combined('BTCUSDT', binanceTrade('BTCUSDT', id)));
    await until(settled(60 + 20 + 1 + 9 + 15, 2), 'the trades of the second connection');
    c2.ws.close(1001, 'going away');

    // Act 3: a third connection; then stop.
    const c3 = await server.connection(2);
    for (const id of range(81, 90)) c3.ws.send(combined('BTCUSDT', binanceTrade('BTCUSDT', id)));
    for (const id of range(31, 35)) c3.ws.send(binanceTrade('ETHUSDT', id));
    await until(settled(105 + 15, 2), 'the trades of the third connection');
    await until(() => statuses.some((s) => s.connected && s.trades > 0), 'a status report');
    const final = await live.stop();
    live = undefined;
    // The stream transform, run by the local shard pollers, into the lake.
    const lake = join(dir, 'lake');
    const transform = createStreamTransform({ lake: new FileObjectStore(lake), clock: () => TRADE_T0 + 3_600_000 });
    const checkpoints = new CheckpointStore(join(dir, 'cp'));
    const dlq = new JsonlDeadLetters(join(dir, 'dlq.jsonl'));
    const settings = { ...DEFAULT_EVENT_SOURCE_SETTINGS, batchSize: 50, maximumBatchingWindowMs: 0 };
    await Promise.all([0, 1].map((i) => new ShardPoller(stream, i, transform, checkpoints, dlq, settings).run(() => true)));
    const trades = await duck(
      `SELECT symbol, trade_id, count(*)::INTEGER AS n FROM read_parquet('${lake}/curated/trades/**/*.parquet') GROUP BY ALL ORDER BY symbol, trade_id`,
    );
    const quarantine = await duck(
      `SELECT reason_code, raw_payload, partition_key FROM read_parquet('${lake}/quarantine/quarantine/**/*.parquet') ORDER BY raw_payload`,
    );

    // Assess: every trade sent is in the lake exactly once, nothing else.
    expect(c1.path).toBe('/stream?streams=btcusdt@trade/ethusdt@trade');
    expect(pong).toBe('ping-1');
    const ids = (symbol: string) => trades.filter((r) => r.symbol === symbol).map((r) => Number(r.trade_id));
    expect(ids('BTCUSDT')).toEqual([...range(1, 60), ...range(66, 90)]);
    expect(ids('ETHUSDT')).toEqual([...range(1, 20), ...range(22, 35)]);
    expect(trades.every((r) => r.n === 1)).toBe(true);
    // The malformed frames are quarantined with reasons, as sent, on their symbol's key when one was readable.
    expect(quarantine).toEqual(
      [
        { reason_code: 'MALFORMED_JSON', raw_payload: malformed[0], partition_key: 'BTCUSDT' },
        { reason_code: 'UNKNOWN_FORMAT', raw_payload: malformed[1], partition_key: UNKEYED_PARTITION_KEY },
        { reason_code: 'BAD_NUMBER', raw_payload: malformed[2], partition_key: 'ETHUSDT' },
      ].sort((a, b) => (a.raw_payload! < b.raw_payload! ? -1 : 1)),
    );
    // The gap is counted (and logged with its size), the replay skipped, the reconnects and the ping seen.
    expect(final).toMatchObject({ gaps: 1, gapTrades: 5, duplicates: 5, reconnects: 2, malformed: 2, tradesPut: 120, malformedPut: 2, buffered: 0 });
    expect(final.pings).toBeGreaterThanOrEqual(1);
    expect(final.lastTradeIds).toEqual({ BTCUSDT: 90, ETHUSDT: 35 });
    expect(warnings).toContainEqual(
      expect.objectContaining({ m: 'binance-live: trade-id gap', symbol: 'BTCUSDT', afterTradeId: 60, nextTradeId: 66, missing: 5 }),
    );
    await c3.closed;
    expect(c3.closeCode).toBe(1000);
    expect(gaps).toEqual([{ symbol: 'BTCUSDT', afterTradeId: 60, nextTradeId: 66, missing: 5 }]);
    expect(formatBinanceLiveStatus(final)).toMatch(
      /^disconnected, [\d.]+ msg\/s, 120 trades put, 1 gap \(5 missing\), 2 reconnects, last trade [\d.]+ s ago, 0 buffered, 2 malformed$/,
    );
  });

  it('rotates the connection before its maximum age without losing or doubling a trade', async () => {
    // Prepare: an exchange feed that sends each new trade to every open connection, every 2 ms.
    server = await BinanceWsServer.start();
    const producer = new MemoryProducer();
    live = startBinanceLive({ url: server.url, symbols: ['BTCUSDT'], producer, reconnect: FAST_RECONNECT, maxConnectionMs: 250, putter: { lingerMs: 5 } });
    let next = 1;
    const feed = setInterval(() => {
      const frame = combined('BTCUSDT', binanceTrade('BTCUSDT', next++));
      for (const c of server!.conns) if (c.ws.readyState === c.ws.OPEN) c.ws.send(frame);
    }, 2);
    // Act
    await until(() => live!.status().rotations >= 3, '3 rotations');
    clearInterval(feed);
    const lastSent = next - 1;
    await until(() => live!.status().lastTradeIds.BTCUSDT === lastSent, 'the last trade');
    const final = await live.stop();
    live = undefined;
    // Assess: from the first trade received on, every trade once, no gap; the old connections closed by the client.
    const ids = putIds(producer.put, 'BTCUSDT');
    await Promise.all(server.conns.slice(0, 3).map((c) => c.closed));
    expect(ids).toEqual(range(ids[0]!, lastSent));
    expect(final).toMatchObject({ gaps: 0, reconnects: 0 });
    expect(final.rotations).toBeGreaterThanOrEqual(3);
    expect(final.duplicates).toBeGreaterThan(0);
    expect(server.conns.slice(0, 3).map((c) => c.closeCode)).toEqual([1000, 1000, 1000]);
  });

  it('pauses the socket while the stream is slow, and still puts every trade once', async () => {
    // Prepare: a stream that takes 10 ms per call of at most 50 records; a burst of 5,000 trades.
    server = await BinanceWsServer.start();
    const producer = new MemoryProducer(10);
    live = startBinanceLive({
      url: server.url,
      symbols: ['ETHUSDT'],
      producer,
      reconnect: FAST_RECONNECT,
      putter: { lingerMs: 0, maxEntries: 50, highWaterMark: 200, lowWaterMark: 100 },
    });
    const c = await server.connection(0);
    // Act
    for (const id of range(1, 5_000)) c.ws.send(combined('ETHUSDT', binanceTrade('ETHUSDT', id)));
    await until(() => live!.status().tradesPut === 5_000, 'all trades put', 30_000);
    const final = await live.stop();
    live = undefined;
    // Assess: the buffer stayed near its high-water mark (a socket read past it at most), not the whole burst.
    expect(putIds(producer.put, 'ETHUSDT')).toEqual(range(1, 5_000));
    expect(final.pauses).toBeGreaterThan(0);
    expect(final.putter.maxBuffered).toBeLessThan(1_000);
    expect(final).toMatchObject({ gaps: 0, duplicates: 0, reconnects: 0 });
  });

  it('on stop(), takes the frames still in flight, puts everything buffered and closes with 1000', async () => {
    // Prepare: a slow stream and a burst the connector is still reading when it is stopped.
    server = await BinanceWsServer.start();
    const producer = new MemoryProducer(10);
    live = startBinanceLive({
      url: server.url,
      symbols: ['BTCUSDT'],
      producer,
      reconnect: FAST_RECONNECT,
      putter: { lingerMs: 0, maxEntries: 50, highWaterMark: 200, lowWaterMark: 100 },
    });
    const c = await server.connection(0);
    for (const id of range(1, 2_000)) c.ws.send(combined('BTCUSDT', binanceTrade('BTCUSDT', id)));
    await until(() => live!.status().paused, 'back-pressure');
    // Act
    const final = await live.stop();
    live = undefined;
    await c.closed;
    // Assess
    expect(final.buffered).toBe(0);
    expect(final.tradesPut).toBe(2_000);
    expect(putIds(producer.put, 'BTCUSDT')).toEqual(range(1, 2_000));
    expect(c.closeCode).toBe(1000);
  });

  it('replaces a connection that has gone silent (no frame, no ping)', async () => {
    // Prepare: a server that accepts and then says nothing.
    server = await BinanceWsServer.start();
    live = startBinanceLive({ url: `${server.url}/ws`, symbols: ['BTCUSDT'], producer: new MemoryProducer(), reconnect: FAST_RECONNECT, staleAfterMs: 1_000 });
    // Act
    const first = await server.connection(0);
    const second = await server.connection(1);
    const final = await live.stop();
    live = undefined;
    // Assess: the raw endpoint was used, and the silent connection replaced.
    await first.closed;
    expect(first.path).toBe('/ws/btcusdt@trade');
    expect(second.path).toBe('/ws/btcusdt@trade');
    expect(final).toMatchObject({ reconnects: 1, connectFailures: 1 });
  });

  it('keeps reconnecting with backoff while the server refuses, then delivers', async () => {
    // Prepare: a server that drops the first three connections at once.
    server = await BinanceWsServer.start();
    const producer = new MemoryProducer();
    live = startBinanceLive({ url: server.url, symbols: ['BTCUSDT'], producer, reconnect: FAST_RECONNECT, putter: { lingerMs: 0 } });
    // Act
    for (const n of [0, 1, 2]) (await server.connection(n)).ws.terminate();
    const c = await server.connection(3);
    c.ws.send(combined('BTCUSDT', binanceTrade('BTCUSDT', 1)));
    await until(() => live!.status().tradesPut === 1, 'the trade');
    // Assess
    expect(live.status()).toMatchObject({ reconnects: 3, connectFailures: 3, connected: true, gaps: 0 });
    expect(putIds(producer.put, 'BTCUSDT')).toEqual([1]);
    expect(producer.put[0]!.partitionKey).toBe('BTCUSDT');
  });
});
