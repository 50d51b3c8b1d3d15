/**
 * The closed-results publisher (src/enriched/closed-results.ts) with fake
 * lakes: for any arrival order of the events, split over any ticks, with any
 * catch-up limit and a correction horizon longer than the events are late,
 * every put is a result closed at its tick (as the whole lake then gives it),
 * every closed result of the final lake is put, its last put is the result of
 * all the events, and each tick reads a bounded range; with its state lost a
 * tick re-puts results a consumer already holds, nothing else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ClosedResultKind,
  type ClosedResultsTickResult,
  createClosedResultsPublisher,
  type KindTickResult,
  memoryDocument,
  parseKindState,
} from '../../src/enriched/closed-results.js';
import { engagementResults } from '../../src/enriched/engagement-results.js';
import { type EngagementAggregate, type EnrichedRecord, engagementEntry, parseEnriched, viewEntry } from '../../src/enriched/records.js';
import { viewResults } from '../../src/enriched/view-results.js';
import type { EngagementEvent } from '../../src/sources/engagement/event.js';
import type { ViewingEvent } from '../../src/sources/viewing/event.js';
import { CHANNELS } from '../../src/sources/viewing/schedule.js';
import { type ClosedView, MAX_INTERVAL_MS } from '../../src/sources/viewing/sessionize.js';
import { MINUTE_US } from '../../src/timeseries/bar-publication.js';
import { type AskedRange, CapturingProducer, FakeEngagementLake, FakeViewingLake, resultOf } from '../helpers/closed-results.js';

/** Monday 2026-11-02 10:00 UTC, µs. */
const T0 = Date.UTC(2026, 10, 2, 10) * 1000;
const S = 1_000_000;
const MS = 1000;

/** One run of a publisher over events arriving in batches, a tick after each, then ticks until the backlog is caught up. */
interface Scenario<E> {
  /** The events in arrival order. */
  readonly arrival: readonly E[];
  /** Batch sizes (cycled). */
  readonly sizes: readonly number[];
  readonly catchUpMinutes: number;
}

/** Orders events by their time plus a random delay: delays up to `maxDelay` minutes (a large one: any order). */
function arrivalOf<E>(events: readonly E[], timeOf: (e: E) => number, delays: readonly number[]): E[] {
  return events
    .map((e, i) => ({ e, at: timeOf(e) + delays[i % delays.length]! * MINUTE_US, i }))
    .sort((a, b) => a.at - b.at || a.i - b.i)
    .map((x) => x.e);
}

/** The largest lateness of an arrival in batches: how far each event is behind the latest event of the lake once its batch is in. */
function maxLatenessUs<E>(arrival: readonly E[], sizes: readonly number[], timeOf: (e: E) => number): number {
  let wm = Number.NEGATIVE_INFINITY;
  let late = 0;
  for (let i = 0, b = 0; i < arrival.length; b++) {
    const batch = arrival.slice(i, i + sizes[b % sizes.length]!);
    i += batch.length;
    wm = Math.max(wm, ...batch.map(timeOf));
    for (const e of batch) late = Math.max(late, wm - timeOf(e));
  }
  return late;
}

interface RunOutcome {
  readonly producer: CapturingProducer;
  readonly ticks: readonly ClosedResultsTickResult[];
  readonly state: ReturnType<typeof memoryDocument>;
}

/**
 * Runs the scenario: the first tick anchored at T0 (so the whole of the
 * generated history is published), a tick after each batch; after each tick,
 * `check` sees the records it put.
 */
