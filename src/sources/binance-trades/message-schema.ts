/**
 * The Binance trade stream message as it is put on the stream (Binance's own
 * format, so it carries no `source` envelope and no schema version); the
 * combined-stream wrapper `{"stream":…,"data":<this>}` and CSV lines are read too.
 */
import { field, messageRecord, optional } from '../../core/avro.js';
import type { MessageSchema } from '../contract.js';

export const BINANCE_TRADE_MESSAGE: MessageSchema = {
  version: 1,
  avro: messageRecord('BinanceTrade', 'A Binance <symbol>@trade stream message; prices and quantities are decimal strings', [
    field('e', 'string', 'Event type, "trade"'),
    field('E', 'long', 'Event time, ms since epoch'),
    field('s', 'string', 'Symbol, e.g. BTCUSDT'),
    field('t', 'long', 'Trade id'),
    field('p', 'string', 'Price, a decimal string'),
    field('q', 'string', 'Quantity, a decimal string'),
    field('T', 'long', 'Trade time, ms since epoch'),
    field('m', 'boolean', 'Whether the buyer is the market maker'),
    field('M', 'boolean', 'Ignore (always true)'),
    optional('b', 'long', 'Buyer order id (older messages only)'),
    optional('a', 'long', 'Seller order id (older messages only)'),
  ]),
};
