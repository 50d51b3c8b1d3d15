/**
 * The viewing panels sessionize only the events their range needs (the bounded
 * forms of src/sources/viewing/sql.ts), and that is exact: over a real lake
 * written by the stream transform (late, re-sent and retried records, natural
 * keys put twice with other content, devices silent for longer than the
 * interval cap, several days), for random ranges, each panel's rows and each
 * bounded relation's rows equal those of the unbounded views over the same range.
 */
import { rmSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../src/core/random.js';
import { createStreamTransform } from '../src/ingest/stream-transform.js';
import { FileObjectStore } from '../src/local/file-object-store.js';
import { LakeSql } from '../src/local/lake-sql.js';
import type { ViewingEvent } from '../src/sources/viewing/event.js';
import { VIEWING_PANELS } from '../src/sources/viewing/panels.js';
import { CHANNELS, TV_AD_SPOTS, TV_SCHEDULE } from '../src/sources/viewing/schedule.js';
import { MAX_INTERVAL_MS } from '../src/sources/viewing/sessionize.js';
import { simulateViewing } from '../src/sources/viewing/simulator.js';
import { watchTimeByAdInRange, watchTimeByShowInRange } from '../src/sources/viewing/sql.js';
import { ATHENA, DUCKDB } from '../src/sql/dialect.js';
import { bind, type BoundSql, type PanelArgs } from '../src/sql/panel.js';
import { deliverOverShards } from './helpers/batch-delivery.js';
import { kinesisEvent, viewingEvent } from './helpers/kinesis-events.js';
import { tempDir, withLake } from './helpers/lake-files.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** 18:00 UTC: three days of events from here cross three midnights. */
const T0 = Date.UTC(2026, 10, 2, 18);
const DAYS = 3;
const NOW_MS = T0 + (DAYS + 1) * DAY_MS;

/** The panels as they read the unbounded views (every event of the lake sessionized), by panel id. */
const UNBOUNDED: Readonly<Record<string, string>> = {
  'viewing-show-watch-time': `SELECT show_title || ' (' || channel || ')' AS show_name, CAST(sum(watch_ms) AS DOUBLE) / 60000.0 AS watch_minutes
FROM watch_time_by_show
WHERE aired_at >= ? AND aired_at < ?
GROUP BY show_title, channel
ORDER BY watch_minutes DESC, show_name
LIMIT 15`,
  'viewing-ad-watch-time': `SELECT ad_id, advertiser, CAST(sum(impressions) AS BIGINT) AS impressions, CAST(sum(viewers) AS BIGINT) AS viewers,
  CAST(sum(completed) AS DOUBLE) / CAST(sum(impressions) AS DOUBLE) AS completion_rate,
  CAST(sum(watch_ms) AS DOUBLE) / 60000.0 AS watch_minutes
FROM watch_time_by_ad
WHERE spot_aired_at >= ? AND spot_aired_at < ?
GROUP BY ad_id, advertiser
ORDER BY watch_minutes DESC, ad_id`,
  'viewing-by-device-location': `SELECT location, device_type, CAST(sum(viewers) AS BIGINT) AS viewers, CAST(sum(watch_ms) AS DOUBLE) / 60000.0 AS watch_minutes
FROM watch_time_by_show
WHERE aired_at >= ? AND aired_at < ?
GROUP BY location, device_type
ORDER BY watch_minutes DESC, location, device_type`,
};

const payloadOf = (e: ViewingEvent) =>
  JSON.stringify(
    viewingEvent({
      timestamp: new Date(e.event_time / 1000).toISOString(),
      user_id: e.user_id,
      device_id: e.device_id,
      device_type: e.device_type,
      location: e.location,
      event_type: e.event_type,
      channel: e.channel,
      seq: e.seq,
    }),
  );

/** Small offsets from a grid point: just before, on and just after it. */
const NUDGE = [-60_000, -1, 0, 1, 2, 60_000];
/** A time on a grid of `stepMs` over the three days, nudged. */
const onGrid = (stepMs: number) =>
  fc.tuple(fc.integer({ min: 0, max: (DAYS * DAY_MS) / stepMs }), fc.constantFrom(...NUDGE)).map(([k, d]) => T0 + k * stepMs + d);

/**
 * Events of four users on two devices each over three days: sparse (gaps far
 * over the 4 h cap, a device's last start open), dense in the evenings, and
 * just around show starts and ad spots (half hours, 30 s); on whole minutes
 * with small seqs, so natural keys collide with other content.
 */
const eventArb: fc.Arbitrary<ViewingEvent> = fc.record({
  event_time: fc
    .oneof(
      fc.integer({ min: 0, max: DAYS * 1440 }).map((m) => T0 + m * 60_000),
      fc.integer({ min: 0, max: DAYS * DAY_MS }).map((ms) => T0 + ms),
      fc.tuple(fc.integer({ min: 0, max: DAYS - 1 }), fc.integer({ min: 0, max: 3 * 60 })).map(([d, m]) => T0 + d * DAY_MS + HOUR_MS + m * 60_000),
      onGrid(30 * 60_000),
      onGrid(30_000),
    )
    .map((ms) => ms * 1000),
  user_id: fc.constantFrom('u1', 'u2', 'u3', 'u4'),
  device_id: fc.constantFrom('tv', 'phone'),
  device_type: fc.constantFrom('smart-tv', 'mobile'),
  location: fc.constantFrom('leeds', 'york'),
  event_type: fc.constantFrom('start', 'switch', 'stop'),
  channel: fc.constantFrom(...CHANNELS),
  seq: fc.integer({ min: 0, max: 3 }),
});

/** A range [from, to), ms: on whole minutes or any ms around the data, or nudged around show starts. */
const rangeArb: fc.Arbitrary<{ readonly fromMs: number; readonly spanMs: number }> = fc.record({
  fromMs: fc.oneof(
    fc.integer({ min: -8 * 60, max: (DAYS * 24 + 8) * 60 }).map((m) => T0 + m * 60_000),
    fc.integer({ min: -8 * HOUR_MS, max: DAYS * DAY_MS + 8 * HOUR_MS }).map((ms) => T0 + ms),
    onGrid(30 * 60_000),
  ),
  spanMs: fc.oneof(fc.constantFrom(HOUR_MS, DAY_MS, 30 * 60_000), fc.integer({ min: 1, max: 30 * HOUR_MS })),
});

const args = (fromMs: number, toMs: number): PanelArgs => ({ fromUs: fromMs * 1000, toUs: toMs * 1000, symbols: [], nowUs: NOW_MS * 1000 });

/** Indexes of the longest shows of the grid. */
const showMinutes = (i: number) => TV_SCHEDULE[i]!.end_minute - TV_SCHEDULE[i]!.start_minute;
const LONGEST_SHOWS = TV_SCHEDULE.map((_, i) => i).filter((i) => showMinutes(i) === Math.max(...TV_SCHEDULE.map((_, j) => showMinutes(j))));

/**
 * A device whose one view sits at an edge of the events window of a range:
 * opened just late enough for its capped interval to reach a show or spot
 * starting at the range's start (`*-start`: the window's start just before
 * it), or opened just before the end of a show or spot starting just before
 * the range's end (`*-end`: the window's end just after it); then closed
 * after a while (the cap or less).
 */
const edgeArb = fc.record({
  kind: fc.constantFrom('show-start' as const, 'spot-start' as const, 'show-end' as const, 'spot-end' as const),
  day: fc.integer({ min: 0, max: DAYS - 2 }),
  // Any show, or one of the longest (the window's end is tight for those).
  show: fc.oneof(fc.nat(TV_SCHEDULE.length - 1), fc.constantFrom(...LONGEST_SHOWS)),
  spot: fc.nat(TV_AD_SPOTS.length - 1),
  deltaMs: fc.oneof(
    { arbitrary: fc.constant(1), weight: 2 },
    { arbitrary: fc.constantFrom(2, 1_000, 59_000, 60_000), weight: 1 },
    { arbitrary: fc.integer({ min: 1, max: 20 * 60_000 }), weight: 2 },
  ),
  closeAfterMs: fc.oneof(fc.constant(MAX_INTERVAL_MS), fc.integer({ min: 1, max: 2 * MAX_INTERVAL_MS })),
  spanMs: fc.oneof(fc.constantFrom(1, HOUR_MS), fc.integer({ min: 1, max: 30 * HOUR_MS })),
  opens: fc.constantFrom('start' as const, 'switch' as const),
});
type Edge = typeof edgeArb extends fc.Arbitrary<infer T> ? T : never;

/** The edge's two events (device `edge<i>`) and the range it is at the edge of. */
function edgeCase(x: Edge, i: number): { events: ViewingEvent[]; range: PanelArgs; relation: 'show' | 'ad' } {
  const dayMs = Date.UTC(2026, 10, 3) + x.day * DAY_MS;
  const show = TV_SCHEDULE[x.show]!;
  const spot = TV_AD_SPOTS[x.spot]!;
  const [channel, startMs, endMs] = x.kind.startsWith('show')
    ? [show.channel, dayMs + show.start_minute * 60_000, dayMs + show.end_minute * 60_000]
    : [spot.channel, dayMs + spot.start_second * 1000, dayMs + spot.end_second * 1000];
  const openMs = x.kind.endsWith('start') ? startMs - MAX_INTERVAL_MS + x.deltaMs : endMs - x.deltaMs;
  const range = x.kind.endsWith('start') ? args(startMs, startMs + x.spanMs) : args(startMs + 1 - x.spanMs, startMs + 1);
  const device = { user_id: `ue${i}`, device_id: `edge${i}`, device_type: 'smart-tv', location: 'leeds', channel };
  return {
    events: [
      { ...device, event_time: openMs * 1000, event_type: x.opens, seq: 1 },
      { ...device, event_time: (openMs + x.closeAfterMs) * 1000, event_type: 'stop', seq: 2 },
    ],
    range,
    relation: x.kind.startsWith('show') ? 'show' : 'ad',
  };
}

const sortedRows = (rows: readonly unknown[]) => rows.map((r) => JSON.stringify(r)).sort();

/**
 * Checks one range: every panel's rows against its unbounded form (unless
 * `panels` is false), and the bounded relations' rows against the views
 * filtered by the range. Returns how many of the comparisons had rows.
 */
async function checkRange(sql: LakeSql, a: PanelArgs, panels = true, relations: readonly ('show' | 'ad')[] = ['show', 'ad']): Promise<number> {
  let nonEmpty = 0;
  const range = [bind.time(a.fromUs), bind.time(a.toUs)];
  for (const p of panels ? VIEWING_PANELS : []) {
    // Act
    const bounded = await sql.queryBound(p.query(a, DUCKDB).text, p.query(a, DUCKDB).params);
    const unbounded = await sql.queryBound(UNBOUNDED[p.id]!, range);
    // Assess (ordered, as the panel shows them)
    expect(bounded.rows, `${p.id} ${a.fromUs}..${a.toUs}`).toEqual(unbounded.rows);
    if (unbounded.rows.length > 0) nonEmpty++;
  }
  const pairs = {
    show: [watchTimeByShowInRange(a.fromUs, a.toUs), 'SELECT * FROM watch_time_by_show WHERE aired_at >= ? AND aired_at < ?'],
    ad: [watchTimeByAdInRange(a.fromUs, a.toUs), 'SELECT * FROM watch_time_by_ad WHERE spot_aired_at >= ? AND spot_aired_at < ?'],
  } satisfies Record<string, [BoundSql, string]>;
  for (const [relation, view] of relations.map((r) => pairs[r])) {
    const bounded = await sql.queryBound(`SELECT * FROM ${relation.text}`, relation.params);
    const unbounded = await sql.queryBound(view, range);
    expect(bounded.columns).toEqual(unbounded.columns);
    expect(sortedRows(bounded.rows), view).toEqual(sortedRows(unbounded.rows));
    if (unbounded.rows.length > 0) nonEmpty++;
  }
  return nonEmpty;
}

describe('viewing panels: bounded to the events their range needs', () => {
  it('bind every range value as a parameter and cut viewing_events on its partition columns, in both dialects', () => {
    // Prepare
    const a: PanelArgs = { fromUs: T0 * 1000, toUs: (T0 + HOUR_MS) * 1000, symbols: [], nowUs: NOW_MS * 1000 };
    for (const p of VIEWING_PANELS) {
      for (const d of [DUCKDB, ATHENA]) {
        // Act
        const q = p.query(a, d);
        // Assess: no time or day literal in the text; the window's days among the values
        expect(q.text, p.id).not.toMatch(/TIMESTAMP '|'20\d\d-/);
        expect(q.text, p.id).toMatch(/FROM viewing_events\s+WHERE dt BETWEEN \? AND \? AND \(dt <> \? OR hour >= \?\)/);
        expect(q.text.split('?').length - 1, p.id).toBe(q.params.length);
        expect(q.params, p.id).toContainEqual(bind.day(a.fromUs - MAX_INTERVAL_MS * 1000));
      }
    }
  });

  it('equal the unbounded views over random ranges: generated events with late, re-sent and colliding records over three days (property, real lake)', async () => {
    let nonEmpty = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(eventArb, { minLength: 1, maxLength: 200 }),
        fc.array(rangeArb, { minLength: 6, maxLength: 6 }),
        fc.integer(),
        async (events, ranges, seed) => {
          // Prepare: shuffled (late) arrival, a share put twice, over shards in batches retried or bisected
          const rng = new Rng(seed);
          const root = tempDir('ticklake-viewing-bounded-');
          const handler = createStreamTransform({ lake: new FileObjectStore(root), clock: () => NOW_MS });
          const arrived = [...events, ...events.filter(() => rng.chance(0.1))].sort(() => rng.next() - 0.5);
          await deliverOverShards(handler, arrived.map(payloadOf), rng, 40);
          // Act / Assess
          try {
            await withLake(root, async (sql) => {
              for (const r of ranges) nonEmpty += await checkRange(sql, args(r.fromMs, r.fromMs + r.spanMs));
              // Random ranges over three days often hold no view; the whole window holds some in most runs.
              nonEmpty += await checkRange(sql, args(T0 - 8 * HOUR_MS, T0 + DAYS * DAY_MS + 8 * HOUR_MS));
            });
          } finally {
            rmSync(root, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 10 },
    );
    // Assess: the comparisons were not all of empty results
    expect(nonEmpty).toBeGreaterThan(0);
  }, 60_000);

  it('equal the unbounded views for views at the very edges of the events window, among other devices (property, real lake)', async () => {
    let nonEmpty = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(edgeArb, { minLength: 12, maxLength: 12 }), fc.array(eventArb, { maxLength: 60 }), fc.integer(), async (edges, noise, seed) => {
        // Prepare: each edge case on a device of its own, the other devices' events around them, re-sent and shuffled
        const rng = new Rng(seed);
        const cases = edges.map(edgeCase);
        const events = [...noise, ...cases.flatMap((c) => c.events)];
        const root = tempDir('ticklake-viewing-bounded-edge-');
        const handler = createStreamTransform({ lake: new FileObjectStore(root), clock: () => NOW_MS });
        await deliverOverShards(handler, [...events, ...events.filter(() => rng.chance(0.1))].sort(() => rng.next() - 0.5).map(payloadOf), rng, 40);
        try {
          // Act / Assess
          await withLake(root, async (sql) => {
            for (const c of cases) nonEmpty += await checkRange(sql, c.range, false, [c.relation]);
          });
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      }),
      { numRuns: 8 },
    );
    // Assess: the edge views were seen (most reach their airing or spot)
    expect(nonEmpty).toBeGreaterThan(48);
  }, 60_000);

  describe('simulated households over three days', () => {
    const root = tempDir('ticklake-viewing-bounded-sim-');
    let sql: LakeSql;

    beforeAll(async () => {
      // Prepare: 3 days of 60 households (late mobile events, client re-sends), 2,000-record batches, every third retried
      const recs = [...simulateViewing({ minutes: DAYS * 1440, seed: 11, startTimeMs: T0, users: 60 })];
      const handler = createStreamTransform({ lake: new FileObjectStore(root), clock: () => NOW_MS });
      for (let at = 0, b = 0; at < recs.length; at += 2_000, b++) {
        const batch = recs.slice(at, at + 2_000).map((r) => r.payload);
        await handler(kinesisEvent(batch, `shardId-00000000000${b % 2}`, at + 1));
        if (b % 3 === 0) await handler(kinesisEvent(batch, `shardId-00000000000${b % 2}`, at + 1));
      }
      sql = await LakeSql.open(root);
    }, 60_000);
    afterAll(() => {
      sql?.close();
      rmSync(root, { recursive: true, force: true });
    });

    it('equal the unbounded views over random ranges (property, real lake)', async () => {
      let nonEmpty = 0;
      await fc.assert(
        fc.asyncProperty(rangeArb, async (r) => {
          nonEmpty += await checkRange(sql, args(r.fromMs, r.fromMs + r.spanMs));
        }),
        { numRuns: 15 },
      );
      // Assess: most ranges hold airings people watched
      expect(nonEmpty).toBeGreaterThan(15);
    }, 60_000);
  });
});
