/** IoT sensors on the dashboard: temperature lines per device and each device's latest reading. */
import { bind, type PanelDefinition, seriesLinesPanel } from '../../sql/panel.js';
import { IOT_READINGS } from './tables.js';

const HINT = 'No IoT readings yet: run `ticklake up --sources iot` (an embedded MQTT broker and simulated sensors).';
const T = IOT_READINGS.name;

/** One line per device of a value averaged per minute (the devices picked, else all of the range). */
function perMinute(id: string, title: string, column: 'temperature_c' | 'humidity_pct', unit: string): PanelDefinition {
  return seriesLinesPanel({
    id,
    title,
    description: `Mean ${unit} per minute and device (table ${T}).`,
    group: 'devices',
    emptyHint: HINT,
    table: T,
    series: 'device_id',
    time: 'reading_time',
    bucket: "date_trunc('minute', reading_time)",
    value: { column, aggregate: `avg(${column})` },
  });
}

export const IOT_PANELS: readonly PanelDefinition[] = [
  perMinute('iot-temperature', 'Sensor temperature', 'temperature_c', 'temperature (°C)'),
  perMinute('iot-humidity', 'Sensor humidity', 'humidity_pct', 'relative humidity (%)'),
  {
    id: 'iot-devices',
    title: 'Devices',
    description: `Each device's latest reading in the range, its battery and how many readings arrived (table ${T}; a redelivered reading counts once).`,
    group: 'devices',
    chart: 'table',
    columns: { x: 'device_id', y: ['temperature_c', 'humidity_pct', 'battery_v', 'readings'] },
    params: ['range'],
    emptyHint: HINT,
    query: (a, d) => ({
      text: `SELECT device_id, max_by(temperature_c, seq) AS temperature_c, max_by(humidity_pct, seq) AS humidity_pct, max_by(battery_v, seq) AS battery_v,
  count(DISTINCT seq) AS readings, ${d.epochMillis('max(reading_time)')} AS last_ms
FROM ${T}
WHERE dt BETWEEN ? AND ? AND reading_time >= ? AND reading_time < ?
GROUP BY device_id
ORDER BY device_id`,
      params: [bind.day(a.fromUs), bind.day(a.toUs), bind.time(a.fromUs), bind.time(a.toUs)],
    }),
  },
];
