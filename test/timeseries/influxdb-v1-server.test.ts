import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxSink } from '../../src/adapters/aws/timeseries/influxdb.js';
import { barPoint, tradePoint, type BarLike, type TradeLike } from '../../src/timeseries/measurements.js';
import { TimeSeriesWriteError, type Point } from '../../src/timeseries/point.js';
import { findInfluxd, startInfluxd, type RunningInfluxd } from './influxd.js';

// A real InfluxDB 1.x server (Debian package `influxdb`, installed by .ci/run),
// spawned on loopback for this file only.
const INFLUXD = findInfluxd();
if (!INFLUXD) {
  console.warn(
    'SKIPPED: the real-InfluxDB tests need the influxd binary (Debian package "influxdb": ' +
      'apt-get install -y --no-install-recommends influxdb); it was not found on PATH or in /usr/bin.',
  );
}

let server: RunningInfluxd;

beforeAll(async () => {
  if (!INFLUXD) return;
  server = await startInfluxd(INFLUXD);
  for (const db of ['market', 'tricky', 'conflicts']) {
    const r = await server.query(`CREATE DATABASE ${db}`);
    expect(r.results[0]?.error).toBeUndefined();
  }
}, 30_000);

afterAll(async () => {
  await server?.stop();
});

const T0_MS = Date.UTC(2026, 10, 2, 9, 30);

function trade(i: number): TradeLike {
  const timeUs = (T0_MS + Math.floor(i / 4)) * 1000; // four trades per millisecond
  return {
    symbol: i % 2 === 0 ? 'BTCUSDT' : 'ETHUSDT',
    trade_id: 5_000_000 + i,
    price: 68_000 + i * 0.01,
    quantity: 0.001 * (i + 1),
    quote_quantity: (68_000 + i * 0.01) * 0.001 * (i + 1),
    is_buyer_maker: i % 3 === 0,
    trade_time: timeUs,
    day_of_week: 1,
    hour: 9,
    minute: 30,
  };
}

function bar(minute: number): BarLike {
  return {
    symbol: 'BTCUSDT',
    minute_start: (T0_MS + minute * 60_000) * 1000,
    open: 100 + minute,
    high: 110 + minute,
    low: 90 + minute,
    close: 105 + minute,
    vwap: 101.5 + minute,
    avg_price: 101 + minute,
    volume: 2.5,
    quote_volume: 255.25,
    trade_count: 42 + minute,
    buyer_maker_share: 0.5,
  };
}

const sink = (database: string, extra: Partial<ConstructorParameters<typeof InfluxSink>[0]> = {}) =>
  new InfluxSink({
    url: server.url,
    api: 'v1',
    database,
    auth: { username: server.username, password: server.password },
    ...extra,
  });

describe.skipIf(!INFLUXD)('InfluxDB adapter, v1 /write, against a real InfluxDB 1.x server', () => {
  it('writes trades (nanosecond times, batched, gzip) and reads back values, tags and times', async () => {
    // Prepare
    const trades = Array.from({ length: 120 }, (_, i) => trade(i));
    const points = trades.map(tradePoint);
    // Act
    const result = await sink('market', { maxLinesPerBatch: 25, maxParallel: 3 }).write(points);
    const rows = await server.rows(`SELECT * FROM "trade" WHERE "symbol" = 'BTCUSDT' ORDER BY time`, 'market');
    // Assess
    expect(result).toEqual({ written: 120, rejected: [], retried: 0, corrected: 0 });
    expect(rows).toHaveLength(60);
    const first = trades[0]!;
    expect(rows[0]).toMatchObject({
      time: String(BigInt(first.trade_time) * 1000n + BigInt(first.trade_id % 1000)),
      symbol: 'BTCUSDT',
      price: first.price,
      quantity: first.quantity,
      quote_quantity: first.quote_quantity,
      market_maker: 1,
      day_of_week: 1,
      hour: 9,
      minute: 30,
      trade_id: first.trade_id,
    });
    // Trades of the same millisecond stayed distinct points.
    expect(new Set(rows.map((r) => r.trade_id)).size).toBe(60);
  });

  it('writes minute bars at microsecond precision, and writing them again changes nothing', async () => {
    // Prepare
    const points = [0, 1, 2].map((m) => barPoint(bar(m)));
    const s = sink('market', { auth: { username: server.username, password: server.password, mode: 'query' } });
    // Act
    const first = await s.write(points);
    const again = await s.write(points);
    const rows = await server.rows(`SELECT * FROM "bar_1m" ORDER BY time`, 'market');
    // Assess
    expect(first.written).toBe(3);
    expect(again.written).toBe(3);
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => r.close)).toEqual([105, 106, 107]);
    expect(rows.map((r) => r.trade_count)).toEqual([42, 43, 44]);
    expect(rows[1]).toMatchObject({ time: String(BigInt(bar(1).minute_start) * 1000n), open: 101, vwap: 102.5, symbol: 'BTCUSDT' });
  });

  it('escapes measurement, tag and field names and string values so the server stores them verbatim', async () => {
    // Prepare
    const p: Point = {
      measurement: 'm x,y=z',
      tags: { 't k=,': 'v a=b,c\\d', plain: 'x' },
      fields: { 'f k=,"': 's "q" \\ b\\\\', n: 7n, ok: true },
      time: 1_700_000_000_000_123,
    };
    // Act
    const result = await sink('tricky').write([p]);
    const r = await server.query('SELECT * FROM /.*/', 'tricky');
    // Assess
    expect(result.written).toBe(1);
    const series = r.results[0]!.series![0]!;
    expect(series.name).toBe('m x,y=z');
    const row = Object.fromEntries(series.columns.map((c, i) => [c, series.values[0]![i]]));
    expect(row).toEqual({ time: '1700000000000123000', 't k=,': 'v a=b,c\\d', plain: 'x', 'f k=,"': 's "q" \\ b\\\\', n: 7, ok: true });
  });

  it('returns the points of a partial write as rejected with the server reason, and writes the others', async () => {
    // Prepare
    const s = sink('conflicts');
    const at = (i: number, price: number | string): Point => ({ measurement: 'quote', tags: { symbol: 'X' }, fields: { price }, time: 1_000_000 + i });
    await s.write([at(0, 1.5)]);
    const batch = [at(1, 2.5), at(2, 3.5), at(3, 'not a number'), at(4, 4.5), at(5, 5.5)];
    // Act
    const result = await s.write(batch);
    const rows = await server.rows('SELECT * FROM "quote" ORDER BY time', 'conflicts');
    // Assess
    expect(result.written).toBe(4);
    expect(result.rejected).toHaveLength(1);
    expect(result.rejected[0]).toMatchObject({ index: 2, code: 'rejected_by_store', point: batch[2] });
    expect(result.rejected[0]!.reason).toMatch(/InfluxDB 400: .*field type conflict/);
    expect(rows.map((r) => r.price)).toEqual([1.5, 2.5, 3.5, 4.5, 5.5]);
  });

  it('fails the whole write, without retrying, when the credentials are wrong', async () => {
    // Prepare
    const s = sink('market', { auth: { username: server.username, password: 'wrong' } });
    // Act
    const outcome = await s.write([barPoint(bar(9))]).catch((e: unknown) => e);
    // Assess
    expect(outcome).toBeInstanceOf(TimeSeriesWriteError);
    expect((outcome as TimeSeriesWriteError).retryable).toBe(false);
    expect((outcome as Error).message).toMatch(/answered 401/);
    expect(await server.rows(`SELECT * FROM "bar_1m" WHERE time = ${BigInt(bar(9).minute_start) * 1000n}`, 'market')).toEqual([]);
  });
});
