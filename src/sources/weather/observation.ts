/**
 * Hourly weather observations from the Open-Meteo forecast API's JSON format:
 * a response (one location, or an array of them when the URL lists several
 * coordinates) becomes one stream record per location for the poll's hour, and
 * each record is validated on its own. Pure.
 *
 * Response (the fields read; `timeformat=unixtime` gives seconds instead of strings):
 * `{"latitude":47.45,"longitude":-122.31,"elevation":131,"utc_offset_seconds":0,
 *   "hourly_units":{"time":"iso8601","temperature_2m":"°C","relative_humidity_2m":"%","wind_speed_10m":"km/h","precipitation":"mm","weather_code":"wmo code"},
 *   "hourly":{"time":["2026-11-02T00:00",…],"temperature_2m":[8.1,…],"relative_humidity_2m":[…],"wind_speed_10m":[…],"precipitation":[…],"weather_code":[…]}}`
 *
 * Record (the envelope first, then the hour's values verbatim, with their units):
 * `{"source":"weather","latitude":47.45,"longitude":-122.31,"elevation":131,"fetched_at":"…Z","utc_offset_seconds":0,
 *   "units":{…hourly_units},"hour":{"time":"2026-11-02T10:00","temperature_2m":8.1,…}}`
 *
 * - The hour taken is the poll's slot (the forecast API's `time` is the start
 *   of the hour, in the response's time zone), so a retried poll of a slot
 *   writes the same natural key (station, obs_time).
 * - The station is the grid point the API answered for, `lat,lon` with four
 *   decimals: the API has no station ids.
 * - The partition key, `weather/<station>`, keeps a station's hours in order on one shard.
 */
import { CORE_REASON_CODES, type CoreReasonCode, reject as rejectAs, type Rejection as CoreRejection } from '../../core/reasons.js';
import { checkEventTime, type ValidationContext } from '../../core/validation.js';
import type { PollContext, PolledRecords, StreamRecord } from '../contract.js';

/** The source id, also its envelope value. */
export const WEATHER_SOURCE = 'weather';

/** The weather source's own reasons, on top of the core set. */
export const WEATHER_REASON_CODES = [
  'BAD_STATION',
  'UNSUPPORTED_UNIT',
  'TEMPERATURE_OUT_OF_RANGE',
  'HUMIDITY_OUT_OF_RANGE',
  'WIND_OUT_OF_RANGE',
  'PRECIPITATION_OUT_OF_RANGE',
  'UNKNOWN_WEATHER_CODE',
] as const;
export type WeatherReasonCode = CoreReasonCode | (typeof WEATHER_REASON_CODES)[number];
/** Every reason an observation is quarantined with. */
export const REASON_CODES = [...CORE_REASON_CODES, ...WEATHER_REASON_CODES] as const;
export type Rejection = CoreRejection<WeatherReasonCode>;
const reject = (code: WeatherReasonCode, message: string): Rejection => rejectAs(code, message);

/** The hourly variables ticklake asks Open-Meteo for (its `hourly=` list). */
export const HOURLY_VARIABLES = ['temperature_2m', 'relative_humidity_2m', 'wind_speed_10m', 'precipitation', 'weather_code'] as const;
export type HourlyVariable = (typeof HOURLY_VARIABLES)[number];

/** WMO weather interpretation codes as Open-Meteo documents them, in words. */
export const WMO_CONDITIONS: Readonly<Record<number, string>> = {
  0: 'clear sky',
  1: 'mainly clear',
  2: 'partly cloudy',
  3: 'overcast',
  45: 'fog',
  48: 'depositing rime fog',
  51: 'light drizzle',
  53: 'moderate drizzle',
  55: 'dense drizzle',
  56: 'light freezing drizzle',
  57: 'dense freezing drizzle',
  61: 'slight rain',
  63: 'moderate rain',
  65: 'heavy rain',
  66: 'light freezing rain',
  67: 'heavy freezing rain',
  71: 'slight snow fall',
  73: 'moderate snow fall',
  75: 'heavy snow fall',
  77: 'snow grains',
  80: 'slight rain showers',
  81: 'moderate rain showers',
  82: 'violent rain showers',
  85: 'slight snow showers',
  86: 'heavy snow showers',
  95: 'thunderstorm',
  96: 'thunderstorm with slight hail',
  99: 'thunderstorm with heavy hail',
};

