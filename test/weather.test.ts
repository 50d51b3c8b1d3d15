/**
 * The weather source: an Open-Meteo forecast response as one record per
 * location for the poll's hour, validation with reasons and unit conversion
 * (fast-check: valid values round-trip, arbitrary mutations never throw), the
 * shipped Seattle series against the vega-datasets CSV, the climate model and
 * simulator, and the way through the stream transform into
 * weather_observations and the quarantine.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SEATTLE_CSV, seattleSeriesFromPackage } from '../lib/tools/seattle-weather.js';
import { hourlyWeather, SEATTLE_SERIES, SEATTLE_SITES, seriesDayIndex, seriesTemperatureC } from '../src/core/climate.js';
import { parseSeattleWeatherCsv, toSeattleSeries } from '../src/core/seattle-daily.js';
import { createStreamTransform } from '../src/ingest/stream-transform.js';
import { FileObjectStore } from '../src/local/file-object-store.js';
import { weather } from '../src/sources/weather/index.js';
import {
  forecastToRecords,
  observationFrom,
  openMeteoTimeMs,
  REASON_CODES,
  stationId,
  WMO_CONDITIONS,
  type WeatherRecord,
} from '../src/sources/weather/observation.js';
import { coordinatesOf, forecastUrl, simulatedForecastApi, simulateWeather } from '../src/sources/weather/simulator.js';
import { kinesisEvent } from './helpers/kinesis-events.js';
import { tempDir, withLake } from './helpers/lake-files.js';

/** A real-format Open-Meteo forecast response (one location, 2026-11-02, default units: wind in km/h). */
const FIXTURE = JSON.parse(readFileSync(join(import.meta.dirname, 'open-meteo-forecast.json'), 'utf8')) as Record<string, any>;
const SLOT = Date.UTC(2026, 10, 2, 10);
const POLL = { slotMs: SLOT, fetchedAtMs: SLOT + 380, url: 'https://api.open-meteo.com/v1/forecast?latitude=47.6&longitude=-122.33' };
const ctx = { nowUs: Date.UTC(2026, 10, 22) * 1000 };

/** The records of a response, parsed. */
function records(body: unknown, poll = POLL): WeatherRecord[] {
  const out = forecastToRecords(body, poll);
  if ('error' in out) throw new Error(out.error);
  return out.records.map((r) => JSON.parse(r.payload) as WeatherRecord);
}

/** The fixture's 10:00 record with fields of the hour, the units and the envelope replaced (`undefined` deletes). */
function record(
  hourOver: Record<string, unknown> = {},
  envOver: Record<string, unknown> = {},
  unitsOver: Record<string, unknown> = {},
): Record<string, unknown> {
  const r = records(FIXTURE)[0]!;
  const hour: Record<string, unknown> = { ...r.hour, ...hourOver };
  const units: Record<string, unknown> = { ...(r.units as object), ...unitsOver };
  const doc: Record<string, unknown> = { ...r, hour, units, ...envOver };
  for (const o of [hour, units, doc]) for (const [k, v] of Object.entries(o)) if (v === undefined) delete o[k];
  return doc;
}

const code = (doc: Record<string, unknown>) => {
  const r = observationFrom(doc, ctx);
  return r.ok ? undefined : r.rejection.code;
};

