/** Binance trades on the dashboard: minute candles and volume per symbol. */
import { bind, distinctValues, type PanelDefinition } from '../../sql/panel.js';
import { BAR_PARTIALS, BARS_1M } from './tables.js';

export const MARKET_PANELS: readonly PanelDefinition[] = [
  {
    id: 'market-candles',
    title: 'Price',
    description: 'Minute candles and volume of one symbol (table bars_1m).',
    group: 'markets',
    chart: 'candles',
    columns: { x: 't', y: ['open', 'high', 'low', 'close', 'volume'] },
    params: ['range', 'symbol'],
    emptyHint: 'No trades yet: run `ticklake up` (simulated market) or `ticklake up --sources binance-live`.',
    query: (a, d) => ({
      text: `SELECT ${d.epochMillis('minute_start')} AS t, open, high, low, close, volume
FROM ${BARS_1M.name}
WHERE symbol = ? AND dt BETWEEN ? AND ? AND minute_start >= ? AND minute_start < ?
ORDER BY minute_start`,
      params: [bind.text(a.symbol ?? ''), bind.day(a.fromUs), bind.day(a.toUs), bind.time(a.fromUs), bind.time(a.toUs)],
    }),
    choices: distinctValues(BAR_PARTIALS.name, 'symbol'),
  },
];
