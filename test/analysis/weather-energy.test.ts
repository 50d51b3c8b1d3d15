/**
 * The weather x energy analysis: least squares (fast-check: recovers the slope
 * and intercept of any exact line, and a known slope under noise), the
 * time-ordered split, R² and RMSE, the SQL join run on DuckDB over a lake built
 * through the stream transform from a constructed dataset with a known slope
 * (deduplicated, partial hours left out), the profiles, and the SVG plots
 * (well-formed XML with the expected elements).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitOls, predict, rSquared, rmse, timeOrderedSplit } from '../../src/analysis/regression.js';
import { chartSvg, escapeXml, niceTicks } from '../../src/analysis/svg.js';
import { analyzeWeatherEnergy, formatWeatherEnergy, type JoinedHour, weatherEnergyPlots } from '../../src/analysis/weather-energy.js';
import { literalWindow, weatherEnergyHourlySql } from '../../src/analysis/weather-energy-sql.js';
import { createStreamTransform } from '../../src/ingest/stream-transform.js';
import { FileObjectStore } from '../../src/local/file-object-store.js';
import { Rng } from '../../src/core/random.js';
import { DUCKDB } from '../../src/sql/dialect.js';
import { kinesisEvent } from '../helpers/kinesis-events.js';
import { tempDir, withLake } from '../helpers/lake-files.js';

const HOUR = 3_600_000;
const START = Date.UTC(2026, 10, 2);

/**
 * A strict well-formedness check of an XML document: one root, elements
 * properly nested and closed, attributes quoted, no raw `<` or `&` in text.
 * Returns the element names in document order.
 */
function xmlElements(xml: string): string[] {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const token = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="(?:[^"<&]|&(?:lt|gt|amp|quot|apos);)*")*)\s*(\/?)>|([^<]+)/gy;
  const stack: string[] = [];
  const names: string[] = [];
  let roots = 0;
  let at = 0;
  for (let m = token.exec(body); m !== null; m = token.exec(body)) {
    at = token.lastIndex;
    const [, close, name, , selfClose, text] = m;
    if (text !== undefined) {
      if (/&(?!(lt|gt|amp|quot|apos);)/.test(text)) throw new Error(`raw & in text: ${text.slice(0, 40)}`);
      if (stack.length === 0 && text.trim() !== '') throw new Error('text outside the root');
      continue;
    }
    if (close) {
      if (stack.pop() !== name) throw new Error(`</${name}> closes the wrong element`);
      continue;
    }
    if (stack.length === 0) roots++;
    names.push(name!);
    if (!selfClose) stack.push(name!);
  }
  if (at !== body.length) throw new Error(`not XML at ${at}: ${body.slice(at, at + 40)}`);
  if (stack.length > 0 || roots !== 1) throw new Error(`unclosed ${stack.join(', ')} or ${roots} roots`);
  return names;
}

describe('analysis: least squares and its metrics', () => {
  it('property: recovers the intercept and slope of any exact line', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -50, max: 50, noNaN: true }),
        fc.double({ min: -5, max: 5, noNaN: true }),
        fc.uniqueArray(fc.integer({ min: -300, max: 400 }), { minLength: 2, maxLength: 200 }),
        (a, b, xs10) => {
          // Prepare
          const x = xs10.map((v) => v / 10);
          const y = x.map((v) => a + b * v);
          // Act
          const f = fitOls(x, y);
          // Assess
          expect(f.slope).toBeCloseTo(b, 6);
          expect(f.intercept).toBeCloseTo(a, 5);
          expect(rmse(y, predict(f, x))).toBeLessThan(1e-6);
        },
      ),
    );
  });

  it('recovers a known slope under noise, within its standard error', () => {
    // Prepare: y = 3 - 0.12 x + N(0, 0.3), 2,000 points
    const rng = new Rng(11);
    const x = Array.from({ length: 2000 }, () => rng.uniform(-5, 20));
    const y = x.map((v) => 3 - 0.12 * v + 0.3 * rng.normal());
    // Act
    const f = fitOls(x, y);
    // Assess: the slope's standard error is about 0.3 / (sd(x) sqrt(n)) = 0.0016
    expect(Math.abs(f.slope + 0.12)).toBeLessThan(0.006);
    expect(Math.abs(f.intercept - 3)).toBeLessThan(0.05);
    expect(rmse(y, predict(f, x))).toBeCloseTo(0.3, 1);
  });

  it('R² and RMSE of known predictions; a split keeps time order', () => {
    // Act / Assess
    expect(rSquared([1, 2, 3, 4], [1, 2, 3, 4])).toBe(1);
    expect(rSquared([1, 2, 3, 4], [2.5, 2.5, 2.5, 2.5])).toBe(0);
    expect(rmse([0, 0, 0, 0], [1, -1, 1, -1])).toBe(1);
    expect(timeOrderedSplit([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).toEqual({ train: [1, 2, 3, 4, 5, 6, 7], test: [8, 9, 10] });
    expect(() => fitOls([2, 2, 2], [1, 2, 3])).toThrow(/slope is undefined/);
  });
});

