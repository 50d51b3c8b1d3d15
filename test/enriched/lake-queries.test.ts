/**
 * The publishers' bounded queries (src/enriched/lake-queries.ts) run on DuckDB
 * over a lake the real stream handler wrote, across a UTC midnight (so the
 * `dt` bounds of every query matter): they return what the fakes of the
 * property tests answer, and the closed results of a bounded read are those
 * of the whole lake.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engagementResults } from '../../src/enriched/engagement-results.js';
import { engagementWindowsSql, LakeResultsReader, latestEventTimeSql, viewingEventsSql } from '../../src/enriched/lake-queries.js';
import { viewResults } from '../../src/enriched/view-results.js';
import { createStreamTransform } from '../../src/ingest/stream-transform.js';
import { lakeSqlRunner } from '../../src/local/enriched-publisher.js';
import { FileObjectStore } from '../../src/local/file-object-store.js';
import { LakeSql } from '../../src/local/lake-sql.js';
import type { EngagementEvent } from '../../src/sources/engagement/event.js';
import type { ViewingEvent } from '../../src/sources/viewing/event.js';
import { compareEvents } from '../../src/sources/viewing/sessionize.js';
import { ATHENA, DUCKDB } from '../../src/sql/dialect.js';
import { MINUTE_US } from '../../src/timeseries/bar-publication.js';
import { FakeEngagementLake, FakeViewingLake } from '../helpers/closed-results.js';
import { engagementView, kinesisEvent, viewingEvent } from '../helpers/kinesis-events.js';
import { tempDir } from '../helpers/lake-files.js';

/** Monday 2026-11-02 21:00 UTC, µs: the events run past midnight. */
const T0 = Date.UTC(2026, 10, 2, 21) * 1000;
const MS = 1000;

const iso = (us: number) => new Date(us / 1000).toISOString();

/** A small deterministic pseudo-random sequence (the same lake every run). */
function* numbers(seed: number): Generator<number> {
  let x = seed;
  for (;;) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    yield x / 2 ** 31;
  }
}

const viewing: ViewingEvent[] = [];
const engagement: EngagementEvent[] = [];
let sql: LakeSql;

beforeAll(async () => {
  // Prepare: 5 devices, an event every ~20 minutes for 7 hours (some set left on for 4+ hours), a record re-put with the same key; views every few minutes
  const r = numbers(7);
  const types = ['start', 'switch', 'stop'] as const;
  const next = () => r.next().value as number;
  for (let d = 0; d < 5; d++)
    for (
      let t = T0 + Math.floor(next() * 30) * MINUTE_US, seq = 0;
      t < T0 + 7 * 60 * MINUTE_US;
      t += Math.floor(5 + next() * (d === 4 ? 300 : 40)) * MINUTE_US
    ) {
      const e: ViewingEvent = {
        event_time: t + Math.floor(next() * 60_000) * MS,
        user_id: `u${d % 3}`,
        device_id: `d${d}`,
        device_type: 'smart-tv',
        location: 'leeds',
        event_type: types[Math.floor(next() * 3)]!,
        channel: 'news-24',
        seq: seq++,
      };
      viewing.push(e);
    }
  viewing.push({ ...viewing[3]! });
  for (let t = T0; t < T0 + 7 * 60 * MINUTE_US; t += Math.floor(1 + next() * 4) * MINUTE_US)
    engagement.push({
      event_time: t + Math.floor(next() * 60_000) * MS,
      user_id: 'u',
      video_id: `v${t}`,
      category: next() < 0.5 ? 'music' : 'news',
      watch_time: Math.floor(next() * 100) / 4,
      liked: next() < 0.3,
    });
  const root = tempDir();
  const transform = createStreamTransform({ lake: new FileObjectStore(join(root, 'lake')), clock: () => T0 / 1000 + 86_400_000 });
  await transform(
    kinesisEvent([
      ...viewing.map((e) => JSON.stringify(viewingEvent({ ...e, timestamp: iso(e.event_time), event_time: undefined }))),
      ...engagement.map((e) => JSON.stringify(engagementView({ ...e, timestamp: iso(e.event_time), event_time: undefined }))),
    ]),
  );
  sql = await LakeSql.open(join(root, 'lake'));
}, 60_000);

afterAll(() => sql?.close());

const sorted = (events: readonly ViewingEvent[]) => [...events].sort(compareEvents);
const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