async function run<E, R>(
  s: Scenario<E>,
  lake: { add(...e: E[]): void },
  kind: ClosedResultKind<R>,
  horizonMinutes: number,
  check: (put: readonly EnrichedRecord[]) => void,
): Promise<RunOutcome> {
  const producer = new CapturingProducer();
  const state = memoryDocument();
  const publish = createClosedResultsPublisher({
    kinds: [kind],
    state,
    enriched: producer,
    correctionHorizonMinutes: horizonMinutes,
    maxCatchUpMinutes: s.catchUpMinutes,
  });
  const ticks: ClosedResultsTickResult[] = [];
  const tick = async (first: boolean) => {
    const before = producer.calls.length;
    const r = await publish(first ? { fromUs: T0 } : {});
    expect(r.failures).toEqual([]);
    ticks.push(r);
    check(producer.records(before));
    return r.results[0]!;
  };
  let first = true;
  for (let i = 0, b = 0; i < s.arrival.length; b++) {
    const n = s.sizes[b % s.sizes.length]!;
    lake.add(...s.arrival.slice(i, i + n));
    i += n;
    await tick(first);
    first = false;
  }
  for (let guard = 0; ; guard++) {
    const r: KindTickResult = await tick(false);
    if (r.backlogMinutes === 0) break;
    expect(guard).toBeLessThan(2000);
  }
  return { producer, ticks, state };
}

/** Per key, the result a reference record carries. */
const byKey = (records: readonly EnrichedRecord[]) => new Map(records.map((r) => [r.key, resultOf(r)]));

/** Checks the outcome against the final lake: every closed result put, its last put the final one, nothing else put. */
function expectFinal(outcome: RunOutcome, reference: readonly EnrichedRecord[]): void {
  const last = new Map<string, unknown>();
  for (const r of outcome.producer.records()) last.set(r.key, resultOf(r));
  expect(new Map([...last].sort())).toEqual(new Map([...byKey(reference)].sort()));
}

/** Every read asked for a range of at most max(catch-up, horizon), views with their 4-hour look-back. */
function expectBounded(asked: readonly AskedRange[], catchUpMinutes: number, horizonMinutes: number): void {
  for (const a of asked) {
    expect(a.throughUs - a.afterUs).toBeLessThanOrEqual(Math.max(catchUpMinutes, horizonMinutes) * MINUTE_US);
    if (a.lookbackUs !== undefined) expect(a.lookbackUs).toBe(a.afterUs - MAX_INTERVAL_MS * MS);
  }
}

/**
 * Ticks with the state lost (until caught up again), then one more: the first
 * ones re-put only results already put (at their last versions), the last one
 * nothing.
 */
async function expectLostStateHarmless<R>(outcome: RunOutcome, kind: ClosedResultKind<R>, horizonMinutes: number, nowUs: number): Promise<void> {
  const latest = new Map<string, unknown>();
  for (const r of outcome.producer.records()) latest.set(r.key, resultOf(r));
  const producer = new CapturingProducer();
  const publish = createClosedResultsPublisher({ kinds: [kind], state: memoryDocument(), enriched: producer, correctionHorizonMinutes: horizonMinutes });
  for (let guard = 0; (await publish({ timeUs: nowUs })).results[0]!.backlogMinutes > 0; guard++) expect(guard).toBeLessThan(100);
  for (const r of producer.records()) expect(resultOf(r)).toEqual(latest.get(r.key));
  const again = producer.calls.length;
  await publish({ timeUs: nowUs });
  expect(producer.records(again)).toEqual([]);
}

const engagementEvents = fc
  .array(
    fc.record({
      category: fc.constantFrom('music', 'news', 'comedy'),
      minute: fc.integer({ min: 0, max: 90 }),
      ms: fc.integer({ min: 0, max: 59_999 }),
      watch: fc.integer({ min: 1, max: 120 }),
      liked: fc.boolean(),
    }),
    { minLength: 1, maxLength: 40 },
  )
  .map((specs) =>
    specs.map(
      (x, i): EngagementEvent => ({
        event_time: T0 + x.minute * MINUTE_US + x.ms * MS,
        user_id: `u${i}`,
        video_id: `v-${x.category}-${i}`,
        category: x.category,
        watch_time: x.watch / 4,
        liked: x.liked,
      }),
    ),
  );