describe('weather: a forecast response as stream records', () => {
  it("takes the poll's hour of each location, its values verbatim behind the envelope, keyed by the station", () => {
    // Act
    const out = forecastToRecords(FIXTURE, POLL);
    // Assess
    if ('error' in out) throw new Error(out.error);
    expect(out.records).toHaveLength(1);
    expect(out.records[0]!.partitionKey).toBe('weather/47.5956,-122.3244');
    expect(out.records[0]!.payload.startsWith('{"source":"weather","latitude":47.595562,"longitude":-122.32443')).toBe(true);
    const doc = JSON.parse(out.records[0]!.payload) as WeatherRecord;
    expect(doc.hour).toEqual({
      time: '2026-11-02T10:00',
      temperature_2m: 8,
      relative_humidity_2m: 97,
      wind_speed_10m: 7.9,
      precipitation: 0.4,
      weather_code: 61,
    });
    expect(doc).toMatchObject({ fetched_at: '2026-11-02T10:00:00.380Z', utc_offset_seconds: 0, units: FIXTURE.hourly_units });
  });

  it('makes one record per location of a multi-location array', () => {
    // Prepare
    const second = { ...FIXTURE, latitude: 47.9, longitude: -122.28 };
    // Act
    const r = records([FIXTURE, second]);
    // Assess
    expect(r.map((x) => stationId(x.latitude as number, x.longitude as number))).toEqual(['47.5956,-122.3244', '47.9000,-122.2800']);
  });

  it.each([
    [{ error: true, reason: 'Cannot initialize WeatherVariable from invalid String value tempeture_2m for key hourly' }, /error object: Cannot initialize/],
    [[], /no locations/],
    [null, /got null/],
    ['{}', /got a string/],
    [{ latitude: 47.6, longitude: -122.3 }, /hourly\.time \(location 0\), got an object with keys latitude, longitude/],
  ])('refuses a body that is not a forecast: %j', (body, message) => {
    // Act
    const out = forecastToRecords(body, POLL);
    // Assess
    expect('error' in out && out.error).toMatch(message);
  });

  it("refuses a forecast without the poll's hour", () => {
    // Act
    const out = forecastToRecords(FIXTURE, { ...POLL, slotMs: Date.UTC(2026, 10, 3, 10) });
    // Assess
    expect('error' in out && out.error).toBe("location 0 has no hour 2026-11-03T10:00 UTC (the poll's slot) in hourly.time");
  });

  it('reads local times with the response offset, and unix seconds', () => {
    // Act / Assess
    expect(openMeteoTimeMs('2026-11-02T02:00', -8 * 3600)).toBe(Date.UTC(2026, 10, 2, 10));
    expect(openMeteoTimeMs(1_793_613_600, 0)).toBe(1_793_613_600_000);
    expect(openMeteoTimeMs('2026-02-30T10:00', 0)).toBeNaN();
    expect(openMeteoTimeMs('2026-11-02 10:00', 0)).toBeNaN();
  });
});

