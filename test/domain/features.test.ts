/**
 * Calendar features (UTC) and hour partitions. Expected values come from the
 * `Date` UTC getters, which share no code with the microsecond arithmetic under test.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tradeFeatures } from '../../src/sources/binance-trades/features.js';
import {
  US_PER_DAY,
  US_PER_HOUR,
  US_PER_MINUTE,
  dateOfDay,
  dayNumber,
  hourOfDay,
  hourPartition,
  isoDayOfWeek,
  minuteOfHour,
  partitionPath,
} from '../../src/core/time.js';
import type { Trade } from '../../src/sources/binance-trades/trade.js';

/** ISO weekday from `Date.getUTCDay` (0 = Sunday). */
function isoWeekdayOf(ms: number): number {
  const d = new Date(ms).getUTCDay();
  return d === 0 ? 7 : d;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** `yyyy-MM-dd` from the UTC getters. */
function ymdOf(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}

/** Microseconds to the containing millisecond (floor, also for negative times). */
function msOf(us: number): number {
  return Math.floor(us / 1000);
}

const FROM_US = Date.UTC(2017, 0, 1) * 1000;
const TO_US = Date.UTC(2030, 11, 31, 23, 59, 59, 999) * 1000 + 999;

describe('calendar features for known instants', () => {
  it.each([
    // Well-known weekdays.
    ['1970-01-01 (Thursday)', Date.UTC(1970, 0, 1), 4],
    ['2000-01-01 (Saturday)', Date.UTC(2000, 0, 1), 6],
    ['2017-07-01 (Saturday)', Date.UTC(2017, 6, 1), 6],
    ['2024-01-01 (Monday)', Date.UTC(2024, 0, 1), 1],
    ['2024-02-29 (Thursday)', Date.UTC(2024, 1, 29, 12), 4],
    ['2025-01-01 (Wednesday)', Date.UTC(2025, 0, 1), 3],
    ['2023-12-31 (Sunday)', Date.UTC(2023, 11, 31, 23, 59), 7],
  ])('isoDayOfWeek of %s', (_name, ms, expected) => {
    // Prepare
    const us = ms * 1000;

    // Act
    const dow = isoDayOfWeek(us);

    // Assess
    expect(dow).toBe(expected);
    expect(dow).toBe(isoWeekdayOf(ms));
  });

  it('reads hour and minute of a trade at 2026-11-02T05:47:13.123456Z', () => {
    // Prepare
    const us = Date.UTC(2026, 10, 2, 5, 47, 13, 123) * 1000 + 456;

    // Act
    const hour = hourOfDay(us);
    const minute = minuteOfHour(us);
    const dow = isoDayOfWeek(us);

    // Assess
    expect(hour).toBe(5);
    expect(minute).toBe(47);
    expect(dow).toBe(isoWeekdayOf(msOf(us)));
  });

  it('rolls over at the last microsecond of a Sunday to Monday 00:00', () => {
    // Prepare: 2024-01-07 is a Sunday
    const midnightUs = Date.UTC(2024, 0, 8) * 1000;
    const lastUs = midnightUs - 1;

    // Act
    const before = { dow: isoDayOfWeek(lastUs), hour: hourOfDay(lastUs), minute: minuteOfHour(lastUs), day: dateOfDay(dayNumber(lastUs)) };
    const after = { dow: isoDayOfWeek(midnightUs), hour: hourOfDay(midnightUs), minute: minuteOfHour(midnightUs), day: dateOfDay(dayNumber(midnightUs)) };

    // Assess
    expect(before).toStrictEqual({ dow: 7, hour: 23, minute: 59, day: '2024-01-07' });
    expect(after).toStrictEqual({ dow: 1, hour: 0, minute: 0, day: '2024-01-08' });
  });

  it('handles an instant before the epoch (floor, not truncation)', () => {
    // Prepare: 1969-12-31T23:59:59.999999Z, a Wednesday
    const us = -1;

    // Act
    const result = { dow: isoDayOfWeek(us), hour: hourOfDay(us), minute: minuteOfHour(us), day: dateOfDay(dayNumber(us)) };

    // Assess
    expect(result).toStrictEqual({ dow: 3, hour: 23, minute: 59, day: '1969-12-31' });
  });

  it('the unit constants are the lengths of a minute, an hour and a day in microseconds', () => {
    // Prepare
    const t0 = Date.UTC(2025, 5, 1);

    // Act
    const minute = (Date.UTC(2025, 5, 1, 0, 1) - t0) * 1000;
    const hour = (Date.UTC(2025, 5, 1, 1) - t0) * 1000;
    const day = (Date.UTC(2025, 5, 2) - t0) * 1000;

    // Assess
    expect(US_PER_MINUTE).toBe(minute);
    expect(US_PER_HOUR).toBe(hour);
    expect(US_PER_DAY).toBe(day);
  });
});

describe('calendar features (property, 2017-2030)', () => {
  const usArb = fc.integer({ min: FROM_US, max: TO_US });
  /** Instants within a microsecond or two of a minute boundary, where rounding would show. */
  const boundaryArb = fc
    .tuple(fc.integer({ min: FROM_US / US_PER_MINUTE, max: Math.floor(TO_US / US_PER_MINUTE) }), fc.integer({ min: -2, max: 2 }))
    .map(([minuteIndex, offset]) => minuteIndex * US_PER_MINUTE + offset);

  it.each([
    ['random instants', usArb],
    ['instants at minute boundaries', boundaryArb],
  ] as const)('day_of_week, hour and minute match the Date UTC getters for %s', (_name, arb) => {
    fc.assert(
      fc.property(arb, (us) => {
        // Prepare
        const d = new Date(msOf(us));

        // Act
        const dow = isoDayOfWeek(us);
        const hour = hourOfDay(us);
        const minute = minuteOfHour(us);

        // Assess
        expect(dow).toBe(isoWeekdayOf(msOf(us)));
        expect(hour).toBe(d.getUTCHours());
        expect(minute).toBe(d.getUTCMinutes());
      }),
      { numRuns: 1000 },
    );
  });

  it('dateOfDay(dayNumber) and partitionPath match the Date UTC getters', () => {
    fc.assert(
      fc.property(fc.oneof(usArb, boundaryArb), (us) => {
        // Prepare
        const ms = msOf(us);
        const expectedPath = `dt=${ymdOf(ms)}/hour=${pad2(new Date(ms).getUTCHours())}`;

        // Act
        const day = dateOfDay(dayNumber(us));
        const partition = hourPartition(us);
        const path = partitionPath(partition);

        // Assess
        expect(day).toBe(ymdOf(ms));
        expect(partition).toStrictEqual({ dt: ymdOf(ms), hour: new Date(ms).getUTCHours() });
        expect(path).toBe(expectedPath);
      }),
      { numRuns: 1000 },
    );
  });

  it('dayNumber counts whole UTC days since 1970-01-01', () => {
    fc.assert(
      fc.property(usArb, (us) => {
        // Prepare
        const d = new Date(msOf(us));
        const midnightMs = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());

        // Act
        const day = dayNumber(us);

        // Assess
        expect(day * 86_400_000).toBe(midnightMs);
      }),
      { numRuns: 500 },
    );
  });
});

