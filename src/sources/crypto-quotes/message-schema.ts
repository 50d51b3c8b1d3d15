/** The crypto quote record: one coin of a CoinGecko `/coins/markets` snapshot in its envelope (see quote.ts). */
import { envelopeRecord, field, optional } from '../../core/avro.js';
import type { MessageSchema } from '../contract.js';

const n = (name: string, doc: string) => optional(name, 'double', doc);

const ROI = {
  type: 'record',
  name: 'Roi',
  fields: [field('times', 'double', 'Return multiple'), field('currency', 'string', 'Currency'), field('percentage', 'double', 'Return, %')],
} as const;

const COIN = {
  type: 'record',
  name: 'CoinGeckoMarket',
  fields: [
    field('id', 'string', 'CoinGecko coin id'),
    field('symbol', 'string', 'Symbol, e.g. btc'),
    field('name', 'string', 'Name'),
    optional('image', 'string', 'Logo URL'),
    n('current_price', 'Price in vs_currency'),
    n('market_cap', 'Market capitalisation'),
    optional('market_cap_rank', 'int', 'Rank by market cap'),
    n('fully_diluted_valuation', 'Fully diluted valuation'),
    n('total_volume', '24 h volume'),
    n('high_24h', '24 h high'),
    n('low_24h', '24 h low'),
    n('price_change_24h', '24 h price change'),
    n('price_change_percentage_24h', '24 h price change, %'),
    n('market_cap_change_24h', '24 h market cap change'),
    n('market_cap_change_percentage_24h', '24 h market cap change, %'),
    n('circulating_supply', 'Circulating supply'),
    n('total_supply', 'Total supply'),
    n('max_supply', 'Maximum supply'),
    optional('roi', ROI, 'Return on investment since launch'),
    field('last_updated', 'string', "The API's update time, ISO-8601"),
  ],
} as const;

export const CRYPTO_QUOTE_MESSAGE: MessageSchema = {
  version: 1,
  avro: envelopeRecord('CryptoQuote', 'crypto-quotes', 'One coin of a crypto price table snapshot; the coin is the API item as fetched', [
    field('snapshot_time', 'string', "The poll's wall-clock slot, ISO-8601"),
    field('fetched_at', 'string', 'When the response was received, ISO-8601'),
    field('vs_currency', 'string', 'Quote currency, e.g. usd'),
    field('index', 'int', "The coin's position in the response"),
    field('symbols', { type: 'array', items: ['null', 'string'] }, "Every coin's symbol of the snapshot, in response order"),
    field('coin', COIN, 'The /coins/markets item'),
  ]),
};
