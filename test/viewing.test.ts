import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../src/core/random.js';
import { createStreamTransform } from '../src/ingest/stream-transform.js';
import type { LakeSql } from '../src/local/lake-sql.js';
import { compactLake } from '../src/local/compaction.js';
import { FileObjectStore } from '../src/local/file-object-store.js';
import { REASON_CODES, VIEWING_REASON_CODES, type ViewingEvent, viewingFrom } from '../src/sources/viewing/event.js';
import { parseUsers, readViewing, viewing } from '../src/sources/viewing/index.js';
import { CHANNELS, TV_AD_SPOTS, TV_AD_SPOTS_FILE, TV_SCHEDULE, TV_SCHEDULE_FILE } from '../src/sources/viewing/schedule.js';
import { adViews, MAX_INTERVAL_MS, Sessionizer, sessionize, type ViewInterval, watchTimeByAd, watchTimeByShow } from '../src/sources/viewing/sessionize.js';
import { simulateViewing } from '../src/sources/viewing/simulator.js';
import { viewIntervalsSql } from '../src/sources/viewing/sql.js';
import { kinesisEvent, viewingEvent } from './helpers/kinesis-events.js';
import { deliverOverShards } from './helpers/batch-delivery.js';
import { tempDir, withLake } from './helpers/lake-files.js';

const ROOT = join(import.meta.dirname, '..');
const NOW_MS = Date.UTC(2026, 10, 3, 12);
const ctx = { nowUs: NOW_MS * 1000 };
/** 22:00 UTC: the events' five hours cross midnight, where the schedule's days meet. */
const T0 = Date.UTC(2026, 10, 2, 22);

const message = viewingEvent;

