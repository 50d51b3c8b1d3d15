/**
 * A trade as a time-series point (measurement `trade`, the old pipeline's
 * InfluxDB measurement): price, quantity, quote quantity, market maker, day of
 * week, hour, minute, and the trade id. Time is the trade time.
 */
import type { Point } from '../../core/point.js';
import type { TradeRow } from './features.js';

export const TRADE_MEASUREMENT = 'trade';

/** The columns of a curated `trades` row that the `trade` measurement uses (times in microseconds). */
export type TradeLike = Pick<
  TradeRow,
  'symbol' | 'trade_id' | 'price' | 'quantity' | 'quote_quantity' | 'is_buyer_maker' | 'trade_time' | 'day_of_week' | 'hour' | 'minute'
>;

/**
 * A trade as a `trade` point. Binance timestamps are milliseconds (before
 * 2025) or microseconds, and a busy symbol has many trades in the same
 * millisecond; with time alone as the key they would overwrite each other in
 * every store. The point therefore carries `nanos = trade_id mod 1000`: trades
 * of the same microsecond have consecutive ids, so up to 1000 of them stay
 * distinct, and the written time stays within 1 µs of the trade time.
 */
export function tradePoint(t: TradeLike): Point {
  return {
    measurement: TRADE_MEASUREMENT,
    tags: { symbol: t.symbol },
    fields: {
      price: t.price,
      quantity: t.quantity,
      quote_quantity: t.quote_quantity,
      market_maker: t.is_buyer_maker ? 1n : 0n,
      day_of_week: BigInt(t.day_of_week),
      hour: BigInt(t.hour),
      minute: BigInt(t.minute),
      trade_id: BigInt(t.trade_id),
    },
    time: t.trade_time,
    nanos: ((t.trade_id % 1000) + 1000) % 1000,
  };
}
