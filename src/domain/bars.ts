/**
 * Minute bars from mergeable partial aggregates. Pure.
 *
 * A partial holds, for one symbol and UTC minute, what is needed to merge it
 * with any other partial of the same minute: first and last trade by
 * (trade time, trade id), extremes, sums and counts. Merging is associative and
 * commutative, so bars come out the same whatever the batching, shard spread,
 * retries or arrival order. OHLC and counts merge exactly; sums are floating
 * point, whose addition is exact only up to rounding in the last bits (and
 * depends on order, in DuckDB and Athena too).
 */
import type { TradeRow } from '../sources/binance-trades/features.js';
import { US_PER_MINUTE } from '../core/time.js';

/** One partial aggregate (column names as in glue-schemas/bar_partials.json). */
export interface BarPartial {
  symbol: string;
  /** Minute start, microseconds since epoch. */
  minute_start: number;
  open_time: number;
  open_trade_id: number;
  open: number;
  close_time: number;
  close_trade_id: number;
  close: number;
  high: number;
  low: number;
  sum_price: number;
  volume: number;
  quote_volume: number;
  sum_quote_quantity: number;
  trade_count: number;
  buyer_maker_count: number;
}

/** A finished minute bar (column names as in glue-schemas/bars_1m.json). */
export interface Bar {
  readonly symbol: string;
  readonly minute_start: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly vwap: number;
  readonly avg_price: number;
  readonly avg_quantity: number;
  readonly avg_quote_quantity: number;
  readonly volume: number;
  readonly quote_volume: number;
  readonly trade_count: number;
  readonly buyer_maker_share: number;
}

/** Start of the UTC minute holding `timeUs`. */
export function minuteStart(timeUs: number): number {
  return Math.floor(timeUs / US_PER_MINUTE) * US_PER_MINUTE;
}

/** A partial holding a single trade. */
export function partialOf(t: TradeRow): BarPartial {
  return {
    symbol: t.symbol,
    minute_start: minuteStart(t.trade_time),
    open_time: t.trade_time,
    open_trade_id: t.trade_id,
    open: t.price,
    close_time: t.trade_time,
    close_trade_id: t.trade_id,
    close: t.price,
    high: t.price,
    low: t.price,
    sum_price: t.price,
    volume: t.quantity,
    quote_volume: t.price * t.quantity,
    sum_quote_quantity: t.quote_quantity,
    trade_count: 1,
    buyer_maker_count: t.is_buyer_maker ? 1 : 0,
  };
}

const before = (t1: number, id1: number, t2: number, id2: number) => t1 < t2 || (t1 === t2 && id1 < id2);

/** Moves a partial's first/last trade and extremes to include another span's (in place). */
function widen(p: BarPartial, openTime: number, openId: number, open: number, closeTime: number, closeId: number, close: number, high: number, low: number): void {
  if (before(openTime, openId, p.open_time, p.open_trade_id)) {
    p.open_time = openTime;
    p.open_trade_id = openId;
    p.open = open;
  }
  if (before(p.close_time, p.close_trade_id, closeTime, closeId)) {
    p.close_time = closeTime;
    p.close_trade_id = closeId;
    p.close = close;
  }
  if (high > p.high) p.high = high;
  if (low < p.low) p.low = low;
}

/** Adds one trade to a partial of the same symbol and minute (in place). */
export function addTrade(p: BarPartial, t: TradeRow): void {
  widen(p, t.trade_time, t.trade_id, t.price, t.trade_time, t.trade_id, t.price, t.price, t.price);
  p.sum_price += t.price;
  p.volume += t.quantity;
  p.quote_volume += t.price * t.quantity;
  p.sum_quote_quantity += t.quote_quantity;
  p.trade_count += 1;
  if (t.is_buyer_maker) p.buyer_maker_count += 1;
}

/** Merges partial `b` into `a` (same symbol and minute), in place. */
export function mergePartials(a: BarPartial, b: BarPartial): BarPartial {
  if (a.symbol !== b.symbol || a.minute_start !== b.minute_start) throw new Error('can only merge partials of the same symbol and minute');
  widen(a, b.open_time, b.open_trade_id, b.open, b.close_time, b.close_trade_id, b.close, b.high, b.low);
  a.sum_price += b.sum_price;
  a.volume += b.volume;
  a.quote_volume += b.quote_volume;
  a.sum_quote_quantity += b.sum_quote_quantity;
  a.trade_count += b.trade_count;
  a.buyer_maker_count += b.buyer_maker_count;
  return a;
}

/** The bar a (fully merged) partial stands for. */
export function finishBar(p: BarPartial): Bar {
  const n = p.trade_count;
  return {
    symbol: p.symbol,
    minute_start: p.minute_start,
    open: p.open,
    high: p.high,
    low: p.low,
    close: p.close,
    vwap: p.quote_volume / p.volume,
    avg_price: p.sum_price / n,
    avg_quantity: p.volume / n,
    avg_quote_quantity: p.sum_quote_quantity / n,
    volume: p.volume,
    quote_volume: p.quote_volume,
    trade_count: n,
    buyer_maker_share: p.buyer_maker_count / n,
  };
}

/** Accumulates partials per (symbol, minute) for one batch of trades. */
export class BarAccumulator {
  private readonly bySymbol = new Map<string, Map<number, BarPartial>>();
  size = 0;

  add(t: TradeRow): void {
    let minutes = this.bySymbol.get(t.symbol);
    if (!minutes) {
      minutes = new Map();
      this.bySymbol.set(t.symbol, minutes);
    }
    const m = minuteStart(t.trade_time);
    const p = minutes.get(m);
    if (p) addTrade(p, t);
    else {
      minutes.set(m, partialOf(t));
      this.size++;
    }
  }

  partials(): BarPartial[] {
    const out: BarPartial[] = [];
    for (const minutes of this.bySymbol.values()) for (const p of minutes.values()) out.push(p);
    return out;
  }
}
