/**
 * Writing through the time-series points function: the JSON form of points,
 * the sink that invokes the function, the function's handler, and the logging
 * of refused points.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cloudConfigFromEnv, createCloudSink } from '../../src/adapters/aws/timeseries/cloud-sink.js';
import { FunctionSink, type PointsInvoker } from '../../src/adapters/aws/timeseries/function-sink.js';
import { createPointsHandler, type PointsRequest } from '../../src/timeseries/points-function.js';
import { reportingSink } from '../../src/timeseries/rejections.js';
import { barPoint, predictionPoint } from '../../src/timeseries/measurements.js';
import { pointFromJson, pointToJson } from '../../src/timeseries/point-json.js';
import { TimeSeriesWriteError, type FieldValue, type Point, type TimeSeriesSink, type WriteOptions, type WriteResult } from '../../src/timeseries/point.js';

const T = Date.UTC(2026, 10, 2, 10) * 1000;

const bar = (m: number, trade_count: number) =>
  barPoint({
    symbol: 'BTCUSDT',
    minute_start: T + m * 60_000_000,
    open: 1,
    high: 2,
    low: 0.5,
    close: 1.5,
    vwap: 1.2,
    avg_price: 1.1,
    volume: 3,
    quote_volume: 3.6,
    trade_count,
    buyer_maker_share: 0.5,
  });

/** A sink that records what it is asked to write and refuses the points `refuse` picks. */
class RecordingSink implements Pick<TimeSeriesSink, 'write'> {
  readonly calls: { points: readonly Point[]; versions: number[] }[] = [];
  constructor(private readonly refuse: (p: Point) => string | undefined = () => undefined) {}
  async write(points: readonly Point[], options: WriteOptions = {}): Promise<WriteResult> {
    const v = options.version;
    this.calls.push({ points, versions: points.map((p, i) => (typeof v === 'function' ? v(p, i) : (v ?? -1))) });
    const rejected = points.flatMap((point, index) => {
      const reason = this.refuse(point);
      return reason ? [{ index, point, code: 'rejected_by_store' as const, reason }] : [];
    });
    return { written: points.length - rejected.length, rejected, retried: 0, corrected: 0 };
  }
}

/** Invokes a points handler in process, through JSON, as Lambda would. */
const inProcess =
  (handle: (r: PointsRequest) => Promise<unknown>): PointsInvoker =>
  async (payload) => ({ payload: JSON.stringify(await handle(JSON.parse(payload) as PointsRequest)) });

