/**
 * The closed-minute / correction rule shared by the local and the cloud bar
 * publishers, checked on its own and through the cloud publisher's windows
 * (an in-memory lake; the SDK-mocked path is in cloud-bar-publisher.test.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCloudBarPublisher } from '../../src/timeseries/cloud-bar-publisher.js';
import { toBarRow } from '../../src/core/bars.js';
import {
  BAR_WRITE_OPTIONS,
  isClosedMinute,
  lastClosedMinuteUs,
  MINUTE_US,
  planPublication,
  publishedSince,
  recordPublished,
  type PublishedBars,
} from '../../src/timeseries/bar-publication.js';
import { barPoint } from '../../src/timeseries/measurements.js';
import type { Point, TimeSeriesSink, WriteOptions, WriteResult } from '../../src/timeseries/point.js';
import { barsOfTrades, FakeLake, memoryStateStore, type FakeTrade } from '../helpers/bar-publishing.js';

const T0 = Date.UTC(2026, 10, 2, 10) * 1000;
const S = 1_000_000;
const LATENESS = 10;

/**
 * A store with LiveAnalytics' version rule, keyed like every sink (measurement,
 * tags, time). Counts what a write of other values with a version not higher
 * would have been refused for: the publishers must never cause that.
 */
class VersionedStore implements Pick<TimeSeriesSink, 'write'> {
  readonly points = new Map<string, { point: Point; version: number }>();
  conflicts = 0;
  readonly log: { point: Point; version: number }[] = [];

  async write(points: readonly Point[], options: WriteOptions = {}): Promise<WriteResult> {
    points.forEach((point, i) => {
      const version = typeof options.version === 'function' ? options.version(point, i) : (options.version ?? 1);
      const key = `${point.measurement}|${JSON.stringify(point.tags)}|${point.time}`;
      const old = this.points.get(key);
      const same = old !== undefined && fieldsOf(old.point) === fieldsOf(point);
      if (old && version <= old.version && !same) this.conflicts++;
      this.log.push({ point, version });
      if (!old || version > old.version) this.points.set(key, { point, version });
    });
    return { written: points.length, rejected: [], retried: 0, corrected: 0 };
  }

  /** `symbol@minute` -> trade count. */
  tradeCounts(): Record<string, number> {
    return Object.fromEntries([...this.points.values()].map(({ point }) => [`${point.tags.symbol}@${point.time}`, Number(point.fields.trade_count)]));
  }
}