describe('partition formatting', () => {
  it.each([
    ['2026-11-02T05:00Z', Date.UTC(2026, 10, 2, 5), 'dt=2026-11-02/hour=05'],
    ['2026-11-02T05:59:59.999Z', Date.UTC(2026, 10, 2, 5, 59, 59, 999), 'dt=2026-11-02/hour=05'],
    ['2025-01-01T00:00Z', Date.UTC(2025, 0, 1), 'dt=2025-01-01/hour=00'],
    ['2024-12-31T23:30Z', Date.UTC(2024, 11, 31, 23, 30), 'dt=2024-12-31/hour=23'],
    ['2024-02-29T10:00Z', Date.UTC(2024, 1, 29, 10), 'dt=2024-02-29/hour=10'],
    ['2017-07-01T09:00Z', Date.UTC(2017, 6, 1, 9), 'dt=2017-07-01/hour=09'],
  ])('partitionPath(hourPartition(%s)) is %s', (_name, ms, expected) => {
    // Prepare
    const us = ms * 1000;

    // Act
    const path = partitionPath(hourPartition(us));

    // Assess
    expect(path).toBe(expected);
  });

  it.each([
    [{ dt: '2026-11-02', hour: 5 }, 'dt=2026-11-02/hour=05'],
    [{ dt: '2026-11-02', hour: 0 }, 'dt=2026-11-02/hour=00'],
    [{ dt: '2026-11-02', hour: 9 }, 'dt=2026-11-02/hour=09'],
    [{ dt: '2026-11-02', hour: 10 }, 'dt=2026-11-02/hour=10'],
    [{ dt: '2026-11-02', hour: 23 }, 'dt=2026-11-02/hour=23'],
  ])('partitionPath(%j) is %s', (partition, expected) => {
    // Prepare
    const p = partition;

    // Act
    const path = partitionPath(p);

    // Assess
    expect(path).toBe(expected);
  });

  it('dateOfDay returns the same text on repeated calls and across many distinct days', () => {
    // Prepare: more distinct days than the cache holds, then repeats
    const firstDay = Date.UTC(2010, 0, 1) / 86_400_000;
    const days = Array.from({ length: 5000 }, (_, i) => firstDay + i);

    // Act
    const first = days.map((d) => dateOfDay(d));
    const again = days.map((d) => dateOfDay(d));

    // Assess
    expect(again).toStrictEqual(first);
    expect(first[0]).toBe('2010-01-01');
    expect(first.every((s, i) => s === ymdOf(days[i]! * 86_400_000))).toBe(true);
  });
});

