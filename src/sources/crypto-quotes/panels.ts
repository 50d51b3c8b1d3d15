/** The crypto price table on the dashboard: the old tracker's ranking and price history. */
import { bind, type PanelDefinition, seriesLinesPanel } from '../../sql/panel.js';
import { CRYPTO_QUOTES } from './tables.js';

const HINT = 'No crypto quotes yet: run `ticklake up --sources crypto-quotes`.';
const T = CRYPTO_QUOTES.name;

export const CRYPTO_PANELS: readonly PanelDefinition[] = [
  {
    id: 'crypto-ranking',
    title: 'Crypto ranking',
    description: 'The latest price table by market cap, with the 24 h change (view crypto_ranking).',
    group: 'crypto',
    chart: 'table',
    columns: { x: 'cap_rank', y: ['price', 'change_pct_24h', 'market_cap', 'volume_24h'] },
    params: [],
    emptyHint: HINT,
    query: (_a, d) => ({
      text: `SELECT cap_rank, symbol, name, price, change_pct_24h, market_cap, volume_24h, ${d.epochMillis('as_of')} AS as_of_ms
FROM crypto_ranking ORDER BY vs_currency, cap_rank LIMIT 100`,
      params: [],
    }),
  },
  seriesLinesPanel({
    id: 'crypto-prices',
    title: 'Coin prices',
    description: 'Price per snapshot of the selected coins (table crypto_quotes).',
    group: 'crypto',
    emptyHint: HINT,
    table: T,
    series: 'symbol',
    time: 'snapshot_time',
    bucket: 'snapshot_time',
    value: { column: 'price', aggregate: 'max_by(price, fetched_at)' },
    // Without a choice: the five largest coins of the range's latest snapshot.
    unpicked: (a) => ({
      text: `symbol IN (SELECT symbol FROM ${T} WHERE dt BETWEEN ? AND ? AND snapshot_time >= ? AND snapshot_time < ? ORDER BY snapshot_time DESC, market_cap DESC LIMIT 5)`,
      params: [bind.day(a.fromUs), bind.day(a.toUs), bind.time(a.fromUs), bind.time(a.toUs)],
    }),
    choices: (a) => ({
      text: `SELECT symbol FROM ${T} WHERE dt BETWEEN ? AND ? GROUP BY symbol ORDER BY max(market_cap) DESC LIMIT 100`,
      params: [bind.day(a.fromUs), bind.day(a.toUs)],
    }),
  }),
];
