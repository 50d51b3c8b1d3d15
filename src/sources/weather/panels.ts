/** The weather stations on the dashboard: hourly temperature per station and the latest observations. */
import { bind, type PanelDefinition, seriesLinesPanel } from '../../sql/panel.js';
import { WEATHER_OBSERVATIONS } from './tables.js';

const HINT = 'No weather observations yet: run `ticklake up --sources weather`.';
const T = WEATHER_OBSERVATIONS.name;
// An observation is labelled with the start of its hour: a range shows the hours that overlap it.
const HOUR_US = 3_600_000_000;

export const WEATHER_PANELS: readonly PanelDefinition[] = [
  seriesLinesPanel({
    id: 'weather-temperature',
    title: 'Temperature per station',
    description: 'Hourly air temperature at 2 m, °C, per station (table weather_observations).',
    group: 'devices',
    emptyHint: HINT,
    table: T,
    series: 'station',
    time: 'obs_time',
    bucket: 'obs_time',
    // At least once: a re-put hour counts once (max_by over the fetch time).
    value: { column: 'temperature_c', aggregate: 'max_by(temperature_c, fetched_at)' },
    // The hour labelled just before the range (obs_time > from - 1 h, in whole microseconds).
    lookBackUs: HOUR_US - 1,
    choices: (a) => ({
      text: `SELECT station FROM ${T} WHERE dt BETWEEN ? AND ? GROUP BY station ORDER BY station`,
      params: [bind.day(a.fromUs - HOUR_US), bind.day(a.toUs)],
    }),
  }),
  {
    id: 'weather-latest',
    title: 'Latest weather',
    description: "Each station's latest observation in the range: temperature, humidity, wind, precipitation, conditions (table weather_observations).",
    group: 'devices',
    chart: 'table',
    columns: { x: 'station', y: ['temperature_c', 'humidity_pct', 'wind_ms', 'precipitation_mm', 'conditions'] },
    params: ['range'],
    emptyHint: HINT,
    query: (a, d) => ({
      text: `SELECT station, ${d.epochMillis('max(obs_time)')} AS obs_ms, max_by(temperature_c, obs_time) AS temperature_c, max_by(humidity_pct, obs_time) AS humidity_pct,
       max_by(wind_ms, obs_time) AS wind_ms, max_by(precipitation_mm, obs_time) AS precipitation_mm, max_by(conditions, obs_time) AS conditions
FROM ${T}
WHERE dt BETWEEN ? AND ? AND obs_time > ? AND obs_time < ?
GROUP BY station
ORDER BY station`,
      params: [bind.day(a.fromUs - HOUR_US), bind.day(a.toUs), bind.time(a.fromUs - HOUR_US), bind.time(a.toUs)],
    }),
  },
];
