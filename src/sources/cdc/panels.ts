/** Change data capture on the dashboard: changes per minute by operation, and the orders' current state by status. */
import { bind, type PanelDefinition } from '../../sql/panel.js';
import { CDC_CHANGES } from './tables.js';
import { currentStateSql } from './views.js';

const HINT = 'No database changes yet: run `ticklake up --sources cdc --cdc-url postgres://…` (a simulated web shop on that database).';
const T = CDC_CHANGES.name;

export const CDC_PANELS: readonly PanelDefinition[] = [
  {
    id: 'cdc-changes',
    title: 'Database changes',
    description: `Row changes captured from the web shop's database per minute, by operation (table ${T}).`,
    group: 'devices',
    chart: 'lines',
    columns: { x: 't', y: ['changes'], series: 'op' },
    params: ['range'],
    emptyHint: HINT,
    query: (a, d) => ({
      text: `SELECT ${d.epochMillis("date_trunc('minute', commit_time)")} AS t, op, count(*) AS changes
FROM ${T}
WHERE dt BETWEEN ? AND ? AND commit_time >= ? AND commit_time < ?
GROUP BY date_trunc('minute', commit_time), op
ORDER BY t, op`,
      params: [bind.day(a.fromUs), bind.day(a.toUs), bind.time(a.fromUs), bind.time(a.toUs)],
    }),
  },
  {
    id: 'cdc-orders',
    title: 'Orders now',
    description: `The orders as they stand now, merged from every change (the orders_current view over ${T}), by status, among those last changed in the range.`,
    group: 'devices',
    chart: 'table',
    columns: { x: 'status', y: ['orders', 'value'] },
    params: ['range'],
    emptyHint: HINT,
    query: (a) => ({
      text: `SELECT status, count(*) AS orders, round(sum(amount), 2) AS value
FROM (${currentStateSql('orders')}) o
WHERE last_commit_time >= ? AND last_commit_time < ?
GROUP BY status
ORDER BY orders DESC, status`,
      params: [bind.time(a.fromUs), bind.time(a.toUs)],
    }),
  },
];