describe('weather: validation with reasons', () => {
  it('accepts an Open-Meteo hour and converts the wind from km/h', () => {
    // Act
    const r = observationFrom(record(), ctx);
    // Assess
    expect(r).toEqual({
      ok: true,
      observation: {
        station: '47.5956,-122.3244',
        obs_time: SLOT * 1000,
        latitude: 47.595562,
        longitude: -122.32443,
        elevation: 56,
        temperature_c: 8,
        humidity_pct: 97,
        wind_ms: 2.19,
        precipitation_mm: 0.4,
        weather_code: 61,
        conditions: 'slight rain',
        fetched_at: (SLOT + 380) * 1000,
      },
    });
  });

  it('converts °F, mph, knots and inches', () => {
    // Act
    const r = observationFrom(
      record({ temperature_2m: 50, wind_speed_10m: 10, precipitation: 0.1 }, {}, { temperature_2m: '°F', wind_speed_10m: 'kn', precipitation: 'inch' }),
      ctx,
    );
    const mph = observationFrom(record({ wind_speed_10m: 10 }, {}, { wind_speed_10m: 'mp/h' }), ctx);
    // Assess
    expect(r.ok && [r.observation.temperature_c, r.observation.wind_ms, r.observation.precipitation_mm]).toEqual([10, 5.14, 2.54]);
    expect(mph.ok && mph.observation.wind_ms).toBe(4.47);
  });

  it.each([
    ['nothing wrong', {}, {}, {}, undefined],
    ['no elevation (null)', {}, { elevation: null }, {}, undefined],
    ['no units at all: the API defaults (km/h)', {}, { units: undefined }, {}, undefined],
    ['temperature null (a gap in the model)', { temperature_2m: null }, {}, {}, 'MISSING_FIELD'],
    ['weather_code missing', { weather_code: undefined }, {}, {}, 'MISSING_FIELD'],
    ['humidity as a string', { relative_humidity_2m: '97' }, {}, {}, 'WRONG_TYPE'],
    ['hour not an object', {}, { hour: [1, 2] }, {}, 'WRONG_TYPE'],
    ['time garbled', { time: 'yesterday' }, {}, {}, 'BAD_NUMBER'],
    ['time in 2001', { time: '2001-01-01T00:00' }, {}, {}, 'TIME_OUT_OF_RANGE'],
    ['latitude 91', {}, { latitude: 91 }, {}, 'BAD_STATION'],
    ['temperature in kelvin', {}, {}, { temperature_2m: 'K' }, 'UNSUPPORTED_UNIT'],
    ['temperature 999 °C', { temperature_2m: 999 }, {}, {}, 'TEMPERATURE_OUT_OF_RANGE'],
    ['humidity 140 %', { relative_humidity_2m: 140 }, {}, {}, 'HUMIDITY_OUT_OF_RANGE'],
    ['negative wind', { wind_speed_10m: -3.2 }, {}, {}, 'WIND_OUT_OF_RANGE'],
    ['negative precipitation', { precipitation: -0.1 }, {}, {}, 'PRECIPITATION_OUT_OF_RANGE'],
    ['weather code 42', { weather_code: 42 }, {}, {}, 'UNKNOWN_WEATHER_CODE'],
  ])('%s -> %s', (_name, hourOver, envOver, unitsOver, expected) => {
    // Act / Assess
    expect(code(record(hourOver, envOver, unitsOver))).toBe(expected);
  });

  it('property: any in-range hour round-trips into the observation, in the table units', () => {
    const codes = Object.keys(WMO_CONDITIONS).map(Number);
    fc.assert(
      fc.property(
        fc.record({
          t: fc.double({ min: -89, max: 59, noNaN: true }),
          h: fc.integer({ min: 0, max: 100 }),
          w: fc.double({ min: 0, max: 119, noNaN: true }),
          p: fc.double({ min: 0, max: 499, noNaN: true }),
          c: fc.constantFrom(...codes),
          lat: fc.double({ min: -90, max: 90, noNaN: true }),
          lon: fc.double({ min: -180, max: 180, noNaN: true }),
        }),
        ({ t, h, w, p, c, lat, lon }) => {
          // Prepare
          const doc = record(
            { temperature_2m: t, relative_humidity_2m: h, wind_speed_10m: w, precipitation: p, weather_code: c },
            { latitude: lat, longitude: lon },
            {
              wind_speed_10m: 'm/s',
            },
          );
          // Act
          const r = observationFrom(doc, ctx);
          // Assess
          if (!r.ok) throw new Error(r.rejection.message);
          expect(r.observation.temperature_c).toBeCloseTo(t, 2);
          expect(r.observation.humidity_pct).toBe(h);
          expect(r.observation.wind_ms).toBeCloseTo(w, 2);
          expect(r.observation.precipitation_mm).toBeCloseTo(p, 2);
          expect(r.observation.conditions).toBe(WMO_CONDITIONS[c]);
          expect(r.observation.station).toBe(stationId(lat, lon));
        },
      ),
    );
  });

  it('property: arbitrary values in any field never throw; a rejection carries a weather reason code', () => {
    const anyValue = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.double(),
      fc.integer(),
      fc.string(),
      fc.boolean(),
      fc.array(fc.integer()),
      fc.object(),
    );
    const field = fc.constantFrom('time', 'temperature_2m', 'relative_humidity_2m', 'wind_speed_10m', 'precipitation', 'weather_code');
    const envField = fc.constantFrom('latitude', 'longitude', 'elevation', 'fetched_at', 'utc_offset_seconds', 'units', 'hour');
    fc.assert(
      fc.property(fc.dictionary(field, anyValue), fc.dictionary(envField, anyValue), (hourOver, envOver) => {
        // Act
        const r = observationFrom(record(hourOver, envOver), ctx);
        // Assess
        if (!r.ok) expect(REASON_CODES).toContain(r.rejection.code);
      }),
    );
  });
});