const payloadOf = (e: ViewingEvent) =>
  JSON.stringify(
    message({
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

/**
 * Events of three users on two devices each over five hours, on whole minutes
 * with small seqs, so that natural keys collide (one key, other content) and
 * gaps exceed the 4-hour cap.
 */
const eventArb: fc.Arbitrary<ViewingEvent> = fc.record({
  event_time: fc
    .oneof(
      fc.integer({ min: 0, max: 300 }).map((m) => m * 60_000),
      fc.integer({ min: 0, max: 5 * 3_600_000 }),
    )
    .map((ms) => (T0 + ms) * 1000),
  user_id: fc.constantFrom('u1', 'u2', 'u3'),
  device_id: fc.constantFrom('tv', 'phone'),
  device_type: fc.constantFrom('smart-tv', 'mobile'),
  location: fc.constantFrom('leeds', 'york'),
  event_type: fc.constantFrom('start', 'switch', 'stop'),
  channel: fc.constantFrom(...CHANNELS),
  seq: fc.integer({ min: 0, max: 3 }),
});

/** The show airing a channel has at a time, by a plain scan of the schedule (independent of the grid lookups). */
function airing(channel: string, ms: number): { show_id: string; title: string; genre: string; from: number; to: number } {
  const day = ms - (ms % 86_400_000);
  const s = TV_SCHEDULE.find((x) => x.channel === channel && day + x.start_minute * 60_000 <= ms && ms < day + x.end_minute * 60_000)!;
  return { show_id: s.show_id, title: s.title, genre: s.genre, from: day + s.start_minute * 60_000, to: day + s.end_minute * 60_000 };
}

/** The intervals computed straight from the sorted, deduplicated events: what every arrival order and batching must give. */
function directIntervals(events: readonly ViewingEvent[]): ViewInterval[] {
  const content = (e: ViewingEvent) => [e.event_type, e.channel, e.location, e.device_type].join('\u0001');
  const kept = new Map<string, ViewingEvent>();
  for (const e of events) {
    const k = `${e.user_id}|${e.device_id}|${e.event_time}|${e.seq}`;
    const prev = kept.get(k);
    if (!prev || content(e) < content(prev)) kept.set(k, e);
  }
  const sorted = [...kept.values()].sort(
    (a, b) =>
      (a.user_id + a.device_id < b.user_id + b.device_id ? -1 : a.user_id + a.device_id > b.user_id + b.device_id ? 1 : 0) ||
      a.event_time - b.event_time ||
      a.seq - b.seq,
  );
  const out: ViewInterval[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const e = sorted[i]!;
    const next = sorted[i + 1]!;
    if (e.event_type === 'stop' || next.user_id !== e.user_id || next.device_id !== e.device_id) continue;
    const from = e.event_time / 1000;
    const to = Math.min(next.event_time / 1000, from + MAX_INTERVAL_MS);
    for (let t = from; t < to; ) {
      const a = airing(e.channel, t);
      const end = Math.min(to, a.to);
      out.push({
        user_id: e.user_id,
        device_id: e.device_id,
        device_type: e.device_type,
        location: e.location,
        channel: e.channel,
        show_id: a.show_id,
        show_title: a.title,
        genre: a.genre,
        aired_at: a.from * 1000,
        start_time: t * 1000,
        end_time: end * 1000,
        watch_ms: end - t,
        opened_at: e.event_time,
      });
      t = end;
    }
  }
  return canonical(out);
}

const key = (v: ViewInterval) => `${v.user_id}|${v.device_id}|${String(v.start_time).padStart(20, '0')}`;
const canonical = (xs: readonly ViewInterval[]) => [...xs].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
const sortedBy = <T>(xs: readonly T[], k: (x: T) => string) => [...xs].sort((a, b) => (k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0));

/** The three views read back from the lake, as the TypeScript rows. */
async function viewsOf(sql: LakeSql) {
  const rows = async (text: string) => {
    const r = await sql.query(text);
    return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, typeof row[i] === 'string' || row[i] === null ? row[i] : Number(row[i])])));
  };
  const intervals = await rows(
    `SELECT user_id, device_id, device_type, location, channel, show_id, show_title, genre, epoch_us(aired_at) AS aired_at,
       epoch_us(start_time) AS start_time, epoch_us(end_time) AS end_time, watch_ms, epoch_us(opened_at) AS opened_at FROM view_intervals`,
  );
  const shows = await rows(
    'SELECT epoch_us(aired_at) AS aired_at, channel, show_id, show_title, genre, device_type, location, viewers, views, watch_ms FROM watch_time_by_show',
  );
  const ads = await rows(
    `SELECT epoch_us(spot_aired_at) AS spot_aired_at, ad_id, advertiser, channel, show_id, break_no, device_type, location, viewers, impressions, completed, watch_ms
     FROM watch_time_by_ad`,
  );
  return { intervals: canonical(intervals as unknown as ViewInterval[]), shows, ads };
}

const showKey = (r: { aired_at: unknown; show_id: unknown; device_type: unknown; location: unknown }) =>
  `${r.aired_at}|${r.show_id}|${r.device_type}|${r.location}`;
const adKey = (r: { spot_aired_at: unknown; ad_id: unknown; channel: unknown; device_type: unknown; location: unknown }) =>
  `${r.spot_aired_at}|${r.ad_id}|${r.channel}|${r.device_type}|${r.location}`;

