/**
 * The cloud bar publisher with the real AWS SDK v3 clients mocked by
 * aws-sdk-client-mock: Athena answers from a fake lake, Timestream for
 * LiveAnalytics applies the documented record version rules.
 */
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { TimestreamWriteClient, WriteRecordsCommand, type WriteRecordsCommandInput } from '@aws-sdk/client-timestream-write';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AthenaBarSource, createAthenaApi } from '../../src/adapters/aws/ml/athena-bar-source.js';
import { createCloudBarPublisher, withBarPublishing, type CloudBarPublisherOptions } from '../../src/timeseries/cloud-bar-publisher.js';
import { FunctionSink, lambdaInvoker } from '../../src/adapters/aws/timeseries/function-sink.js';
import { createPointsHandler, type PointsRequest } from '../../src/timeseries/points-function.js';
import { LiveAnalyticsSink } from '../../src/adapters/aws/timeseries/timestream-liveanalytics.js';
import { MINUTE_US } from '../../src/timeseries/bar-publication.js';
import { FakeLake, FakeTimestreamTable, memoryStateStore } from '../helpers/bar-publishing.js';

const athena = mockClient(AthenaClient);
const timestream = mockClient(TimestreamWriteClient);
const lambda = mockClient(LambdaClient);

/** Monday 2026-11-02 10:00 UTC, µs. */
const T0 = Date.UTC(2026, 10, 2, 10) * 1000;
const S = 1_000_000;

let lake: FakeLake;
let table: FakeTimestreamTable;
let client: TimestreamWriteClient;

beforeEach(() => {
  athena.reset();
  timestream.reset();
  lambda.reset();
  lake = new FakeLake();
  table = new FakeTimestreamTable();
  const results = new Map<string, Promise<(string | null)[][]>>();
  athena.on(StartQueryExecutionCommand).callsFake((input: { QueryString: string }) => {
    const id = `q-${results.size}`;
    results.set(id, lake.athenaRows(input.QueryString));
    return { QueryExecutionId: id };
  });
  athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
  athena.on(GetQueryResultsCommand).callsFake(async (input: { QueryExecutionId: string }) => ({
    ResultSet: {
      Rows: [
        { Data: [{ VarCharValue: 'header' }] },
        ...(await results.get(input.QueryExecutionId)!).map((r) => ({ Data: r.map((v) => (v === null ? {} : { VarCharValue: v })) })),
      ],
    },
  }));
  timestream.on(WriteRecordsCommand).callsFake((input: WriteRecordsCommandInput) => table.write(input));
  client = new TimestreamWriteClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
});

afterEach(() => client.destroy());

const writes = () => timestream.commandCalls(WriteRecordsCommand).flatMap((c) => c.args[0].input.Records ?? []);
const tradeCount = (r: ReturnType<typeof writes>[number]) => Number(r.MeasureValues!.find((m) => m.Name === 'trade_count')!.Value);
const tick = (minute: number, second = 0) => ({ timeUs: T0 + minute * MINUTE_US + second * S });

function publisher(state = memoryStateStore(), extra: Partial<CloudBarPublisherOptions> = {}) {
  const source = new AthenaBarSource(createAthenaApi(), { database: 'ticklake_dev', workGroup: 'ticklake-dev', sleep: async () => undefined });
  const sink = new LiveAnalyticsSink({ client, database: 'ticklake_dev', sleep: async () => undefined });
  return createCloudBarPublisher({ lake: source, sink, state, correctionHorizonMinutes: 30, ...extra });
}

/** Two trades in each of minutes 0..n-1 of BTCUSDT, at :05 and :40. */
function tradesInMinutes(n: number): void {
  for (let m = 0; m < n; m++)
    lake.add(
      { symbol: 'BTCUSDT', timeUs: T0 + m * MINUTE_US + 5 * S, price: 100 + m },
      { symbol: 'BTCUSDT', timeUs: T0 + m * MINUTE_US + 40 * S, price: 101 + m },
    );
}