const fieldsOf = (p: Point) => JSON.stringify(p.fields, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

/** `symbol@minute` -> trade count of the bars closed under the watermark. */
function closedCounts(trades: readonly FakeTrade[], watermarkUs: number): Record<string, number> {
  return Object.fromEntries(
    barsOfTrades(trades)
      .filter((b) => isClosedMinute(b.minuteStartUs, watermarkUs, LATENESS))
      .map((b) => [`${b.symbol}@${b.minuteStartUs}`, b.tradeCount]),
  );
}

/**
 * Lake states: batches of trades, each timed relative to the watermark so far
 * (up to `lateMinutes` late, up to 5 minutes ahead), as a live stream with
 * late trades delivers them.
 */
function lakeStates(lateMinutes: number) {
  const trade = fc.record({
    symbol: fc.constantFrom('BTCUSDT', 'ETHUSDT'),
    offsetS: fc.integer({ min: -lateMinutes * 60, max: 300 }),
    price: fc.integer({ min: 1, max: 1000 }),
  });
  return fc.array(fc.array(trade, { maxLength: 8 }), { minLength: 1, maxLength: 20 });
}

/** Applies the batches one by one, calling `each` with the lake after each batch and its watermark. */
async function replay(
  batches: readonly { symbol: string; offsetS: number; price: number }[][],
  each: (trades: FakeTrade[], watermarkUs: number) => Promise<void>,
): Promise<{ trades: FakeTrade[]; watermarkUs: number }> {
  const trades: FakeTrade[] = [];
  let watermarkUs = T0;
  for (const batch of batches) {
    for (const t of batch) trades.push({ symbol: t.symbol, timeUs: Math.max(T0, watermarkUs + t.offsetS * S), price: t.price });
    watermarkUs = Math.max(watermarkUs, ...trades.map((t) => t.timeUs));
    await each(trades, watermarkUs);
  }
  return { trades, watermarkUs };
}

describe('closed minutes', () => {
  it('a minute closes exactly when the watermark is the allowed lateness past its end', () => {
    // Prepare
    const end = T0 + MINUTE_US;
    // Act
    const justBefore = isClosedMinute(T0, end + LATENESS * S - 1, LATENESS);
    const atEdge = isClosedMinute(T0, end + LATENESS * S, LATENESS);
    // Assess
    expect(justBefore).toBe(false);
    expect(atEdge).toBe(true);
    expect(lastClosedMinuteUs(end + LATENESS * S, LATENESS)).toBe(T0);
    expect(lastClosedMinuteUs(end + LATENESS * S - 1, LATENESS)).toBe(T0 - MINUTE_US);
  });

  it('plans fresh bars and corrections, leaves unchanged and open ones out, and counts a repeated minute once', () => {
    // Prepare
    const bar = (symbol: string, m: number, trade_count: number) => ({ symbol, minute_start: T0 + m * MINUTE_US, trade_count });
    const published: PublishedBars = { BTCUSDT: { [T0]: 3, [T0 + MINUTE_US]: 5 } };
    const bars = [bar('BTCUSDT', 0, 3), bar('BTCUSDT', 1, 6), bar('ETHUSDT', 1, 1), bar('ETHUSDT', 1, 2), bar('BTCUSDT', 2, 9)];
    // Act
    const plan = planPublication(bars, published, T0 + 2 * MINUTE_US + 30 * S, LATENESS);
    // Assess
    expect(plan.fresh).toEqual([bar('ETHUSDT', 1, 2)]);
    expect(plan.corrections).toEqual([bar('BTCUSDT', 1, 6)]);
    expect(recordPublished(published, [...plan.fresh, ...plan.corrections])).toEqual({
      BTCUSDT: { [T0]: 3, [T0 + MINUTE_US]: 6 },
      ETHUSDT: { [T0 + MINUTE_US]: 2 },
    });
    expect(publishedSince(published, T0 + MINUTE_US)).toEqual({ BTCUSDT: { [T0 + MINUTE_US]: 6 }, ETHUSDT: { [T0 + MINUTE_US]: 2 } });
  });

  it('property: publishing any sequence of lake states (the local publisher: whole lake each run) never publishes an open minute, never conflicts, and ends with the store equal to the closed bars', async () => {
    await fc.assert(
      fc.asyncProperty(lakeStates(30), async (batches) => {
        // Prepare
        const store = new VersionedStore();
        const published: PublishedBars = {};
        const open: string[] = [];
        // Act: one run per lake state
        const last = await replay(batches, async (trades, watermarkUs) => {
          const rows = barsOfTrades(trades).map(toBarRow);
          const { fresh, corrections } = planPublication(rows, published, watermarkUs, LATENESS);
          const toWrite = [...fresh, ...corrections];
          for (const b of toWrite) if (!isClosedMinute(b.minute_start, watermarkUs, LATENESS)) open.push(`${b.symbol}@${b.minute_start}`);
          await store.write(toWrite.map(barPoint), BAR_WRITE_OPTIONS);
          recordPublished(published, toWrite);
        });
        // Assess
        expect(open).toEqual([]);
        expect(store.conflicts).toBe(0);
        expect(store.tradeCounts()).toEqual(closedCounts(last.trades, last.watermarkUs));
      }),
      { numRuns: 150 },
    );
  });

  it('property: the cloud publisher, one tick per lake state, with late trades inside its correction horizon, does the same', async () => {
    await fc.assert(
      fc.asyncProperty(lakeStates(20), async (batches) => {
        // Prepare
        const lake = new FakeLake();
        const store = new VersionedStore();
        const tick = createCloudBarPublisher({ lake, sink: store, state: memoryStateStore(), allowedLatenessSeconds: LATENESS, correctionHorizonMinutes: 30 });
        const open: string[] = [];
        let tickTime = T0;
        // Act
        const last = await replay(batches, async (trades, watermarkUs) => {
          lake.trades.splice(0, lake.trades.length, ...trades);
          const before = store.log.length;
          tickTime += MINUTE_US;
          await tick({ timeUs: tickTime });
          for (const { point } of store.log.slice(before))
            if (!isClosedMinute(point.time, watermarkUs, LATENESS)) open.push(`${point.tags.symbol}@${point.time}`);
        });
        // Assess
        expect(open).toEqual([]);
        expect(store.conflicts).toBe(0);
        expect(store.tradeCounts()).toEqual(closedCounts(last.trades, last.watermarkUs));
      }),
      { numRuns: 150 },
    );
  });

  it('the cloud publisher catches up a watermark jump over several ticks, at most maxCatchUpMinutes per tick, each minute once', async () => {
    // Prepare: 500 minutes of trades appear at once (a replay at full speed); the publisher had handled everything before minute 0
    const lake = new FakeLake();
    for (let m = 0; m < 500; m++) lake.add({ symbol: 'BTCUSDT', timeUs: T0 + m * MINUTE_US + 30 * S, price: 100 });
    const store = new VersionedStore();
    const state = memoryStateStore();
    await state.putState('bar-publisher', { closedThroughUs: T0 - MINUTE_US, published: {} });
    const run = createCloudBarPublisher({ lake, sink: store, state, correctionHorizonMinutes: 60, maxCatchUpMinutes: 180 });
    // Act
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await run({ timeUs: T0 + 600 * MINUTE_US + i * MINUTE_US }));
    // Assess
    expect(results.map((r) => [r.fresh, r.backlogMinutes])).toEqual([
      [180, 319],
      [180, 139],
      [139, 0],
      [0, 0],
    ]);
    // minutes 0..498 are closed (the last trade is at 499:30), each written once
    expect(store.log).toHaveLength(499);
    expect(new Set(store.log.map((l) => l.point.time)).size).toBe(499);
  });
});