describe('viewing source: records', () => {
  it.each([
    [{}, undefined],
    [{ event_type: 'switch', channel: 'movies' }, undefined],
    [{ event_type: 'stop', timestamp: '2026-11-02T21:00:01+01:00' }, undefined],
    [{ event_type: 'pause' }, 'BAD_EVENT_TYPE'],
    [{ event_type: 'START' }, 'BAD_EVENT_TYPE'],
    [{ channel: 'news-24-hd' }, 'UNKNOWN_CHANNEL'],
    [{ device_type: 'fridge' }, 'BAD_DEVICE_TYPE'],
    [{ location: 'Leeds City' }, 'BAD_LOCATION'],
    [{ user_id: 'u 1' }, 'BAD_USER_ID'],
    [{ device_id: 'x'.repeat(65) }, 'BAD_DEVICE_ID'],
    [{ seq: -1 }, 'BAD_SEQ'],
    [{ seq: 1.5 }, 'BAD_SEQ'],
    [{ seq: '17' }, 'WRONG_TYPE'],
    [{ channel: 7 }, 'WRONG_TYPE'],
    [{ device_id: undefined }, 'MISSING_FIELD'],
    [{ location: null }, 'MISSING_FIELD'],
    [{ timestamp: '2026-11-02T20:00:01' }, 'BAD_TIMESTAMP'],
    [{ timestamp: 'tonight' }, 'BAD_TIMESTAMP'],
    [{ timestamp: '2031-01-01T00:00:00Z' }, 'TIME_OUT_OF_RANGE'],
  ])('validates %j -> %s', (over, code) => {
    // Act
    const r = viewingFrom(message(over), ctx);
    // Assess
    expect(r.ok ? undefined : r.rejection.code).toBe(code);
  });

  it('reads a valid event into its columns (time in µs)', () => {
    // Prepare: every field but the envelope and the time is a column as sent
    const { source: _, timestamp, ...columns } = message();
    // Act
    const r = readViewing(JSON.stringify(message()), undefined, ctx.nowUs);
    // Assess
    expect(timestamp).toBe('2026-11-02T20:00:01.250Z');
    expect(r).toEqual({ ok: true, event: { event_time: Date.UTC(2026, 10, 2, 20, 0, 1, 250) * 1000, ...columns } });
    expect(Object.keys(columns)).toHaveLength(7);
  });

  it('never throws on arbitrary mutations of a valid message: an event or a reason of its own (property)', () => {
    const known = new Set<string>(REASON_CODES);
    const value = fc.oneof(fc.string(), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.object());
    const fields = ['timestamp', 'user_id', 'device_id', 'device_type', 'location', 'event_type', 'channel', 'seq', 'extra'] as const;
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...fields), value), fc.nat(200), (over, cut) => {
        // Prepare: a mutated message, whole and truncated
        const text = JSON.stringify(message(over));
        for (const t of [text, text.slice(0, cut)]) {
          // Act
          const r = readViewing(t, undefined, ctx.nowUs);
          // Assess
          if (r.ok) {
            expect(CHANNELS).toContain(r.event.channel);
            expect(r.event.event_time % 1000).toBe(0);
          } else expect(known.has(r.rejection.code), r.rejection.code).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('accepts every valid event with its values unchanged (property)', () => {
    fc.assert(
      fc.property(eventArb, (e) => {
        // Act / Assess
        expect(readViewing(payloadOf(e), undefined, ctx.nowUs)).toEqual({ ok: true, event: e });
      }),
    );
  });
});

describe('viewing source: schedule', () => {
  it('ships exactly the grid as its two dimensions', () => {
    // Act
    const shipped = (file: string) => JSON.parse(readFileSync(join(ROOT, file), 'utf8'));
    // Assess (regenerate with: npx tsx lib/tools/tv-schedule.ts)
    expect(shipped(TV_SCHEDULE_FILE)).toEqual(TV_SCHEDULE);
    expect(shipped(TV_AD_SPOTS_FILE)).toEqual(TV_AD_SPOTS);
  });

  it("covers every channel's day without gaps or overlaps, with every ad spot inside its show", () => {
    for (const c of CHANNELS) {
      // Prepare
      const shows = TV_SCHEDULE.filter((s) => s.channel === c);
      // Assess
      expect(shows[0]!.start_minute, c).toBe(0);
      expect(shows.at(-1)!.end_minute, c).toBe(1440);
      for (let i = 1; i < shows.length; i++) expect(shows[i]!.start_minute).toBe(shows[i - 1]!.end_minute);
    }
    for (const a of TV_AD_SPOTS) {
      const show = TV_SCHEDULE.find(
        (s) => s.channel === a.channel && s.show_id === a.show_id && s.start_minute * 60 < a.start_second && a.end_second < s.end_minute * 60,
      );
      expect(show, `${a.channel} ${a.start_second}`).toBeDefined();
    }
    expect(new Set(TV_AD_SPOTS.map((a) => a.advertiser)).size).toBeGreaterThan(5);
  });
});

describe('viewing source: sessionization', () => {
  it('any arrival order, split into batches, with duplicates, retries and late events, gives the intervals of the sorted, deduplicated events (property)', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { minLength: 1, maxLength: 120 }), fc.integer({ min: 1, max: 10 }), fc.integer(), (events, parts, seed) => {
        // Prepare: shuffled arrival (late events), a share put twice, batches of it, some batches delivered twice (retries)
        const rng = new Rng(seed);
        const arrived = [...events, ...events.filter(() => rng.chance(0.2))].sort(() => rng.next() - 0.5);
        const cuts = [0, ...Array.from({ length: parts - 1 }, () => rng.int(arrived.length + 1)).sort((a, b) => a - b), arrived.length];
        const s = new Sessionizer();
        // Act: batch by batch, reading the intervals in between (the incremental state must not drift)
        for (let b = 0; b + 1 < cuts.length; b++) {
          const batch = arrived.slice(cuts[b], cuts[b + 1]);
          for (let attempt = rng.chance(0.3) ? 2 : 1; attempt > 0; attempt--) for (const e of batch) s.add(e);
          s.intervals();
        }
        // Assess
        const direct = directIntervals(events);
        expect(canonical(s.intervals())).toEqual(direct);
        for (const v of direct) {
          expect(v.watch_ms).toBeGreaterThan(0);
          expect(v.watch_ms).toBeLessThanOrEqual(MAX_INTERVAL_MS);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('closed views have one key each (user, device, opening time), even when events share a time, and hold every interval (property)', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { minLength: 1, maxLength: 120 }), (events) => {
        // Prepare
        const s = new Sessionizer();
        for (const e of events) s.add(e);
        // Act
        const views = s.closedViews(Number.NEGATIVE_INFINITY);
        // Assess
        const keys = views.map((v) => `${v.user_id}/${v.device_id}/${v.opened_at}`);
        expect(new Set(keys).size).toBe(keys.length);
        for (const v of views) expect(v.closed_at).toBeGreaterThan(v.opened_at);
        expect(canonical(views.flatMap((v) => v.rows))).toEqual(canonical(s.intervals()));
      }),
      { numRuns: 300 },
    );
  });

  it('a late event re-derives its neighbours; a stop opens nothing; a gap over 4 h is capped', () => {
    // Prepare
    const at = (min: number, event_type: 'start' | 'switch' | 'stop', channel: string, seq: number): ViewingEvent => ({
      event_time: (T0 + min * 60_000) * 1000,
      user_id: 'u',
      device_id: 'd',
      device_type: 'smart-tv',
      location: 'leeds',
      event_type,
      channel,
      seq,
    });
    const onTime = [at(0, 'start', 'news-24', 1), at(20, 'stop', 'news-24', 3), at(40, 'start', 'docs', 4), at(340, 'stop', 'docs', 5)];
    const late = at(10, 'switch', 'movies', 2);
    // Act
    const before = sessionize(onTime);
    const after = sessionize([...onTime, late]);
    // Assess: news 22:00-22:20, then docs 22:40 for 4 h (cut at the hour's shows)
    expect(before.map((v) => [v.channel, (v.start_time / 1000 - T0) / 60_000, (v.end_time / 1000 - T0) / 60_000])).toEqual([
      ['news-24', 0, 20],
      ['docs', 40, 60],
      ['docs', 60, 120],
      ['docs', 120, 180],
      ['docs', 180, 240],
      ['docs', 240, 280],
    ]);
    expect(after.slice(0, 2).map((v) => [v.channel, (v.start_time / 1000 - T0) / 60_000, (v.end_time / 1000 - T0) / 60_000])).toEqual([
      ['news-24', 0, 10],
      ['movies', 10, 20],
    ]);
    // news-24 at 22:00 has its break at 22:15: the late switch took the viewer away before it
    expect(adViews(before).filter((a) => a.channel === 'news-24')).toHaveLength(3);
    expect(adViews(after).filter((a) => a.channel === 'news-24')).toHaveLength(0);
  });

  it('the lake views equal the TypeScript sessionizer across shards, batches, retries, bisected retries and late records (property, real handler)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(eventArb, { minLength: 1, maxLength: 100 }), fc.integer(), async (events, seed) => {
        // Prepare: events in a shuffled (late) order, some put twice
        const rng = new Rng(seed);
        const root = tempDir('ticklake-viewing-');
        const handler = createStreamTransform({ lake: new FileObjectStore(root), clock: () => NOW_MS });
        // Act: per batch: invoked once, or retried whole, or first invoked whole and then bisected
        await deliverOverShards(handler, [...events, ...events.filter(() => rng.chance(0.1))].sort(() => rng.next() - 0.5).map(payloadOf), rng, 30);
        // Assess
        const intervals = directIntervals(events);
        await withLake(root, async (sql) => {
          const v = await viewsOf(sql);
          expect(v.intervals).toEqual(intervals);
          expect(sortedBy(v.shows, showKey as (r: object) => string)).toEqual(sortedBy(watchTimeByShow(intervals), showKey));
          expect(sortedBy(v.ads, adKey as (r: object) => string)).toEqual(sortedBy(watchTimeByAd(adViews(intervals)), adKey));
        });
      }),
      { numRuns: 10 },
    );
  }, 180_000);
});

