/**
 * The weather x energy join, written once in the SQL both engines share: the
 * hourly mean temperature over the stations joined on the hour with the mean
 * energy per household in that hour. At least once: each table is first
 * deduplicated on its natural key. A household's hour counts only when its
 * intervals add up to 60 minutes, so a partly delivered (or partly
 * quarantined) hour does not look like a low-energy one. Run locally by `ticklake analyze
 * weather-energy`, and saved in Athena as a named query.
 */
import { ENERGY_READINGS } from '../sources/energy/index.js';
import { WEATHER_OBSERVATIONS } from '../sources/weather/index.js';
import type { SqlDialect } from '../sql/dialect.js';

/** The time window as SQL expressions (literals locally, date arithmetic in a saved query). */
export interface JoinWindow {
  /** First and last `dt` partition read, `yyyy-MM-dd` expressions (the last must cover a reading at `to`: it ends the interval before). */
  readonly dtFrom: string;
  readonly dtTo: string;
  /** Time range, timestamp expressions, [from, to). */
  readonly from: string;
  readonly to: string;
}

/** The columns of each joined hour, in order. */
export const JOIN_COLUMNS = [
  'hour_ms',
  'temperature_c',
  'humidity_pct',
  'wind_ms',
  'precipitation_mm',
  'stations',
  'kwh_per_household',
  'hvac_kwh_per_household',
  'households',
] as const;

/** The hourly join over a window (see the module comment). */
export function weatherEnergyHourlySql(w: JoinWindow, d: SqlDialect): string {
  const W = WEATHER_OBSERVATIONS.name;
  const E = ENERGY_READINGS.name;
  return `WITH weather AS (
  SELECT station, obs_time, max(temperature_c) AS temperature_c, max(humidity_pct) AS humidity_pct, max(wind_ms) AS wind_ms, max(precipitation_mm) AS precipitation_mm
  FROM ${W}
  WHERE dt BETWEEN ${w.dtFrom} AND ${w.dtTo} AND obs_time >= ${w.from} AND obs_time < ${w.to}
  GROUP BY station, obs_time
),
energy AS (
  SELECT household, reading_time, max(interval_start) AS interval_start, max(interval_minutes) AS interval_minutes, max(kwh) AS kwh, max(hvac_kwh) AS hvac_kwh
  FROM ${E}
  WHERE dt BETWEEN ${w.dtFrom} AND ${w.dtTo} AND interval_start >= ${w.from} AND interval_start < ${w.to}
  GROUP BY household, reading_time
),
weather_hourly AS (
  SELECT date_trunc('hour', obs_time) AS hour_start, avg(temperature_c) AS temperature_c, avg(humidity_pct) AS humidity_pct,
         avg(wind_ms) AS wind_ms, avg(precipitation_mm) AS precipitation_mm, count(DISTINCT station) AS stations
  FROM weather
  GROUP BY date_trunc('hour', obs_time)
),
household_hourly AS (
  SELECT household, date_trunc('hour', interval_start) AS hour_start, sum(kwh) AS kwh, sum(hvac_kwh) AS hvac_kwh
  FROM energy
  GROUP BY household, date_trunc('hour', interval_start)
  HAVING sum(interval_minutes) = 60
),
energy_hourly AS (
  SELECT hour_start, avg(kwh) AS kwh_per_household, avg(hvac_kwh) AS hvac_kwh_per_household, count(*) AS households
  FROM household_hourly
  GROUP BY hour_start
)
SELECT ${d.epochMillis('w.hour_start')} AS hour_ms, w.temperature_c, w.humidity_pct, w.wind_ms, w.precipitation_mm, w.stations,
       e.kwh_per_household, e.hvac_kwh_per_household, e.households
FROM weather_hourly w
JOIN energy_hourly e ON e.hour_start = w.hour_start
ORDER BY hour_ms`;
}

/** The window of [fromUs, toUs) as literals. */
export function literalWindow(fromUs: number, toUs: number, d: SqlDialect): JoinWindow {
  const day = (us: number) => `'${new Date(Math.floor(us / 1000)).toISOString().slice(0, 10)}'`;
  return { dtFrom: day(fromUs), dtTo: day(toUs), from: d.timestampLiteral(fromUs), to: d.timestampLiteral(toUs) };
}
