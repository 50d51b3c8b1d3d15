/**
 * Minute bars: the input of the forecasting models. One row per symbol and UTC
 * minute, as the `bars_1m` lake table stores them. Minutes without trades have
 * no bar; the feature code fills such gaps itself (see `features.ts`).
 */
import { US_PER_MINUTE } from '../core/time.js';

/** One minute bar of one symbol. Prices in quote currency, quantities in base units. */
export interface Bar {
  /** Upper-case exchange symbol, e.g. BTCUSDT. */
  readonly symbol: string;
  /** Start of the minute, microseconds since epoch, a multiple of 60,000,000. */
  readonly minuteStartUs: number;
  /** Price of the first trade of the minute. */
  readonly open: number;
  /** Highest trade price of the minute. */
  readonly high: number;
  /** Lowest trade price of the minute. */
  readonly low: number;
  /** Price of the last trade of the minute. */
  readonly close: number;
  /** Volume-weighted average price: quoteVolume / volume. */
  readonly vwap: number;
  /** Unweighted mean of the minute's trade prices (the old project's `avg_price`). */
  readonly avgPrice: number;
  /** Mean trade quantity, base units. */
  readonly avgQuantity: number;
  /** Mean trade notional (price x quantity), quote units. */
  readonly avgQuoteQuantity: number;
  /** Sum of trade quantities, base units. */
  readonly volume: number;
  /** Sum of trade notionals, quote units. */
  readonly quoteVolume: number;
  /** Number of trades in the minute (at least 1: a minute without trades has no bar). */
  readonly tradeCount: number;
  /** Share (0..1) of the minute's trades where the buyer was the maker (seller-initiated). */
  readonly buyerMakerShare: number;
}

/** Microseconds in one minute. */
export const MINUTE_US = US_PER_MINUTE;

/** Price fields a model can be asked to forecast. */
export type PriceField = 'close' | 'avgPrice';

/** Throws unless the bars of one symbol are strictly increasing, minute-aligned and priced. */
export function assertSymbolSeries(bars: readonly Bar[]): void {
  let prev = -Infinity;
  const symbol = bars[0]?.symbol;
  for (const b of bars) {
    if (b.symbol !== symbol) throw new Error(`bars mix symbols ${symbol} and ${b.symbol}`);
    if (b.minuteStartUs % MINUTE_US !== 0) throw new Error(`bar ${b.symbol} ${b.minuteStartUs} is not minute-aligned`);
    if (b.minuteStartUs <= prev) throw new Error(`bars of ${b.symbol} are not strictly time-ordered at ${b.minuteStartUs}`);
    if (!(b.close > 0) || !(b.avgPrice > 0) || !(b.vwap > 0)) throw new Error(`bar ${b.symbol} ${b.minuteStartUs} has a non-positive price`);
    prev = b.minuteStartUs;
  }
}
