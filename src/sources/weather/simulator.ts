/**
 * A simulated Open-Meteo forecast API over the shared climate model
 * (src/core/climate.ts: the real daily Seattle series, re-dated, with a
 * diurnal cycle) at four stations around Seattle. Pure and seeded.
 *
 * It serves two uses, as the crypto price table's simulator does: the demo's
 * records (every hour, each station's response through
 * {@link forecastToRecords}, exactly as the poller puts a real one) and a
 * stand-in API the poller fetches from without network.
 */
import { type ClimateSite, hourlyWeather, SEATTLE_SITES } from '../../core/climate.js';
import { Rng } from '../../core/random.js';
import type { SimulatedRecord } from '../contract.js';
import { forecastToRecords, HOURLY_VARIABLES } from './observation.js';

/** One hour between polls: the API's hourly resolution. */
export const POLL_INTERVAL_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** The forecast URL of some sites (Open-Meteo takes comma-separated coordinates and answers with an array). */
export function forecastUrl(sites: readonly ClimateSite[] = SEATTLE_SITES, base = 'https://api.open-meteo.com/v1/forecast'): string {
  const lat = sites.map((s) => s.latitude).join(',');
  const lon = sites.map((s) => s.longitude).join(',');
  return `${base}?latitude=${lat}&longitude=${lon}&hourly=${HOURLY_VARIABLES.join(',')}&wind_speed_unit=ms&timezone=GMT&forecast_days=1`;
}

/** The coordinates a forecast URL asks for (none when unreadable). */
export function coordinatesOf(url: string): { latitude: number; longitude: number }[] {
  try {
    const q = new URL(url).searchParams;
    const list = (name: string) =>
      (q.get(name) ?? '')
        .split(',')
        .filter((x) => x.trim() !== '')
        .map(Number);
    const lat = list('latitude');
    const lon = list('longitude');
    if (lat.length !== lon.length) return [];
    return lat.map((latitude, i) => ({ latitude, longitude: lon[i]! })).filter((c) => Number.isFinite(c.latitude) && Number.isFinite(c.longitude));
  } catch {
    return [];
  }
}

/** The known site at these coordinates, else a site there with Seattle's climate. */
function siteAt(latitude: number, longitude: number): ClimateSite {
  const known = SEATTLE_SITES.find((s) => Math.abs(s.latitude - latitude) < 1e-3 && Math.abs(s.longitude - longitude) < 1e-3);
  return known ?? { id: `${latitude},${longitude}`, name: 'simulated', latitude, longitude, elevation: 50, tempOffsetC: 0, windScale: 1 };
}

/** Open-Meteo's JSON for one site: the 24 hours of the UTC day of `dayMs`, as `timezone=GMT&forecast_days=1` answers. */
export function simulatedForecast(site: ClimateSite, dayMs: number, o: { windUnit?: 'ms' | 'kmh' } = {}): Record<string, unknown> {
  const start = Math.floor(dayMs / DAY_MS) * DAY_MS;
  const hours = Array.from({ length: 24 }, (_, h) => start + h * POLL_INTERVAL_MS);
  const w = hours.map((t) => hourlyWeather(t, site));
  const kmh = o.windUnit === 'kmh';
  return {
    latitude: site.latitude,
    longitude: site.longitude,
    generationtime_ms: 0.05,
    utc_offset_seconds: 0,
    timezone: 'GMT',
    timezone_abbreviation: 'GMT',
    elevation: site.elevation,
    hourly_units: {
      time: 'iso8601',
      temperature_2m: '°C',
      relative_humidity_2m: '%',
      wind_speed_10m: kmh ? 'km/h' : 'm/s',
      precipitation: 'mm',
      weather_code: 'wmo code',
    },
    hourly: {
      time: hours.map((t) => new Date(t).toISOString().slice(0, 16)),
      temperature_2m: w.map((x) => x.temperatureC),
      relative_humidity_2m: w.map((x) => x.humidityPct),
      wind_speed_10m: w.map((x) => (kmh ? Math.round(x.windMs * 36) / 10 : x.windMs)),
      precipitation: w.map((x) => x.precipitationMm),
      weather_code: w.map((x) => x.weatherCode),
    },
  };
}

