/**
 * `lambdas/enriched-publisher/handler.ts` with the real SDK clients mocked by
 * aws-sdk-client-mock: Athena answers the publisher's queries from fake lakes
 * (by their execution parameters), S3 keeps the one state object, Kinesis
 * takes the records. A tick puts the closed category minutes and views and
 * saves the state; the next puts nothing new; a kind whose queries fail fails
 * the invocation after the other kind's progress is saved.
 */
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  type StartQueryExecutionCommandInput,
} from '@aws-sdk/client-athena';
import { KinesisClient, PutRecordsCommand, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { enrichedSourcesOf, tickOfEvent } from '../../src/adapters/aws/enriched-results.js';
import { type EnrichedRecord, parseEnriched } from '../../src/enriched/records.js';
import type { ViewingEvent } from '../../src/sources/viewing/event.js';
import { MINUTE_US } from '../../src/timeseries/bar-publication.js';
import { FakeEngagementLake, FakeViewingLake } from '../helpers/closed-results.js';

const athena = mockClient(AthenaClient);
const s3 = mockClient(S3Client);
const kinesis = mockClient(KinesisClient);

/** Monday 2026-11-02 10:00 UTC, µs. */
const T0 = Date.UTC(2026, 10, 2, 10) * 1000;
const S = 1_000_000;
const STATE_KEY = 'enriched-publisher/state.json';

let engagement: FakeEngagementLake;
let viewing: FakeViewingLake;
let objects: Map<string, string>;
let failViewing: boolean;

/** µs of an Athena literal: `TIMESTAMP 'yyyy-MM-dd HH:mm:ss.ffffff'` or a day `'yyyy-MM-dd'`. */
function literalUs(literal: string): number {
  const ts = /^TIMESTAMP '(.{19})\.(\d{6})'$/.exec(literal);
  if (ts) return Date.parse(`${ts[1]!.replace(' ', 'T')}Z`) * 1000 + Number(ts[2]);
  return Date.parse(`${/^'(\d{4}-\d\d-\d\d)'$/.exec(literal)![1]}T00:00:00Z`) * 1000;
}

/** The rows (as text) and column types Athena would answer for one of the publisher's queries. */
async function answer(input: StartQueryExecutionCommandInput): Promise<{ types: string[]; rows: (string | undefined)[][] }> {
  const sql = input.QueryString!;
  const p = (input.ExecutionParameters ?? []).map(literalUs);
  if (failViewing && sql.includes('viewing_events')) throw new Error('Athena is away');
  if (sql.includes('watermark_us')) {
    const from = p[0];
    const w = sql.includes('engagement_events') ? await engagement.latestEngagementTimeUs(from) : await viewing.latestViewingTimeUs(from);
    return { types: ['bigint'], rows: [[w === undefined ? undefined : String(w)]] };
  }
  if (sql.includes('engagement_partials')) {
    const windows = await engagement.engagementWindows(p[2]!, p[3]!);
    return {
      types: ['varchar', 'bigint', 'bigint', 'bigint', 'bigint', 'double', 'double', 'double', 'double'],
      rows: windows.map((w) =>
        [w.category, w.window_start, w.window_end, w.views, w.likes, w.like_rate, w.avg_watch_time, w.total_watch_time, w.max_watch_time].map(String),
      ),
    };
  }
  const events = await viewing.viewingEvents({ lookbackUs: p[2]!, afterUs: p[3]!, throughUs: p[7]! });
  return {
    types: ['bigint', 'bigint', 'varchar', 'varchar', 'varchar', 'varchar', 'varchar', 'varchar'],
    rows: events.map((e) => [e.event_time, e.seq, e.user_id, e.device_id, e.device_type, e.location, e.event_type, e.channel].map(String)),
  };
}

beforeAll(() => {
  vi.stubEnv('ENRICHED_SOURCES', 'engagement,viewing');
  vi.stubEnv('STREAM_NAME', 'ticklake-test-enriched');
  vi.stubEnv('GLUE_DATABASE', 'ticklake_test');
  vi.stubEnv('ATHENA_WORKGROUP', 'ticklake-test');
  vi.stubEnv('STATE_BUCKET', 'models');
  vi.stubEnv('STATE_KEY', STATE_KEY);
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'x');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'y');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
});
afterAll(() => vi.unstubAllEnvs());

