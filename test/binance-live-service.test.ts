/**
 * The Binance live connector's process (src/cli/binance-live-service.ts, run by
 * bin/binance-live.ts in the ECS container): configuration from the
 * environment, the EMF heartbeat line, JSON logs, and the run loop (in-process
 * against the local Binance-speaking server, stopped by a SIGTERM).
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { emfLine } from '../src/adapters/aws/emf.js';
import { BINANCE_WS_URL, type BinanceLiveStatus } from '../src/adapters/binance/live-connector.js';
import {
  EXIT,
  HEARTBEAT_METRICS,
  heartbeatLine,
  jsonLogger,
  parseServiceConfig,
  runBinanceLiveService,
  PutTracker,
  ServiceConfigError,
} from '../src/cli/binance-live-service.js';
import type { PutEntry, PutRecordsResult, StreamProducer } from '../src/ingest/stream-producer.js';
import { BinanceWsServer, binanceTrade, combined, TRADE_T0, until } from './helpers/binance-ws-server.js';

function configProblem(env: Record<string, string>): string {
  try {
    parseServiceConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ServiceConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a configuration error');
}

describe('configuration from the environment', () => {
  it('needs only the stream name; everything else has a default', () => {
    const c = parseServiceConfig({ STREAM_NAME: 'ticklake-dev-events' });
    expect(c).toEqual({
      streamName: 'ticklake-dev-events',
      symbols: ['BTCUSDT', 'ETHUSDT'],
      wsUrl: BINANCE_WS_URL,
      streamUrl: 'wss://stream.binance.com:9443/stream?streams=btcusdt@trade/ethusdt@trade',
      keySpread: 1,
      heartbeatMs: 60_000,
      stopTimeoutMs: 20_000,
      namespace: 'ticklake',
      service: 'binance-live',
      logLevel: 'INFO',
    });
  });

  it('reads every setting, trimming spaces; empty values take the default', () => {
    const c = parseServiceConfig({
      STREAM_NAME: ' events ',
      BINANCE_SYMBOLS: 'SOLUSDT, BNBUSDT ,XRPUSDT',
      BINANCE_WS_URL: 'wss://data-stream.binance.vision',
      BINANCE_REST_URL: 'https://api.binance.com/',
      BINANCE_KEY_SPREAD: '4',
      HEARTBEAT_SECONDS: '0.5',
      STOP_TIMEOUT_SECONDS: '',
      METRICS_NAMESPACE: 'ticklake-test',
      SERVICE_NAME: 'binance-live-eu',
      LOG_LEVEL: 'debug',
    });
    expect(c).toMatchObject({
      streamName: 'events',
      symbols: ['SOLUSDT', 'BNBUSDT', 'XRPUSDT'],
      streamUrl: 'wss://data-stream.binance.vision/stream?streams=solusdt@trade/bnbusdt@trade/xrpusdt@trade',
      restUrl: 'https://api.binance.com',
      keySpread: 4,
      heartbeatMs: 500,
      stopTimeoutMs: 20_000,
      namespace: 'ticklake-test',
      service: 'binance-live-eu',
      logLevel: 'DEBUG',
    });
  });

  it('names every problem in one line', () => {
    const message = configProblem({
      BINANCE_SYMBOLS: 'btcusdt,ETHUSDT',
      BINANCE_WS_URL: 'https://stream.binance.com',
      BINANCE_KEY_SPREAD: '0',
      HEARTBEAT_SECONDS: 'often',
      LOG_LEVEL: 'LOUD',
    });
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toMatch(/^binance-live: STREAM_NAME is required/);
    expect(message).toMatch(/BINANCE_SYMBOLS: symbols must be 2-20 upper-case letters or digits: btcusdt/);
    expect(message).toMatch(/BINANCE_WS_URL: https:\/\/stream.binance.com is not a ws:\/\/ or wss:\/\/ URL/);
    expect(message).toMatch(/BINANCE_KEY_SPREAD must be an integer from 1 to 64 \(got "0"\)/);
    expect(message).toMatch(/HEARTBEAT_SECONDS must be a number .* \(got "often"\)/);
    expect(message).toMatch(/LOG_LEVEL must be one of DEBUG, INFO, WARN, ERROR \(got "LOUD"\)/);
  });

  it('refuses a bad stream name, repeated symbols, a URL that is not one, and an AWS namespace', () => {
    expect(configProblem({ STREAM_NAME: 'a stream' })).toMatch(/STREAM_NAME must be a Kinesis stream name/);
    expect(configProblem({ STREAM_NAME: 's', BINANCE_SYMBOLS: 'BTCUSDT,BTCUSDT' })).toMatch(/BINANCE_SYMBOLS: a symbol is repeated/);
    expect(configProblem({ STREAM_NAME: 's', BINANCE_WS_URL: 'stream.binance.com' })).toMatch(/BINANCE_WS_URL: not a URL: "stream.binance.com"/);
    expect(configProblem({ STREAM_NAME: 's', BINANCE_WS_URL: 'wss://h/ws' })).toMatch(/BINANCE_WS_URL: a raw \/ws endpoint carries one stream/);
    expect(configProblem({ STREAM_NAME: 's', METRICS_NAMESPACE: 'AWS/ECS' })).toMatch(/METRICS_NAMESPACE is not a custom namespace/);
    expect(configProblem({ STREAM_NAME: 's', BINANCE_REST_URL: 'wss://api.binance.com' })).toMatch(
      /BINANCE_REST_URL: wss:\/\/api.binance.com is not an http:\/\/ or https:\/\/ URL/,
    );
    expect(configProblem({ STREAM_NAME: 's', BINANCE_REST_URL: 'api.binance.com' })).toMatch(/BINANCE_REST_URL: not a URL: "api.binance.com"/);
  });
});

/** A status as the connector reports it. */
function status(over: Partial<BinanceLiveStatus> = {}): BinanceLiveStatus {
  return {
    url: 'wss://stream.binance.com:9443/stream?streams=btcusdt@trade',
    connected: true,
    connectionAgeMs: 1_000,
    messages: 0,
    messagesPerSecond: 0,
    trades: 0,
    tradesPut: 0,
    malformed: 0,
    malformedPut: 0,
    duplicates: 0,
    gaps: 0,
    gapTrades: 0,
    healedTrades: 0,
    healFailures: 0,
    healRequests: 0,
    healsUnderWay: 0,
    reconnects: 0,
    rotations: 0,
    connectFailures: 0,
    pings: 0,
    buffered: 0,
    paused: false,
    pauses: 0,
    lastTradeIds: {},
    putter: { pushed: 0, put: 0, bytesPut: 0, calls: 0, rejectedCalls: 0, resent: 0, buffered: 0, inFlight: 0, maxBuffered: 0, highWaterHits: 0 },
    ...over,
  };
}