/**
 * The simulated API: answers a forecast URL at `nowMs` as Open-Meteo would (an
 * object for one location, an array for several; km/h unless the URL asks for
 * `wind_speed_unit=ms`; an error object without coordinates).
 */
export function simulatedForecastApi(nowMs: number, url: string): unknown {
  const coords = coordinatesOf(url);
  if (coords.length === 0) return { error: true, reason: "Parameter 'latitude' and 'longitude' must have the same number of elements" };
  let windUnit: 'ms' | 'kmh' = 'kmh';
  try {
    if (new URL(url).searchParams.get('wind_speed_unit') === 'ms') windUnit = 'ms';
  } catch {}
  const bodies = coords.map((c) => simulatedForecast(siteAt(c.latitude, c.longitude), nowMs, { windUnit }));
  return bodies.length === 1 ? bodies[0] : bodies;
}

/** The first poll slot: the hour `timeMs` is in, polled at once (as `ticklake up`'s poller does at start). */
export function firstSlotMs(timeMs: number): number {
  return Math.floor(timeMs / POLL_INTERVAL_MS) * POLL_INTERVAL_MS;
}

/** Polls in [start, start + minutes). */
export function pollCount(startTimeMs: number, minutes: number): number {
  return Math.max(0, Math.ceil((startTimeMs + minutes * 60_000 - firstSlotMs(startTimeMs)) / POLL_INTERVAL_MS));
}

export interface WeatherSimConfig {
  readonly minutes: number;
  readonly seed?: number | string;
  readonly startTimeMs?: number;
  /** Share (0..1) of station-hours corrupted as real feeds go wrong: a null, an impossible humidity, a negative wind, an unknown code, a bad time. */
  readonly malformedShare?: number;
  readonly sites?: readonly ClimateSite[];
}

/** Corrupts the slot's hour of a forecast in place, in one of the ways real feeds go wrong. */
function corrupt(body: Record<string, unknown>, at: number, rng: Rng): void {
  const hourly = body.hourly as Record<string, unknown[]>;
  switch (rng.int(5)) {
    case 0:
      hourly.temperature_2m![at] = null;
      break;
    case 1:
      hourly.relative_humidity_2m![at] = 140;
      break;
    case 2:
      hourly.wind_speed_10m![at] = -3.2;
      break;
    case 3:
      hourly.weather_code![at] = 42;
      break;
    default:
      hourly.temperature_2m![at] = 999;
  }
}

/** The demo's records: every hour, every site's observation, made by the function the poller uses for a real response. */
export function* simulateWeather(cfg: WeatherSimConfig): Generator<SimulatedRecord> {
  const start = cfg.startTimeMs ?? Date.UTC(2026, 10, 2);
  const end = start + cfg.minutes * 60_000;
  const sites = cfg.sites ?? SEATTLE_SITES;
  const rng = Rng.derive(cfg.seed ?? 1, 'weather/poll');
  const share = cfg.malformedShare ?? 0;
  const url = forecastUrl(sites);
  for (let slot = firstSlotMs(start); slot < end; slot += POLL_INTERVAL_MS) {
    const at = Math.floor((slot % DAY_MS) / POLL_INTERVAL_MS);
    const bodies = sites.map((s) => simulatedForecast(s, slot, { windUnit: 'ms' }));
    for (const b of bodies) if (share > 0 && rng.chance(share)) corrupt(b, at, rng);
    // The response arrives a fraction of a second after the slot (or the start, for the hour it is in).
    const fetchedAtMs = Math.max(slot, start) + Math.round(rng.uniform(120, 700));
    const out = forecastToRecords(bodies, { slotMs: slot, fetchedAtMs, url });
    if ('error' in out) throw new Error(`simulated forecast rejected: ${out.error}`);
    for (const r of out.records) yield { timeMs: fetchedAtMs, partitionKey: r.partitionKey, payload: r.payload };
  }
}
