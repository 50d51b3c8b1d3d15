import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cloudConfigFromEnv, createCloudSink } from '../../src/adapters/aws/timeseries/cloud-sink.js';
import { InfluxSink, retryAfterMs, type InfluxSinkOptions } from '../../src/adapters/aws/timeseries/influxdb.js';
import { encodeLine } from '../../src/timeseries/line-protocol.js';
import { barPoint, tradePoint } from '../../src/timeseries/measurements.js';
import { TimeSeriesWriteError, type Point } from '../../src/timeseries/point.js';

// InfluxDB 1.x has no /api/v2/write, so the v2 path is checked against a local
// HTTP server that records every request and answers as a test tells it to.
interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** Decompressed body lines. */
  lines: string[];
}

type Handler = (req: Recorded, res: ServerResponse) => void;

let server: Server;
let url: string;
let requests: Recorded[];
let handler: Handler;

const noContent: Handler = (_req, res) => {
  res.statusCode = 204;
  res.end();
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      const u = new URL(req.url ?? '/', 'http://x');
      const rec: Recorded = {
        method: req.method ?? '',
        path: u.pathname,
        query: u.searchParams,
        headers: req.headers,
        lines: body.toString('utf8').split('\n').filter(Boolean),
      };
      requests.push(rec);
      handler(rec, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  requests = [];
  handler = noContent;
});

const bars = [0, 1, 2, 3, 4].map((m) =>
  barPoint({
    symbol: 'BTCUSDT',
    minute_start: Date.UTC(2026, 10, 2, 10, m) * 1000,
    open: 1,
    high: 2,
    low: 0.5,
    close: 1.5,
    vwap: 1.2,
    avg_price: 1.25,
    volume: 10,
    quote_volume: 12,
    trade_count: 7,
    buyer_maker_share: 0.4,
  }),
);

function v2(extra: Partial<InfluxSinkOptions> = {}): InfluxSink {
  return new InfluxSink({ url, api: 'v2', org: 'ticklake', bucket: 'market', auth: { token: 's3cr3t-token' }, ...extra });
}