/** A constructed dataset: 2 stations, 3 households, `days` days, energy = 2 - 0.1 x temperature per household-hour, exactly. */
function constructed(days: number): { payloads: { data: string; partitionKey: string }[]; slope: number; intercept: number } {
  const payloads: { data: string; partitionKey: string }[] = [];
  const intercept = 2;
  const slope = -0.1;
  for (let h = 0; h < days * 24; h++) {
    const t = START + h * HOUR;
    // A temperature that is not a function of the hour of day alone.
    const temp = 8 + 6 * Math.sin((2 * Math.PI * h) / 24) + 4 * Math.sin((2 * Math.PI * h) / 131);
    for (const [i, lat] of [47.1, 47.2].entries()) {
      const hour = {
        time: new Date(t).toISOString().slice(0, 16),
        temperature_2m: temp + (i === 0 ? -0.5 : 0.5),
        relative_humidity_2m: 80,
        wind_speed_10m: 3,
        precipitation: 0,
        weather_code: 3,
      };
      const rec = {
        source: 'weather',
        latitude: lat,
        longitude: -122.3,
        elevation: 10,
        fetched_at: new Date(t + 500).toISOString(),
        utc_offset_seconds: 0,
        units: { wind_speed_10m: 'm/s' },
        hour,
      };
      payloads.push({ data: JSON.stringify(rec), partitionKey: `weather/${lat}` });
    }
    const perHousehold = intercept + slope * temp;
    for (const hh of ['H-1', 'H-2', 'H-3']) {
      for (let q = 0; q < 4; q++) {
        const kwh = Math.round((perHousehold / 4) * 1e6) / 1e6;
        const rec = {
          source: 'energy',
          household: hh,
          reading_time: new Date(t + (q + 1) * 15 * 60_000).toISOString(),
          interval_minutes: 15,
          kwh,
          submeters: { hvac: 0, water_heater: 0, kitchen: 0, laundry: 0 },
        };
        payloads.push({ data: JSON.stringify(rec), partitionKey: `energy/${hh}` });
      }
    }
  }
  return { payloads, slope, intercept };
}

describe('analysis: the hourly join over the lake', () => {
  it('joins weather and energy on the hour and the fit recovers the constructed slope; re-puts count once, partial hours are left out', async () => {
    // Prepare: 10 days through the stream transform, the first day's records put twice, one household missing an interval
    const { payloads, slope, intercept } = constructed(10);
    const root = tempDir();
    const handler = createStreamTransform({ lake: new FileObjectStore(root) });
    const dropped = payloads.findIndex((p) => p.data.includes('"household":"H-2","reading_time":"2026-11-03T05:30'));
    const all = payloads.filter((_, i) => i !== dropped);
    const firstDay = all.filter((p) => p.data.includes('2026-11-02T'));
    // Act
    await handler(kinesisEvent(all.slice(0, 4000), 'shardId-000000000000', 1));
    await handler(kinesisEvent(all.slice(4000), 'shardId-000000000000', 10_000));
    await handler(kinesisEvent(firstDay, 'shardId-000000000001', 1));
    const res = await withLake(root, (sql) => sql.query(weatherEnergyHourlySql(literalWindow(START * 1000, (START + 10 * 24 * HOUR) * 1000, DUCKDB), DUCKDB)));
    // Assess
    const col = (n: string) => res.columns.indexOf(n);
    const rows: JoinedHour[] = res.rows.map((r) => ({
      hourMs: Number(r[col('hour_ms')]),
      temperatureC: Number(r[col('temperature_c')]),
      kwhPerHousehold: Number(r[col('kwh_per_household')]),
    }));
    expect(rows).toHaveLength(240);
    const partial = res.rows.find((r) => Number(r[col('hour_ms')]) === Date.UTC(2026, 10, 3, 5));
    expect(Number(partial![col('households')])).toBe(2);
    expect(res.rows.every((r) => Number(r[col('stations')]) === 2)).toBe(true);
    const result = analyzeWeatherEnergy(rows);
    expect(result.fit.slope).toBeCloseTo(slope, 4);
    expect(result.fit.intercept).toBeCloseTo(intercept, 3);
    expect(result.r2Test).toBeGreaterThan(0.999);
    expect(result.rmseTest).toBeLessThan(1e-3);
    expect(result).toMatchObject({ hours: 240, trainHours: 168, testHours: 72 });
  });

  it('is the same SQL in both dialects but for their spelling of epoch milliseconds', () => {
    // Prepare
    const w = { dtFrom: "'2026-11-02'", dtTo: "'2026-11-03'", from: "TIMESTAMP '2026-11-02 00:00:00'", to: "TIMESTAMP '2026-11-03 00:00:00'" };
    // Act
    const duck = weatherEnergyHourlySql(w, DUCKDB);
    // Assess
    expect(duck).toContain('epoch_ms(w.hour_start) AS hour_ms');
    expect(duck).toMatch(/FROM weather_observations\s+WHERE dt BETWEEN '2026-11-02' AND '2026-11-03'/);
    expect(duck).toMatch(/FROM energy_readings\s+WHERE dt BETWEEN/);
  });
});