const T = Date.UTC(2026, 11, 4, 12, 0, 0);
const OPTIONS = { namespace: 'ticklake', service: 'binance-live', timestampMs: T, newestPutTradeMs: T - 1_250 };

describe('heartbeat (CloudWatch Embedded Metric Format)', () => {
  it('is one JSON line: LastTradeAgeSeconds (of the newest trade put) and the counts since the previous heartbeat, dimension service, in namespace ticklake', () => {
    const first = status({ tradesPut: 1_000, gaps: 2, gapTrades: 7, reconnects: 1, malformed: 3, lastTradeAgeMs: 250, messagesPerSecond: 16.7 });
    const line = heartbeatLine(first, undefined, OPTIONS);
    expect(line).not.toMatch(/\n/);
    const doc = JSON.parse(line);
    expect(doc._aws).toEqual({
      Timestamp: T,
      CloudWatchMetrics: [
        {
          Namespace: 'ticklake',
          Dimensions: [['service']],
          Metrics: [
            { Name: 'LastTradeAgeSeconds', Unit: 'Seconds' },
            { Name: 'TradesPut', Unit: 'Count' },
            { Name: 'Gaps', Unit: 'Count' },
            { Name: 'Reconnects', Unit: 'Count' },
          ],
        },
      ],
    });
    expect(doc).toMatchObject({
      service: 'binance-live',
      LastTradeAgeSeconds: 1.25,
      TradesPut: 1_000,
      Gaps: 2,
      Reconnects: 1,
      level: 'INFO',
      message: 'heartbeat',
      timestamp: '2026-12-04T12:00:00.000Z',
      connected: true,
      lastReceivedTradeAgeSeconds: 0.25,
      gapTrades: 7,
      malformed: 3,
      messagesPerSecond: 16.7,
      totalTradesPut: 1_000,
    });

    // The next one counts from the first.
    const next = JSON.parse(heartbeatLine(status({ tradesPut: 1_600, gaps: 2, gapTrades: 7, reconnects: 3 }), first, { ...OPTIONS, newestPutTradeMs: T - 80 }));
    expect(next).toMatchObject({ TradesPut: 600, Gaps: 0, Reconnects: 2, gapTrades: 0, LastTradeAgeSeconds: 0.08 });
    expect(doc).not.toHaveProperty('healedTrades');
  });

  it('carries the trades healed and the heals failed since the previous heartbeat when gaps are healed', () => {
    // Prepare
    const healing = { healUrl: 'https://api.binance.com' };
    const first = status({ ...healing, gaps: 2, gapTrades: 12, healedTrades: 10, healFailures: 1 });
    // Act
    const doc = JSON.parse(heartbeatLine(status({ ...healing, gaps: 3, gapTrades: 15, healedTrades: 13, healFailures: 1 }), first, OPTIONS));
    // Assess
    expect(doc).toMatchObject({ Gaps: 1, gapTrades: 3, healedTrades: 3, healFailures: 0 });
  });

  it('leaves LastTradeAgeSeconds out before the first trade is put (the alarm sees missing data), and names the last put error', () => {
    const stuck = status({ lastTradeAgeMs: 5_000, buffered: 42, putter: { ...status().putter, lastError: 'AccessDeniedException' } });
    const doc = JSON.parse(heartbeatLine(stuck, undefined, { ...OPTIONS, newestPutTradeMs: undefined }));
    expect(doc._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name)).toEqual(['TradesPut', 'Gaps', 'Reconnects']);
    expect(doc).not.toHaveProperty('LastTradeAgeSeconds');
    expect(doc).toMatchObject({ lastReceivedTradeAgeSeconds: 5, buffered: 42, lastPutError: 'AccessDeniedException' });
  });

  it('names the metrics the CDK alarms on', () => {
    expect(HEARTBEAT_METRICS.lastTradeAge).toBe('LastTradeAgeSeconds');
  });
});