describe('points as JSON', () => {
  it('property: every valid point survives JSON (64-bit integers included) unchanged, but for -0, which JSON writes as 0', () => {
    const float = fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x));
    const field: fc.Arbitrary<FieldValue> = fc.oneof(float, fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.boolean(), fc.string());
    const point = fc.record({
      measurement: fc.string({ minLength: 1 }),
      tags: fc.dictionary(fc.string({ minLength: 1 }), fc.string()),
      fields: fc.dictionary(fc.string({ minLength: 1 }), field, { minKeys: 1 }),
      time: fc.integer({ min: 0, max: 2 ** 52 }),
      nanos: fc.option(fc.integer({ min: 1, max: 999 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(point, (p) => {
        // Prepare
        const clean: Point = p.nanos === undefined ? { measurement: p.measurement, tags: p.tags, fields: p.fields, time: p.time } : p;
        // Act
        const back = pointFromJson(JSON.parse(JSON.stringify(pointToJson(clean))));
        // Assess
        expect(back).toEqual(clean);
      }),
    );
  });
});

describe('FunctionSink and the points handler', () => {
  it('sends valid points with their per-point versions, in chunks, and maps refusals back to the caller’s indexes', async () => {
    // Prepare: the store refuses minute 3; a NaN point never leaves the caller
    const store = new RecordingSink((p) => (p.time === T + 3 * 60_000_000 ? 'outside the memory store' : undefined));
    const sink = new FunctionSink({
      kind: 'timestream-liveanalytics',
      functionName: 'f',
      invoke: inProcess(createPointsHandler({ sink: store })),
      pointsPerCall: 2,
    });
    const nan = { ...bar(9, 1), fields: { ...bar(9, 1).fields, close: Number.NaN } };
    const points = [bar(0, 5), nan, bar(1, 6), bar(2, 7), bar(3, 8)];
    // Act
    const r = await sink.write(points, { version: (p) => Number(p.fields.trade_count) });
    // Assess
    expect(store.calls.map((c) => c.versions)).toEqual([
      [5, 6],
      [7, 8],
    ]);
    expect(store.calls[0]!.points[0]).toEqual(bar(0, 5));
    expect(r.written).toBe(3);
    expect(r.rejected.map((x) => [x.index, x.code, x.point.time])).toEqual([
      [1, 'invalid_point', T + 9 * 60_000_000],
      [4, 'rejected_by_store', T + 3 * 60_000_000],
    ]);
    expect(r.rejected[1]!.reason).toBe('outside the memory store');
  });

  it('a store the function cannot reach, a failed function or an answer that is not JSON is a TimeSeriesWriteError', async () => {
    // Prepare
    const down = createPointsHandler({
      sink: {
        write: async () => {
          throw new TimeSeriesWriteError('Timestream still throttling after 6 attempts', true);
        },
      },
    });
    const cases: [PointsInvoker, RegExp, boolean][] = [
      [inProcess(down), /still throttling/, true],
      [
        async () => ({ payload: JSON.stringify({ errorType: 'Error', errorMessage: 'boom' }), functionError: 'Unhandled' }),
        /failed \(Unhandled\): Error: boom/,
        true,
      ],
      [async () => ({ payload: '<html>' }), /not JSON/, true],
      [async () => Promise.reject(new Error('TooManyRequestsException')), /TooManyRequestsException/, true],
    ];
    for (const [invoke, message, retryable] of cases) {
      // Act
      const error = await new FunctionSink({ kind: 'timestream-influxdb', functionName: 'f', invoke }).write([bar(0, 1)]).catch((e: unknown) => e);
      // Assess
      expect(error).toBeInstanceOf(TimeSeriesWriteError);
      expect((error as TimeSeriesWriteError).message).toMatch(message);
      expect((error as TimeSeriesWriteError).retryable).toBe(retryable);
    }
  });

  it('the handler refuses a point it cannot decode, by index, and writes the rest with their versions', async () => {
    // Prepare
    const store = new RecordingSink();
    const handle = createPointsHandler({ sink: store });
    const good = pointToJson(bar(0, 4));
    const bad = { ...good, fields: { trade_count: { int: '1.5' } } };
    // Act
    const r = await handle({ points: [bad, good], versions: [9, 4] });
    // Assess
    expect(r).toEqual({
      written: 1,
      retried: 0,
      corrected: 0,
      rejected: [{ index: 0, code: 'invalid_point', reason: expect.stringContaining('trade_count') }],
    });
    expect(store.calls[0]!.versions).toEqual([4]);
    await expect(handle({ points: [good], versions: [1, 2] })).rejects.toThrow(/2 versions for 1 points/);
  });

  it('TIME_SERIES_POINTS_FUNCTION makes the cloud sink a FunctionSink of the configured engine', async () => {
    // Prepare
    const env = { TIME_SERIES_ENGINE: 'timestream-influxdb', TIME_SERIES_POINTS_FUNCTION: 'ticklake-dev-timeseries-points' };
    // Act
    const config = cloudConfigFromEnv(env);
    const sink = await createCloudSink(config, {
      invokePoints: async () => ({ payload: JSON.stringify({ written: 1, retried: 0, corrected: 0, rejected: [] }) }),
    });
    const r = await sink.write([bar(0, 1)]);
    await sink.close();
    // Assess
    expect(config).toEqual({ engine: 'timestream-influxdb', pointsFunction: 'ticklake-dev-timeseries-points' });
    expect(sink).toBeInstanceOf(FunctionSink);
    expect(sink.kind).toBe('timestream-influxdb');
    expect(r.written).toBe(1);
  });
});

describe('refused points are logged with their reason', () => {
  it('logs each refusal; with unavailableAsRejected an unreachable store becomes refusals instead of an error', async () => {
    // Prepare
    const lines: [string, Record<string, unknown>][] = [];
    const log = { warn: (m: string, a: Record<string, unknown>) => void lines.push([m, a]) };
    const refusing = reportingSink(new RecordingSink(() => 'field type conflict'), log, 'prediction');
    const p = predictionPoint({ symbol: 'BTCUSDT', model_id: 'gbt-1', kind: 'close_1m', target_time: T, predicted: 1 });
    const unreachable = { write: async () => Promise.reject(new TimeSeriesWriteError('no route to store', true)) };
    // Act
    const r1 = await refusing.write([p]);
    const r2 = await reportingSink(unreachable, log, 'prediction', { unavailableAsRejected: true }).write([p, p]);
    const r3 = reportingSink(unreachable, log, 'bar').write([p]);
    // Assess
    expect(r1.rejected).toHaveLength(1);
    expect(r2.rejected.map((x) => x.reason)).toEqual(['store unavailable: no route to store', 'store unavailable: no route to store']);
    await expect(r3).rejects.toThrow(TimeSeriesWriteError);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toEqual([
      'time-series store refused a prediction point',
      { code: 'rejected_by_store', reason: 'field type conflict', measurement: 'prediction', tags: p.tags, time: T },
    ]);
  });
});