/** Plausible ranges, in the table's units. */
export const LIMITS = {
  temperatureC: [-90, 60],
  humidityPct: [0, 100],
  windMs: [0, 120],
  precipitationMm: [0, 500],
} as const;

/** Converters to the table's units, by the unit strings Open-Meteo writes. */
const TEMPERATURE_UNITS: Readonly<Record<string, (x: number) => number>> = { '°C': (x) => x, '°F': (x) => ((x - 32) * 5) / 9 };
const WIND_UNITS: Readonly<Record<string, (x: number) => number>> = {
  'm/s': (x) => x,
  'km/h': (x) => x / 3.6,
  'mp/h': (x) => x * 0.44704,
  mph: (x) => x * 0.44704,
  kn: (x) => x * 0.514444,
};
const PRECIPITATION_UNITS: Readonly<Record<string, (x: number) => number>> = { mm: (x) => x, inch: (x) => x * 25.4 };
const PERCENT_UNITS: Readonly<Record<string, (x: number) => number>> = { '%': (x) => x };

/** The stream record of one location's hour (see the module comment). */
export interface WeatherRecord {
  readonly source: typeof WEATHER_SOURCE;
  readonly latitude: unknown;
  readonly longitude: unknown;
  readonly elevation: unknown;
  readonly fetched_at: string;
  readonly utc_offset_seconds: unknown;
  readonly units: unknown;
  readonly hour: Readonly<Record<string, unknown>>;
}

/** A validated observation (column names as in glue-schemas/weather_observations.json; times in microseconds). */
export interface WeatherObservation {
  readonly station: string;
  readonly obs_time: number;
  readonly latitude: number;
  readonly longitude: number;
  readonly elevation: number | null;
  readonly temperature_c: number;
  readonly humidity_pct: number;
  readonly wind_ms: number;
  readonly precipitation_mm: number;
  readonly weather_code: number;
  readonly conditions: string;
  readonly fetched_at: number;
}

export type ObservationResult = { readonly ok: true; readonly observation: WeatherObservation } | { readonly ok: false; readonly rejection: Rejection };

const fail = (r: Rejection): ObservationResult => ({ ok: false, rejection: r });
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isMissing = (v: unknown) => v === undefined || v === null;

/** The station id of a grid point: `lat,lon` with four decimals. */
export function stationId(latitude: number, longitude: number): string {
  return `${latitude.toFixed(4)},${longitude.toFixed(4)}`;
}

/** The partition key of a station's records. */
export function stationPartitionKey(station: string): string {
  return `${WEATHER_SOURCE}/${station}`;
}

const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * Milliseconds (UTC) of an Open-Meteo hourly `time`: an ISO-8601 local time
 * without zone (`2026-11-02T10:00`) shifted by the response's UTC offset, or
 * unix seconds (`timeformat=unixtime`); NaN when it is neither.
 */
export function openMeteoTimeMs(time: unknown, utcOffsetSeconds: number): number {
  if (typeof time === 'number') return Number.isSafeInteger(time) ? time * 1000 : Number.NaN;
  if (typeof time !== 'string') return Number.NaN;
  const m = LOCAL_TIME.exec(time);
  if (!m) return Number.NaN;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  // Date.UTC rolls 2026-02-30 over to March: refuse what does not round-trip.
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return Number.NaN;
  return ms - utcOffsetSeconds * 1000;
}

/** A short description of a body that is not a forecast, for the poll's error (Open-Meteo errors are `{"error":true,"reason":…}`). */
function describeBody(body: unknown): string {
  if (body === null) return 'null';
  if (typeof body !== 'object') return `a ${typeof body}`;
  if (Array.isArray(body)) return 'an array with an item that is not a forecast';
  const reason = (body as { reason?: unknown }).reason;
  if (typeof reason === 'string') return `an error object: ${reason.slice(0, 200)}`;
  return `an object with keys ${Object.keys(body).slice(0, 8).join(', ')}`;
}

