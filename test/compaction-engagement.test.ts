/**
 * Compaction recomputes an hour's `engagement_partials` from its deduplicated
 * `engagement_events`, so a view put twice counts once in
 * `engagement_by_minute` once its hour is compacted; the SQL partials equal
 * the TypeScript aggregation they stand in for.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compactLake } from '../src/local/compaction.js';
import { LakeSql } from '../src/local/lake-sql.js';
import { dataPaths, runPipeline } from '../src/local/pipeline.js';
import { simulatorSource } from '../src/local/sources.js';
import { type EngagementPartial, mergePartials, partialOf } from '../src/sources/engagement/aggregate.js';
import type { EngagementEvent } from '../src/sources/engagement/event.js';
import { partialsFromEventsSql } from '../src/sources/engagement/sql.js';
import { SOURCES } from '../src/sources/index.js';
import { HOUR, LATER, START_MS } from './helpers/compaction-lake.js';
import { tempDir } from './helpers/lake-files.js';

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);
const eventArb: fc.Arbitrary<EngagementEvent> = fc.record({
  event_time: fc.integer({ min: 0, max: 5 * 60_000 - 1 }).map((ms) => (T0 + ms) * 1000),
  user_id: fc.constant('u'),
  video_id: fc.constant('v'),
  category: fc.constantFrom('comedy', 'music', 'pets'),
  // Whole milliseconds, halves (the rounding edge) and arbitrary doubles within the validated range.
  watch_time: fc.oneof(
    fc.integer({ min: 0, max: 3_600_000 }).map((ms) => ms / 1000),
    fc.integer({ min: 0, max: 7_200_000 }).map((h) => (h + 0.5) / 2000),
    fc.double({ min: 0, max: 3600, noNaN: true }),
  ),
  liked: fc.boolean(),
});

const VIEWS = `SELECT
  (SELECT count(*) FROM engagement_events) AS events,
  (SELECT count(DISTINCT (user_id, video_id, event_time)) FROM engagement_events) AS event_keys,
  (SELECT sum(views) FROM engagement_by_minute) AS views,
  (SELECT sum(likes) FROM engagement_by_minute) AS likes,
  (SELECT sum(CASE WHEN liked THEN 1 ELSE 0 END) FROM (SELECT DISTINCT user_id, video_id, event_time, liked FROM engagement_events)) AS distinct_likes`;

async function viewCounts(lake: string): Promise<Record<string, number>> {
  const sql = await LakeSql.open(lake);
  try {
    const r = await sql.query(VIEWS);
    return Object.fromEntries(r.columns.map((c, i) => [c, Number(r.rows[0]![i])]));
  } finally {
    sql.close();
  }
}

describe('engagement partials on compaction', () => {
  it('the SQL partials of a batch of events equal the TypeScript partials merged (property)', async () => {
    // Prepare
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(eventArb, { minLength: 1, maxLength: 60 }), async (events) => {
          const values = events.map((e) => `(make_timestamp(${e.event_time}), '${e.category}', ${e.liked}, CAST('${e.watch_time}' AS DOUBLE))`).join(', ');
          const relation = `(SELECT * FROM (VALUES ${values}) AS t(event_time, category, liked, watch_time))`;
          const expected = new Map<string, EngagementPartial>();
          for (const e of events) {
            const p = partialOf(e);
            const key = `${p.window_start}/${p.category}`;
            const seen = expected.get(key);
            expected.set(key, seen ? mergePartials(seen, p) : p);
          }
          // Act
          const rows = (
            await c.runAndReadAll(
              `SELECT epoch_us(window_start), category, views, likes, sum_watch_time_ms, max_watch_time_ms, batch_id FROM (${partialsFromEventsSql(relation, 'b-1')})`,
            )
          ).getRows();
          // Assess
          const actual = new Map(
            rows.map(([w, category, views, likes, sum, max, batch]) => {
              expect(batch).toBe('b-1');
              const p: EngagementPartial = {
                window_start: Number(w),
                category: String(category),
                views: Number(views),
                likes: Number(likes),
                sum_watch_time_ms: Number(sum),
                max_watch_time_ms: Number(max),
              };
              return [`${p.window_start}/${p.category}`, p];
            }),
          );
          expect(actual).toEqual(expected);
        }),
        { numRuns: 150 },
      );
    } finally {
      c.closeSync();
      db.closeSync();
    }
  });

  it('a view put twice counts twice in engagement_by_minute until its hour is compacted, once after', async () => {
    // Prepare: every engagement record on the stream twice (a producer that retried whole puts), in small batches
    const dir = tempDir();
    const engagement = SOURCES.filter((s) => s.id === 'engagement');
    const options = { minutes: 90, seed: 7, startTimeMs: START_MS, malformedShare: 0, extra: { engagementRate: 2 } };
    for (const i of [0, 1]) {
      await runPipeline({
        dataDir: dir,
        jobId: `engagement-${i}`,
        source: () => simulatorSource(engagement, options),
        workers: 0,
        eventSource: { batchSize: 100, maximumBatchingWindowMs: 0 },
      });
    }
    const lake = dataPaths(dir).lake;
    const twice = await viewCounts(lake);
    // Act
    const r = await compactLake({ lakeRoot: lake, nowMs: LATER + HOUR });
    const after = await viewCounts(lake);
    // Assess
    expect(twice.event_keys).toBeGreaterThan(100);
    expect(twice.events).toBe(2 * twice.event_keys!);
    expect(twice.views).toBe(twice.events);
    expect(r.duplicates).toBeGreaterThan(0);
    expect(after.events).toBe(twice.event_keys);
    expect(after.views).toBe(twice.event_keys);
    expect(after.likes).toBe(after.distinct_likes);
  }, 120_000);
});
