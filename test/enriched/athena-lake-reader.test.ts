/**
 * The publishers' lake reader on Athena (`LakeResultsReader` over
 * `AthenaQueryRunner`), with the real SDK client mocked by aws-sdk-client-mock:
 * the statements and execution parameters it sends (no result reuse), how it
 * waits, every page of the results, rows read by their column types.
 */
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  StartQueryExecutionCommand,
  type StartQueryExecutionCommandInput,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AthenaQueryRunner } from '../../src/adapters/aws/athena-query-runner.js';
import { AthenaQueryError } from '../../src/adapters/aws/ml/athena-bar-source.js';
import { LakeResultsReader } from '../../src/enriched/lake-queries.js';
import { ATHENA } from '../../src/sql/dialect.js';
import { MINUTE_US } from '../../src/timeseries/bar-publication.js';

const athena = mockClient(AthenaClient);
let client: AthenaClient;
const sleeps: number[] = [];
const OPTIONS = { database: 'ticklake_dev', workGroup: 'ticklake-dev', sleep: async (ms: number) => void sleeps.push(ms) };

/** Monday 2026-11-02 00:30 UTC, µs: a look-back of 4 hours reaches the day before. */
const T0 = Date.UTC(2026, 10, 2, 0, 30) * 1000;

beforeEach(() => {
  athena.reset();
  sleeps.length = 0;
  client = new AthenaClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
});
afterEach(() => client.destroy());

/** One page of results: the header row first on the first page, as Athena sends it. */
function page(columns: [string, string][], rows: (string | undefined)[][], opts: { header: boolean; next?: string }): GetQueryResultsCommandOutput {
  const asRow = (cells: (string | undefined)[]) => ({ Data: cells.map((v) => (v === undefined ? {} : { VarCharValue: v })) });
  return {
    $metadata: {},
    ResultSet: {
      ResultSetMetadata: { ColumnInfo: columns.map(([Name, Type]) => ({ Name, Label: Name, Type })) },
      Rows: [...(opts.header ? [asRow(columns.map(([n]) => n))] : []), ...rows.map(asRow)],
    },
    ...(opts.next ? { NextToken: opts.next } : {}),
  };
}

function succeedWith(...pages: GetQueryResultsCommandOutput[]): void {
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
  athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
  const results = athena.on(GetQueryResultsCommand);
  for (const p of pages) results.resolvesOnce(p);
}

const started = () => athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input as StartQueryExecutionCommandInput);
const reader = () => new LakeResultsReader(new AthenaQueryRunner(client, OPTIONS));

const EVENT_COLUMNS: [string, string][] = [
  ['event_time_us', 'bigint'],
  ['seq', 'bigint'],
  ['user_id', 'varchar'],
  ['device_id', 'varchar'],
  ['device_type', 'varchar'],
  ['location', 'varchar'],
  ['event_type', 'varchar'],
  ['channel', 'varchar'],
];
const eventRow = (us: number, seq: number, device: string, type = 'start') => [String(us), String(seq), 'u1', device, 'smart-tv', 'leeds', type, 'news-24'];

