import type { BatchContext, Quarantined, SourceDefinition } from '../contract.js';
import { forecastToRecords, isWeatherRecord, observationFrom, REASON_CODES, WEATHER_SOURCE, type WeatherObservation } from './observation.js';
import { WEATHER_PANELS } from './panels.js';
import { WeatherObservationRows } from './rows.js';
import { forecastUrl, POLL_INTERVAL_MS, pollCount, simulatedForecastApi, simulateWeather } from './simulator.js';
import { WEATHER_OBSERVATIONS } from './tables.js';
import { SEATTLE_SITES } from '../../core/climate.js';
import { oneTableBatch, readJsonRecord } from '../json-record.js';
import { WEATHER_MESSAGE } from './message-schema.js';

export { forecastToRecords, WEATHER_SOURCE, WEATHER_OBSERVATIONS };

/** Open-Meteo's forecast API for the four simulated stations' coordinates, wind in m/s, times in UTC. */
export const OPEN_METEO_FORECAST_URL = forecastUrl();

/** Parses and validates one weather record: the observation, or why it is quarantined. */
function readObservation(text: string, json: unknown, nowUs: number): { ok: true; observation: WeatherObservation } | ({ ok: false } & Quarantined) {
  return readJsonRecord(text, json, {
    schema: WEATHER_MESSAGE,
    format: WEATHER_SOURCE,
    is: isWeatherRecord,
    notMine: 'JSON payload is not a weather record',
    from: (doc) => observationFrom(doc, { nowUs }),
  });
}

export const weather: SourceDefinition = {
  id: WEATHER_SOURCE,
  title: 'Weather stations',
  description: 'Hourly observations per station (temperature, humidity, wind, precipitation, conditions) from the Open-Meteo forecast API, polled every hour',
  enters: ['poller'],
  recognition: { envelope: WEATHER_SOURCE },
  tables: [WEATHER_OBSERVATIONS],
  panels: WEATHER_PANELS,
  reasonCodes: REASON_CODES,
  messageSchema: WEATHER_MESSAGE,
  formats: [WEATHER_SOURCE, 'unknown'],
  newBatch: (ctx: BatchContext) =>
    oneTableBatch({ ingestUs: ctx.ingestUs, rows: new WeatherObservationRows(), read: readObservation, value: (r) => r.observation }),
  poller: {
    intervalMs: POLL_INTERVAL_MS,
    defaultUrl: OPEN_METEO_FORECAST_URL,
    urlFlag: '--weather-url',
    records: forecastToRecords,
    // The weather is the real series, the same for every seed.
    simulate: () => simulatedForecastApi,
  },
  simulator: {
    *simulate(o) {
      yield* simulateWeather({ minutes: o.minutes, seed: o.seed, startTimeMs: o.startTimeMs, malformedShare: o.malformedShare });
    },
    describe: () => `hourly weather at ${SEATTLE_SITES.length} Seattle stations (the real 2012-2015 daily series, re-dated)`,
    expectedRecords: (o) => SEATTLE_SITES.length * pollCount(o.startTimeMs, o.minutes),
  },
};
