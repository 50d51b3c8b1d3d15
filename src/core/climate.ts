/**
 * The climate model the weather and energy simulators share (sources never
 * import each other, so it lives here): hourly weather at a site, any time,
 * from the real daily Seattle series (src/core/seattle-daily.ts) re-dated to
 * that time and given a diurnal cycle. Pure and stateless: the weather at an
 * hour is a function of the hour and the site, so the energy simulator sees
 * exactly the temperatures the weather simulator reports.
 *
 * - Re-dating: a date maps to the same month and day of 2012 + (year mod 4),
 *   so seasons line up and leap years fall on 2012 (the series' leap year).
 * - Temperature: the day's minimum near 05:00 and maximum near 15:00 Seattle
 *   time (UTC-8), joined by half cosines, continuous across midnight; plus the
 *   site's offset and a small per-hour noise.
 * - Humidity: from the dew point (near the day's minimum temperature, lower on
 *   sunny days) and the hour's temperature (Magnus formula).
 * - Wind: the day's mean, stronger in the afternoon; precipitation: the day's
 *   total spread over its hours; conditions: a WMO weather code (what
 *   Open-Meteo reports) from the day's label and the hour's precipitation.
 */
import seattleJson from '../../data/seattle-weather.json' with { type: 'json' };
import { hashString, splitmix32 } from './random.js';
import { type SeattleCondition, type SeattleSeries, seriesDay } from './seattle-daily.js';

/** The shipped series: 1,461 days, 2012-2015. */
export const SEATTLE_SERIES: SeattleSeries = seattleJson as SeattleSeries;

/** A place weather is simulated at. */
export interface ClimateSite {
  /** Station id, e.g. an ICAO code. */
  readonly id: string;
  readonly name: string;
  readonly latitude: number;
  readonly longitude: number;
  /** Metres above sea level. */
  readonly elevation: number;
  /** Added to the series' temperatures, °C (inland, elevation). */
  readonly tempOffsetC: number;
  /** Multiplies the series' wind. */
  readonly windScale: number;
}

/** Four weather stations around Seattle (real ICAO stations and coordinates). */
export const SEATTLE_SITES: readonly ClimateSite[] = [
  { id: 'KSEA', name: 'Seattle-Tacoma International', latitude: 47.4489, longitude: -122.3094, elevation: 131, tempOffsetC: 0, windScale: 1 },
  { id: 'KBFI', name: 'Seattle Boeing Field', latitude: 47.53, longitude: -122.3019, elevation: 6, tempOffsetC: 0.4, windScale: 0.9 },
  { id: 'KPAE', name: 'Everett Paine Field', latitude: 47.9063, longitude: -122.2816, elevation: 185, tempOffsetC: -0.8, windScale: 1.15 },
  { id: 'KTIW', name: 'Tacoma Narrows', latitude: 47.2679, longitude: -122.5781, elevation: 89, tempOffsetC: -0.3, windScale: 1.25 },
];

/** The weather of one hour at one site. */
export interface HourlyWeather {
  readonly temperatureC: number;
  /** Relative humidity, %. */
  readonly humidityPct: number;
  /** Wind speed at 10 m, m/s. */
  readonly windMs: number;
  /** Precipitation in the hour, mm. */
  readonly precipitationMm: number;
  /** WMO weather interpretation code (0 clear ... 65 heavy rain, 75 heavy snow). */
  readonly weatherCode: number;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Seattle's standard time offset (the series' days are local days; daylight saving ignored). */
export const SEATTLE_UTC_OFFSET_MS = -8 * HOUR_MS;
const FIRST_DAY_MS = Date.UTC(2012, 0, 1);

/** Index into the series of the local day containing `timeMs` (re-dated, see the module comment). */
export function seriesDayIndex(timeMs: number, series: SeattleSeries = SEATTLE_SERIES): number {
  const local = new Date(timeMs + SEATTLE_UTC_OFFSET_MS);
  const year = 2012 + ((((local.getUTCFullYear() - 2012) % 4) + 4) % 4);
  const i = Math.round((Date.UTC(year, local.getUTCMonth(), local.getUTCDate()) - FIRST_DAY_MS) / DAY_MS);
  return Math.min(Math.max(i, 0), series.temp_max.length - 1);
}

/** A deterministic value in [0, 1) for a label and an integer (stateless noise). */
export function unitNoise(label: string, n: number): number {
  return splitmix32((hashString(label) ^ Math.imul(n | 0, 0x9e3779b1)) | 0) / 4294967296;
}