/** Delays per event in minutes, up to a bound drawn from none to "any order". */
const delays = fc.constantFrom(0, 2, 15, 600).chain((max) => fc.array(fc.integer({ min: 0, max }), { minLength: 1, maxLength: 40 }));
const sizes = fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 6 });
const catchUp = fc.integer({ min: 1, max: 240 });

const recordOf = (entry: { data: string }) => parseEnriched(entry.data)!;
const engagementRecords = (ws: readonly EngagementAggregate[]) => ws.map((w) => recordOf(engagementEntry(w, false)));
const viewRecords = (vs: readonly ClosedView[]) => vs.map((v) => recordOf(viewEntry(v, false)));

describe('closed category minutes (engagement_1m)', () => {
  it('any arrival order over any ticks: each put is a minute closed then, as the lake then gives it; finally every closed minute at its last version; bounded reads; a lost state re-puts what was put (property)', async () => {
    await fc.assert(
      fc.asyncProperty(engagementEvents, delays, sizes, catchUp, fc.constantFrom(0, 10, 45), async (events, ds, sz, catchUpMinutes, lateness) => {
        // Prepare: the arrival, and a horizon longer than any event is late
        const arrival = arrivalOf(events, (e) => e.event_time, ds);
        const horizonMinutes = Math.floor(maxLatenessUs(arrival, sz, (e) => e.event_time) / MINUTE_US) + 2;
        const lake = new FakeEngagementLake();
        const kind = engagementResults(lake, lateness);
        // Act
        const outcome = await run({ arrival, sizes: sz, catchUpMinutes }, lake, kind, horizonMinutes, (put) => {
          // Assess: what a tick puts is closed at that tick, exactly as the whole lake then gives it
          const now = byKey(engagementRecords(lake.closed(lateness)));
          for (const r of put) expect(resultOf(r)).toEqual(now.get(r.key));
        });
        // Assess
        expectFinal(outcome, engagementRecords(lake.closed(lateness)));
        expectBounded(lake.asked, catchUpMinutes, horizonMinutes);
        await expectLostStateHarmless(outcome, kind, horizonMinutes, Math.max(...events.map((e) => e.event_time)));
      }),
      { numRuns: 150 },
    );
  });

  it('a late view inside the horizon re-puts its minute as a correction with the higher view count; later than the horizon, it is left', async () => {
    // Prepare: views in minutes 0..3; then the lake moves to minute 70 (minute 0 is then past a 30-minute horizon)
    const lake = new FakeEngagementLake();
    const view = (minute: number, second: number, i: number): EngagementEvent => ({
      event_time: T0 + minute * MINUTE_US + second * S,
      user_id: `u${i}`,
      video_id: `v${i}`,
      category: 'music',
      watch_time: 10,
      liked: false,
    });
    lake.add(view(0, 5, 1), view(1, 5, 2), view(2, 5, 3), view(3, 30, 4));
    const producer = new CapturingProducer();
    const state = memoryDocument();
    const publish = createClosedResultsPublisher({ kinds: [engagementResults(lake)], state, enriched: producer, correctionHorizonMinutes: 30 });
    // Act
    const first = await publish({ timeUs: T0 + 4 * MINUTE_US });
    lake.add(view(1, 50, 5));
    const second = await publish({ timeUs: T0 + 5 * MINUTE_US });
    lake.add(view(70, 0, 6), view(0, 50, 7));
    const third = await publish({ timeUs: T0 + 71 * MINUTE_US });
    // Assess
    expect(first.results[0]).toMatchObject({ watermarkUs: T0 + 3 * MINUTE_US + 30 * S, closedThroughUs: T0 + 2 * MINUTE_US, fresh: 3, corrections: 0 });
    expect(second.results[0]).toMatchObject({ fresh: 0, corrections: 1 });
    expect(third.results[0]).toMatchObject({ closedThroughUs: T0 + 68 * MINUTE_US, fresh: 1, corrections: 0, backlogMinutes: 0 });
    expect(producer.records().map((r) => [r.key, r.version, r.correction])).toEqual([
      [`music/${T0}`, 1, false],
      [`music/${T0 + MINUTE_US}`, 1, false],
      [`music/${T0 + 2 * MINUTE_US}`, 1, false],
      [`music/${T0 + MINUTE_US}`, 2, true],
      [`music/${T0 + 3 * MINUTE_US}`, 1, false],
    ]);
    // The third tick read from where the second stopped (minute 2) to minute 68: minute 0 was not read again. The state keeps the minutes read.
    expect(lake.asked.at(-1)).toEqual({ afterUs: T0 + 2 * MINUTE_US, throughUs: T0 + 68 * MINUTE_US });
    expect(JSON.parse(state.text!)).toEqual({ engagement_1m: { closedThroughUs: T0 + 68 * MINUTE_US, published: { music: { [T0 + 3 * MINUTE_US]: 1 } } } });
  });

  it('a backlog is caught up over several ticks, at most the catch-up per tick', async () => {
    // Prepare: one view a minute for five hours, all there before the first tick (a replay at full speed)
    const lake = new FakeEngagementLake();
    for (let m = 0; m < 300; m++)
      lake.add({ event_time: T0 + m * MINUTE_US + S, user_id: 'u', video_id: `v${m}`, category: 'news', watch_time: 1, liked: false });
    const producer = new CapturingProducer();
    const publish = createClosedResultsPublisher({ kinds: [engagementResults(lake)], state: memoryDocument(), enriched: producer, maxCatchUpMinutes: 100 });
    // Act
    const ticks = [];
    ticks.push((await publish({ fromUs: T0 })).results[0]!);
    while (ticks.at(-1)!.backlogMinutes > 0) ticks.push((await publish({})).results[0]!);
    // Assess: the watermark is 299:01, so minutes 0..297 are closed (298 ends 10 s of lateness later); put once each, 100 a tick
    expect(ticks.map((t) => [t.fresh, t.backlogMinutes])).toEqual([
      [100, 198],
      [100, 98],
      [98, 0],
    ]);
    expect(new Set(producer.records().map((r) => r.key)).size).toBe(298);
    expect(producer.records()).toHaveLength(298);
  });
});

