/** The stock tick message (`{"source":"stock-ticks",…}`, see stock-tick.ts). */
import { envelopeRecord, field } from '../../core/avro.js';
import type { MessageSchema } from '../contract.js';

export const STOCK_TICK_MESSAGE: MessageSchema = {
  version: 1,
  avro: envelopeRecord('StockTick', 'stock-ticks', 'One simulated stock tick', [
    field('id', 'long', 'Tick id, unique per run'),
    field('created_at', 'string', 'Tick time, ISO-8601 with zone'),
    field('ticker', 'string', 'Ticker, one of company_profile'),
    field('sector', 'string', "The ticker's sector"),
    field('volume', 'long', 'Shares traded, positive'),
    field('market_cap', 'double', 'price x outstanding shares'),
    field('price', 'double', 'Price, positive'),
  ]),
};