describe('the publishers lake reader on Athena', () => {
  it('the watermark: max(event_time) of the source from a day on, the day as a parameter; no result reuse; NULL is none', async () => {
    // Prepare
    succeedWith(
      page([['watermark_us', 'bigint']], [[String(T0 + 123)]], { header: true }),
      page([['watermark_us', 'bigint']], [[undefined]], { header: true }),
    );
    // Act
    const first = await reader().latestViewingTimeUs(T0);
    const second = await reader().latestEngagementTimeUs(undefined);
    // Assess
    expect([first, second]).toEqual([T0 + 123, undefined]);
    const [a, b] = started();
    expect(a).toEqual({
      QueryString: 'SELECT CAST(round(to_unixtime(max(event_time)) * 1000000) AS BIGINT) AS watermark_us\nFROM viewing_events\nWHERE dt >= ?',
      WorkGroup: 'ticklake-dev',
      QueryExecutionContext: { Database: 'ticklake_dev' },
      ExecutionParameters: ["'2026-11-02'"],
    });
    expect(b!.QueryString).toMatch(/FROM engagement_events$/);
    expect(b!.ExecutionParameters).toBeUndefined();
    expect(b!.ResultReuseConfiguration).toBeUndefined();
  });

  it('viewing events: the look-back and the window as typed literals (days, then times), every page read', async () => {
    // Prepare: three pages, the header on the first only
    succeedWith(
      page(EVENT_COLUMNS, [eventRow(T0 - 60 * MINUTE_US, 4, 'tv')], { header: true, next: 't1' }),
      page(EVENT_COLUMNS, [eventRow(T0 + MINUTE_US, 5, 'tv', 'stop'), eventRow(T0 + 2 * MINUTE_US, 1, 'phone')], { header: false, next: 't2' }),
      page(EVENT_COLUMNS, [eventRow(T0 + 3 * MINUTE_US, 2, 'phone', 'switch')], { header: false }),
    );
    // Act
    const events = await reader().viewingEvents({ lookbackUs: T0 - 240 * MINUTE_US, afterUs: T0, throughUs: T0 + 5 * MINUTE_US });
    // Assess
    const [q] = started();
    expect(q!.QueryString).toMatch(/WITH before_window AS \([\s\S]*rank\(\) OVER \(PARTITION BY user_id, device_id ORDER BY event_time DESC, seq DESC\)/);
    expect(q!.QueryString).toMatch(/UNION ALL/);
    expect(q!.QueryString).not.toMatch(/2026|TIMESTAMP '/);
    expect(q!.ExecutionParameters).toEqual([
      "'2026-11-01'",
      "'2026-11-02'",
      "TIMESTAMP '2026-11-01 20:30:00.000000'",
      "TIMESTAMP '2026-11-02 00:30:00.000000'",
      "'2026-11-02'",
      "'2026-11-02'",
      "TIMESTAMP '2026-11-02 00:30:00.000000'",
      "TIMESTAMP '2026-11-02 00:35:00.000000'",
    ]);
    const pages = athena.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input);
    expect(pages).toEqual([
      { QueryExecutionId: 'q-1', MaxResults: 1000 },
      { QueryExecutionId: 'q-1', MaxResults: 1000, NextToken: 't1' },
      { QueryExecutionId: 'q-1', MaxResults: 1000, NextToken: 't2' },
    ]);
    expect(events.map((e) => [e.event_time, e.seq, e.device_id, e.event_type])).toEqual([
      [T0 - 60 * MINUTE_US, 4, 'tv', 'start'],
      [T0 + MINUTE_US, 5, 'tv', 'stop'],
      [T0 + 2 * MINUTE_US, 1, 'phone', 'start'],
      [T0 + 3 * MINUTE_US, 2, 'phone', 'switch'],
    ]);
    expect(events[0]).toEqual({
      event_time: T0 - 60 * MINUTE_US,
      seq: 4,
      user_id: 'u1',
      device_id: 'tv',
      device_type: 'smart-tv',
      location: 'leeds',
      event_type: 'start',
      channel: 'news-24',
    });
  });

  it('category minutes: the view inlined over engagement_partials, the window as parameters, rows as aggregates', async () => {
    // Prepare
    const columns: [string, string][] = [
      ['category', 'varchar'],
      ['window_start_us', 'bigint'],
      ['window_end_us', 'bigint'],
      ['views', 'bigint'],
      ['likes', 'bigint'],
      ['like_rate', 'double'],
      ['avg_watch_time', 'double'],
      ['total_watch_time', 'double'],
      ['max_watch_time', 'double'],
    ];
    succeedWith(page(columns, [['music', String(T0), String(T0 + MINUTE_US), '4', '1', '0.25', '12.5', '50.0', '20.25']], { header: true }));
    // Act
    const windows = await reader().engagementWindows(T0 - MINUTE_US, T0);
    // Assess
    const [q] = started();
    expect(q!.QueryString).toMatch(
      /FROM \(SELECT[\s\S]*FROM engagement_partials\nGROUP BY window_start, category, dt, hour\) w\nWHERE dt BETWEEN \? AND \?\n {2}AND window_start > \?\n {2}AND window_start <= \?/,
    );
    expect(q!.ExecutionParameters).toEqual([
      "'2026-11-02'",
      "'2026-11-02'",
      "TIMESTAMP '2026-11-02 00:29:00.000000'",
      "TIMESTAMP '2026-11-02 00:30:00.000000'",
    ]);
    expect(windows).toEqual([
      {
        category: 'music',
        window_start: T0,
        window_end: T0 + MINUTE_US,
        views: 4,
        likes: 1,
        like_rate: 0.25,
        avg_watch_time: 12.5,
        total_watch_time: 50,
        max_watch_time: 20.25,
      },
    ]);
  });

  it('polls with a growing delay until the query ends; a failed query raises its reason; a malformed row is refused', async () => {
    // Prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-9' });
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce({ QueryExecution: { Status: { State: 'QUEUED' } } })
      .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } })
      .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } })
      .resolves({ QueryExecution: { Status: { State: 'FAILED', StateChangeReason: 'TABLE_NOT_FOUND: viewing_events' } } });
    // Act
    const failed = reader().latestViewingTimeUs(T0);
    // Assess
    await expect(failed).rejects.toThrow(AthenaQueryError);
    await expect(reader().latestViewingTimeUs(T0)).rejects.toThrow(/q-9 FAILED: TABLE_NOT_FOUND: viewing_events/);
    expect(sleeps.slice(0, 3)).toEqual([200, 400, 800]);
    athena.reset();
    succeedWith(page(EVENT_COLUMNS, [['not a time', '1', 'u1', 'tv', 'smart-tv', 'leeds', 'start', 'news-24']], { header: true }));
    await expect(reader().viewingEvents({ lookbackUs: T0 - 1, afterUs: T0, throughUs: T0 + 1 })).rejects.toThrow(
      /event_time is not a finite number: not a time/,
    );
    expect(new AthenaQueryRunner(client, OPTIONS).dialect).toBe(ATHENA);
  });
});