describe('weather: the Seattle series and the climate model', () => {
  it('ships exactly the vega-datasets CSV: 1,461 days from 2012-01-01', () => {
    // Prepare
    const days = parseSeattleWeatherCsv(readFileSync(SEATTLE_CSV, 'utf8'));
    // Act
    const series = seattleSeriesFromPackage();
    // Assess
    expect(series).toEqual(SEATTLE_SERIES);
    expect(toSeattleSeries(days, series.source)).toEqual(series);
    expect(days).toHaveLength(1461);
    expect(days[0]).toEqual({ date: '2012-01-01', precipitation: 0, tempMax: 12.8, tempMin: 5, wind: 4.7, weather: 'drizzle' });
  });

  it('property: the CSV parser reads back what is written, and refuses a bad line naming it', () => {
    const day = fc.record({
      precipitation: fc.integer({ min: 0, max: 600 }).map((x) => x / 10),
      tempMin: fc.integer({ min: -200, max: 300 }).map((x) => x / 10),
      spread: fc.integer({ min: 0, max: 200 }).map((x) => x / 10),
      wind: fc.integer({ min: 0, max: 150 }).map((x) => x / 10),
      weather: fc.constantFrom('drizzle', 'rain', 'sun', 'snow', 'fog' as const),
    });
    fc.assert(
      fc.property(fc.array(day, { minLength: 1, maxLength: 40 }), (rows) => {
        // Prepare
        const lines = rows.map((r, i) => {
          const date = new Date(Date.UTC(2013, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
          return `${date},${r.precipitation},${Math.round((r.tempMin + r.spread) * 10) / 10},${r.tempMin},${r.wind},${r.weather}`;
        });
        // Act
        const days = parseSeattleWeatherCsv(`date,precipitation,temp_max,temp_min,wind,weather\n${lines.join('\n')}\n`);
        // Assess
        expect(days.map((d) => `${d.date},${d.precipitation},${d.tempMax},${d.tempMin},${d.wind},${d.weather}`)).toEqual(lines);
        expect(() => parseSeattleWeatherCsv(`date,precipitation,temp_max,temp_min,wind,weather\n${lines[0]}\n2013-01-02,1,2,3,x,sun`)).toThrow(
          /^line 3: not a number/,
        );
      }),
    );
  });

  it('re-dates any day onto the series with its season (same month and day, leap years on 2012)', () => {
    // Act / Assess
    const dateOf = (ms: number) => new Date(Date.UTC(2012, 0, 1) + seriesDayIndex(ms) * 86_400_000).toISOString().slice(0, 10);
    expect(dateOf(Date.UTC(2026, 10, 2, 12))).toBe('2014-11-02');
    expect(dateOf(Date.UTC(2028, 1, 29, 12))).toBe('2012-02-29');
    expect(dateOf(Date.UTC(2027, 0, 1, 5))).toBe('2014-12-31'); // 21:00 on 2026-12-31 in Seattle
  });

  it("follows a diurnal cycle between each day's extremes: coldest near dawn, warmest mid-afternoon (Seattle time)", () => {
    // Prepare: every day of 2026
    const day0 = Date.UTC(2026, 0, 1, 8); // local midnight
    let colderAtDawn = 0;
    let inRange = 0;
    // Act
    for (let d = 0; d < 365; d++) {
      const at = (h: number) => seriesTemperatureC(day0 + d * 86_400_000 + h * 3_600_000);
      const i = seriesDayIndex(day0 + d * 86_400_000 + 12 * 3_600_000);
      if (at(5) < at(15)) colderAtDawn++;
      if (Math.abs(at(5) - SEATTLE_SERIES.temp_min[i]!) < 1e-9 && Math.abs(at(15) - SEATTLE_SERIES.temp_max[i]!) < 1e-9) inRange++;
    }
    // Assess
    expect(inRange).toBe(365);
    expect(colderAtDawn).toBeGreaterThan(350);
  });

  it('gives every station plausible, deterministic hourly weather', () => {
    // Prepare
    const hours = Array.from({ length: 24 * 60 }, (_, h) => Date.UTC(2026, 10, 1) + h * 3_600_000);
    // Act
    const all = SEATTLE_SITES.flatMap((s) => hours.map((t) => hourlyWeather(t, s)));
    // Assess
    expect(all.every((w) => w.humidityPct >= 15 && w.humidityPct <= 100 && w.windMs >= 0 && w.precipitationMm >= 0)).toBe(true);
    expect(all.every((w) => WMO_CONDITIONS[w.weatherCode] !== undefined)).toBe(true);
    expect(all.every((w) => w.temperatureC > -20 && w.temperatureC < 30)).toBe(true);
    expect(hourlyWeather(hours[100]!, SEATTLE_SITES[1]!)).toEqual(hourlyWeather(hours[100]!, SEATTLE_SITES[1]!));
  });
});

describe('weather: simulator and simulated API', () => {
  it('answers a forecast URL as Open-Meteo does: an array for several coordinates, km/h unless asked for m/s, an error without coordinates', () => {
    // Prepare
    const now = Date.UTC(2026, 10, 2, 10, 20);
    // Act
    const many = simulatedForecastApi(now, forecastUrl()) as Record<string, any>[];
    const one = simulatedForecastApi(now, 'https://api.open-meteo.com/v1/forecast?latitude=47.4489&longitude=-122.3094') as Record<string, any>;
    const none = simulatedForecastApi(now, 'https://api.open-meteo.com/v1/forecast');
    // Assess
    expect(coordinatesOf(forecastUrl())).toHaveLength(SEATTLE_SITES.length);
    expect(many).toHaveLength(SEATTLE_SITES.length);
    expect(many[0]!.hourly_units.wind_speed_10m).toBe('m/s');
    expect(one.hourly_units.wind_speed_10m).toBe('km/h');
    expect(one.hourly.time).toHaveLength(24);
    expect(one.hourly.wind_speed_10m[10]).toBeCloseTo(many[0]!.hourly.wind_speed_10m[10] * 3.6, 0);
    expect(none).toMatchObject({ error: true });
  });

  it('simulates an hourly record per station in time order, deterministic, with the corrupted share quarantined', () => {
    // Prepare
    const cfg = { minutes: 48 * 60, seed: 7, startTimeMs: Date.UTC(2026, 10, 2), malformedShare: 0.05 };
    // Act
    const recs = [...simulateWeather(cfg)];
    // Assess
    expect(recs).toHaveLength(48 * SEATTLE_SITES.length);
    expect(weather.simulator!.expectedRecords!({ ...cfg, extra: {} })).toBe(recs.length);
    expect(recs.every((r, i) => i === 0 || r.timeMs >= recs[i - 1]!.timeMs)).toBe(true);
    expect([...simulateWeather(cfg)]).toEqual(recs);
    const bad = recs.filter((r) => !observationFrom(JSON.parse(r.payload), ctx).ok);
    expect(bad.length).toBeGreaterThan(0);
    expect(bad.length).toBeLessThan(recs.length * 0.15);
  });
});

describe('weather: through the stream transform', () => {
  it('lands observations in weather_observations and the bad ones in the quarantine with their reasons', async () => {
    // Prepare: the fixture's 10:00 and 11:00 hours, two broken records and a foreign one
    const good = [...records(FIXTURE), ...records(FIXTURE, { ...POLL, slotMs: SLOT + 3_600_000 })].map((r) => JSON.stringify(r));
    const bad = [JSON.stringify(record({ relative_humidity_2m: 140 })), JSON.stringify(record({}, {}, { temperature_2m: 'K' })), '{"source":"weather",'];
    const root = tempDir();
    const handler = createStreamTransform({ lake: new FileObjectStore(root) });
    // Act
    const res = await handler(kinesisEvent([...good, ...bad].map((data) => ({ data, partitionKey: 'weather/47.5956,-122.3244' }))));
    // Assess
    expect(res.batchItemFailures).toEqual([]);
    await withLake(root, async (sql) => {
      const rows = await sql.query('SELECT station, hour, temperature_c, wind_ms, conditions FROM weather_observations ORDER BY obs_time');
      const q = await sql.query("SELECT reason_code FROM quarantine WHERE source = 'weather' ORDER BY reason_code");
      expect(rows.rows).toEqual([
        ['47.5956,-122.3244', 10, 8, 2.19, 'slight rain'],
        ['47.5956,-122.3244', 11, 8, 2.31, 'light drizzle'],
      ]);
      expect(q.rows.map((r) => r[0])).toEqual(['HUMIDITY_OUT_OF_RANGE', 'MALFORMED_JSON', 'UNSUPPORTED_UNIT']);
    });
  });
});