describe('InfluxDB adapter, v2 /api/v2/write (local HTTP server)', () => {
  it('POSTs gzip line protocol to /api/v2/write with org, bucket, precision and the token, in batches', async () => {
    // Prepare
    const sink = v2({ maxLinesPerBatch: 2, maxParallel: 1 });
    // Act
    const result = await sink.write(bars);
    // Assess
    expect(result).toEqual({ written: 5, rejected: [], retried: 0, corrected: 0 });
    expect(requests).toHaveLength(3);
    for (const r of requests) {
      expect(r.method).toBe('POST');
      expect(r.path).toBe('/api/v2/write');
      expect(Object.fromEntries(r.query)).toEqual({ org: 'ticklake', bucket: 'market', precision: 'us' });
      expect(r.headers.authorization).toBe('Token s3cr3t-token');
      expect(r.headers['content-encoding']).toBe('gzip');
      expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    }
    expect(requests.flatMap((r) => r.lines)).toEqual(bars.map((b) => (encodeLine(b, 'us') as { line: string }).line));
    expect(requests[0]!.lines[0]).toBe(
      `bar_1m,symbol=BTCUSDT open=1,high=2,low=0.5,close=1.5,vwap=1.2,avg_price=1.25,volume=10,quote_volume=12,trade_count=7i,buyer_maker_share=0.4 ${Date.UTC(2026, 10, 2, 10, 0) * 1000}`,
    );
  });

  it('switches to nanosecond precision for points with sub-microsecond times', async () => {
    // Prepare
    const t = tradePoint({
      symbol: 'ETHUSDT',
      trade_id: 1234,
      price: 3000.5,
      quantity: 0.25,
      quote_quantity: 750.125,
      is_buyer_maker: false,
      trade_time: 1_762_077_600_123_000,
      day_of_week: 7,
      hour: 10,
      minute: 0,
    });
    // Act
    await v2().write([t]);
    // Assess
    expect(requests[0]!.query.get('precision')).toBe('ns');
    expect(requests[0]!.lines).toEqual([
      'trade,symbol=ETHUSDT price=3000.5,quantity=0.25,quote_quantity=750.125,market_maker=0i,day_of_week=7i,hour=10i,minute=0i,trade_id=1234i 1762077600123000234',
    ]);
  });

  it('waits for Retry-After on 429 and 503, backs off on 500, then succeeds', async () => {
    // Prepare
    const answers = [
      { status: 429, retryAfter: '2' },
      { status: 503, retryAfter: '1' },
      { status: 500, retryAfter: undefined },
      { status: 204, retryAfter: undefined },
    ];
    handler = (_req, res) => {
      const a = answers.shift()!;
      res.statusCode = a.status;
      if (a.retryAfter) res.setHeader('Retry-After', a.retryAfter);
      res.end(a.status === 204 ? '' : JSON.stringify({ code: 'unavailable', message: 'busy' }));
    };
    const waits: number[] = [];
    const sink = v2({ sleep: async (ms) => void waits.push(ms), random: () => 0.5, retry: { baseDelayMs: 200, maxDelayMs: 10_000, maxRetries: 5 } });
    // Act
    const result = await sink.write(bars.slice(0, 1));
    // Assess
    expect(result).toMatchObject({ written: 1, retried: 3, rejected: [] });
    expect(waits).toEqual([2000, 1000, 400]);
    expect(requests).toHaveLength(4);
    expect(new Set(requests.map((r) => r.lines.join('\n'))).size).toBe(1);
  });

  it('gives up after the bounded retries with a retryable error', async () => {
    // Prepare
    handler = (_req, res) => {
      res.statusCode = 503;
      res.end('{"code":"unavailable","message":"overloaded"}');
    };
    const sink = v2({ sleep: async () => undefined, retry: { maxRetries: 2 } });
    // Act
    const outcome = await sink.write(bars).catch((e: unknown) => e);
    // Assess
    expect(outcome).toBeInstanceOf(TimeSeriesWriteError);
    expect((outcome as TimeSeriesWriteError).retryable).toBe(true);
    expect((outcome as Error).message).toMatch(/after 3 attempts: 503 overloaded/);
    expect(requests).toHaveLength(3);
  });

  it('narrows a 400 partial write down to the refused lines and returns them as rejected with the reason', async () => {
    // Prepare: the server refuses any request containing a line for minute 3 (like a field type conflict).
    const badTime = String(Date.UTC(2026, 10, 2, 10, 3) * 1000);
    handler = (req, res) => {
      const bad = req.lines.some((l) => l.endsWith(badTime));
      res.statusCode = bad ? 400 : 204;
      res.end(bad ? JSON.stringify({ code: 'invalid', message: 'partial write: field type conflict dropped=1' }) : '');
    };
    // Act
    const result = await v2().write(bars);
    // Assess
    expect(result.written).toBe(4);
    expect(result.rejected).toEqual([
      { index: 3, point: bars[3], code: 'rejected_by_store', reason: 'InfluxDB 400: partial write: field type conflict dropped=1' },
    ]);
    const accepted = new Set(requests.filter((r) => !r.lines.some((l) => l.endsWith(badTime))).flatMap((r) => r.lines));
    expect(accepted.size).toBe(4);
  });

  it('rejects unencodable points before sending and sends the rest', async () => {
    // Prepare
    const bad: Point = { measurement: 'bar_1m', tags: { symbol: 'X' }, fields: { close: Number.NaN }, time: 1 };
    // Act
    const result = await v2().write([bars[0]!, bad]);
    // Assess
    expect(result.written).toBe(1);
    expect(result.rejected).toMatchObject([{ index: 1, code: 'invalid_point' }]);
    expect(result.rejected[0]!.reason).toMatch(/finite/);
    expect(requests.flatMap((r) => r.lines)).toHaveLength(1);
  });

  it('with a user and password, signs in for a session cookie and signs in again when the session expires', async () => {
    // Prepare
    let sessions = 0;
    let expireNext = false;
    handler = (req, res) => {
      if (req.path === '/api/v2/signin') {
        const ok = req.method === 'POST' && req.headers.authorization === `Basic ${Buffer.from('ticklake-admin:pw').toString('base64')}`;
        res.statusCode = ok ? 204 : 401;
        if (ok) res.setHeader('Set-Cookie', `influxdb-oss-session=s${++sessions}; Path=/api/; HttpOnly`);
        res.end();
        return;
      }
      const valid = req.headers.cookie === `influxdb-oss-session=s${sessions}` && !expireNext;
      expireNext = false;
      res.statusCode = valid ? 204 : 401;
      res.end(valid ? '' : '{"code":"unauthorized","message":"unauthorized access"}');
    };
    const sink = v2({ auth: { username: 'ticklake-admin', password: 'pw' } });
    // Act
    const first = await sink.write(bars.slice(0, 1));
    expireNext = true;
    const second = await sink.write(bars.slice(1, 2));
    // Assess
    expect(first.written).toBe(1);
    expect(second.written).toBe(1);
    expect(requests.map((r) => r.path)).toEqual(['/api/v2/signin', '/api/v2/write', '/api/v2/write', '/api/v2/signin', '/api/v2/write']);
    expect(requests.every((r) => r.path !== '/api/v2/write' || r.headers.authorization === undefined)).toBe(true);
  });

  it('the factory builds the v2 sink from the writer environment, with the token from the secret', async () => {
    // Prepare
    const env = {
      TIME_SERIES_ENGINE: 'timestream-influxdb',
      INFLUXDB_URL: `${url}/`,
      INFLUXDB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ticklake-dev/influxdb/admin-AbCdEf',
      INFLUXDB_ORG: 'ticklake',
    };
    const asked: string[] = [];
    const readSecret = async (arn: string) => {
      asked.push(arn);
      return JSON.stringify({ token: 'from-secret', organization: 'ignored-org', bucket: 'market' });
    };
    // Act
    const sink = await createCloudSink(cloudConfigFromEnv(env), { readSecret });
    const result = await sink.write(bars.slice(0, 2));
    // Assess
    expect(sink.kind).toBe('timestream-influxdb');
    expect(result.written).toBe(2);
    expect(asked).toEqual([env.INFLUXDB_SECRET_ARN]);
    expect(requests[0]!.path).toBe('/api/v2/write');
    expect(Object.fromEntries(requests[0]!.query)).toEqual({ org: 'ticklake', bucket: 'market', precision: 'us' });
    expect(requests[0]!.headers.authorization).toBe('Token from-secret');
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    // Act
    const now = Date.UTC(2026, 0, 1, 0, 0, 0);
    const values = [retryAfterMs('3', now), retryAfterMs(new Date(now + 4000).toUTCString(), now), retryAfterMs(null, now), retryAfterMs('soon', now)];
    // Assess
    expect(values).toEqual([3000, 4000, undefined, undefined]);
  });
});