describe('cloud bar publisher (Athena and Timestream LiveAnalytics mocked with aws-sdk-client-mock)', () => {
  it('publishes the closed minutes only, as bar_1m records with version = trade count, reading the watermark then the window', async () => {
    // Prepare: minutes 0..3 have trades; the latest trade is at 3:40, so minute 2 ends 60 s before it and minute 3 is open
    tradesInMinutes(4);
    const state = memoryStateStore();
    // Act
    const r = await publisher(state)(tick(4));
    // Assess
    expect(r).toMatchObject({
      watermarkUs: T0 + 3 * MINUTE_US + 40 * S,
      closedThroughUs: T0 + 2 * MINUTE_US,
      fresh: 3,
      corrections: 0,
      written: 3,
      rejected: [],
    });
    expect(writes().map((w) => [w.MeasureName, w.Time, w.Version])).toEqual([0, 1, 2].map((m) => ['bar_1m', String(T0 + m * MINUTE_US), 2]));
    expect(timestream.commandCalls(WriteRecordsCommand)[0]!.args[0].input.TableName).toBe('minute_bars');
    const queries = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input);
    expect(queries).toHaveLength(2);
    expect(queries[0]!.QueryString).toMatch(/max\(close_time\)[\s\S]*FROM bar_partials\s+WHERE dt >= '2026-11-02'/);
    expect(queries[1]!.QueryString).toMatch(
      /FROM bars_1m[\s\S]*minute_start >= TIMESTAMP '2026-11-02 09:33:00.000000'[\s\S]*minute_start < TIMESTAMP '2026-11-02 10:03:00.000000'/,
    );
    expect(queries.every((q) => q.WorkGroup === 'ticklake-dev' && q.QueryExecutionContext?.Database === 'ticklake_dev')).toBe(true);
    expect(JSON.parse(state.docs.get('bar-publisher')!)).toEqual({
      closedThroughUs: T0 + 2 * MINUTE_US,
      published: { BTCUSDT: { [T0]: 2, [T0 + MINUTE_US]: 2, [T0 + 2 * MINUTE_US]: 2 } },
    });
  });

  it('a trade later than the lateness re-publishes its minute as a correction with a higher version, and the store takes it', async () => {
    // Prepare: a first tick published minutes 0..2
    tradesInMinutes(4);
    const publish = publisher();
    await publish(tick(4));
    const before = table.bars();
    // Act: a trade for minute 0 arrives two minutes late, and the stream moves on to minute 5
    lake.add({ symbol: 'BTCUSDT', timeUs: T0 + 20 * S, price: 99 }, { symbol: 'BTCUSDT', timeUs: T0 + 5 * MINUTE_US + 30 * S, price: 105 });
    const r = await publish(tick(6));
    // Assess
    expect(r).toMatchObject({ fresh: 1, corrections: 1, rejected: [] }); // minute 3 closed now (minute 4 has no trade); minute 0 corrected
    const correction = writes().filter((w) => w.Time === String(T0));
    expect(correction.map((w) => [tradeCount(w), w.Version])).toEqual([
      [2, 2],
      [3, 3],
    ]);
    expect(before[`BTCUSDT@${T0}`]).toEqual({ tradeCount: 2, version: 2 });
    expect(table.bars()[`BTCUSDT@${T0}`]).toEqual({ tradeCount: 3, version: 3 });
    expect(table.conflicts).toBe(0);
  });

  it('the same tick run twice writes nothing new; with its state lost it re-sends identical records, which change nothing and conflict with nothing', async () => {
    // Prepare
    tradesInMinutes(6);
    const state = memoryStateStore();
    const first = await publisher(state)(tick(6));
    const sentFirst = writes().length;
    const stored = JSON.stringify([...table.records]);
    // Act
    const again = await publisher(state)(tick(6));
    const sentAgain = writes().length - sentFirst;
    state.docs.clear();
    const lost = await publisher(state)(tick(6));
    // Assess
    expect(first.fresh).toBe(5);
    expect(again).toMatchObject({ fresh: 0, corrections: 0, written: 0 });
    expect(sentAgain).toBe(0);
    expect(lost).toMatchObject({ fresh: 5, written: 5, storeCorrected: 0, rejected: [] });
    expect(writes().slice(sentFirst)).toEqual(writes().slice(0, sentFirst));
    expect(JSON.stringify([...table.records])).toBe(stored);
    expect(table.conflicts).toBe(0);
  });

  it('a refused bar is returned with its reason, not remembered as published, and sent again on the next tick', async () => {
    // Prepare: the store refuses the first write of minute 1 (outside the memory store, say), then accepts
    tradesInMinutes(3);
    let refuseOnce = true;
    timestream.on(WriteRecordsCommand).callsFake((input: WriteRecordsCommandInput) => {
      const i = input.Records!.findIndex((r) => r.Time === String(T0 + MINUTE_US));
      if (refuseOnce && i >= 0) {
        refuseOnce = false;
        const rest = { ...input, Records: input.Records!.filter((_, k) => k !== i) };
        table.write(rest);
        throw Object.assign(new Error('rejected'), {
          name: 'RejectedRecordsException',
          RejectedRecords: [{ RecordIndex: i, Reason: 'The record timestamp is outside the time range of the memory store.' }],
        });
      }
      return table.write(input);
    });
    const publish = publisher();
    // Act
    const first = await publish(tick(3));
    const second = await publish(tick(3, 30));
    // Assess
    expect(first.rejected.map((r) => [r.point.time, r.code, r.reason])).toEqual([
      [T0 + MINUTE_US, 'rejected_by_store', 'The record timestamp is outside the time range of the memory store.'],
    ]);
    expect(first.written).toBe(1);
    expect(second).toMatchObject({ fresh: 1, written: 1, rejected: [] });
    expect(Object.keys(table.bars()).sort()).toEqual([`BTCUSDT@${T0}`, `BTCUSDT@${T0 + MINUTE_US}`]);
  });

  it('through the time-series points function (Lambda Invoke mocked): integer fields and per-bar versions arrive intact', async () => {
    // Prepare: the invocation runs the points function's handler in process, over the mocked LiveAnalytics sink
    tradesInMinutes(3);
    const handle = createPointsHandler({ sink: new LiveAnalyticsSink({ client, database: 'ticklake_dev', sleep: async () => undefined }) });
    lambda.on(InvokeCommand).callsFake(async (input: { Payload: Uint8Array }) => ({
      StatusCode: 200,
      Payload: new TextEncoder().encode(JSON.stringify(await handle(JSON.parse(new TextDecoder().decode(input.Payload)) as PointsRequest))),
    }));
    const lambdaClient = new LambdaClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const sink = new FunctionSink({
      kind: 'timestream-liveanalytics',
      functionName: 'ticklake-dev-timeseries-points',
      invoke: lambdaInvoker(lambdaClient, 'ticklake-dev-timeseries-points'),
    });
    const source = new AthenaBarSource(createAthenaApi(), { database: 'ticklake_dev', workGroup: 'ticklake-dev', sleep: async () => undefined });
    // Act
    const r = await createCloudBarPublisher({ lake: source, sink, state: memoryStateStore() })(tick(3));
    lambdaClient.destroy();
    // Assess
    expect(r).toMatchObject({ fresh: 2, written: 2, rejected: [] });
    expect(lambda.commandCalls(InvokeCommand)[0]!.args[0].input).toMatchObject({
      FunctionName: 'ticklake-dev-timeseries-points',
      InvocationType: 'RequestResponse',
    });
    expect(writes().map((w) => [w.Version, w.MeasureValues!.find((m) => m.Name === 'trade_count')])).toEqual([
      [2, { Name: 'trade_count', Value: '2', Type: 'BIGINT' }],
      [2, { Name: 'trade_count', Value: '2', Type: 'BIGINT' }],
    ]);
  });
});

