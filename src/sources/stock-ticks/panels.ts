/** The stock lab on the dashboard: today's volume by sector and the tickers' prices. */
import { type PanelDefinition, seriesLinesPanel } from '../../sql/panel.js';
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
  seriesLinesPanel({
    id: 'stocks-prices',
    title: 'Ticker prices',
    description: 'Last price per minute of the selected tickers (table stock_ticks).',
    group: 'stocks',
    emptyHint: HINT,
    table: T,
    series: 'ticker',
    time: 'created_at',
    bucket: "date_trunc('minute', created_at)",
    value: { column: 'price', aggregate: 'max_by(price, created_at)' },
  }),
];
