/** Household energy on the dashboard: the hourly load per household and the households' totals. */
import { bind, type PanelDefinition } from '../../sql/panel.js';
import { ENERGY_READINGS } from './tables.js';

const HINT = 'No energy readings yet: run `ticklake up --sources energy`.';
const T = ENERGY_READINGS.name;

// At least once: a re-put reading counts once (deduplicated on the natural key first).
const DEDUPED = `SELECT household, reading_time, max(interval_start) AS interval_start, max(kwh) AS kwh, max(hvac_kwh) AS hvac_kwh
  FROM ${T}
  WHERE dt BETWEEN ? AND ? AND reading_time >= ? AND reading_time < ?
  GROUP BY household, reading_time`;

export const ENERGY_PANELS: readonly PanelDefinition[] = [
  {
    id: 'energy-hourly',
    title: 'Energy per household',
    description:
      'Energy used per hour (of the readings in the range), mean over the households, and its heating and cooling part, kWh (table energy_readings).',
    group: 'devices',
    chart: 'lines',
    columns: { x: 't', y: ['kwh', 'hvac_kwh'] },
    params: ['range'],
    emptyHint: HINT,
    query: (a, d) => ({
      text: `SELECT ${d.epochMillis("date_trunc('hour', interval_start)")} AS t,
       sum(kwh) / count(DISTINCT household) AS kwh, sum(hvac_kwh) / count(DISTINCT household) AS hvac_kwh
FROM (${DEDUPED}) r
GROUP BY date_trunc('hour', interval_start)
ORDER BY t`,
      params: [bind.day(a.fromUs), bind.day(a.toUs), bind.time(a.fromUs), bind.time(a.toUs)],
    }),
  },
  {
    id: 'energy-by-household',
    title: 'Energy by household',
    description: 'Energy used in the range per household, largest first, with its heating and cooling part, kWh (table energy_readings).',
    group: 'devices',
    chart: 'bars',
    columns: { x: 'household', y: ['kwh', 'hvac_kwh'] },
    params: ['range'],
    emptyHint: HINT,
    query: (a) => ({
      text: `SELECT household, sum(kwh) AS kwh, sum(hvac_kwh) AS hvac_kwh
FROM (${DEDUPED}) r
GROUP BY household
ORDER BY kwh DESC, household
LIMIT 50`,
      params: [bind.day(a.fromUs), bind.day(a.toUs), bind.time(a.fromUs), bind.time(a.toUs)],
    }),
  },
];
