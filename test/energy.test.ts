/**
 * The household energy source: validation with reasons (fast-check: valid
 * readings round-trip, arbitrary mutations never throw), the weather-driven
 * simulator (colder hours use more energy, sub-meters never above the total),
 * and the way through the stream transform into energy_readings and the quarantine.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hourlyWeather } from '../src/core/climate.js';
import { Rng } from '../src/core/random.js';
import { createStreamTransform } from '../src/ingest/stream-transform.js';
import { FileObjectStore } from '../src/local/file-object-store.js';
import { energy } from '../src/sources/energy/index.js';
import { type EnergyRecord, readingFrom, REASON_CODES } from '../src/sources/energy/reading.js';
import { energyRecord, households, intervalCount, intervalEnergy, simulateEnergy } from '../src/sources/energy/simulator.js';
import { kinesisEvent } from './helpers/kinesis-events.js';
import { tempDir, withLake } from './helpers/lake-files.js';

const ctx = { nowUs: Date.UTC(2026, 10, 22) * 1000 };
/** A meter's reading as it arrives (the record format of reading.ts). */
const READING: EnergyRecord = {
  source: 'energy',
  household: 'H-0007',
  reading_time: '2026-11-02T10:15:00.000Z',
  interval_minutes: 15,
  kwh: 0.812,
  submeters: { hvac: 0.41, water_heater: 0.12, kitchen: 0.05, laundry: 0 },
};

/** The reading with fields replaced (`undefined` deletes; `submeters` merged). */
function reading(over: Record<string, unknown> = {}, sub: Record<string, unknown> = {}): Record<string, unknown> {
  const doc: Record<string, unknown> = { ...READING, submeters: { ...READING.submeters, ...sub }, ...over };
  for (const o of [doc, doc.submeters as Record<string, unknown>]) for (const [k, v] of Object.entries(o ?? {})) if (v === undefined) delete o[k];
  return doc;
}

const code = (doc: Record<string, unknown>) => {
  const r = readingFrom(doc, ctx);
  return r.ok ? undefined : r.rejection.code;
};