describe('tradeFeatures', () => {
  function trade(overrides: Partial<Trade> = {}): Trade {
    return {
      symbol: 'BTCUSDT',
      tradeId: 5012345678,
      price: 97123.45,
      quantity: 0.0012,
      quoteQuantity: 116.54814,
      isBuyerMaker: true,
      tradeTimeUs: Date.UTC(2026, 10, 2, 5, 47, 13, 123) * 1000 + 456,
      eventTimeUs: Date.UTC(2026, 10, 2, 5, 47, 13, 125) * 1000,
      source: 'binance-ws',
      ...overrides,
    };
  }

  it('carries every trade field through and derives the UTC calendar features from the trade time', () => {
    // Prepare
    const t = trade();
    const ingest = Date.UTC(2026, 10, 2, 5, 47, 14) * 1000;
    const ms = msOf(t.tradeTimeUs);

    // Act
    const row = tradeFeatures(t, ingest);

    // Assess
    expect(row).toStrictEqual({
      symbol: 'BTCUSDT',
      trade_id: 5012345678,
      price: 97123.45,
      quantity: 0.0012,
      quote_quantity: 116.54814,
      is_buyer_maker: true,
      trade_time: t.tradeTimeUs,
      event_time: t.eventTimeUs,
      day_of_week: isoWeekdayOf(ms),
      hour: 5,
      minute: 47,
      ingest_time: ingest,
      source: 'binance-ws',
    });
  });

  it('uses the trade time, not the event or ingest time, for the calendar features', () => {
    // Prepare: trade just before midnight on a Sunday; event and ingest after it
    const tradeUs = Date.UTC(2024, 0, 7, 23, 59, 59, 999) * 1000 + 999;
    const t = trade({ tradeTimeUs: tradeUs, eventTimeUs: tradeUs + 5000, source: 'binance-csv', isBuyerMaker: false });

    // Act
    const row = tradeFeatures(t, tradeUs + 60_000_000);

    // Assess
    expect(row.day_of_week).toBe(7);
    expect(row.hour).toBe(23);
    expect(row.minute).toBe(59);
    expect(row.source).toBe('binance-csv');
    expect(row.is_buyer_maker).toBe(false);
    expect(row.event_time).toBe(tradeUs + 5000);
  });

  it('matches the Date UTC getters for random trades (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: FROM_US, max: TO_US }),
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.maxSafeNat(),
        fc.boolean(),
        (tradeUs, lagUs, id, maker) => {
          // Prepare
          const t = trade({ tradeTimeUs: tradeUs, eventTimeUs: tradeUs + 1, tradeId: id, isBuyerMaker: maker });
          const d = new Date(msOf(tradeUs));

          // Act
          const row = tradeFeatures(t, tradeUs + lagUs);

          // Assess
          expect(row.trade_time).toBe(tradeUs);
          expect(row.event_time).toBe(tradeUs + 1);
          expect(row.ingest_time).toBe(tradeUs + lagUs);
          expect(row.trade_id).toBe(id);
          expect(row.is_buyer_maker).toBe(maker);
          expect(row.day_of_week).toBe(isoWeekdayOf(d.getTime()));
          expect(row.hour).toBe(d.getUTCHours());
          expect(row.minute).toBe(d.getUTCMinutes());
        },
      ),
      { numRuns: 500 },
    );
  });
});
