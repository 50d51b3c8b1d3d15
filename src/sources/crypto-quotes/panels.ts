/** The crypto price table on the dashboard: the old tracker's ranking and price history. */
import { bind, type PanelDefinition, placeholders } from '../../sql/panel.js';
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
  {
    id: 'crypto-prices',
    title: 'Coin prices',
    description: 'Price per snapshot of the selected coins (table crypto_quotes).',
    group: 'crypto',
    chart: 'lines',
    columns: { x: 't', y: ['price'], series: 'symbol' },
    params: ['range', 'symbols'],
    emptyHint: HINT,
    // Without a choice: the five largest coins of the range's latest snapshot.
    query: (a, d) => {
      const pick =
        a.symbols.length > 0
          ? { text: `symbol IN (${placeholders(a.symbols.length)})`, params: a.symbols.map(bind.text) }
          : {
              text: `symbol IN (SELECT symbol FROM ${T} WHERE dt BETWEEN ? AND ? AND snapshot_time >= ? AND snapshot_time < ? ORDER BY snapshot_time DESC, market_cap DESC LIMIT 5)`,
              params: [bind.day(a.fromUs), bind.day(a.toUs), bind.time(a.fromUs), bind.time(a.toUs)],
            };
      return {
        text: `SELECT ${d.epochMillis('snapshot_time')} AS t, symbol, max_by(price, fetched_at) AS price
FROM ${T}
WHERE dt BETWEEN ? AND ? AND snapshot_time >= ? AND snapshot_time < ? AND ${pick.text}
GROUP BY snapshot_time, symbol
ORDER BY t, symbol`,
        params: [bind.day(a.fromUs), bind.day(a.toUs), bind.time(a.fromUs), bind.time(a.toUs), ...pick.params],
      };
    },
    choices: (a) => ({
      text: `SELECT symbol FROM ${T} WHERE dt BETWEEN ? AND ? GROUP BY symbol ORDER BY max(market_cap) DESC LIMIT 100`,
      params: [bind.day(a.fromUs), bind.day(a.toUs)],
    }),
  },
];
