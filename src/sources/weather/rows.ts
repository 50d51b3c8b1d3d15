/** `weather_observations` column builders (hand-specialised, see src/lake/rows.ts). */
import { hourIndex, PartitionedColumns } from '../../lake/rows.js';
import type { WeatherObservation } from './observation.js';
import { WEATHER_OBSERVATIONS } from './tables.js';

function weatherColumns() {
  return {
    station: [] as string[],
    obs_time: [] as number[],
    latitude: [] as number[],
    longitude: [] as number[],
    elevation: [] as (number | null)[],
    temperature_c: [] as number[],
    humidity_pct: [] as number[],
    wind_ms: [] as number[],
    precipitation_mm: [] as number[],
    weather_code: [] as number[],
    conditions: [] as string[],
    fetched_at: [] as number[],
    ingest_time: [] as number[],
  };
}

/** `weather_observations` rows, partitioned by the hour of obs_time. */
export class WeatherObservationRows extends PartitionedColumns<ReturnType<typeof weatherColumns>> {
  constructor() {
    super(WEATHER_OBSERVATIONS);
  }

  protected empty() {
    return weatherColumns();
  }

  add(o: WeatherObservation, ingestUs: number): void {
    const c = this.part(hourIndex(o.obs_time));
    c.station.push(o.station);
    c.obs_time.push(o.obs_time);
    c.latitude.push(o.latitude);
    c.longitude.push(o.longitude);
    c.elevation.push(o.elevation);
    c.temperature_c.push(o.temperature_c);
    c.humidity_pct.push(o.humidity_pct);
    c.wind_ms.push(o.wind_ms);
    c.precipitation_mm.push(o.precipitation_mm);
    c.weather_code.push(o.weather_code);
    c.conditions.push(o.conditions);
    c.fetched_at.push(o.fetched_at);
    c.ingest_time.push(ingestUs);
  }
}