/**
 * The stream records of one forecast response: per location, the hour of the
 * poll's slot, its values kept verbatim (bad ones are the transform's to
 * quarantine with a reason). A body that is not a forecast, or lacks the slot's
 * hour, is an error: the poll fails and nothing is put.
 */
export function forecastToRecords(body: unknown, poll: PollContext): PolledRecords {
  const locations = Array.isArray(body) ? body : [body];
  if (locations.length === 0) return { error: 'the response has no locations' };
  const fetched = new Date(poll.fetchedAtMs).toISOString();
  const slotIso = new Date(poll.slotMs).toISOString().slice(0, 16);
  const records: StreamRecord[] = [];
  for (const [i, loc] of locations.entries()) {
    if (!isObject(loc) || !isObject(loc.hourly) || !Array.isArray(loc.hourly.time))
      return { error: `expected an Open-Meteo forecast with hourly.time (location ${i}), got ${describeBody(Array.isArray(body) ? body : loc)}` };
    const hourly = loc.hourly as Record<string, unknown[]>;
    const offset = typeof loc.utc_offset_seconds === 'number' ? loc.utc_offset_seconds : 0;
    const at = hourly.time!.findIndex((t) => openMeteoTimeMs(t, offset) === poll.slotMs);
    if (at < 0) return { error: `location ${i} has no hour ${slotIso} UTC (the poll's slot) in hourly.time` };
    const hour: Record<string, unknown> = { time: hourly.time![at] };
    for (const v of HOURLY_VARIABLES) hour[v] = Array.isArray(hourly[v]) ? hourly[v]![at] : undefined;
    const r: WeatherRecord = {
      source: WEATHER_SOURCE,
      latitude: loc.latitude,
      longitude: loc.longitude,
      elevation: loc.elevation,
      fetched_at: fetched,
      utc_offset_seconds: loc.utc_offset_seconds,
      units: loc.hourly_units,
      hour,
    };
    const station = typeof loc.latitude === 'number' && typeof loc.longitude === 'number' ? stationId(loc.latitude, loc.longitude) : 'unknown';
    records.push({ partitionKey: stationPartitionKey(station), payload: JSON.stringify(r) });
  }
  return { records };
}

/** True when a parsed JSON document claims to be a weather record. */
export function isWeatherRecord(doc: unknown): doc is Record<string, unknown> {
  return isObject(doc) && doc.source === WEATHER_SOURCE;
}

/** One hourly value in the table's unit, or why not. */
function hourlyValue(
  hour: Record<string, unknown>,
  units: Record<string, unknown>,
  key: HourlyVariable,
  converters: Readonly<Record<string, (x: number) => number>>,
  fallbackUnit: string,
): number | Rejection {
  const v = hour[key];
  if (isMissing(v)) return reject('MISSING_FIELD', `hour ${String(hour.time)}: ${key} is missing`);
  if (typeof v !== 'number' || !Number.isFinite(v)) return reject('WRONG_TYPE', `hour ${String(hour.time)}: ${key} must be a number`);
  const unit = units[key] ?? fallbackUnit;
  const convert = typeof unit === 'string' ? converters[unit] : undefined;
  if (!convert) return reject('UNSUPPORTED_UNIT', `${key} in ${JSON.stringify(unit)}; supported: ${Object.keys(converters).join(', ')}`);
  return convert(v);
}

const isRejection = (v: unknown): v is Rejection => typeof v === 'object' && v !== null;
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Validates one weather record. In order: the envelope (location, fetch time,
 * offset, units), the hour's time and its range, each value (present, a
 * number, a supported unit, in range) and the weather code.
 */