/** Roughly standard normal noise for a label and an integer (sum of three uniforms, centred and scaled). */
function normalNoise(label: string, n: number): number {
  return (unitNoise(`${label}/a`, n) + unitNoise(`${label}/b`, n) + unitNoise(`${label}/c`, n) - 1.5) * 2;
}

const wrap = (i: number, n: number) => ((i % n) + n) % n;
const halfCosine = (a: number, b: number, p: number) => a + ((b - a) * (1 - Math.cos(Math.PI * p))) / 2;

/** The series' temperature (°C, no site offset, no noise) at `timeMs`: the diurnal cycle between the days' extremes. */
export function seriesTemperatureC(timeMs: number, series: SeattleSeries = SEATTLE_SERIES): number {
  const n = series.temp_max.length;
  const d = seriesDayIndex(timeMs, series);
  const local = timeMs + SEATTLE_UTC_OFFSET_MS;
  const h = (((local % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
  const tmin = (i: number) => series.temp_min[wrap(i, n)]!;
  const tmax = (i: number) => series.temp_max[wrap(i, n)]!;
  if (h < 5) return halfCosine(tmax(d - 1), tmin(d), (h + 9) / 14);
  if (h < 15) return halfCosine(tmin(d), tmax(d), (h - 5) / 10);
  return halfCosine(tmax(d), tmin(d + 1), (h - 15) / 14);
}

/** Relative humidity (%) of air at `t` °C with dew point `td` °C (Magnus formula). */
export function relativeHumidity(t: number, td: number): number {
  const e = (x: number) => Math.exp((17.625 * x) / (243.04 + x));
  return (100 * e(Math.min(td, t))) / e(t);
}

/** How far the dew point sits below the day's minimum, by the day's label (°C). */
const DEW_DEPRESSION: Readonly<Record<SeattleCondition, number>> = { rain: 0.3, drizzle: 0.6, fog: 0, snow: 0.3, sun: 2.5 };

/** The share of a day's precipitation falling in each of its 24 hours (sums to 1; a few wet spells). */
function precipitationShare(dayIndex: number, hour: number): number {
  const w = (h: number) => unitNoise('precip', dayIndex * 24 + h) ** 3;
  let sum = 0;
  for (let h = 0; h < 24; h++) sum += w(h);
  return sum > 0 ? w(hour) / sum : 1 / 24;
}

/** The WMO code of an hour from the day's label and the hour's precipitation. */
export function weatherCodeOf(label: SeattleCondition, precipitationMm: number, humidityPct: number): number {
  if (precipitationMm > 0) {
    if (label === 'snow') return precipitationMm < 1 ? 71 : precipitationMm < 4 ? 73 : 75;
    if (label === 'drizzle') return precipitationMm < 0.5 ? 51 : 53;
    return precipitationMm < 2.5 ? 61 : precipitationMm < 7.6 ? 63 : 65;
  }
  if (label === 'fog') return 45;
  if (label === 'sun') return humidityPct < 60 ? 0 : humidityPct < 80 ? 1 : 2;
  return 3;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** The weather of the hour starting at `hourMs` (floored to the hour) at `site`. */
export function hourlyWeather(hourMs: number, site: ClimateSite, series: SeattleSeries = SEATTLE_SERIES): HourlyWeather {
  const t0 = Math.floor(hourMs / HOUR_MS) * HOUR_MS;
  const hourIndex = t0 / HOUR_MS;
  const d = seriesDayIndex(t0, series);
  const day = seriesDay(series, d);
  const localHour = ((((t0 + SEATTLE_UTC_OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
  const temperatureC = round1(seriesTemperatureC(t0, series) + site.tempOffsetC + 0.3 * normalNoise(`${site.id}/t`, hourIndex));
  const dew = day.tempMin + site.tempOffsetC - DEW_DEPRESSION[day.weather];
  const humidityPct = Math.round(Math.min(100, Math.max(15, relativeHumidity(temperatureC, dew) + 2 * normalNoise(`${site.id}/h`, hourIndex))));
  const afternoon = 0.75 + 0.5 * ((1 - Math.cos((2 * Math.PI * (localHour - 3)) / 24)) / 2);
  const windMs = round1(Math.max(0, day.wind * site.windScale * afternoon * (1 + 0.15 * normalNoise(`${site.id}/w`, hourIndex))));
  const precipitationMm = round1(day.precipitation * precipitationShare(d, Math.floor(localHour)));
  return { temperatureC, humidityPct, windMs, precipitationMm, weatherCode: weatherCodeOf(day.weather, precipitationMm, humidityPct) };
}
