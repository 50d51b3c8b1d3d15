import { describe, expect, it } from 'vitest';
import { cloudConfigFromEnv, createCloudSink, resolveInfluxConfig } from '../../src/adapters/aws/timeseries/cloud-sink.js';
import { timeSeriesConfigFromEnv } from '../../src/adapters/timeseries-factory.js';
import { barPoint, predictionPoint, tradePoint } from '../../src/timeseries/measurements.js';
import { pointProblem } from '../../src/timeseries/point.js';

describe('time-series measurements', () => {
  it('maps a trade row to the old pipeline features, with a sub-microsecond tie-breaker from the trade id', () => {
    // Act
    const p = tradePoint({
      symbol: 'BTCUSDT',
      trade_id: 4_123_456_789,
      price: 68_001.5,
      quantity: 0.002,
      quote_quantity: 136.003,
      is_buyer_maker: true,
      trade_time: 1_762_077_600_123_456,
      day_of_week: 7,
      hour: 10,
      minute: 0,
    });
    // Assess
    expect(p).toEqual({
      measurement: 'trade',
      tags: { symbol: 'BTCUSDT' },
      fields: { price: 68_001.5, quantity: 0.002, quote_quantity: 136.003, market_maker: 1n, day_of_week: 7n, hour: 10n, minute: 0n, trade_id: 4_123_456_789n },
      time: 1_762_077_600_123_456,
      nanos: 789,
    });
    expect(pointProblem(p)).toBeUndefined();
  });

  it('maps bars (optional averages only when present) and predictions (actual only when known)', () => {
    // Prepare
    const row = {
      symbol: 'ETHUSDT',
      minute_start: 60_000_000,
      open: 1,
      high: 2,
      low: 0.5,
      close: 1.5,
      vwap: 1.2,
      avg_price: 1.1,
      volume: 3,
      quote_volume: 3.6,
      trade_count: 12n,
      buyer_maker_share: 0.25,
    };
    // Act
    const plain = barPoint(row);
    const withAverages = barPoint({ ...row, avg_quantity: 0.25, avg_quote_quantity: 0.3 });
    const forecast = predictionPoint({
      symbol: 'BTCUSDT',
      model_id: 'gbt-2026-11-02',
      kind: 'log_return_1m',
      target_time: 120_000_000,
      predicted: 0.0004,
      actual: null,
    });
    const scored = predictionPoint({
      symbol: 'BTCUSDT',
      model_id: 'gbt-2026-11-02',
      kind: 'log_return_1m',
      target_time: 120_000_000,
      predicted: 0.0004,
      actual: -0.0001,
    });
    // Assess
    expect(Object.keys(plain.fields)).toEqual([
      'open',
      'high',
      'low',
      'close',
      'vwap',
      'avg_price',
      'volume',
      'quote_volume',
      'trade_count',
      'buyer_maker_share',
    ]);
    expect(plain.fields.trade_count).toBe(12n);
    expect(withAverages.fields).toMatchObject({ avg_quantity: 0.25, avg_quote_quantity: 0.3 });
    expect(forecast).toEqual({
      measurement: 'prediction',
      tags: { symbol: 'BTCUSDT', model_id: 'gbt-2026-11-02', kind: 'log_return_1m' },
      fields: { predicted: 0.0004 },
      time: 120_000_000,
    });
    expect(scored.fields).toEqual({ predicted: 0.0004, actual: -0.0001 });
  });
});

describe('time-series configuration', () => {
  it('defaults to the embedded store under the data directory locally, and to none in Lambda', async () => {
    // Act
    const local = timeSeriesConfigFromEnv('/data/.ticklake', {});
    const cloud = cloudConfigFromEnv({});
    const none = await createCloudSink(cloud);
    const result = await none.write([
      barPoint({
        symbol: 'X',
        minute_start: 0,
        open: 1,
        high: 1,
        low: 1,
        close: 1,
        vwap: 1,
        avg_price: 1,
        volume: 1,
        quote_volume: 1,
        trade_count: 1,
        buyer_maker_share: 0,
      }),
    ]);
    // Assess
    expect(local).toEqual({ engine: 'embedded', dir: '/data/.ticklake/timeseries' });
    expect(cloud).toEqual({ engine: 'none' });
    expect(none.kind).toBe('none');
    expect(result).toEqual({ written: 0, rejected: [], retried: 0, corrected: 0 });
  });

  it('refuses incomplete or unknown settings with a message naming the variable', () => {
    // Act
    const attempts = [
      () => cloudConfigFromEnv({ TIME_SERIES_ENGINE: 'timestream-liveanalytics' }),
      () => cloudConfigFromEnv({ TIME_SERIES_ENGINE: 'timestream-influxdb' }),
      () => cloudConfigFromEnv({ TIME_SERIES_ENGINE: 'influx' }),
      () => cloudConfigFromEnv({ TIME_SERIES_ENGINE: 'timestream-influxdb', INFLUXDB_URL: 'http://x', INFLUXDB_API: 'v3' }),
      () => cloudConfigFromEnv({ TIME_SERIES_ENGINE: 'none', TIME_SERIES_MAX_PARALLEL: '0' }),
    ];
    // Assess
    const messages = attempts.map((f) => {
      try {
        f();
        return 'no error';
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(messages).toEqual([
      expect.stringMatching(/TIMESTREAM_DATABASE/),
      expect.stringMatching(/INFLUXDB_URL/),
      expect.stringMatching(/TIME_SERIES_ENGINE/),
      expect.stringMatching(/INFLUXDB_API/),
      expect.stringMatching(/TIME_SERIES_MAX_PARALLEL/),
    ]);
  });

  it('takes InfluxDB user, password, org and bucket from the admin secret the stack creates, keeping explicit settings', async () => {
    // Prepare
    const config = cloudConfigFromEnv({
      TIME_SERIES_ENGINE: 'timestream-influxdb',
      INFLUXDB_URL: 'https://influx.example:8086',
      INFLUXDB_SECRET_ARN: 'arn:secret',
      INFLUXDB_BUCKET: 'explicit-bucket',
    });
    const secret = JSON.stringify({ username: 'ticklake-admin', password: 'pw', organization: 'ticklake', bucket: 'market' });
    // Act
    const resolved = await resolveInfluxConfig(config as Parameters<typeof resolveInfluxConfig>[0], async () => secret);
    const withToken = await resolveInfluxConfig({ ...(config as Parameters<typeof resolveInfluxConfig>[0]), token: 'env-token', org: 'o' }, async () => {
      throw new Error('the secret must not be read when the environment has everything');
    });
    // Assess
    expect(resolved).toMatchObject({ username: 'ticklake-admin', password: 'pw', org: 'ticklake', bucket: 'explicit-bucket', token: undefined });
    expect(withToken).toMatchObject({ token: 'env-token', org: 'o', bucket: 'explicit-bucket' });
  });
});
