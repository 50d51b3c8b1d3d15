import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedTimeSeriesStore } from '../../src/local/embedded-store.js';
import { createTimeSeriesSink, timeSeriesConfigFromEnv } from '../../src/adapters/timeseries-factory.js';
import { barPoint, tradePoint, type BarLike } from '../../src/timeseries/measurements.js';
import type { Point } from '../../src/timeseries/point.js';

let dir: string;
let store: EmbeddedTimeSeriesStore;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ticklake-ts-'));
  store = await EmbeddedTimeSeriesStore.open(dir);
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const MIN_US = 60_000_000;
const T0 = Date.UTC(2026, 10, 2, 9, 0) * 1000;

function bar(symbol: string, m: number, close = 100 + m): Point {
  const b: BarLike = {
    symbol,
    minute_start: T0 + m * MIN_US,
    open: 100 + m,
    high: 110 + m,
    low: 90 + m,
    close,
    vwap: 100.5 + m,
    avg_price: 100.25 + m,
    volume: 1 + m,
    quote_volume: 100 * (1 + m),
    trade_count: 10 + m,
    buyer_maker_share: 0.5,
  };
  return barPoint(b);
}

const count = async (table: string) => Number((await store.sql(`SELECT count(*) AS n FROM "${table}"`))[0]!.n);