describe('energy: validation with reasons', () => {
  it('accepts a reading and keeps the sub-meters, the rest as other loads', () => {
    // Act
    const r = readingFrom(reading(), ctx);
    // Assess
    expect(r).toEqual({
      ok: true,
      reading: {
        household: 'H-0007',
        reading_time: Date.UTC(2026, 10, 2, 10, 15) * 1000,
        interval_start: Date.UTC(2026, 10, 2, 10) * 1000,
        interval_minutes: 15,
        kwh: 0.812,
        hvac_kwh: 0.41,
        water_heater_kwh: 0.12,
        kitchen_kwh: 0.05,
        laundry_kwh: 0,
        other_kwh: 0.232,
      },
    });
  });

  it.each([
    ['nothing wrong', {}, {}, undefined],
    ['an hourly meter', { interval_minutes: 60, reading_time: '2026-11-02T10:00:00Z' }, {}, undefined],
    ['no household', { household: undefined }, {}, 'MISSING_FIELD'],
    ['no laundry sub-meter', {}, { laundry: undefined }, 'MISSING_FIELD'],
    ['kwh as a string', { kwh: '0.8' }, {}, 'WRONG_TYPE'],
    ['sub-meters not an object', { submeters: [1, 2] }, {}, 'WRONG_TYPE'],
    ['household with a space', { household: 'H 7' }, {}, 'BAD_HOUSEHOLD'],
    ['reading time garbled', { reading_time: '02/11/2026 10:15' }, {}, 'BAD_NUMBER'],
    ['reading time in 2001', { reading_time: '2001-01-01T00:00:00Z' }, {}, 'TIME_OUT_OF_RANGE'],
    ['a 7-minute interval', { interval_minutes: 7 }, {}, 'BAD_INTERVAL'],
    ['a time off its interval', { reading_time: '2026-11-02T10:22:00Z' }, {}, 'BAD_INTERVAL'],
    ['negative total', { kwh: -0.2 }, {}, 'NEGATIVE_ENERGY'],
    ['negative sub-meter', {}, { kitchen: -0.01 }, 'NEGATIVE_ENERGY'],
    ['950 kWh in 15 minutes', { kwh: 950 }, {}, 'ENERGY_OUT_OF_RANGE'],
    ['sub-meters above the total', {}, { hvac: 1.5 }, 'SUBMETERS_EXCEED_TOTAL'],
  ])('%s -> %s', (_name, over, sub, expected) => {
    // Act / Assess
    expect(code(reading(over, sub))).toBe(expected);
  });

  it('property: any consistent reading round-trips; other loads are the total less the sub-meters', () => {
    const kwh = fc.integer({ min: 0, max: 2000 }).map((x) => x / 1000);
    fc.assert(
      fc.property(fc.tuple(kwh, kwh, kwh, kwh, kwh), fc.integer({ min: 0, max: 20 * 24 }), fc.constantFrom(15, 30, 60), ([h, w, k, l, o], slot, minutes) => {
        // Prepare
        const t = Date.UTC(2026, 10, 1) + Math.floor((slot * 60) / minutes) * minutes * 60_000;
        const total = Math.round((h + w + k + l + o) * 1000) / 1000;
        const doc = {
          ...READING,
          interval_minutes: minutes,
          reading_time: new Date(t).toISOString(),
          kwh: total,
          submeters: { hvac: h, water_heater: w, kitchen: k, laundry: l },
        };
        // Act
        const r = readingFrom(doc, ctx);
        // Assess
        if (!r.ok) throw new Error(r.rejection.message);
        expect(r.reading).toMatchObject({
          reading_time: t * 1000,
          interval_start: (t - minutes * 60_000) * 1000,
          kwh: total,
          hvac_kwh: h,
          water_heater_kwh: w,
          kitchen_kwh: k,
          laundry_kwh: l,
        });
        expect(r.reading.other_kwh).toBeCloseTo(o, 5);
      }),
    );
  });

  it('property: arbitrary values in any field never throw; a rejection carries an energy reason code', () => {
    const anyValue = fc.oneof(fc.constant(undefined), fc.constant(null), fc.double(), fc.integer(), fc.string(), fc.boolean(), fc.object());
    const field = fc.constantFrom('household', 'reading_time', 'interval_minutes', 'kwh', 'submeters');
    const subField = fc.constantFrom('hvac', 'water_heater', 'kitchen', 'laundry');
    fc.assert(
      fc.property(fc.dictionary(field, anyValue), fc.dictionary(subField, anyValue), (over, sub) => {
        // Act
        const r = readingFrom(reading(over, sub), ctx);
        // Assess
        if (!r.ok) expect(REASON_CODES).toContain(r.rejection.code);
      }),
    );
  });
});

