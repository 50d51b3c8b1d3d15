/**
 * Trade features as the old Spark job derived them, plus lake bookkeeping. Pure.
 * All calendar fields are UTC.
 */
import type { BarTrade } from '../../core/bars.js';
import type { Trade } from './trade.js';
import { hourOfDay, isoDayOfWeek, minuteOfHour } from '../../core/time.js';

/** One curated `trades` row (column names as in glue-schemas/trades.json, `hour` is the partition). */
export interface TradeRow extends BarTrade {
  /** Microseconds since epoch. */
  readonly event_time: number;
  readonly day_of_week: number;
  readonly hour: number;
  readonly minute: number;
  /** Microseconds since epoch. */
  readonly ingest_time: number;
  readonly source: string;
}

/** Derives the curated row for a validated trade processed at `ingestTimeUs`. */
export function tradeFeatures(t: Trade, ingestTimeUs: number): TradeRow {
  return {
    symbol: t.symbol,
    trade_id: t.tradeId,
    price: t.price,
    quantity: t.quantity,
    quote_quantity: t.quoteQuantity,
    is_buyer_maker: t.isBuyerMaker,
    trade_time: t.tradeTimeUs,
    event_time: t.eventTimeUs,
    day_of_week: isoDayOfWeek(t.tradeTimeUs),
    hour: hourOfDay(t.tradeTimeUs),
    minute: minuteOfHour(t.tradeTimeUs),
    ingest_time: ingestTimeUs,
    source: t.source,
  };
}
