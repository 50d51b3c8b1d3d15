/**
 * Minute-bar series as the forecasting models take them: one {@link Bar}
 * (`src/core/bars.ts`) per symbol and UTC minute, as the `bars_1m` lake
 * table stores them. Minutes without trades have no bar; the feature code
 * fills such gaps itself (see `features.ts`).
 */
import { US_PER_MINUTE } from '../core/time.js';
import type { Bar } from '../core/bars.js';

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
