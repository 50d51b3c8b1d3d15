import {
  AccessDeniedException,
  RejectedRecordsException,
  ThrottlingException,
  TimestreamWriteClient,
  ValidationException,
  WriteRecordsCommand,
  type WriteRecordsCommandInput,
} from '@aws-sdk/client-timestream-write';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cloudConfigFromEnv, createCloudSink } from '../../src/adapters/aws/timeseries/cloud-sink.js';
import { LiveAnalyticsSink, type LiveAnalyticsSinkOptions } from '../../src/adapters/aws/timeseries/timestream-liveanalytics.js';
import { barPoint, predictionPoint, tradePoint } from '../../src/timeseries/measurements.js';
import { TimeSeriesWriteError, type Point } from '../../src/timeseries/point.js';
import { SOURCES } from '../../src/sources/index.js';

const timestream = mockClient(TimestreamWriteClient);
let client: TimestreamWriteClient;
const NOW_MS = Date.UTC(2026, 10, 2, 12);
const meta = { $metadata: {} };

beforeEach(() => {
  timestream.reset();
  client = new TimestreamWriteClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
});

afterEach(() => client.destroy());

const trades = (n: number, from = 0): Point[] =>
  Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return tradePoint({
      symbol: 'BTCUSDT',
      trade_id: 9_000_000 + i,
      price: 68_000 + i,
      quantity: 0.5,
      quote_quantity: (68_000 + i) * 0.5,
      is_buyer_maker: i % 2 === 0,
      trade_time: Date.UTC(2026, 10, 2, 11, 0, 0, i) * 1000,
      day_of_week: 1,
      hour: 11,
      minute: 0,
    });
  });

const bar = (m: number) =>
  barPoint({
    symbol: 'ETHUSDT',
    minute_start: Date.UTC(2026, 10, 2, 11, m) * 1000,
    open: 3000,
    high: 3010,
    low: 2990,
    close: 3005,
    vwap: 3001,
    avg_price: 3002,
    volume: 12.5,
    quote_volume: 37_512.5,
    trade_count: 99,
    buyer_maker_share: 0.48,
  });

function sink(extra: Partial<LiveAnalyticsSinkOptions> = {}): LiveAnalyticsSink {
  return new LiveAnalyticsSink({ client, database: 'ticklake_dev', now: () => NOW_MS, sleep: async () => undefined, ...extra });
}

const inputs = (): WriteRecordsCommandInput[] => timestream.commandCalls(WriteRecordsCommand).map((c) => c.args[0].input);

