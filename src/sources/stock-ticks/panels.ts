/** The stock lab on the dashboard: today's volume by sector and the tickers' prices. */
import { bind, distinctValues, type PanelDefinition, placeholders } from '../../sql/panel.js';
import { STOCK_TICKS } from './tables.js';

const HINT = 'No stock ticks yet: run `ticklake up --sources stock-ticks`.';
const T = STOCK_TICKS.name;

export const STOCK_PANELS: readonly PanelDefinition[] = [
  {
    id: 'stocks-volume-today',
    title: "Today's volume by sector",
    description: 'Total traded volume per sector for the current UTC day, largest first (view volume_today).',
    group: 'stocks',
    chart: 'bars',
    columns: { x: 'sector', y: ['total_volume'] },
    params: [],
    emptyHint: `No stock volume today: run \`ticklake up --sources stock-ticks\`.`,
    query: () => ({ text: 'SELECT sector, total_volume FROM volume_today ORDER BY total_volume DESC, sector', params: [] }),
  },
  {
    id: 'stocks-prices',
    title: 'Ticker prices',
    description: 'Last price per minute of the selected tickers (table stock_ticks).',
    group: 'stocks',
    chart: 'lines',
    columns: { x: 't', y: ['price'], series: 'ticker' },
    params: ['range', 'symbols'],
    emptyHint: HINT,
    query: (a, d) => {
      const pick = a.symbols.length > 0 ? `AND ticker IN (${placeholders(a.symbols.length)})` : '';
      return {
        text: `SELECT ${d.epochMillis("date_trunc('minute', created_at)")} AS t, ticker, max_by(price, created_at) AS price
FROM ${T}
WHERE dt BETWEEN ? AND ? AND created_at >= ? AND created_at < ? ${pick}
GROUP BY date_trunc('minute', created_at), ticker
ORDER BY t, ticker`,
        params: [bind.day(a.fromUs), bind.day(a.toUs), bind.time(a.fromUs), bind.time(a.toUs), ...a.symbols.map(bind.text)],
      };
    },
    choices: distinctValues(T, 'ticker'),
  },
];
