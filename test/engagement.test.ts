import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../src/core/random.js';
import { createStreamTransform } from '../src/ingest/stream-transform.js';
import { CheckpointStore } from '../src/local/checkpoints.js';
import { DEFAULT_EVENT_SOURCE_SETTINGS, type KinesisHandler, ShardPoller } from '../src/local/event-source.js';
import { FileObjectStore } from '../src/local/file-object-store.js';
import { LocalStream } from '../src/local/local-stream.js';
import { JsonlDeadLetters } from '../src/local/on-failure.js';
import { EngagementAccumulator, type EngagementPartial, type EngagementWindow, mergeToWindows } from '../src/sources/engagement/aggregate.js';
import { ENGAGEMENT_REASON_CODES, type EngagementEvent, engagementFrom, isEngagementMessage, REASON_CODES } from '../src/sources/engagement/event.js';
import { scanEngagement } from '../src/sources/engagement/fast.js';
import { engagement, readEngagement } from '../src/sources/engagement/index.js';
import { CATEGORIES, simulateEngagement } from '../src/sources/engagement/simulator.js';
import { engagementView } from './helpers/kinesis-events.js';
import { deliverOverShards } from './helpers/batch-delivery.js';
import { tempDir, withLake } from './helpers/lake-files.js';

const NOW_MS = Date.UTC(2026, 10, 3);
const ctx = { nowUs: NOW_MS * 1000 };
const T0 = Date.UTC(2026, 10, 2, 9, 57);

const view = engagementView;

/** The windows computed straight from the events, one pass, no partials: what every split must equal. */
function directWindows(events: readonly EngagementEvent[]): EngagementWindow[] {
  const m = new Map<string, { w: number; c: string; views: number; likes: number; ms: number; max: number }>();
  for (const e of events) {
    const w = Math.floor(e.event_time / 60_000_000) * 60_000_000;
    const k = `${w}|${e.category}`;
    const s = m.get(k) ?? { w, c: e.category, views: 0, likes: 0, ms: 0, max: 0 };
    const ms = Math.round(e.watch_time * 1000);
    s.views++;
    s.likes += e.liked ? 1 : 0;
    s.ms += ms;
    s.max = Math.max(s.max, ms);
    m.set(k, s);
  }
  return [...m.values()]
    .sort((a, b) => a.w - b.w || (a.c < b.c ? -1 : 1))
    .map((s) => ({
      window_start: s.w,
      window_end: s.w + 60_000_000,
      category: s.c,
      views: s.views,
      likes: s.likes,
      like_rate: s.likes / s.views,
      avg_watch_time: s.ms / 1000 / s.views,
      total_watch_time: s.ms / 1000,
      max_watch_time: s.max / 1000,
    }));
}

/** Valid events over six minutes across an hour boundary, few categories so windows fill up. */
const eventArb: fc.Arbitrary<EngagementEvent> = fc.record({
  event_time: fc.integer({ min: 0, max: 6 * 60_000 }).map((ms) => (T0 + ms) * 1000),
  user_id: fc.integer({ min: 0, max: 50 }).map((u) => `u${u}`),
  video_id: fc.integer({ min: 0, max: 50 }).map((v) => `v${v}`),
  category: fc.constantFrom('comedy', 'music', 'pets'),
  watch_time: fc.integer({ min: 0, max: 3_600_000 }).map((ms) => ms / 1000),
  liked: fc.boolean(),
});

const payloadOf = (e: EngagementEvent) =>
  JSON.stringify(
    view({
      timestamp: new Date(e.event_time / 1000).toISOString(),
      user_id: e.user_id,
      video_id: e.video_id,
      category: e.category,
      watch_time: e.watch_time,
      liked: e.liked,
    }),
  );