export function observationFrom(doc: Record<string, unknown>, ctx: ValidationContext): ObservationResult {
  for (const k of ['latitude', 'longitude', 'fetched_at', 'hour'] as const) {
    if (isMissing(doc[k])) return fail(reject('MISSING_FIELD', `field "${k}" is missing`));
  }
  const { latitude, longitude, elevation, fetched_at, hour } = doc;
  const offset = doc.utc_offset_seconds ?? 0;
  const units = doc.units ?? {};
  if (typeof latitude !== 'number' || typeof longitude !== 'number') return fail(reject('WRONG_TYPE', 'latitude and longitude must be numbers'));
  if (!(Math.abs(latitude) <= 90) || !(Math.abs(longitude) <= 180))
    return fail(reject('BAD_STATION', `latitude ${latitude}, longitude ${longitude} is not a place on Earth`));
  if (!isMissing(elevation) && (typeof elevation !== 'number' || !Number.isFinite(elevation)))
    return fail(reject('WRONG_TYPE', 'elevation must be a number or null'));
  if (typeof fetched_at !== 'string' || Number.isNaN(Date.parse(fetched_at))) return fail(reject('WRONG_TYPE', 'fetched_at must be an ISO-8601 time'));
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || Math.abs(offset) > 14 * 3600)
    return fail(reject('WRONG_TYPE', 'utc_offset_seconds must be whole seconds within +-14 h'));
  if (!isObject(units)) return fail(reject('WRONG_TYPE', 'units must be an object (hourly_units)'));
  if (!isObject(hour)) return fail(reject('WRONG_TYPE', 'hour must be an object'));

  if (isMissing(hour.time)) return fail(reject('MISSING_FIELD', 'hour.time is missing'));
  const timeMs = openMeteoTimeMs(hour.time, offset);
  if (Number.isNaN(timeMs)) return fail(reject('BAD_NUMBER', `hour.time ${JSON.stringify(String(hour.time).slice(0, 40))} is not an Open-Meteo time`));
  const tErr = checkEventTime(timeMs * 1000, ctx, 'observation time');
  if (tErr) return fail(tErr);

  const t = hourlyValue(hour, units, 'temperature_2m', TEMPERATURE_UNITS, '°C');
  if (isRejection(t)) return fail(t);
  const h = hourlyValue(hour, units, 'relative_humidity_2m', PERCENT_UNITS, '%');
  if (isRejection(h)) return fail(h);
  // Open-Meteo's own default wind unit.
  const w = hourlyValue(hour, units, 'wind_speed_10m', WIND_UNITS, 'km/h');
  if (isRejection(w)) return fail(w);
  const p = hourlyValue(hour, units, 'precipitation', PRECIPITATION_UNITS, 'mm');
  if (isRejection(p)) return fail(p);
  const code = hour.weather_code;
  if (isMissing(code)) return fail(reject('MISSING_FIELD', `hour ${String(hour.time)}: weather_code is missing`));
  if (typeof code !== 'number') return fail(reject('WRONG_TYPE', `hour ${String(hour.time)}: weather_code must be a number`));

  const out = (what: string, v: number, [lo, hi]: readonly [number, number], unit: string) =>
    `${what} ${round(v, 2)} ${unit} is outside ${lo} to ${hi} ${unit}`;
  if (t < LIMITS.temperatureC[0] || t > LIMITS.temperatureC[1])
    return fail(reject('TEMPERATURE_OUT_OF_RANGE', out('temperature', t, LIMITS.temperatureC, '°C')));
  if (h < LIMITS.humidityPct[0] || h > LIMITS.humidityPct[1]) return fail(reject('HUMIDITY_OUT_OF_RANGE', out('humidity', h, LIMITS.humidityPct, '%')));
  if (w < LIMITS.windMs[0] || w > LIMITS.windMs[1]) return fail(reject('WIND_OUT_OF_RANGE', out('wind speed', w, LIMITS.windMs, 'm/s')));
  if (p < LIMITS.precipitationMm[0] || p > LIMITS.precipitationMm[1])
    return fail(reject('PRECIPITATION_OUT_OF_RANGE', out('precipitation', p, LIMITS.precipitationMm, 'mm')));
  const conditions = WMO_CONDITIONS[code];
  if (conditions === undefined) return fail(reject('UNKNOWN_WEATHER_CODE', `weather_code ${code} is not a WMO code Open-Meteo reports`));

  return {
    ok: true,
    observation: {
      station: stationId(latitude, longitude),
      obs_time: timeMs * 1000,
      latitude,
      longitude,
      elevation: isMissing(elevation) ? null : (elevation as number),
      temperature_c: round(t, 2),
      humidity_pct: round(h, 1),
      wind_ms: round(w, 2),
      precipitation_mm: round(p, 2),
      weather_code: code,
      conditions,
      fetched_at: Date.parse(fetched_at) * 1000,
    },
  };
}