describe('bounded queries on DuckDB', () => {
  it('the watermark of each source, from a day on or of the whole table', async () => {
    // Prepare
    const reader = new LakeResultsReader(lakeSqlRunner(sql));
    const maxOf = (ts: number[]) => Math.max(...ts);
    // Act & Assess
    expect(await reader.latestViewingTimeUs(undefined)).toBe(maxOf(viewing.map((e) => e.event_time)));
    expect(await reader.latestViewingTimeUs(T0 + 6 * 60 * MINUTE_US)).toBe(maxOf(viewing.map((e) => e.event_time)));
    expect(await reader.latestEngagementTimeUs(T0)).toBe(maxOf(engagement.map((e) => e.event_time)));
    expect(await reader.latestEngagementTimeUs(T0 + 2 * 86_400_000_000)).toBeUndefined();
  });

  it.each([
    [60, 120],
    [150, 200],
    [170, 181],
    [0, 420],
  ])('viewing events of (%i min, %i min]: what the property tests fake answers, and the closed views of the whole lake', async (from, to) => {
    // Prepare: the fake over the same events is the reference of the read; the whole lake's closed views the reference of the result
    const afterUs = T0 + from * MINUTE_US;
    const throughUs = T0 + to * MINUTE_US;
    const fake = new FakeViewingLake();
    fake.add(...viewing);
    const q = { lookbackUs: afterUs - 4 * 60 * MINUTE_US, afterUs, throughUs };
    const reader = new LakeResultsReader(lakeSqlRunner(sql));
    // Act
    const events = await reader.viewingEvents(q);
    const views = await viewResults(reader).closedResults(afterUs, throughUs);
    // Assess
    expect(sorted(events)).toEqual(sorted(await fake.viewingEvents(q)));
    const whole = fake.closed().filter((v) => v.closed_at > afterUs && v.closed_at <= throughUs);
    expect(views.length).toBeGreaterThan(0);
    expect(views.map((v) => ({ key: `${v.user_id}/${v.device_id}/${v.opened_at}`, v })).sort(byKey)).toEqual(
      whole.map((v) => ({ key: `${v.user_id}/${v.device_id}/${v.opened_at}`, v })).sort(byKey),
    );
  });

  it('a view left on closes at its cap inside the range, opened in the look-back: the bounded read finds it', async () => {
    // Prepare: the lake's view capped at 4 hours, and a range of 20 minutes around its end
    const fake = new FakeViewingLake();
    fake.add(...viewing);
    const capped = fake.closed().find((v) => v.closed_at - v.opened_at === 4 * 60 * MINUTE_US)!;
    expect(capped).toBeDefined();
    const afterUs = capped.closed_at - 10 * MINUTE_US;
    // Act
    const views = await viewResults(new LakeResultsReader(lakeSqlRunner(sql))).closedResults(afterUs, afterUs + 20 * MINUTE_US);
    // Assess
    expect(views.filter((v) => v.device_id === capped.device_id)).toEqual([capped]);
  });

  it.each([
    [0, 120],
    [170, 200],
  ])('category minutes starting in (%i min, %i min]: the windows of the whole lake', async (from, to) => {
    // Prepare
    const fake = new FakeEngagementLake();
    fake.add(...engagement);
    const afterUs = T0 + from * MINUTE_US;
    const throughUs = T0 + to * MINUTE_US;
    const reader = new LakeResultsReader(lakeSqlRunner(sql));
    // Act
    const windows = await engagementResults(reader).closedResults(afterUs, throughUs);
    // Assess
    const expected = await fake.engagementWindows(afterUs, throughUs);
    expect(windows.length).toBeGreaterThan(10);
    expect(windows.map((w) => ({ ...w, like_rate: expect.closeTo(w.like_rate, 12), avg_watch_time: expect.closeTo(w.avg_watch_time, 9) }))).toEqual(
      expected.map((w) => ({ ...w, like_rate: expect.closeTo(w.like_rate, 12), avg_watch_time: expect.closeTo(w.avg_watch_time, 9) })),
    );
  });
});

describe('the statements', () => {
  it('carry times and days as parameters, never in the text; the same text for any range', () => {
    // Act
    const a = viewingEventsSql({ lookbackUs: T0 - 240 * MINUTE_US, afterUs: T0, throughUs: T0 + MINUTE_US }, ATHENA);
    const b = viewingEventsSql({ lookbackUs: T0, afterUs: T0 + 240 * MINUTE_US, throughUs: T0 + 300 * MINUTE_US }, ATHENA);
    const w = engagementWindowsSql(T0, T0 + 5 * MINUTE_US, DUCKDB);
    // Assess
    expect(a.text).toBe(b.text);
    expect(a.text).not.toMatch(/2026|TIMESTAMP '/);
    expect(a.params).toEqual([
      { type: 'varchar', value: '2026-11-02' },
      { type: 'varchar', value: '2026-11-02' },
      { type: 'timestamp', us: T0 - 240 * MINUTE_US },
      { type: 'timestamp', us: T0 },
      { type: 'varchar', value: '2026-11-02' },
      { type: 'varchar', value: '2026-11-02' },
      { type: 'timestamp', us: T0 },
      { type: 'timestamp', us: T0 + MINUTE_US },
    ]);
    expect(w.text).toMatch(/FROM \(SELECT[\s\S]*FROM engagement_partials[\s\S]*\) w\nWHERE dt BETWEEN \? AND \?/);
    expect(latestEventTimeSql('viewing_events', undefined, ATHENA)).toEqual({
      text: 'SELECT CAST(round(to_unixtime(max(event_time)) * 1000000) AS BIGINT) AS watermark_us\nFROM viewing_events',
      params: [],
    });
    expect(() => engagementWindowsSql(T0, T0 - 1, ATHENA)).toThrow(/empty time range/);
    expect(() => engagementWindowsSql(0.5, T0, ATHENA)).toThrow(/not a whole number/);
  });
});