describe('the age of the newest trade put', () => {
  it('counts only trades the stream accepted: not failed entries, not malformed frames', async () => {
    const inner: StreamProducer = {
      // The second entry fails.
      putRecords: async (entries) => ({ failed: entries.length > 1 ? [{ index: 1, code: 'ProvisionedThroughputExceededException' }] : [] }),
    };
    const tracker = new PutTracker(inner);
    const entry = (id: number, data = combined('BTCUSDT', binanceTrade('BTCUSDT', id))) => ({ partitionKey: 'BTCUSDT', data });
    expect(tracker.newestTradeMs).toBeUndefined();
    await tracker.putRecords([entry(0, '<html>502</html>')]);
    expect(tracker.newestTradeMs).toBeUndefined();
    const failed = await tracker.putRecords([entry(5), entry(9), entry(7)]);
    expect(failed.failed.map((f) => f.index)).toEqual([1]);
    expect(tracker.newestTradeMs).toBe(TRADE_T0 + 7);
    await tracker.putRecords([entry(3)]);
    expect(tracker.newestTradeMs).toBe(TRADE_T0 + 7);
  });
});

describe('EMF lines', () => {
  it('leaves out values that are not finite numbers and refuses clashing names', () => {
    const doc = JSON.parse(
      emfLine({
        namespace: 'n',
        dimensions: { service: 's' },
        metrics: [
          { name: 'A', unit: 'Count', value: Number.NaN },
          { name: 'B', unit: 'Count', value: 2 },
        ],
        timestampMs: 1,
      }),
    );
    expect(doc._aws.CloudWatchMetrics[0].Metrics).toEqual([{ Name: 'B', Unit: 'Count' }]);
    expect(doc).not.toHaveProperty('A');
    expect(() => emfLine({ namespace: 'n', dimensions: { B: 'x' }, metrics: [{ name: 'B', unit: 'Count', value: 1 }], timestampMs: 1 })).toThrow(/repeated/);
    expect(() => emfLine({ namespace: 'n', dimensions: {}, metrics: [{ name: 'B', unit: 'Count', value: 1 }], timestampMs: 1, properties: { B: 1 } })).toThrow(
      /clashes/,
    );
  });
});

describe('JSON logs', () => {
  it('writes one object per line with level, message, timestamp and service, below the level nothing', () => {
    const lines: string[] = [];
    const log = jsonLogger((l) => lines.push(l), { service: 'binance-live', level: 'WARN', clock: () => T });
    log.info('not shown');
    log.warn('binance-live: trade-id gap', { symbol: 'BTCUSDT', missing: 5 });
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { level: 'WARN', message: 'binance-live: trade-id gap', timestamp: '2026-12-04T12:00:00.000Z', service: 'binance-live', symbol: 'BTCUSDT', missing: 5 },
    ]);
  });
});

/** A producer that records what it puts. */
class MemoryProducer implements StreamProducer {
  readonly put: PutEntry[] = [];
  async putRecords(entries: readonly PutEntry[]): Promise<PutRecordsResult> {
    this.put.push(...entries);
    return { failed: [] };
  }
}