describe('Timestream for LiveAnalytics adapter (aws-sdk-client-mock)', () => {
  it('writes multi-measure records, at most 100 per WriteRecords call, to the table of each measurement', async () => {
    // Prepare
    timestream.on(WriteRecordsCommand).resolves({ RecordsIngested: { Total: 100 } });
    const points = [...trades(250), bar(0), bar(1)];
    // Act
    const result = await sink().write(points);
    // Assess
    expect(result).toEqual({ written: 252, rejected: [], retried: 0, corrected: 0 });
    const calls = inputs();
    expect(calls.map((c) => [c.TableName, c.Records!.length]).sort()).toEqual([
      ['minute_bars', 2],
      ['trades', 100],
      ['trades', 100],
      ['trades', 50],
    ]);
    expect(calls.every((c) => c.DatabaseName === 'ticklake_dev')).toBe(true);
    const t0 = calls.find((c) => c.TableName === 'trades')!.Records![0]!;
    expect(t0).toEqual({
      Dimensions: [{ Name: 'symbol', Value: 'BTCUSDT' }],
      MeasureName: 'trade',
      MeasureValueType: 'MULTI',
      MeasureValues: [
        { Name: 'price', Value: '68000', Type: 'DOUBLE' },
        { Name: 'quantity', Value: '0.5', Type: 'DOUBLE' },
        { Name: 'quote_quantity', Value: '34000', Type: 'DOUBLE' },
        { Name: 'market_maker', Value: '1', Type: 'BIGINT' },
        { Name: 'day_of_week', Value: '1', Type: 'BIGINT' },
        { Name: 'hour', Value: '11', Type: 'BIGINT' },
        { Name: 'minute', Value: '0', Type: 'BIGINT' },
        { Name: 'trade_id', Value: '9000000', Type: 'BIGINT' },
      ],
      Time: String(Date.UTC(2026, 10, 2, 11) * 1000),
      TimeUnit: 'MICROSECONDS',
      Version: NOW_MS,
    });
    const b0 = calls.find((c) => c.TableName === 'minute_bars')!.Records![0]!;
    expect(b0).toMatchObject({ MeasureName: 'bar_1m', TimeUnit: 'MICROSECONDS', Time: String(Date.UTC(2026, 10, 2, 11) * 1000) });
    expect(b0.MeasureValues).toContainEqual({ Name: 'trade_count', Value: '99', Type: 'BIGINT' });
    // A trade id not divisible by 1000 keeps its sub-microsecond tie-breaker.
    const t1 = calls.find((c) => c.TableName === 'trades')!.Records![1]!;
    expect(t1).toMatchObject({ TimeUnit: 'NANOSECONDS', Time: `${Date.UTC(2026, 10, 2, 11, 0, 0, 1) * 1000}001` });
  });

  it('keeps at most maxParallel WriteRecords calls in flight', async () => {
    // Prepare
    let inFlight = 0;
    let peak = 0;
    timestream.on(WriteRecordsCommand).callsFake(async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 10));
      inFlight--;
      return {};
    });
    // Act
    const result = await sink({ maxParallel: 3 }).write(trades(1000));
    // Assess
    expect(result.written).toBe(1000);
    expect(inputs()).toHaveLength(10);
    expect(peak).toBe(3);
  });

  it('re-sends a record rejected for an existing version with Version = ExistingVersion + 1, and returns other rejections with their reason', async () => {
    // Prepare
    timestream
      .on(WriteRecordsCommand)
      .rejectsOnce(
        new RejectedRecordsException({
          ...meta,
          message: 'One or more records have been rejected. See RejectedRecords for details.',
          RejectedRecords: [
            {
              RecordIndex: 1,
              Reason: 'A record with the same dimensions, time and measure name exists with different measure values.',
              ExistingVersion: NOW_MS + 5,
            },
            { RecordIndex: 3, Reason: 'The record timestamp is outside the time range [...] of the memory store.' },
          ],
        }),
      )
      .resolves({});
    const points = trades(5);
    // Act
    const result = await sink().write(points);
    // Assess
    expect(result.written).toBe(4);
    expect(result.corrected).toBe(1);
    expect(result.rejected).toEqual([
      { index: 3, point: points[3], code: 'rejected_by_store', reason: 'The record timestamp is outside the time range [...] of the memory store.' },
    ]);
    const calls = inputs();
    expect(calls).toHaveLength(2);
    expect(calls[0]!.Records).toHaveLength(5);
    expect(calls[1]!.Records).toHaveLength(1);
    expect(calls[1]!.Records![0]).toMatchObject({
      Version: NOW_MS + 6,
      Time: calls[0]!.Records![1]!.Time,
      MeasureValues: calls[0]!.Records![1]!.MeasureValues,
    });
  });

  it('gives up on a record whose version keeps losing after maxCorrections re-sends', async () => {
    // Prepare
    let existing = NOW_MS;
    timestream.on(WriteRecordsCommand).callsFake(async () => {
      existing += 10; // another writer keeps winning
      throw new RejectedRecordsException({ ...meta, message: 'rejected', RejectedRecords: [{ RecordIndex: 0, Reason: 'version', ExistingVersion: existing }] });
    });
    // Act
    const result = await sink({ maxCorrections: 2 }).write(trades(1));
    // Assess
    expect(inputs()).toHaveLength(3);
    expect(result.written).toBe(0);
    expect(result.rejected).toMatchObject([{ index: 0, code: 'version_conflict' }]);
    expect(result.rejected[0]!.reason).toMatch(/after 2 re-sends/);
  });

  it('returns invalid points as rejected with a reason instead of sending or dropping them', async () => {
    // Prepare
    timestream.on(WriteRecordsCommand).resolves({});
    const good = bar(0);
    const points: Point[] = [
      good,
      { ...bar(1), fields: { close: Number.POSITIVE_INFINITY } },
      { ...bar(2), tags: { ['d'.repeat(61)]: 'x' } },
      { ...bar(3), fields: { measure_name: 1 } },
      predictionPoint({ symbol: 'BTCUSDT', model_id: 'gbt-1', kind: 'log_return_1m', target_time: 1, predicted: 0.001 }),
    ];
    // Act
    const result = await sink({ tables: { bar_1m: 'minute_bars' } }).write(points);
    // Assess
    expect(result.written).toBe(1);
    expect(result.rejected.map((r) => [r.index, r.code])).toEqual([
      [1, 'invalid_point'],
      [2, 'invalid_point'],
      [3, 'invalid_point'],
      [4, 'unmapped_measurement'],
    ]);
    expect(result.rejected.map((r) => r.reason)).toEqual([
      expect.stringMatching(/finite/),
      expect.stringMatching(/60 bytes/),
      expect.stringMatching(/reserved/),
      expect.stringMatching(/no Timestream table for measurement prediction/),
    ]);
    expect(inputs().flatMap((c) => c.Records!)).toHaveLength(1);
  });

  it('narrows a ValidationException down to the offending record', async () => {
    // Prepare
    timestream.on(WriteRecordsCommand).callsFake(async (input: WriteRecordsCommandInput) => {
      if (input.Records!.some((r) => r.MeasureValues!.some((v) => v.Name === 'price' && v.Value === '68002'))) {
        throw new ValidationException({ ...meta, message: 'Measure value price is invalid.', Message: 'Measure value price is invalid.' });
      }
      return {};
    });
    const points = trades(4);
    // Act
    const result = await sink().write(points);
    // Assess
    expect(result.written).toBe(3);
    expect(result.rejected).toEqual([{ index: 2, point: points[2], code: 'rejected_by_store', reason: 'Measure value price is invalid.' }]);
  });

  it('retries ThrottlingException with growing, jittered, bounded backoff and then succeeds', async () => {
    // Prepare
    const throttled = () => new ThrottlingException({ ...meta, message: 'Rate exceeded', Message: 'Rate exceeded' });
    timestream.on(WriteRecordsCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves({});
    const waits: number[] = [];
    const s = sink({ sleep: async (ms) => void waits.push(ms), random: () => 0.999, retry: { baseDelayMs: 100, maxDelayMs: 300, maxRetries: 5 } });
    // Act
    const result = await s.write(trades(3));
    // Assess
    expect(result).toEqual({ written: 3, rejected: [], retried: 3, corrected: 0 });
    expect(inputs()).toHaveLength(4);
    expect(waits).toEqual([99, 199, 299]);
  });

  it('fails with a retryable error when throttling outlasts the retries, and at once on access errors', async () => {
    // Prepare
    timestream.on(WriteRecordsCommand).rejects(new ThrottlingException({ ...meta, message: 'Rate exceeded', Message: 'Rate exceeded' }));
    const throttledOutcome = await sink({ retry: { maxRetries: 2 } })
      .write(trades(1))
      .catch((e: unknown) => e);
    const throttledCalls = inputs().length;
    timestream.reset();
    timestream.on(WriteRecordsCommand).rejects(new AccessDeniedException({ ...meta, message: 'not authorized', Message: 'not authorized' }));
    // Act
    const deniedOutcome = await sink()
      .write(trades(1))
      .catch((e: unknown) => e);
    // Assess
    expect(throttledOutcome).toBeInstanceOf(TimeSeriesWriteError);
    expect((throttledOutcome as TimeSeriesWriteError).retryable).toBe(true);
    expect(throttledCalls).toBe(3);
    expect(deniedOutcome).toBeInstanceOf(TimeSeriesWriteError);
    expect((deniedOutcome as TimeSeriesWriteError).retryable).toBe(false);
    expect(inputs()).toHaveLength(1);
  });

  it('the factory maps measurements to the tables the stack created (TIMESTREAM_TABLES)', async () => {
    // Prepare
    timestream.on(WriteRecordsCommand).resolves({});
    const config = cloudConfigFromEnv({
      TIME_SERIES_ENGINE: 'timestream-liveanalytics',
      TIMESTREAM_DATABASE: 'ticklake_dev',
      TIMESTREAM_TABLES: 'trades,minute_bars',
    });
    const s = await createCloudSink(config, { timestreamClient: client });
    // Act
    const result = await s.write([bar(0), predictionPoint({ symbol: 'BTCUSDT', model_id: 'm', kind: 'k', target_time: 5, predicted: 1 })]);
    // Assess
    expect(config).toMatchObject({ engine: 'timestream-liveanalytics', database: 'ticklake_dev', tables: { trade: 'trades', bar_1m: 'minute_bars' } });
    expect(result.written).toBe(1);
    expect(result.rejected).toMatchObject([{ index: 1, code: 'unmapped_measurement' }]);
    expect(inputs().map((c) => c.TableName)).toEqual(['minute_bars']);
  });

  it("maps every registered source's measurement to a table of its own by default", async () => {
    // Prepare
    timestream.on(WriteRecordsCommand).resolves({});
    const measurements = SOURCES.flatMap((src) => src.measurements ?? []);
    const points: Point[] = measurements.map((m) => ({ measurement: m, tags: { symbol: 'X' }, fields: { price: 1 }, time: NOW_MS * 1000 }));
    // Act
    const result = await sink().write(points);
    // Assess
    expect(measurements).toEqual(expect.arrayContaining(['trade', 'stock_tick', 'crypto_quote']));
    expect(result).toMatchObject({ written: measurements.length, rejected: [] });
    expect(
      inputs()
        .map((c) => c.TableName)
        .sort(),
    ).toEqual(measurements.map((m) => `${m}s`).sort());
  });
});