/** Viewing events of two users and three devices over five hours (so the 4-hour cap is reached); each device's times distinct, seq unique. */
const viewingEvents = fc
  .array(
    fc.record({
      device: fc.integer({ min: 0, max: 2 }),
      minute: fc.integer({ min: 0, max: 300 }),
      second: fc.integer({ min: 0, max: 59 }),
      type: fc.constantFrom('start' as const, 'switch' as const, 'stop' as const),
      channel: fc.constantFrom(...CHANNELS),
    }),
    { minLength: 1, maxLength: 30 },
  )
  .map((specs) =>
    specs.map(
      (x, i): ViewingEvent => ({
        // + i ms: no two events of a device share a time (two would share a view key, records.ts).
        event_time: T0 + x.minute * MINUTE_US + x.second * S + i * MS,
        user_id: x.device === 2 ? 'u/2' : 'u1',
        device_id: ['u1-tv', 'u1-phone', 'tv'][x.device]!,
        device_type: 'smart-tv',
        location: 'leeds',
        event_type: x.type,
        channel: x.channel,
        seq: i,
      }),
    ),
  );

describe('closed views (view_interval)', () => {
  it('any arrival order (re-puts included) over any ticks: each put is a view closed then, as the lake then gives it; finally every closed view at its last version; bounded reads; a lost state re-puts what was put (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        viewingEvents.chain((evs) => fc.tuple(fc.constant(evs), fc.subarray(evs))),
        delays,
        sizes,
        catchUp,
        fc.boolean(),
        async ([events, again], ds, sz, catchUpMinutes, minimal) => {
          // Prepare: every event once, some twice (a re-put record is one event)
          const arrival = arrivalOf([...events, ...again], (e) => e.event_time, ds);
          const horizonMinutes = Math.floor(maxLatenessUs(arrival, sz, (e) => e.event_time) / MINUTE_US) + 1;
          const lake = new FakeViewingLake(minimal);
          const kind = viewResults(lake);
          // Act
          const outcome = await run({ arrival, sizes: sz, catchUpMinutes }, lake, kind, horizonMinutes, (put) => {
            // Assess: what a tick puts is closed at that tick, exactly as the whole lake then gives it
            const now = byKey(viewRecords(lake.closed()));
            for (const r of put) expect(resultOf(r)).toEqual(now.get(r.key));
          });
          // Assess
          expectFinal(outcome, viewRecords(lake.closed()));
          expectBounded(lake.asked, catchUpMinutes, horizonMinutes);
          await expectLostStateHarmless(outcome, kind, horizonMinutes, Math.max(...events.map((e) => e.event_time)));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a late switch ends a published view earlier (a correction, higher version) and opens one of its own; an open view is never put', async () => {
    // Prepare: a start and a stop 40 minutes later on the TV, an open start on the phone
    const lake = new FakeViewingLake();
    const ev = (device: string, minute: number, type: ViewingEvent['event_type'], seq: number, channel = 'news-24'): ViewingEvent => ({
      event_time: T0 + minute * MINUTE_US,
      user_id: 'u1',
      device_id: device,
      device_type: 'smart-tv',
      location: 'leeds',
      event_type: type,
      channel,
      seq,
    });
    lake.add(ev('u1-tv', 0, 'start', 1), ev('u1-tv', 40, 'stop', 3), ev('u1-phone', 5, 'start', 1));
    const producer = new CapturingProducer();
    const state = memoryDocument();
    const publish = createClosedResultsPublisher({ kinds: [viewResults(lake)], state, enriched: producer });
    // Act
    const first = await publish({ timeUs: T0 + 41 * MINUTE_US });
    lake.add(ev('u1-tv', 20, 'switch', 2, 'movies'));
    const second = await publish({ timeUs: T0 + 42 * MINUTE_US });
    // Assess
    expect(first.results[0]).toMatchObject({ watermarkUs: T0 + 40 * MINUTE_US, closedThroughUs: T0 + 40 * MINUTE_US, fresh: 1, corrections: 0 });
    expect(second.results[0]).toMatchObject({ fresh: 1, corrections: 1 });
    expect(producer.records().map((r) => [r.key, r.version, r.correction])).toEqual([
      [`u1/u1-tv/${T0}`, MAX_INTERVAL_MS - 40 * 60_000 + 1, false],
      [`u1/u1-tv/${T0 + 20 * MINUTE_US}`, MAX_INTERVAL_MS - 20 * 60_000 + 1, false],
      [`u1/u1-tv/${T0}`, MAX_INTERVAL_MS - 20 * 60_000 + 1, true],
    ]);
    // The phone's view is open: the lake's latest event is 35 minutes after it opened, not 4 hours.
    expect(producer.records().some((r) => r.key.includes('phone'))).toBe(false);
    // What the state keeps: the frontier, and the versions of the views closed inside the horizon.
    expect(parseKindState(JSON.parse(state.text!).view_interval)).toEqual({
      closedThroughUs: T0 + 40 * MINUTE_US,
      published: { 'u1\u0000u1-tv': { [T0]: MAX_INTERVAL_MS - 20 * 60_000 + 1, [T0 + 20 * MINUTE_US]: MAX_INTERVAL_MS - 20 * 60_000 + 1 } },
    });
  });

  it('a view left on closes at its 4-hour cap once the lake is past it, read with one look-back event per device', async () => {
    // Prepare: a start, then nothing on that device for five hours while another device goes on
    const lake = new FakeViewingLake();
    const ev = (device: string, minute: number, type: ViewingEvent['event_type'], seq: number): ViewingEvent => ({
      event_time: T0 + minute * MINUTE_US,
      user_id: 'u1',
      device_id: device,
      device_type: 'smart-tv',
      location: 'leeds',
      event_type: type,
      channel: 'news-24',
      seq,
    });
    lake.add(ev('tv', 0, 'start', 1));
    for (let m = 1; m <= 300; m += 10) lake.add(ev('phone', m, 'switch', m));
    const producer = new CapturingProducer();
    const publish = createClosedResultsPublisher({ kinds: [viewResults(lake)], state: memoryDocument(), enriched: producer });
    // Act: a tick at 3 h (the TV view still open), then at 5 h
    const events = lake.events.splice(0);
    lake.add(...events.filter((e) => e.event_time <= T0 + 180 * MINUTE_US));
    await publish({ fromUs: T0 });
    lake.add(...events.filter((e) => e.event_time > T0 + 180 * MINUTE_US));
    await publish({});
    // Assess
    const tv = producer.records().filter((r) => r.key.startsWith('u1/tv/'));
    expect(tv.map((r) => [r.key, r.version, (r as { view: ClosedView }).view.closed_at])).toEqual([[`u1/tv/${T0}`, 1, T0 + MAX_INTERVAL_MS * MS]]);
    expect(lake.asked.at(-1)).toMatchObject({ afterUs: T0 + 171 * MINUTE_US, throughUs: T0 + 291 * MINUTE_US });
  });
});

