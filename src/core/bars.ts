/**
 * Minute bars: the one {@link Bar} type (what `bars_1m` holds and the
 * forecasting core reads) and the one aggregator of trades into bars, by
 * mergeable partial aggregates. Pure. (`src/sql/bars.ts` is the same
 * aggregation in SQL, for DuckDB and Athena.)
 *
 * A partial holds, for one symbol and UTC minute, what is needed to merge it
 * with any other partial of the same minute: first and last trade by
 * (trade time, trade id), extremes, sums and counts. Merging is associative and
 * commutative, so bars come out the same whatever the batching, shard spread,
 * retries or arrival order. OHLC and counts merge exactly; sums are floating
 * point, whose addition is exact only up to rounding in the last bits (and
 * depends on order, in DuckDB and Athena too).
 */
import { US_PER_MINUTE } from './time.js';

/** The columns of a trade that its bar needs; a curated `trades` row fits. */
export interface BarTrade {
  readonly symbol: string;
  readonly trade_id: number;
  readonly price: number;
  readonly quantity: number;
  readonly quote_quantity: number;
  readonly is_buyer_maker: boolean;
  /** Microseconds since epoch. */
  readonly trade_time: number;
}

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

/**
 * One minute bar of one symbol. Prices in quote currency, quantities in base
 * units. Minutes without trades have no bar.
 */
export interface Bar {
  /** Upper-case exchange symbol, e.g. BTCUSDT. */
  readonly symbol: string;
  /** Start of the minute, microseconds since epoch, a multiple of 60,000,000. */
  readonly minuteStartUs: number;
  /** Price of the first trade of the minute (by trade time, ties by trade id). */
  readonly open: number;
  /** Highest trade price of the minute. */
  readonly high: number;
  /** Lowest trade price of the minute. */
  readonly low: number;
  /** Price of the last trade of the minute (by trade time, ties by trade id). */
  readonly close: number;
  /** Volume-weighted average price: quoteVolume / volume. */
  readonly vwap: number;
  /** Unweighted mean of the minute's trade prices (the old project's `avg_price`). */
  readonly avgPrice: number;
  /** Mean trade quantity, base units. */
  readonly avgQuantity: number;
  /** Mean of the trades' quote quantities, quote units. */
  readonly avgQuoteQuantity: number;
  /** Sum of trade quantities, base units. */
  readonly volume: number;
  /** Sum of trade notionals (price x quantity), quote units. */
  readonly quoteVolume: number;
  /** Number of trades in the minute (at least 1: a minute without trades has no bar). */
  readonly tradeCount: number;
  /** Share (0..1) of the minute's trades where the buyer was the maker (seller-initiated). */
  readonly buyerMakerShare: number;
}

/** The `bars_1m` column of each {@link Bar} field (glue-schemas/bars_1m.json). */
export const BAR_COLUMNS = {
  symbol: 'symbol',
  minuteStartUs: 'minute_start',
  open: 'open',
  high: 'high',
  low: 'low',
  close: 'close',
  vwap: 'vwap',
  avgPrice: 'avg_price',
  avgQuantity: 'avg_quantity',
  avgQuoteQuantity: 'avg_quote_quantity',
  volume: 'volume',
  quoteVolume: 'quote_volume',
  tradeCount: 'trade_count',
  buyerMakerShare: 'buyer_maker_share',
} as const satisfies { readonly [F in keyof Bar]-?: string };

/** A {@link Bar} under its `bars_1m` column names (`minute_start` in µs), as SQL rows and JSON events carry it. */
export type BarRow = { readonly [F in keyof Bar as (typeof BAR_COLUMNS)[F]]: Bar[F] };

/** The {@link Bar} fields in `bars_1m` column order. */
export const BAR_FIELDS = Object.keys(BAR_COLUMNS) as (keyof Bar)[];

/** The `bars_1m` row of a bar. */
export function toBarRow(b: Bar): BarRow {
  return Object.fromEntries(BAR_FIELDS.map((f) => [BAR_COLUMNS[f], b[f]])) as unknown as BarRow;
}

/** The bar of a `bars_1m` row (the inverse of {@link toBarRow}). */
export function fromBarRow(r: BarRow): Bar {
  return Object.fromEntries(BAR_FIELDS.map((f) => [f, r[BAR_COLUMNS[f]]])) as unknown as Bar;
}

/** Start of the UTC minute holding `timeUs`. */
export function minuteStart(timeUs: number): number {
  return Math.floor(timeUs / US_PER_MINUTE) * US_PER_MINUTE;
}

/** A partial holding a single trade. */
export function partialOf(t: BarTrade): BarPartial {
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
function widen(
  p: BarPartial,
  openTime: number,
  openId: number,
  open: number,
  closeTime: number,
  closeId: number,
  close: number,
  high: number,
  low: number,
): void {
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
export function addTrade(p: BarPartial, t: BarTrade): void {
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
    minuteStartUs: p.minute_start,
    open: p.open,
    high: p.high,
    low: p.low,
    close: p.close,
    vwap: p.quote_volume / p.volume,
    avgPrice: p.sum_price / n,
    avgQuantity: p.volume / n,
    avgQuoteQuantity: p.sum_quote_quantity / n,
    volume: p.volume,
    quoteVolume: p.quote_volume,
    tradeCount: n,
    buyerMakerShare: p.buyer_maker_count / n,
  };
}

/** Accumulates partials per (symbol, minute) for one batch of trades. */
export class BarAccumulator {
  private readonly bySymbol = new Map<string, Map<number, BarPartial>>();
  size = 0;

  add(t: BarTrade): void {
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

  /** The bars of the trades added so far, sorted by symbol then minute. */
  bars(): Bar[] {
    return this.partials()
      .map(finishBar)
      .sort((x, y) => (x.symbol < y.symbol ? -1 : x.symbol > y.symbol ? 1 : x.minuteStartUs - y.minuteStartUs));
  }
}

/**
 * The minute bars of any trades, in any order, sorted by symbol then minute.
 * Throws on a trade no bar can hold (the stream validates its trades before
 * they reach an accumulator; this is for trades from elsewhere).
 */
export function barsFromTrades(trades: Iterable<BarTrade>): Bar[] {
  const acc = new BarAccumulator();
  for (const t of trades) {
    if (!(t.price > 0) || !(t.quantity > 0) || !Number.isFinite(t.trade_time)) throw new Error(`invalid trade for ${t.symbol} at ${t.trade_time}`);
    acc.add(t);
  }
  return acc.bars();
}
