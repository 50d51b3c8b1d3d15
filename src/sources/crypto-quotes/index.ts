import type { BatchContext, Quarantined, SourceDefinition } from '../contract.js';
import { CRYPTO_QUOTE_MEASUREMENT, cryptoQuotePoint } from './points.js';
import { CRYPTO_QUOTES_SOURCE, type CryptoQuote, isQuoteRecord, marketsToRecords, quoteFrom, REASON_CODES } from './quote.js';
import { CryptoQuoteRows } from './rows.js';
import { CoinMarketSim, SIM_COINS, SNAPSHOT_INTERVAL_MS, simulateCryptoQuotes, snapshotCount } from './simulator.js';
import { cryptoRankingSql } from './sql.js';
import { CRYPTO_QUOTES } from './tables.js';
import { CRYPTO_PANELS } from './panels.js';
import { oneTableBatch, readJsonRecord } from '../json-record.js';
import { CRYPTO_QUOTE_MESSAGE } from './message-schema.js';

export { CRYPTO_QUOTE_MEASUREMENT, CRYPTO_QUOTES_SOURCE, cryptoQuotePoint, marketsToRecords };

/** CoinGecko's public price table: the top 100 coins by market cap, in US dollars. */
export const COINGECKO_MARKETS_URL = 'https://api.coingecko.com/api/v3/coins/markets?vs_currency=usd&order=market_cap_desc&per_page=100&page=1';

/** Parses and validates one quote record: the quote, or why it is quarantined. */
function readQuote(text: string, json: unknown, nowUs: number): { ok: true; quote: CryptoQuote } | ({ ok: false } & Quarantined) {
  return readJsonRecord(text, json, {
    schema: CRYPTO_QUOTE_MESSAGE,
    format: CRYPTO_QUOTES_SOURCE,
    is: isQuoteRecord,
    notMine: 'JSON payload is not a crypto quote record',
    from: (doc) => quoteFrom(doc, { nowUs }),
  });
}

export const cryptoQuotes: SourceDefinition = {
  id: CRYPTO_QUOTES_SOURCE,
  title: 'Crypto price table',
  description: `A CoinGecko /coins/markets price table polled every ${SNAPSHOT_INTERVAL_MS / 60_000} minutes, one record per coin, with a ranking view of the latest snapshot`,
  enters: ['poller'],
  recognition: { envelope: CRYPTO_QUOTES_SOURCE },
  tables: [CRYPTO_QUOTES],
  namedViews: { crypto_ranking: () => cryptoRankingSql(CRYPTO_QUOTES.name) },
  panels: CRYPTO_PANELS,
  reasonCodes: REASON_CODES,
  messageSchema: CRYPTO_QUOTE_MESSAGE,
  formats: [CRYPTO_QUOTES_SOURCE, 'unknown'],
  newBatch: (ctx: BatchContext) => oneTableBatch({ ingestUs: ctx.ingestUs, rows: new CryptoQuoteRows(), read: readQuote, value: (r) => r.quote }),
  measurements: [CRYPTO_QUOTE_MEASUREMENT],
  points(text, _partitionKey, json, ctx) {
    const r = readQuote(text, json, ctx.ingestUs);
    return r.ok ? [cryptoQuotePoint(r.quote)] : [];
  },
  poller: {
    intervalMs: SNAPSHOT_INTERVAL_MS,
    defaultUrl: COINGECKO_MARKETS_URL,
    urlFlag: '--quotes-url',
    records: marketsToRecords,
    simulate(seed) {
      let market: CoinMarketSim | undefined;
      return (nowMs) => {
        market ??= new CoinMarketSim(seed, nowMs);
        return market.marketsAt(nowMs);
      };
    },
  },
  simulator: {
    *simulate(o) {
      yield* simulateCryptoQuotes({ minutes: o.minutes, seed: o.seed, startTimeMs: o.startTimeMs, malformedShare: o.malformedShare });
    },
    describe: () => `a ${SIM_COINS.length}-coin price table every ${SNAPSHOT_INTERVAL_MS / 60_000} min`,
    expectedRecords: (o) => SIM_COINS.length * snapshotCount(o.startTimeMs, o.minutes),
  },
};