describe('analysis: profiles, report and plots', () => {
  const rows: JoinedHour[] = Array.from({ length: 14 * 24 }, (_, h) => ({
    hourMs: START + h * HOUR,
    temperatureC: 10 + 5 * Math.sin(h / 7),
    // Monday local = 2026-11-02 (a Monday) from 08:00 UTC; 1 kWh plus the local hour / 10.
    kwhPerHousehold: 1 + (((h - 8) % 24) + 24) / 10 - (((h - 8) % 24) + 24 >= 24 ? 2.4 : 0),
  }));

  it('averages energy by local hour of the week and of the day', () => {
    // Act
    const r = analyzeWeatherEnergy(rows, { utcOffsetHours: -8 });
    // Assess
    expect(r.weekly).toHaveLength(168);
    expect(r.weekly[0]).toBeCloseTo(1, 9); // Monday 00:00 local
    expect(r.weekly[24 + 13]).toBeCloseTo(2.3, 9); // Tuesday 13:00 local
    expect(r.dailyWeekday[18]).toBeCloseTo(2.8, 9);
    expect(r.dailyWeekend[18]).toBeCloseTo(2.8, 9);
    expect(formatWeatherEnergy(r)).toMatch(/^weather x energy: 336 joined hours, 2026-11-02T00:00Z to 2026-11-16T00:00Z\n/);
    expect(formatWeatherEnergy(r)).toMatch(/split {12}time-ordered: first 235 hours to fit, last 101 to test/);
  });

  it('refuses too few or unordered hours', () => {
    // Act / Assess
    expect(() => analyzeWeatherEnergy(rows.slice(0, 3))).toThrow(/only 3 joined hours/);
    expect(() => analyzeWeatherEnergy([rows[1]!, rows[0]!, rows[2]!, rows[3]!])).toThrow(/not in time order/);
  });

  it('writes three well-formed SVGs: the scatter with both parts and the fitted line, the weekly and daily profiles with axes and labels', () => {
    // Prepare
    const r = analyzeWeatherEnergy(rows);
    // Act
    const plots = weatherEnergyPlots(rows, r);
    // Assess
    expect(Object.keys(plots).sort()).toEqual(['weather-energy-daily.svg', 'weather-energy-scatter.svg', 'weather-energy-weekly.svg']);
    for (const [name, svg] of Object.entries(plots)) {
      const els = xmlElements(svg);
      expect(els[0], name).toBe('svg');
      expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
      for (const cls of ['title', 'x-label', 'y-label', 'axis x-axis', 'axis y-axis', 'legend']) expect(svg, `${name} ${cls}`).toContain(`class="${cls}"`);
    }
    const scatter = plots['weather-energy-scatter.svg']!;
    expect(xmlElements(scatter).filter((e) => e === 'circle').length).toBe(rows.length + 2); // points and two legend marks
    expect(scatter).toContain(`data-name="fit hours (${r.trainHours})"`);
    expect(scatter).toContain(`data-name="test hours (${r.testHours})"`);
    expect(scatter).toMatch(/data-name="least-squares line">\n<path d="M[\d.]+,[\d.]+ L[\d.]+,[\d.]+"/);
    expect(plots['weather-energy-weekly.svg']).toContain('>Mon</text>');
    expect(xmlElements(plots['weather-energy-daily.svg']!).filter((e) => e === 'path')).toHaveLength(2);
  });

  it('escapes text and picks round ticks', () => {
    // Act
    const svg = chartSvg({ title: 'a < b & "c"', xLabel: 'x', yLabel: 'y', series: [{ name: "d's", kind: 'points', color: '#000', points: [[0, 1]] }] });
    // Assess
    expect(() => xmlElements(svg)).not.toThrow();
    expect(svg).toContain('a &lt; b &amp; &quot;c&quot;');
    expect(escapeXml("<'&>")).toBe('&lt;&apos;&amp;&gt;');
    expect(niceTicks(-5.2, 16.7)).toEqual([-5, 0, 5, 10, 15]);
    expect(niceTicks(0.93, 2.41)).toEqual([1, 1.2, 1.4, 1.6, 1.8, 2, 2.2, 2.4]);
  });
});