describe('engagement source: records', () => {
  it.each([
    [{}, undefined],
    [{ timestamp: '2026-11-02T11:00:01+01:00' }, undefined],
    [{ watch_time: 0 }, undefined],
    [{ watch_time: -1 }, 'BAD_WATCH_TIME'],
    [{ watch_time: 3600.5 }, 'BAD_WATCH_TIME'],
    [{ watch_time: '12.5' }, 'WRONG_TYPE'],
    [{ liked: 'yes' }, 'WRONG_TYPE'],
    [{ liked: 1 }, 'WRONG_TYPE'],
    [{ category: undefined }, 'MISSING_FIELD'],
    [{ user_id: null }, 'MISSING_FIELD'],
    [{ category: 'Comedy Clips' }, 'BAD_CATEGORY'],
    [{ category: '' }, 'BAD_CATEGORY'],
    [{ user_id: 'u 1' }, 'BAD_USER_ID'],
    [{ video_id: 'x'.repeat(65) }, 'BAD_VIDEO_ID'],
    [{ timestamp: '2026-11-02T10:00:01' }, 'BAD_TIMESTAMP'],
    [{ timestamp: 'yesterday' }, 'BAD_TIMESTAMP'],
    [{ timestamp: 1_793_613_601_250 }, 'WRONG_TYPE'],
    [{ timestamp: '2031-01-01T00:00:00Z' }, 'TIME_OUT_OF_RANGE'],
  ])('validates %j -> %s', (over, code) => {
    // Act
    const r = engagementFrom(view(over), ctx);
    // Assess
    expect(r.ok ? undefined : r.rejection.code).toBe(code);
  });

  it('reads a valid view into its columns (time in µs, watch time as sent)', () => {
    // Act
    const r = readEngagement(JSON.stringify(view()), undefined, ctx.nowUs);
    // Assess
    expect(r).toEqual({
      ok: true,
      event: {
        event_time: Date.UTC(2026, 10, 2, 10, 0, 1, 250) * 1000,
        user_id: 'u004217',
        video_id: 'v-comedy-00312',
        category: 'comedy',
        watch_time: 23.417,
        liked: true,
      },
    });
  });

  it('never throws on arbitrary mutations of a valid message: an event or a reason of its own (property)', () => {
    const known = new Set<string>(REASON_CODES);
    const value = fc.oneof(fc.string(), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.object());
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom('timestamp', 'user_id', 'video_id', 'category', 'watch_time', 'liked', 'extra'), value),
        fc.nat(200),
        (over, cut) => {
          // Prepare: a mutated message, whole and truncated
          const text = JSON.stringify(view(over));
          for (const t of [text, text.slice(0, cut)]) {
            // Act
            const r = readEngagement(t, undefined, ctx.nowUs);
            // Assess
            if (r.ok) {
              expect(r.event.watch_time).toBeGreaterThanOrEqual(0);
              expect(typeof r.event.liked).toBe('boolean');
            } else expect(known.has(r.rejection.code), r.rejection.code).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('accepts every valid view with its values unchanged (property)', () => {
    fc.assert(
      fc.property(eventArb, (e) => {
        // Act
        const r = readEngagement(payloadOf(e), undefined, ctx.nowUs);
        // Assess
        expect(r).toEqual({ ok: true, event: e });
      }),
    );
  });
});

describe("engagement source: fast path for the producers' layout", () => {
  /** The general path: JSON.parse and the validator. */
  const general = (text: string) => {
    try {
      const doc = JSON.parse(text) as unknown;
      return isEngagementMessage(doc) ? engagementFrom(doc, ctx) : undefined;
    } catch {
      return undefined;
    }
  };
  /** Text near the canonical layout: ids and categories with odd characters, numbers in other forms, any time. */
  const nearArb = fc.record({
    timestamp: fc.oneof(
      fc.integer({ min: -1e14, max: 4e14 }).map((ms) => (Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : 'x')),
      fc.constantFrom(
        '2026-02-30T10:00:00.000Z',
        '2026-13-01T00:00:00.000Z',
        '2026-11-02T24:00:00.000Z',
        '2026-11-02T24:00:01.000Z',
        '2026-11-02T10:60:00.000Z',
        '2026-11-02T10:00:01Z',
      ),
    ),
    user_id: fc.oneof(fc.string({ maxLength: 70 }), fc.stringMatching(/^[!-~]{0,66}$/), fc.constant('u\u00a0x')),
    video_id: fc.oneof(fc.string({ maxLength: 70 }), fc.stringMatching(/^[!-~]{0,66}$/)),
    category: fc.oneof(fc.stringMatching(/^[a-z0-9_-]{0,34}$/), fc.string({ maxLength: 5 })),
    watch_time: fc.oneof(
      fc.double({ min: -10, max: 4000, noNaN: true }),
      fc.integer({ min: 0, max: 4000 }),
      fc.constantFrom(3600, 3600.0001, 1e-7, 123456789.123, 0.1 + 0.2),
    ),
    liked: fc.oneof(fc.boolean(), fc.constant(1)),
  });

  it('agrees with JSON.parse and the validator on every text: same event, or no answer and the general path decides (property)', () => {
    fc.assert(
      fc.property(nearArb, fc.nat(220), fc.boolean(), (over, cut, truncate) => {
        // Prepare
        const whole = JSON.stringify(view(over));
        const text = truncate ? whole.slice(0, cut) : whole;
        // Act
        const fast = scanEngagement(text, ctx.nowUs);
        // Assess
        if (fast !== undefined) expect(general(text)).toEqual({ ok: true, event: fast });
      }),
      { numRuns: 2000 },
    );
  });

  it('takes every valid view the producers write (so the fast path is the path they take)', () => {
    fc.assert(
      fc.property(eventArb, (e) => {
        // Act
        const fast = scanEngagement(payloadOf(e), ctx.nowUs);
        // Assess
        expect(fast).toEqual(e);
      }),
    );
    // and every valid record of the simulator
    let n = 0;
    for (const r of simulateEngagement({ minutes: 30, seed: 5, startTimeMs: T0 })) {
      expect(scanEngagement(r.payload, ctx.nowUs), r.payload).toEqual((general(r.payload) as { event: EngagementEvent }).event);
      n++;
    }
    expect(n).toBeGreaterThan(10_000);
  });

  it('leaves other layouts and invalid views to the general path', () => {
    // Prepare
    const canonical = JSON.stringify(view());
    // Act + Assess
    expect(scanEngagement(canonical, ctx.nowUs)).toBeDefined();
    for (const text of [
      canonical.replace(':true}', ': true}'),
      JSON.stringify({ ...view(), extra: 1 }),
      canonical.replace('"timestamp":"2026-11-02T10:00:01.250Z","user_id":"u004217"', '"user_id":"u004217","timestamp":"2026-11-02T10:00:01.250Z"'),
      JSON.stringify(view({ watch_time: 1e21 })),
      JSON.stringify(view({ watch_time: 5e-7 })),
      JSON.stringify(view({ user_id: 'u\u0001' })),
      JSON.stringify(view({ category: 'Comedy' })),
      JSON.stringify(view({ timestamp: '2031-01-01T00:00:00.000Z' })),
      canonical.replace('"u004217"', '"u0042\\u0031"'),
    ])
      expect(scanEngagement(text, ctx.nowUs), text).toBeUndefined();
  });
});

describe('engagement source: simulator', () => {
  const recs = [...simulateEngagement({ minutes: 30, seed: 5, startTimeMs: Date.UTC(2026, 10, 2, 18) })];
  const events = recs.map((r) => {
    const x = readEngagement(r.payload, undefined, ctx.nowUs);
    if (!x.ok) throw new Error(x.rejection.message);
    return { ...x.event, arrivalMs: r.timeMs };
  });

  it('is deterministic, in arrival order, with some views arriving late', () => {
    // Act
    const again = [...simulateEngagement({ minutes: 30, seed: 5, startTimeMs: Date.UTC(2026, 10, 2, 18) })];
    // Assess
    expect(again).toEqual(recs);
    expect(recs.every((r, i) => i === 0 || r.timeMs >= recs[i - 1]!.timeMs)).toBe(true);
    expect(events.every((e) => e.arrivalMs >= e.event_time / 1000)).toBe(true);
    const late = events.filter((e) => e.arrivalMs - e.event_time / 1000 > 5_000).length / events.length;
    expect(late).toBeGreaterThan(0.01);
    expect(late).toBeLessThan(0.06);
    // 20/s on average over a day; 18:00-18:30 UTC is near the evening peak
    expect(recs.length).toBeGreaterThan(30 * 60 * 20);
    expect(recs.length).toBeLessThan(30 * 60 * 20 * 1.6);
  });

  it('gives categories their own popularity and watch times, and likes that follow watch time', () => {
    // Prepare
    const by = new Map<string, { views: number; watch: number[] }>();
    for (const e of events) {
      const s = by.get(e.category) ?? { views: 0, watch: [] };
      s.views++;
      s.watch.push(e.watch_time);
      by.set(e.category, s);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    // Act
    const views = CATEGORIES.map((c) => by.get(c.category)!.views);
    const avg = (c: string) => by.get(c)!.watch.reduce((a, b) => a + b, 0) / by.get(c)!.views;
    const rate = (xs: typeof events) => xs.filter((e) => e.liked).length / xs.length;
    const short = events.filter((e) => e.watch_time < 3);
    const medians = new Map([...by].map(([c, s]) => [c, median(s.watch)]));
    const long = events.filter((e) => e.watch_time >= medians.get(e.category)!);
    // Assess
    expect(views[0]).toBe(Math.max(...views)); // comedy, the most popular
    expect(views[0]! / views.at(-1)!).toBeGreaterThan(2);
    expect(avg('education')).toBeGreaterThan(1.8 * avg('pets'));
    expect(rate(long)).toBeGreaterThan(3 * rate(short));
    expect(rate(events)).toBeGreaterThan(0.03);
    expect(rate(events)).toBeLessThan(0.2);
  });

  it('corrupts the given share, each quarantined with a reason and never a crash', () => {
    // Act
    const bad = [...simulateEngagement({ minutes: 20, seed: 9, malformedShare: 0.05 })].map((r) => readEngagement(r.payload, undefined, ctx.nowUs));
    const codes = new Set(bad.flatMap((r) => (r.ok ? [] : [r.rejection.code])));
    const share = bad.filter((r) => !r.ok).length / bad.length;
    // Assess
    expect(share).toBeGreaterThan(0.04);
    expect(share).toBeLessThan(0.06);
    for (const c of ['MALFORMED_JSON', 'MISSING_FIELD', 'WRONG_TYPE', ...ENGAGEMENT_REASON_CODES.filter((c) => c !== 'BAD_USER_ID' && c !== 'BAD_VIDEO_ID')])
      expect(codes, c).toContain(c);
  });

  it('estimates its record count for progress bars', () => {
    // Act
    const expected = engagement.simulator!.expectedRecords!({ minutes: 30, seed: 5, startTimeMs: Date.UTC(2026, 10, 2, 18), malformedShare: 0, extra: {} });
    // Assess
    expect(Math.abs(expected - recs.length) / recs.length).toBeLessThan(0.05);
  });
});

describe('engagement source: windows from partials', () => {
  it('merging the partials of any batching, shard spread, retries and late order equals a direct computation (property)', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 12 }), fc.integer(), (events, parts, seed) => {
        // Prepare: arrival order shuffled (late events), events spread over `parts` batches
        const rng = new Rng(seed);
        const arrival = [...events].sort(() => rng.next() - 0.5);
        const batches: EngagementEvent[][] = Array.from({ length: parts }, () => []);
        for (const e of arrival) batches[rng.int(parts)]!.push(e);
        // Act: each batch's partials are stored under its id; a retried batch writes the same id again (replacing)
        const stored = new Map<number, EngagementPartial[]>();
        for (let b = 0; b < parts; b++) {
          const attempts = 1 + rng.int(3);
          for (let a = 0; a < attempts; a++) {
            const acc = new EngagementAccumulator();
            for (const e of batches[b]!) acc.add(e);
            stored.set(b, acc.partials());
          }
        }
        const merged = mergeToWindows([...stored.values()].reverse().flat());
        // Assess
        expect(merged).toEqual(directWindows(events));
      }),
      { numRuns: 300 },
    );
  });

  it('the lake view equals a direct computation across shards, batches, retries, bisected retries and late records (property, real handler)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(eventArb, { minLength: 1, maxLength: 120 }), fc.integer(), async (events, seed) => {
        // Prepare: events in a shuffled (late) order (spread over 1-3 shards and cut into Kinesis batches below)
        const rng = new Rng(seed);
        const root = tempDir('ticklake-engagement-');
        const handler = createStreamTransform({ lake: new FileObjectStore(root), clock: () => NOW_MS });
        // Act: per batch: invoked once, or retried whole, or first invoked whole and then bisected
        await deliverOverShards(handler, [...events].sort(() => rng.next() - 0.5).map(payloadOf), rng);
        // Assess
        await withLake(root, async (sql) => {
          const r = await sql.query(
            'SELECT epoch_us(window_start), epoch_us(window_end), category, views, likes, like_rate, avg_watch_time, total_watch_time, max_watch_time FROM engagement_by_minute ORDER BY window_start, category',
          );
          const keys = ['window_start', 'window_end', 'category', 'views', 'likes', 'like_rate', 'avg_watch_time', 'total_watch_time', 'max_watch_time'];
          const rows = r.rows.map((row) => Object.fromEntries(keys.map((k, i) => [k, typeof row[i] === 'string' ? row[i] : Number(row[i])])));
          const direct = directWindows(events);
          expect(rows.map((x) => [x.window_start, x.category, x.views, x.likes, x.total_watch_time, x.max_watch_time])).toEqual(
            direct.map((x) => [x.window_start, x.category, x.views, x.likes, x.total_watch_time, x.max_watch_time]),
          );
          for (let i = 0; i < direct.length; i++) {
            expect(rows[i]!.window_end).toBe(direct[i]!.window_end);
            expect(rows[i]!.avg_watch_time).toBeCloseTo(direct[i]!.avg_watch_time, 9);
            expect(rows[i]!.like_rate).toBeCloseTo(direct[i]!.like_rate, 12);
          }
          const n = await sql.query('SELECT count(*) FROM engagement_events');
          expect(Number(n.rows[0]![0])).toBe(events.length);
        });
      }),
      { numRuns: 12 },
    );
  }, 120_000);

  it('through the local pollers: simulated views with late arrivals and malformed records over 3 shards and a flaky handler', async () => {
    // Prepare: 10 simulated minutes, 2% corrupted, put on 3 shards; the handler fails after writing every 4th call
    const recs = [...simulateEngagement({ minutes: 10, seed: 4, startTimeMs: T0, malformedShare: 0.02, ratePerSec: 15 })];
    const read = recs.map((r) => readEngagement(r.payload, undefined, ctx.nowUs));
    const valid = read.flatMap((r) => (r.ok ? [r.event] : []));
    const dir = tempDir();
    const stream = LocalStream.open(join(dir, 'stream'), 'engagement-test', 3);
    for (const r of recs) stream.putOne(r.partitionKey, r.payload, r.timeMs);
    stream.flush();
    const lake = join(dir, 'lake');
    const transform = createStreamTransform({ lake: new FileObjectStore(lake), clock: () => NOW_MS });
    let calls = 0;
    const flaky: KinesisHandler = async (e) => {
      const res = await transform(e);
      if (++calls % 4 === 0) throw new Error('failed after writing');
      return res;
    };
    const settings = { ...DEFAULT_EVENT_SOURCE_SETTINGS, batchSize: 500, maximumBatchingWindowMs: 0, retryBackoffMs: 1, maximumRecordAgeSeconds: -1 };
    const dlq = new JsonlDeadLetters(join(dir, 'dlq.jsonl'));
    // Act
    await Promise.all([0, 1, 2].map((i) => new ShardPoller(stream, i, flaky, new CheckpointStore(join(dir, 'cp')), dlq, settings).run(() => true)));
    await withLake(lake, async (sql) => {
      const view = await sql.query('SELECT epoch_us(window_start), category, views, likes, total_watch_time FROM engagement_by_minute ORDER BY 1, 2');
      const partials = await sql.query('SELECT count(*), count(DISTINCT batch_id) FROM engagement_partials');
      const quarantined = await sql.query("SELECT count(*) FROM quarantine WHERE source IN ('engagement', 'unknown')");
      // Assess
      expect(dlq.sent).toBe(0);
      expect(calls).toBeGreaterThan(8);
      expect(Number(partials.rows[0]![0])).toBeGreaterThan(view.rows.length); // windows really were split over batches
      expect(Number(quarantined.rows[0]![0])).toBe(read.length - valid.length);
      expect(read.length - valid.length).toBeGreaterThan(50);
      expect(view.rows.map((r) => [Number(r[0]), r[1], Number(r[2]), Number(r[3]), Number(r[4])])).toEqual(
        directWindows(valid).map((w) => [w.window_start, w.category, w.views, w.likes, w.total_watch_time]),
      );
    });
  }, 60_000);
});
