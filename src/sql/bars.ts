/**
 * The minute-bar SQL, written once in the subset of SQL that DuckDB (local) and
 * Athena/Trino (cloud) both run: `date_trunc`, `hour`, `substr`,
 * `min_by`/`max_by` with `ROW` keys (or the dialect's trade order key),
 * `sum`/`min`/`max`/`count`, `CAST(... AS DOUBLE)` and no integer division. Statements that write results differ per
 * engine and live in `dialect.ts`.
 */

import { sqlString, type SqlDialect } from './dialect.js';

/**
 * Partial aggregates per (symbol, minute) from a relation of `trades` rows, with
 * the `dt`/`hour` partition values of the minute (columns of bar_partials).
 * Open and close are by (trade time, trade id): the dialect's order key.
 */
export function partialsFromTradesSql(trades: string, batchId: string, d: SqlDialect): string {
  return `SELECT
  symbol,
  date_trunc('minute', trade_time) AS minute_start,
  min(trade_time) AS open_time,
  min_by(trade_id, order_key) AS open_trade_id,
  min_by(price, order_key) AS open,
  max(trade_time) AS close_time,
  max_by(trade_id, order_key) AS close_trade_id,
  max_by(price, order_key) AS close,
  max(price) AS high,
  min(price) AS low,
  sum(price) AS sum_price,
  sum(quantity) AS volume,
  sum(price * quantity) AS quote_volume,
  sum(quote_quantity) AS sum_quote_quantity,
  count(*) AS trade_count,
  sum(CASE WHEN is_buyer_maker THEN 1 ELSE 0 END) AS buyer_maker_count,
  ${sqlString(batchId)} AS batch_id,
  substr(CAST(date_trunc('minute', trade_time) AS VARCHAR), 1, 10) AS dt,
  hour(date_trunc('minute', trade_time)) AS hour
FROM (SELECT *, ${d.tradeOrderKey('trade_time', 'trade_id')} AS order_key FROM ${trades}) AS keyed
GROUP BY symbol, date_trunc('minute', trade_time)`;
}

/** Minute bars merged from a relation of `bar_partials` rows: the definition of `bars_1m`. */
export function barsFromPartialsSql(partials: string): string {
  return `SELECT
  symbol,
  minute_start,
  min_by(open, ROW(open_time, open_trade_id)) AS open,
  max(high) AS high,
  min(low) AS low,
  max_by(close, ROW(close_time, close_trade_id)) AS close,
  sum(quote_volume) / sum(volume) AS vwap,
  sum(sum_price) / CAST(sum(trade_count) AS DOUBLE) AS avg_price,
  sum(volume) / CAST(sum(trade_count) AS DOUBLE) AS avg_quantity,
  sum(sum_quote_quantity) / CAST(sum(trade_count) AS DOUBLE) AS avg_quote_quantity,
  sum(volume) AS volume,
  sum(quote_volume) AS quote_volume,
  CAST(sum(trade_count) AS BIGINT) AS trade_count,
  CAST(sum(buyer_maker_count) AS DOUBLE) / CAST(sum(trade_count) AS DOUBLE) AS buyer_maker_share,
  dt,
  hour
FROM ${partials}
GROUP BY symbol, minute_start, dt, hour`;
}

/** Minute bars straight from trades: the batch path (partials of everything, merged). */
export function barsFromTradesSql(trades: string, d: SqlDialect): string {
  return barsFromPartialsSql(`(${partialsFromTradesSql(trades, 'batch', d)}) AS p`);
}