beforeEach(() => {
  athena.reset();
  s3.reset();
  kinesis.reset();
  engagement = new FakeEngagementLake();
  viewing = new FakeViewingLake();
  objects = new Map();
  failViewing = false;
  const answers = new Map<string, ReturnType<typeof answer>>();
  athena.on(StartQueryExecutionCommand).callsFake((input: StartQueryExecutionCommandInput) => {
    const id = `q-${answers.size}`;
    answers.set(id, answer(input));
    return { QueryExecutionId: id };
  });
  athena.on(GetQueryExecutionCommand).callsFake(async (input: { QueryExecutionId: string }) => {
    try {
      await answers.get(input.QueryExecutionId);
      return { QueryExecution: { Status: { State: 'SUCCEEDED' } } };
    } catch (e) {
      return { QueryExecution: { Status: { State: 'FAILED', StateChangeReason: (e as Error).message } } };
    }
  });
  athena.on(GetQueryResultsCommand).callsFake(async (input: { QueryExecutionId: string }) => {
    const { types, rows } = await answers.get(input.QueryExecutionId)!;
    const asRow = (cells: (string | undefined)[]) => ({ Data: cells.map((v) => (v === undefined ? {} : { VarCharValue: v })) });
    return {
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: types.map((Type, i) => ({ Name: `c${i}`, Type })) },
        Rows: [asRow(types.map((_, i) => `c${i}`)), ...rows.map(asRow)],
      },
    };
  });
  s3.on(GetObjectCommand).callsFake((input: { Bucket: string; Key: string }) => {
    const body = objects.get(`${input.Bucket}/${input.Key}`);
    if (body === undefined) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} });
    return { Body: { transformToByteArray: async () => new TextEncoder().encode(body) } };
  });
  s3.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
    objects.set(`${input.Bucket}/${input.Key}`, new TextDecoder().decode(input.Body as Uint8Array));
    return {};
  });
  kinesis
    .on(PutRecordsCommand)
    .callsFake((input: PutRecordsCommandInput) => ({ Records: input.Records!.map((_, i) => ({ SequenceNumber: String(i), ShardId: 's' })) }));
});

/** The records put on the stream (and the stream they went to). */
function putRecords(): { stream: string | undefined; records: EnrichedRecord[] } {
  const calls = kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input);
  return {
    stream: calls[0]?.StreamName,
    records: calls.flatMap((c) => c.Records!.map((r) => parseEnriched(new TextDecoder().decode(r.Data))!)),
  };
}

const tv = (minute: number, type: ViewingEvent['event_type'], seq: number): ViewingEvent => ({
  event_time: T0 + minute * MINUTE_US,
  user_id: 'u1',
  device_id: 'u1-tv',
  device_type: 'smart-tv',
  location: 'leeds',
  event_type: type,
  channel: 'news-24',
  seq,
});

function fillLakes(): void {
  for (const [m, cat] of [
    [0, 'music'],
    [0, 'news'],
    [1, 'music'],
    [3, 'music'],
  ] as const)
    engagement.add({ event_time: T0 + m * MINUTE_US + 5 * S, user_id: 'u', video_id: `v${m}${cat}`, category: cat, watch_time: 12.5, liked: m === 0 });
  viewing.add(tv(0, 'start', 1), tv(25, 'switch', 2), tv(40, 'stop', 3));
}