describe('embedded time-series store (DuckDB)', () => {
  it('keeps one copy of each point when the same points are written twice', async () => {
    // Prepare
    const points = [...[0, 1, 2].map((m) => bar('BTCUSDT', m)), ...[0, 1].map((m) => bar('ETHUSDT', m))];
    // Act
    const first = await store.write(points);
    const second = await store.write(points);
    // Assess
    expect(first).toEqual({ written: 5, rejected: [], retried: 0, corrected: 0 });
    expect(second.written).toBe(5);
    expect(existsSync(join(dir, 'timeseries.duckdb'))).toBe(true);
    expect(await count('bar_1m')).toBe(5);
  });

  it('upserts by (measurement, tags, time): new values replace, fields left out are kept', async () => {
    // Prepare
    await store.write([bar('BTCUSDT', 0)]);
    const correction: Point = { measurement: 'bar_1m', tags: { symbol: 'BTCUSDT' }, fields: { close: 99.5, late_trades: 3n }, time: T0 };
    // Act
    await store.write([correction]);
    const [row] = await store.range({ measurement: 'bar_1m', tags: { symbol: 'BTCUSDT' } });
    // Assess
    expect(await count('bar_1m')).toBe(1);
    expect(row!.fields).toMatchObject({ close: 99.5, open: 100, high: 110, trade_count: 10, late_trades: 3 });
  });

  it('merges points with the same key inside one call, the later one winning', async () => {
    // Act
    const result = await store.write([bar('BTCUSDT', 0, 1), bar('BTCUSDT', 0, 2), bar('BTCUSDT', 0, 3)]);
    const rows = await store.range({ measurement: 'bar_1m' });
    // Assess
    expect(result.written).toBe(3);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.fields.close).toBe(3);
  });

  it('queries a symbol over a time range [from, to), in order, with selected fields and a limit', async () => {
    // Prepare
    await store.write([...Array.from({ length: 10 }, (_, m) => bar('BTCUSDT', m)), ...Array.from({ length: 10 }, (_, m) => bar('ETHUSDT', m))]);
    // Act
    const rows = await store.range({
      measurement: 'bar_1m',
      tags: { symbol: 'BTCUSDT' },
      from: T0 + 2 * MIN_US,
      to: T0 + 5 * MIN_US,
      fields: ['close', 'trade_count'],
    });
    const latest = await store.range({ measurement: 'bar_1m', tags: { symbol: 'ETHUSDT' }, order: 'desc', limit: 2, fields: ['close'] });
    const none = await store.range({ measurement: 'bar_1m', tags: { symbol: 'SOLUSDT' } });
    const unknownMeasurement = await store.range({ measurement: 'nothing' });
    // Assess
    expect(rows).toEqual([
      { time: T0 + 2 * MIN_US, nanos: 0, tags: { symbol: 'BTCUSDT' }, fields: { close: 102, trade_count: 12 } },
      { time: T0 + 3 * MIN_US, nanos: 0, tags: { symbol: 'BTCUSDT' }, fields: { close: 103, trade_count: 13 } },
      { time: T0 + 4 * MIN_US, nanos: 0, tags: { symbol: 'BTCUSDT' }, fields: { close: 104, trade_count: 14 } },
    ]);
    expect(latest.map((r) => r.fields.close)).toEqual([109, 108]);
    expect(none).toEqual([]);
    expect(unknownMeasurement).toEqual([]);
  });

  it('downsamples into time buckets with first/last/min/max/sum/count per field', async () => {
    // Prepare
    await store.write(Array.from({ length: 10 }, (_, m) => bar('BTCUSDT', m)));
    // Act
    const buckets = await store.downsample({
      measurement: 'bar_1m',
      tags: { symbol: 'BTCUSDT' },
      bucketUs: 5 * MIN_US,
      aggregates: { open: 'first', close: 'last', high: 'max', low: 'min', volume: 'sum', trade_count: 'count', vwap: 'avg' },
      groupBy: ['symbol'],
    });
    // Assess
    expect(buckets).toEqual([
      { time: T0, tags: { symbol: 'BTCUSDT' }, points: 5, values: { open: 100, close: 104, high: 114, low: 90, volume: 15, trade_count: 5, vwap: 102.5 } },
      {
        time: T0 + 5 * MIN_US,
        tags: { symbol: 'BTCUSDT' },
        points: 5,
        values: { open: 105, close: 109, high: 119, low: 95, volume: 40, trade_count: 5, vwap: 107.5 },
      },
    ]);
  });

  it('keeps trades of the same millisecond apart (sub-microsecond tie-breaker) and orders them', async () => {
    // Prepare
    const trades = [3, 1, 2].map((k) =>
      tradePoint({
        symbol: 'BTCUSDT',
        trade_id: 1000 + k,
        price: 68_000 + k,
        quantity: 0.1,
        quote_quantity: 6800,
        is_buyer_maker: false,
        trade_time: T0,
        day_of_week: 1,
        hour: 9,
        minute: 0,
      }),
    );
    // Act
    await store.write(trades);
    const rows = await store.range({ measurement: 'trade', tags: { symbol: 'BTCUSDT' }, fields: ['price', 'trade_id'] });
    // Assess
    expect(rows.map((r) => [r.time, r.nanos, r.fields.trade_id])).toEqual([
      [T0, 1, 1001],
      [T0, 2, 1002],
      [T0, 3, 1003],
    ]);
  });

  it('rejects, with reasons, points whose field type conflicts, that reuse reserved names, or are invalid', async () => {
    // Prepare
    await store.write([bar('BTCUSDT', 0)]);
    const points: Point[] = [
      { measurement: 'bar_1m', tags: { symbol: 'X' }, fields: { close: 'high' }, time: T0 },
      { measurement: 'bar_1m', tags: { symbol: 'X' }, fields: { series: 1 }, time: T0 },
      { measurement: 'bar_1m', tags: { symbol: 'X', close: 'tag' }, fields: { open: 1 }, time: T0 },
      { measurement: 'bar_1m', tags: { symbol: 'X' }, fields: { open: Number.NaN }, time: T0 },
      { measurement: 'bar_1m', tags: { symbol: 'X' }, fields: { Extra: 1, extra: 2 }, time: T0 },
      bar('X', 1),
    ];
    // Act
    const result = await store.write(points);
    // Assess
    expect(result.written).toBe(1);
    expect(result.rejected.map((r) => [r.index, r.code])).toEqual([
      [0, 'field_type_conflict'],
      [1, 'invalid_point'],
      [2, 'invalid_point'],
      [3, 'invalid_point'],
      [4, 'invalid_point'],
    ]);
    expect(result.rejected[0]!.reason).toBe('field close is string but bar_1m.close is float');
    expect(result.rejected[4]!.reason).toMatch(/differ only in case/);
    expect(await count('bar_1m')).toBe(2);
  });

  it('persists points and column kinds across reopening the file, and the factory opens it', async () => {
    // Prepare
    await store.write([bar('BTCUSDT', 0), { measurement: 'note', tags: { symbol: 'BTCUSDT' }, fields: { text: 'halt "x"', flag: true }, time: T0 }]);
    await store.close();
    const config = timeSeriesConfigFromEnv('/unused', { TIME_SERIES_ENGINE: 'embedded', TICKLAKE_TIMESERIES_DIR: dir });
    // Act
    store = (await createTimeSeriesSink(config)) as EmbeddedTimeSeriesStore;
    const conflict = await store.write([{ measurement: 'note', tags: {}, fields: { flag: 1n }, time: T0 }]);
    const notes = await store.range({ measurement: 'note' });
    // Assess
    expect(store.kind).toBe('embedded');
    expect(store.measurements()).toEqual(['bar_1m', 'note']);
    expect(store.columnsOf('note')).toEqual({ tags: ['symbol'], fields: { text: 'string', flag: 'boolean' } });
    expect(conflict.rejected).toMatchObject([{ code: 'field_type_conflict' }]);
    expect(notes).toEqual([{ time: T0, nanos: 0, tags: { symbol: 'BTCUSDT' }, fields: { text: 'halt "x"', flag: true } }]);
  });
});