let server: BinanceWsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('the run loop', () => {
  it('a configuration error is one line on stderr and exit code 2, before anything starts', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const signals = new EventEmitter() as unknown as NodeJS.Process;
    const code = await runBinanceLiveService({ BINANCE_SYMBOLS: 'x' }, { out: (l) => out.push(l), err: (l) => err.push(l), signals });
    expect(code).toBe(EXIT.config);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^binance-live: STREAM_NAME is required.*; BINANCE_SYMBOLS: /);
    expect(out).toEqual([]);
  });

  it('puts trades, writes heartbeats, and on SIGTERM drains, writes a last heartbeat and exits 0', async () => {
    server = await BinanceWsServer.start();
    const producer = new MemoryProducer();
    const out: string[] = [];
    const signals = new EventEmitter();
    const run = runBinanceLiveService(
      { STREAM_NAME: 'ticklake-test-events', BINANCE_SYMBOLS: 'BTCUSDT', BINANCE_WS_URL: server.url, HEARTBEAT_SECONDS: '0.05' },
      { out: (l) => out.push(l), err: () => {}, signals: signals as unknown as NodeJS.Process, producer: async () => producer },
    );
    const conn = await server.connection(0);
    expect(conn.path).toBe('/stream?streams=btcusdt@trade');
    for (let id = 1; id <= 30; id++) conn.ws.send(combined('BTCUSDT', binanceTrade('BTCUSDT', id)));
    const heartbeats = () => out.map((l) => JSON.parse(l)).filter((d) => d.message === 'heartbeat');
    await until(() => producer.put.length === 30 && heartbeats().some((h) => h.LastTradeAgeSeconds !== undefined), 'trades put and a heartbeat after them');

    signals.emit('SIGTERM');
    expect(await run).toBe(EXIT.ok);
    expect(signals.listenerCount('SIGTERM') + signals.listenerCount('SIGINT')).toBe(0);
    const docs = out.map((l) => JSON.parse(l));
    expect(docs[0]).toMatchObject({ level: 'INFO', message: 'binance-live: starting', stream: 'ticklake-test-events', symbols: ['BTCUSDT'] });
    expect(docs.at(-1)).toMatchObject({ message: 'binance-live: exiting', tradesPut: 30 });
    expect(docs.some((d) => d.message === 'binance-live: stopping' && d.signal === 'SIGTERM')).toBe(true);
    // The heartbeats' counts add up to what was put; the last one comes after the stop.
    const beats = heartbeats();
    expect(beats.reduce((n, h) => n + h.TradesPut, 0)).toBe(30);
    expect(docs.findIndex((d) => d.message === 'binance-live: stopped')).toBeLessThan(docs.findLastIndex((d) => d.message === 'heartbeat'));
    expect(beats.every((h) => h._aws.CloudWatchMetrics[0].Namespace === 'ticklake' && h.service === 'binance-live')).toBe(true);
    expect(producer.put.every((e) => e.partitionKey === 'BTCUSDT')).toBe(true);
  });

  it('a connector that receives trades but cannot put them sends heartbeats without LastTradeAgeSeconds (the alarm fires)', async () => {
    server = await BinanceWsServer.start();
    const out: string[] = [];
    const signals = new EventEmitter();
    const denied: StreamProducer = {
      putRecords: async () => {
        throw new Error('AccessDeniedException: not authorized to perform kinesis:PutRecords');
      },
    };
    const run = runBinanceLiveService(
      { STREAM_NAME: 'ticklake-test-events', BINANCE_SYMBOLS: 'BTCUSDT', BINANCE_WS_URL: server.url, HEARTBEAT_SECONDS: '0.05', STOP_TIMEOUT_SECONDS: '1' },
      { out: (l) => out.push(l), err: () => {}, signals: signals as unknown as NodeJS.Process, producer: async () => denied },
    );
    const conn = await server.connection(0);
    for (let id = 1; id <= 5; id++) conn.ws.send(combined('BTCUSDT', binanceTrade('BTCUSDT', id)));
    const heartbeats = () => out.map((l) => JSON.parse(l)).filter((d) => d.message === 'heartbeat');
    await until(() => heartbeats().some((h) => h.lastReceivedTradeAgeSeconds !== undefined && h.buffered === 5), 'a heartbeat after the trades arrived');
    signals.emit('SIGTERM');
    // Records left unput: exit code 1, said so.
    expect(await run).toBe(EXIT.unput);
    expect(heartbeats().every((h) => h.LastTradeAgeSeconds === undefined && h.TradesPut === 0)).toBe(true);
    expect(out.map((l) => JSON.parse(l)).at(-1)).toMatchObject({ level: 'ERROR', message: 'binance-live: exiting with records not put', buffered: 5 });
  });
});
