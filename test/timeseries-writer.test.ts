import { describe, expect, it } from 'vitest';
import { createTimeSeriesWriter } from '../src/timeseries/timeseries-writer.js';
import type { Point, TimeSeriesSink, WriteResult } from '../src/timeseries/point.js';
import { TimeSeriesWriteError } from '../src/timeseries/point.js';
import { cryptoQuote, kinesisEvent, stockTick, tradeMessage } from './helpers/kinesis-events.js';

function fakeSink(behave: (points: readonly Point[]) => WriteResult): TimeSeriesSink & { got: Point[] } {
  const got: Point[] = [];
  return {
    got,
    kind: 'embedded',
    write: async (points: readonly Point[]) => {
      got.push(...points);
      return behave(points);
    },
    close: async () => undefined,
  } as unknown as TimeSeriesSink & { got: Point[] };
}

const T = Date.UTC(2026, 10, 2, 9, 30);

describe('time-series writer (second stream consumer)', () => {
  it('writes each valid trade as a trade point with the old pipeline features, skipping invalid records', async () => {
    // Prepare
    const sink = fakeSink((p) => ({ written: p.length, rejected: [], retried: 0, corrected: 0 }));
    const write = createTimeSeriesWriter({ sink, clock: () => T + 60_000 });
    // Act
    const res = await write(kinesisEvent([tradeMessage({ t: 7, T, m: true }), 'garbage', tradeMessage({ t: 8, T: T + 1 })]));
    // Assess
    expect(res.batchItemFailures).toEqual([]);
    expect(sink.got).toHaveLength(2);
    expect(sink.got[0]).toMatchObject({ measurement: 'trade', tags: { symbol: 'BTCUSDT' }, time: T * 1000, nanos: 7 });
    expect(sink.got[0]!.fields).toMatchObject({ price: 97123.45, market_maker: 1n, hour: 9n, minute: 30n, day_of_week: 1n });
  });

  it('reports refused points with their reasons', async () => {
    // Prepare
    const seen: string[] = [];
    const sink = fakeSink((p) => ({
      written: p.length - 1,
      rejected: [{ index: 0, point: p[0]!, code: 'rejected_by_store', reason: 'field type conflict' }],
      retried: 0,
      corrected: 0,
    }));
    const write = createTimeSeriesWriter({ sink, clock: () => T + 60_000, onBatch: (s) => seen.push(...s.rejected.map((r) => r.reason)) });
    // Act
    await write(kinesisEvent([tradeMessage({ t: 1, T }), tradeMessage({ t: 2, T })]));
    // Assess
    expect(seen).toEqual(['field type conflict']);
  });

  it('fails the batch when the store cannot be written, so the event source retries it', async () => {
    // Prepare
    const sink = fakeSink(() => {
      throw new TimeSeriesWriteError('unauthorized', false);
    });
    const write = createTimeSeriesWriter({ sink, clock: () => T + 60_000 });
    // Act
    const attempt = write(kinesisEvent([tradeMessage({ t: 1, T })]));
    // Assess
    await expect(attempt).rejects.toThrow('unauthorized');
  });
});

describe('time-series writer, every source', () => {
  it('writes the points each source makes of its records: trades, stock ticks and crypto quotes from one batch', async () => {
    // Prepare
    const sink = fakeSink((p) => ({ written: p.length, rejected: [], retried: 0, corrected: 0 }));
    const write = createTimeSeriesWriter({ sink, clock: () => Date.UTC(2026, 10, 2, 12) });
    // Act
    await write(
      kinesisEvent([
        tradeMessage({ t: 7, T }),
        JSON.stringify(stockTick({ id: 1042 })),
        JSON.stringify(stockTick({ ticker: 'NOPE' })),
        JSON.stringify(cryptoQuote()),
        JSON.stringify(cryptoQuote({ current_price: 0 })),
      ]),
    );
    // Assess: the unknown ticker and the zero price are the transform's to quarantine; here they simply have no point
    expect(sink.got.map((p) => p.measurement)).toEqual(['trade', 'stock_tick', 'crypto_quote']);
    expect(sink.got[1]).toMatchObject({
      tags: { ticker: 'AAPL', sector: 'Technology' },
      fields: { price: 229.5, volume: 100n, id: 1042n },
      time: Date.UTC(2026, 10, 2, 10) * 1000,
      nanos: 42,
    });
  });
});