describe('viewing source: SQL for both engines', () => {
  it('keeps, of records with one natural key and other content, the first by type, channel, location and device type, as the sessionizer does', async () => {
    // Prepare: three records of one key (a client bug), then the device's next event
    const at = T0 * 1000;
    const base = { user_id: 'u', device_id: 'd', device_type: 'smart-tv', location: 'york', seq: 4, event_time: at };
    const events: ViewingEvent[] = [
      { ...base, event_type: 'switch', channel: 'movies' },
      { ...base, event_type: 'start', channel: 'sport-1' },
      { ...base, event_type: 'start', channel: 'news-24' },
      { ...base, event_type: 'stop', channel: 'kids' },
      { ...base, event_type: 'stop', channel: 'one', seq: 5, event_time: at + 1_800_000_000 },
    ];
    const literal = (e: ViewingEvent) =>
      `(make_timestamp(${e.event_time}), ${e.seq}, '${e.user_id}', '${e.device_id}', '${e.device_type}', '${e.location}', '${e.event_type}', '${e.channel}')`;
    const relation = `(SELECT * FROM (VALUES ${events.map(literal).join(', ')}) AS t(event_time, seq, user_id, device_id, device_type, location, event_type, channel))`;
    // Act
    const rows = await withLake(tempDir(), async (sql) => (await sql.query(`SELECT DISTINCT channel FROM (${viewIntervalsSql(relation)})`)).rows);
    // Assess: 'start' before 'stop' and 'switch', then 'news-24' before 'sport-1'
    expect(rows).toEqual([['news-24']]);
    expect([...new Set(sessionize(events).map((v) => v.channel))]).toEqual(['news-24']);
  });

  it('opens no view for an event the next one of its device follows at the same time, as the sessionizer (inside an airing)', async () => {
    // Prepare: two events of one device at 00:57, inside the 00:30 airing, then nothing more of it
    const at = Date.UTC(2026, 10, 3, 0, 57) * 1000;
    const base = {
      user_id: 'u3',
      device_id: 'phone',
      device_type: 'smart-tv',
      location: 'leeds',
      event_type: 'start',
      channel: 'news-24',
      event_time: at,
    } as const;
    const events: ViewingEvent[] = [
      { ...base, seq: 1 },
      { ...base, seq: 0 },
    ];
    const literal = (e: ViewingEvent) =>
      `(make_timestamp(${e.event_time}), ${e.seq}, '${e.user_id}', '${e.device_id}', '${e.device_type}', '${e.location}', '${e.event_type}', '${e.channel}')`;
    const relation = `(SELECT * FROM (VALUES ${events.map(literal).join(', ')}) AS t(event_time, seq, user_id, device_id, device_type, location, event_type, channel))`;
    // Act
    const rows = await withLake(tempDir(), async (sql) => (await sql.query(`SELECT * FROM (${viewIntervalsSql(relation)})`)).rows);
    // Assess
    expect(rows).toEqual([]);
    expect(sessionize(events)).toEqual([]);
  });

  it('writes its views with functions DuckDB and Athena share (no epoch helpers, series generators or engine-only syntax)', () => {
    for (const [name, sql] of Object.entries(viewing.namedViews!)) {
      // Assess: DuckDB-only, then Athena/Trino-only spellings
      expect(sql(), name).not.toMatch(/epoch|make_timestamp|::|generate_series|\brange\(|\bQUALIFY\b|\bEXCLUDE\b|date_add\(|strftime/i);
      expect(sql(), name).not.toMatch(/to_unixtime|from_unixtime|date_format|date_parse|\bsequence\(|UNNEST|element_at|cardinality/i);
      // Integer division differs between the engines: no `/` at all
      expect(sql(), name).not.toMatch(/\//);
    }
  });
});

describe('viewing source: simulator', () => {
  const start = Date.UTC(2026, 10, 2, 19, 30);
  const opts = { minutes: 45, seed: 5, startTimeMs: start, users: 1_500 };
  const recs = [...simulateViewing(opts)];
  const events = recs.map((r) => {
    const x = readViewing(r.payload, undefined, ctx.nowUs);
    if (!x.ok) throw new Error(x.rejection.message);
    return { ...x.event, arrivalMs: r.timeMs };
  });

  it('is deterministic, in arrival order, with late events and records sent twice', () => {
    // Act
    const again = [...simulateViewing(opts)];
    const late = events.filter((e) => e.arrivalMs - e.event_time / 1000 > 10_000);
    const keys = new Set(events.map((e) => `${e.device_id}|${e.seq}`));
    // Assess
    expect(again).toEqual(recs);
    expect(recs.every((r, i) => i === 0 || r.timeMs >= recs[i - 1]!.timeMs)).toBe(true);
    expect(events.every((e) => e.arrivalMs >= e.event_time / 1000)).toBe(true);
    expect(late.length).toBeGreaterThan(0);
    expect(late.every((e) => e.device_type === 'mobile')).toBe(true);
    expect(events.length - keys.size).toBeGreaterThan(0);
    expect(events.length - keys.size).toBeLessThan(events.length * 0.02);
  });

  it('has the shape of TV viewing: prime-time rates, every channel and device type, switches at ad breaks, sessions of minutes', () => {
    // Prepare
    const intervals = sessionize(events);
    const minutes = intervals.map((v) => v.watch_ms / 60_000).sort((a, b) => a - b);
    const secondOfDay = (us: number) => Math.floor((us / 1000) % 86_400_000) / 1000;
    const breakStarts = new Set(
      TV_AD_SPOTS.filter((a, i, all) => i === 0 || all[i - 1]!.break_no !== a.break_no || all[i - 1]!.show_id !== a.show_id).map(
        (a) => `${a.channel}|${a.start_second}`,
      ),
    );
    // A switch at a break start: the viewer leaves the channel it was on (the interval's channel) as the break begins.
    const leftAtBreak = intervals.filter(
      (v) => v.end_time < v.opened_at + MAX_INTERVAL_MS * 1000 && breakStarts.has(`${v.channel}|${secondOfDay(v.end_time)}`),
    ).length;
    // Assess: 1,500 households at 19:30-20:15 UTC, about 3 events per household and hour
    expect(events.length / 1_500 / 0.75).toBeGreaterThan(1.5);
    expect(events.length / 1_500 / 0.75).toBeLessThan(6);
    expect(new Set(events.map((e) => e.channel))).toEqual(new Set(CHANNELS));
    expect(new Set(events.map((e) => e.device_type)).size).toBeGreaterThanOrEqual(4);
    expect(new Set(events.map((e) => e.event_type))).toEqual(new Set(['start', 'switch', 'stop']));
    expect(leftAtBreak / intervals.length).toBeGreaterThan(0.03);
    expect(minutes[Math.floor(minutes.length / 2)]).toBeGreaterThan(0.5);
    expect(minutes[Math.floor(minutes.length / 2)]).toBeLessThan(30);
    expect(adViews(intervals).length).toBeGreaterThan(100);
  });

  it('corrupts the given share, each quarantined with a reason of its own and never a crash', () => {
    // Act
    const read = [...simulateViewing({ ...opts, minutes: 30, malformedShare: 0.05 })].map((r) => readViewing(r.payload, undefined, ctx.nowUs));
    const codes = new Set(read.flatMap((r) => (r.ok ? [] : [r.rejection.code])));
    const share = read.filter((r) => !r.ok).length / read.length;
    // Assess
    expect(share).toBeGreaterThan(0.04);
    expect(share).toBeLessThan(0.06);
    for (const c of ['MALFORMED_JSON', 'MISSING_FIELD', ...VIEWING_REASON_CODES.filter((c) => c !== 'BAD_USER_ID' && c !== 'BAD_DEVICE_ID')])
      expect(codes, c).toContain(c);
  });

  it('takes --viewing-users as a positive integer', () => {
    // Act / Assess
    expect(parseUsers('250')).toBe(250);
    for (const bad of ['0', '-3', '2.5', 'many', '2000000']) expect(() => parseUsers(bad), bad).toThrow(/viewing users must be an integer/);
  });

  it('estimates its record count for progress bars', () => {
    // Act
    const expected = viewing.simulator!.expectedRecords!({ minutes: 45, seed: 5, startTimeMs: start, malformedShare: 0, extra: { viewingUsers: 1_500 } });
    // Assess
    expect(Math.abs(expected - recs.length) / recs.length).toBeLessThan(0.25);
  });
});

describe('viewing source: through the stream transform into the lake', () => {
  it('simulated events with late, duplicated and malformed records: the views equal the sessionizer, the bad records are quarantined', async () => {
    // Prepare: 40 simulated minutes over midnight, 2% corrupted, in 500-record batches over two shards, every third batch retried
    const recs = [...simulateViewing({ minutes: 40, seed: 8, startTimeMs: Date.UTC(2026, 10, 2, 23, 40), users: 600, malformedShare: 0.02 })];
    const read = recs.map((r) => readViewing(r.payload, undefined, ctx.nowUs));
    const valid = read.flatMap((r) => (r.ok ? [r.event] : []));
    const root = tempDir('ticklake-viewing-sim-');
    const handler = createStreamTransform({ lake: new FileObjectStore(root), clock: () => NOW_MS });
    // Act
    for (let at = 0, b = 0; at < recs.length; at += 500, b++) {
      const batch = recs.slice(at, at + 500).map((r) => r.payload);
      const shardId = `shardId-00000000000${b % 2}`;
      await handler(kinesisEvent(batch, shardId, at + 1));
      if (b % 3 === 0) await handler(kinesisEvent(batch, shardId, at + 1));
    }
    // Assess
    const intervals = canonical(sessionize(valid));
    await withLake(root, async (sql) => {
      const v = await viewsOf(sql);
      const q = await sql.query("SELECT reason_code, count(*) FROM quarantine WHERE source IN ('viewing', 'unknown') GROUP BY reason_code");
      expect(intervals.length).toBeGreaterThan(200);
      expect(v.intervals).toEqual(intervals);
      expect(sortedBy(v.shows, showKey as (r: object) => string)).toEqual(sortedBy(watchTimeByShow(intervals), showKey));
      expect(sortedBy(v.ads, adKey as (r: object) => string)).toEqual(sortedBy(watchTimeByAd(adViews(intervals)), adKey));
      expect(q.rows.reduce((a, r) => a + Number(r[1]), 0)).toBe(read.length - valid.length);
      expect(q.rows.length).toBeGreaterThan(4);
    });
    // Act: compaction keeps one row per natural key (the retried batches' and re-sent records' copies go)
    const compacted = await compactLake({ lakeRoot: root, tables: ['viewing_events'], nowMs: NOW_MS });
    // Assess: the same views over fewer rows
    expect(compacted.duplicates).toBeGreaterThan(0);
    await withLake(root, async (sql) => {
      const v = await viewsOf(sql);
      const n = await sql.query('SELECT count(*) FROM viewing_events');
      expect(Number(n.rows[0]![0])).toBe(new Set(valid.map((e) => `${e.user_id}|${e.device_id}|${e.event_time}|${e.seq}`)).size);
      expect(v.intervals).toEqual(intervals);
    });
  }, 60_000);
});