describe('a schedule tick: bars first, then the predictions', () => {
  it('a failed publishing still runs the predictions, then fails the tick; republishBarsFrom anchors the tick', async () => {
    // Prepare
    const calls: string[] = [];
    const ticks: unknown[] = [];
    const run = withBarPublishing(
      async (e: { time: string }) => {
        calls.push(`predict ${e.time}`);
        return 'ok';
      },
      async (t) => {
        ticks.push(t);
        if (ticks.length === 1) throw new Error('Athena is down');
        return { fresh: 0, corrections: 0, written: 0, storeCorrected: 0, rejected: [], backlogMinutes: 0 };
      },
      { onError: (e) => calls.push(`error ${(e as Error).message}`) },
    );
    // Act
    const failed = run({ time: '2026-11-02T10:05:00Z' }).catch((e: Error) => e.message);
    const first = await failed;
    const second = await run({ time: '2026-11-02T10:06:00Z', republishBarsFrom: '2026-11-01T00:00:30Z' });
    // Assess
    expect(first).toBe('Athena is down');
    expect(calls).toEqual(['error Athena is down', 'predict 2026-11-02T10:05:00Z', 'predict 2026-11-02T10:06:00Z']);
    expect(second).toBe('ok');
    expect(ticks[1]).toEqual({ timeUs: Date.parse('2026-11-02T10:06:00Z') * 1000, fromUs: Date.parse('2026-11-01T00:00:30Z') * 1000 });
  });
});