describe('several kinds on one state document', () => {
  it('a kind that fails does not stop the other, whose progress is saved; the failure is returned', async () => {
    // Prepare: engagement views in the lake; a viewing lake that cannot be read
    const engagement = new FakeEngagementLake();
    engagement.add({ event_time: T0 + S, user_id: 'u', video_id: 'v', category: 'news', watch_time: 3, liked: true });
    engagement.add({ event_time: T0 + 2 * MINUTE_US, user_id: 'u', video_id: 'w', category: 'news', watch_time: 3, liked: false });
    const broken = new FakeViewingLake();
    broken.latestViewingTimeUs = async () => {
      throw new Error('Athena is away');
    };
    const state = memoryDocument({ view_interval: { closedThroughUs: T0, published: {} } });
    const producer = new CapturingProducer();
    const publish = createClosedResultsPublisher({ kinds: [viewResults(broken), engagementResults(engagement)], state, enriched: producer });
    // Act
    const r = await publish({ timeUs: T0 + 3 * MINUTE_US });
    // Assess
    expect(r.results.map((k) => [k.kind, k.fresh])).toEqual([['engagement_1m', 1]]);
    expect(r.failures.map((f) => [f.kind, (f.error as Error).message])).toEqual([['view_interval', 'Athena is away']]);
    expect(JSON.parse(state.text!)).toEqual({
      view_interval: { closedThroughUs: T0, published: {} },
      engagement_1m: { closedThroughUs: T0, published: { news: { [T0]: 1 } } },
    });
    expect(() => createClosedResultsPublisher({ kinds: [viewResults(broken), viewResults(broken)], state, enriched: producer })).toThrow(/each kind once/);
  });

  it('an empty lake puts nothing and saves nothing; a malformed state counts as none', async () => {
    const state = memoryDocument();
    const producer = new CapturingProducer();
    const publish = createClosedResultsPublisher({ kinds: [engagementResults(new FakeEngagementLake())], state, enriched: producer });
    expect((await publish({ timeUs: T0 })).results).toEqual([{ kind: 'engagement_1m', fresh: 0, corrections: 0, backlogMinutes: 0 }]);
    expect(state.text).toBeUndefined();
    expect(producer.calls).toEqual([]);
    expect(parseKindState({ published: { a: 'x' } })).toBeUndefined();
    expect(parseKindState({ closedThroughUs: 'soon', published: {} })).toEqual({ published: {} });
    expect(parseKindState(undefined)).toBeUndefined();
  });
});
