import type { BarRow } from '../core/bars.js';
import type { FieldValue, Point } from './point.js';
import { SOURCES } from '../sources/index.js';

/** The use cases' measurements (each source names its own: `trade`, `stock_tick`, … in its `points.ts`). */
export const MEASUREMENTS = { bar1m: 'bar_1m', prediction: 'prediction' } as const;

export { type TradeLike, tradePoint } from '../sources/binance-trades/index.js';

/**
 * Every measurement, with the table that holds it where the store has one table
 * per measurement (Timestream for LiveAnalytics): each source's own, from the
 * registry (`trade` → `trades`), then the use cases'. Derived, so a new source's
 * points are never refused for want of a table.
 */
export const MEASUREMENT_TABLES: Readonly<Record<string, string>> = Object.fromEntries([
  ...SOURCES.flatMap((s) => (s.measurements ?? []).map((m) => [m, `${m}s`])),
  [MEASUREMENTS.bar1m, 'minute_bars'],
  [MEASUREMENTS.prediction, 'predictions'],
]);

/**
 * The columns of a `bars_1m` row (minute_start in microseconds); trade_count may
 * come as a BIGINT from SQL, the per-trade averages may be absent.
 */
export type BarLike = Omit<BarRow, 'trade_count' | 'avg_quantity' | 'avg_quote_quantity'> &
  Partial<Pick<BarRow, 'avg_quantity' | 'avg_quote_quantity'>> & { readonly trade_count: number | bigint };

/** A minute bar as a `bar_1m` point at the minute's start. */
export function barPoint(b: BarLike): Point {
  const fields: Record<string, FieldValue> = {
    open: b.open,
    high: b.high,
    low: b.low,
    close: b.close,
    vwap: b.vwap,
    avg_price: b.avg_price,
    volume: b.volume,
    quote_volume: b.quote_volume,
    trade_count: BigInt(b.trade_count),
    buyer_maker_share: b.buyer_maker_share,
  };
  if (b.avg_quantity !== undefined) fields.avg_quantity = b.avg_quantity;
  if (b.avg_quote_quantity !== undefined) fields.avg_quote_quantity = b.avg_quote_quantity;
  return { measurement: MEASUREMENTS.bar1m, tags: { symbol: b.symbol }, fields, time: b.minute_start };
}

/** A model's forecast (and, once known, the actual value) for one symbol and instant. */
export interface PredictionLike {
  readonly symbol: string;
  readonly model_id: string;
  /** What is predicted, e.g. `avg_price_1m` or `log_return_1m`. */
  readonly kind: string;
  /** Microseconds since the epoch: the instant the prediction is for. */
  readonly target_time: number;
  readonly predicted: number;
  readonly actual?: number | null;
}

/**
 * A prediction as a `prediction` point. Writing the same prediction again
 * with `actual` filled in completes the point (same identity, fields merged).
 */
export function predictionPoint(p: PredictionLike): Point {
  const fields: Record<string, FieldValue> = { predicted: p.predicted };
  if (p.actual !== undefined && p.actual !== null) fields.actual = p.actual;
  return {
    measurement: MEASUREMENTS.prediction,
    tags: { symbol: p.symbol, model_id: p.model_id, kind: p.kind },
    fields,
    time: p.target_time,
  };
}