describe('lambdas/enriched-publisher/handler.ts', () => {
  it('a schedule tick puts the closed category minutes and views on the enriched stream and saves the state in its one S3 object; the next tick puts nothing new', async () => {
    // Prepare
    fillLakes();
    const { handler } = await import('../../lambdas/enriched-publisher/handler.js');
    // Act
    const first = await handler({ scheduledTime: '2026-11-02T10:45:00Z', scheduleExecutionId: 'e-1' });
    const afterFirst = putRecords().records.length;
    const second = await handler({ scheduledTime: '2026-11-02T10:46:00Z' });
    // Assess
    expect(first.map((r) => [r.kind, r.fresh, r.corrections])).toEqual([
      ['engagement_1m', 3, 0],
      ['view_interval', 2, 0],
    ]);
    expect(second.map((r) => [r.kind, r.fresh, r.corrections])).toEqual([
      ['engagement_1m', 0, 0],
      ['view_interval', 0, 0],
    ]);
    const { stream, records } = putRecords();
    expect(stream).toBe('ticklake-test-enriched');
    expect(records).toHaveLength(afterFirst);
    expect(records.map((r) => [r.enriched, r.key, r.version])).toEqual([
      ['engagement_1m', `music/${T0}`, 1],
      ['engagement_1m', `news/${T0}`, 1],
      ['engagement_1m', `music/${T0 + MINUTE_US}`, 1],
      ['view_interval', `u1/u1-tv/${T0}`, 4 * 3_600_000 - 25 * 60_000 + 1],
      ['view_interval', `u1/u1-tv/${T0 + 25 * MINUTE_US}`, 4 * 3_600_000 - 15 * 60_000 + 1],
    ]);
    const state = JSON.parse(objects.get(`models/${STATE_KEY}`)!);
    expect(Object.keys(state).sort()).toEqual(['engagement_1m', 'view_interval']);
    expect(state.engagement_1m.closedThroughUs).toBe(T0 + MINUTE_US);
    expect(state.view_interval.closedThroughUs).toBe(T0 + 40 * MINUTE_US);
    const queries = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input);
    expect(queries.every((q) => q.WorkGroup === 'ticklake-test' && q.QueryExecutionContext?.Database === 'ticklake_test')).toBe(true);
  });

  it('a kind whose queries fail fails the invocation (Lambda retries it) after the other kind is put and its state saved', async () => {
    // Prepare
    fillLakes();
    failViewing = true;
    const { handler } = await import('../../lambdas/enriched-publisher/handler.js');
    // Act
    const tick = handler({ scheduledTime: '2026-11-02T10:45:00Z' });
    // Assess
    await expect(tick).rejects.toThrow(/publishing view_interval \(Athena query q-\d+ FAILED: Athena is away\) failed; the next tick catches up/);
    expect(putRecords().records.map((r) => r.enriched)).toEqual(['engagement_1m', 'engagement_1m', 'engagement_1m']);
    expect(Object.keys(JSON.parse(objects.get(`models/${STATE_KEY}`)!))).toEqual(['engagement_1m']);
  });
});

describe('the handler event and environment', () => {
  it('the tick time is the schedule time (the clock without one); republishFrom anchors a manual tick; bad times are refused', () => {
    expect(tickOfEvent({ scheduledTime: '2026-11-02T10:45:00Z' }, 0)).toEqual({ timeUs: Date.UTC(2026, 10, 2, 10, 45) * 1000 });
    expect(tickOfEvent(undefined, 1_000)).toEqual({ timeUs: 1_000_000 });
    expect(tickOfEvent({ republishFrom: '2026-11-02T09:00:00Z' }, 1_000)).toEqual({ timeUs: 1_000_000, fromUs: Date.UTC(2026, 10, 2, 9) * 1000 });
    expect(() => tickOfEvent({ scheduledTime: 'soon' }, 0)).toThrow(/scheduledTime is not ISO 8601: "soon"/);
  });

  it('ENRICHED_SOURCES lists engagement and/or viewing, each once', () => {
    expect(enrichedSourcesOf(' viewing, engagement ,viewing')).toEqual(['viewing', 'engagement']);
    expect(() => enrichedSourcesOf('')).toThrow(/ENRICHED_SOURCES must list engagement and\/or viewing/);
    expect(() => enrichedSourcesOf('engagement,trades')).toThrow(/got "engagement,trades"/);
  });
});