describe('energy: the weather-driven simulator', () => {
  it('property: every simulated reading is valid, its sub-meters never above its total', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 365 * 96 }), (seed, slot) => {
        // Prepare
        const t = Date.UTC(2026, 0, 1) + slot * 15 * 60_000;
        const [h] = households(seed, 1);
        // Act
        const rec = energyRecord(h!.id, t, intervalEnergy(h!, t, hourlyWeather(t, h!.site).temperatureC, Rng.derive(seed, 't')));
        // Assess
        const r = readingFrom(rec as unknown as Record<string, unknown>, { nowUs: Date.UTC(2027, 1, 1) * 1000 });
        if (!r.ok) throw new Error(r.rejection.message);
        expect(r.reading.other_kwh).toBeGreaterThan(0);
      }),
    );
  });

  it('heats with the weather: at the same hour of the day, colder days use more heating and more energy', () => {
    // Prepare: a winter month, 24 households, noon readings
    const list = households(3, 24);
    const days = Array.from({ length: 60 }, (_, d) => Date.UTC(2026, 11, 1, 20) + d * 86_400_000); // 12:00 in Seattle
    // Act
    const perDay = days.map((t) => {
      const r = Rng.derive(3, `day/${t}`);
      const e = list.map((h) => intervalEnergy(h, t, hourlyWeather(t, h.site).temperatureC, r));
      const temp = list.reduce((a, h) => a + hourlyWeather(t, h.site).temperatureC, 0) / list.length;
      return { temp, hvac: e.reduce((a, x) => a + x.hvac, 0), total: e.reduce((a, x) => a + x.hvac + x.water + x.kitchen + x.laundry + x.other, 0) };
    });
    // Assess: the correlation of temperature with heating is strongly negative, with the total clearly negative
    const corr = (xs: number[], ys: number[]) => {
      const mx = xs.reduce((a, b) => a + b) / xs.length;
      const my = ys.reduce((a, b) => a + b) / ys.length;
      const c = xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0);
      return c / Math.sqrt(xs.reduce((a, x) => a + (x - mx) ** 2, 0) * ys.reduce((a, y) => a + (y - my) ** 2, 0));
    };
    expect(
      corr(
        perDay.map((x) => x.temp),
        perDay.map((x) => x.hvac),
      ),
    ).toBeLessThan(-0.9);
    expect(
      corr(
        perDay.map((x) => x.temp),
        perDay.map((x) => x.total),
      ),
    ).toBeLessThan(-0.4);
  });

  it('a reading per household every 15 minutes, in time order, deterministic; the first interval reported at once', () => {
    // Prepare
    const cfg = { minutes: 120, seed: 5, startTimeMs: Date.UTC(2026, 10, 2, 10, 7), households: 6 };
    // Act
    const recs = [...simulateEnergy(cfg)];
    // Assess
    const docs = recs.map((r) => JSON.parse(r.payload) as EnergyRecord);
    expect(recs).toHaveLength(6 * intervalCount(cfg.startTimeMs, cfg.minutes));
    expect(energy.simulator!.expectedRecords!({ ...cfg, malformedShare: 0, extra: { households: 6 } })).toBe(recs.length);
    expect(docs[0]!.reading_time).toBe('2026-11-02T10:00:00.000Z'); // 09:45-10:00, read at its end
    expect(recs[0]!.timeMs).toBeGreaterThanOrEqual(cfg.startTimeMs);
    expect(recs[0]!.timeMs - cfg.startTimeMs).toBeLessThan(1_000);
    expect(recs.every((r, i) => i === 0 || r.timeMs > recs[i - 1]!.timeMs)).toBe(true);
    expect(new Set(docs.map((d) => d.household)).size).toBe(6);
    expect([...simulateEnergy(cfg)]).toEqual(recs);
  });
});

describe('energy: through the stream transform', () => {
  it('lands readings in energy_readings and the corrupted ones in the quarantine with their reasons', async () => {
    // Prepare: a simulated day of 8 households, 2 % corrupted
    const recs = [...simulateEnergy({ minutes: 24 * 60, seed: 9, startTimeMs: Date.UTC(2026, 10, 2), households: 8, malformedShare: 0.02 })];
    const root = tempDir();
    const handler = createStreamTransform({ lake: new FileObjectStore(root) });
    // Act
    const res = await handler(kinesisEvent(recs.map((r) => ({ data: r.payload, partitionKey: r.partitionKey }))));
    // Assess
    expect(res.batchItemFailures).toEqual([]);
    await withLake(root, async (sql) => {
      const rows = Number((await sql.query('SELECT count(*) FROM energy_readings')).rows[0]![0]);
      const sums = await sql.query(
        'SELECT count(*) FROM energy_readings WHERE hvac_kwh + water_heater_kwh + kitchen_kwh + laundry_kwh + other_kwh > kwh + 0.003',
      );
      const q = await sql.query("SELECT DISTINCT reason_code FROM quarantine WHERE source IN ('energy', 'unknown') ORDER BY 1");
      const quarantined = Number((await sql.query('SELECT count(*) FROM quarantine')).rows[0]![0]);
      expect(rows + quarantined).toBe(recs.length);
      expect(quarantined).toBeGreaterThan(0);
      expect(Number(sums.rows[0]![0])).toBe(0);
      expect(q.rows.map((r) => r[0]).every((c) => (REASON_CODES as readonly unknown[]).includes(c))).toBe(true);
    });
  });
});
