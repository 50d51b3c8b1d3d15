/**
 * Seeded synthetic minute bars for tests and benchmarks. Pure: no I/O, no clock.
 *
 * Simulating every trade of a week of BTCUSDT (about 70 million trades) only to
 * aggregate it again would make the model benchmark minutes long, so this
 * generator draws bars directly from a latent mid-price path with the same
 * stylised facts as the trade simulator (`src/sources/binance-trades/market.ts`):
 *
 * - the log mid-price is a random walk (a martingale: the close is not
 *   predictable beyond noise) with GARCH(1,1) volatility clustering, rare
 *   jumps and intraday / weekend seasonality;
 * - each minute is split into sub-steps; trades print at the bid or the ask
 *   around the mid, so `avgPrice`, `vwap`, `high`, `low` and `close` come from
 *   one consistent path (`avgPrice` is a time average of the path, which makes
 *   the next minute's `avgPrice` partly predictable from the current close, as
 *   on real tapes);
 * - trade counts and volume rise with volatility and are over-dispersed;
 *   the buyer-maker share leans to the side that moved the price;
 * - optionally some minutes have no trades at all: their bar is missing.
 */
import { MINUTE_US } from './bar.js';
import { Rng as SeededRng } from '../core/random.js';
import type { Bar } from '../core/bars.js';

/** Settings of {@link syntheticBars}; every field has a default. */
export interface SyntheticBarsConfig {
  /** Symbol written on the bars. Default BTCUSDT. */
  readonly symbol?: string;
  /** First minute, µs since epoch, minute-aligned. Default Monday 2026-11-02 00:00 UTC. */
  readonly startUs?: number;
  /** Number of minutes simulated (bars returned: fewer when gaps are drawn). Default 1,440. */
  readonly minutes?: number;
  /** Seed; equal seeds give equal bars. Default 1. */
  readonly seed?: number | string;
  /** Starting mid-price. Default 97,000. */
  readonly startPrice?: number;
  /** Annualised volatility of log returns. Default 0.5. */
  readonly annualVol?: number;
  /** Mean trades per minute on a weekday. Default 7,200 (120 per second). */
  readonly tradesPerMinute?: number;
  /** Mean trade size, base units. Default 0.002. */
  readonly meanQty?: number;
  /** Half the bid-ask spread, in basis points of the mid. Default 0.05. */
  readonly halfSpreadBps?: number;
  /** Price tick; prices are rounded to it. Default 0.01. */
  readonly tickSize?: number;
  /** Probability (0..1) that a minute has no trade and hence no bar. Default 0. */
  readonly gapShare?: number;
}

/** Default first minute: Monday 2026-11-02 00:00 UTC (the trade simulator's default start). */
export const SYNTHETIC_START_US = Date.UTC(2026, 10, 2) * 1000;

const MINUTES_PER_YEAR = 365.25 * 24 * 60;
const SUB_STEPS = 12;
const GARCH_ALPHA = 0.05;
const GARCH_BETA = 0.93;
/** Cap of the conditional variance, as a multiple of the long-run variance. */
const MAX_VARIANCE_RATIO = 25;
const JUMP_P = 0.003;

/** Volatility and activity multiplier by UTC time: busier on weekday afternoons (US open), calmer at weekends. */
function seasonality(timeUs: number): number {
  const dayUs = 86_400_000_000;
  const day = Math.floor(timeUs / dayUs);
  const hour = (timeUs - day * dayUs) / 3_600_000_000;
  const isoDow = ((((day + 3) % 7) + 7) % 7) + 1;
  const intraday = 0.75 + 0.5 * Math.exp(-0.5 * ((hour - 15) / 2.5) ** 2) + 0.15 * Math.exp(-0.5 * ((hour - 8) / 2) ** 2);
  return isoDow >= 6 ? 0.7 * intraday : intraday;
}

/** Rounds to a tick, never below one tick. */
function roundTick(p: number, tick: number): number {
  return Math.max(tick, Math.round(p / tick) * tick);
}

/** Generates seeded synthetic minute bars of one symbol, in time order. */
export function syntheticBars(config: SyntheticBarsConfig = {}): Bar[] {
  const symbol = config.symbol ?? 'BTCUSDT';
  const startUs = config.startUs ?? SYNTHETIC_START_US;
  if (startUs % MINUTE_US !== 0) throw new RangeError('startUs must be minute-aligned');
  const minutes = config.minutes ?? 1440;
  const rng = SeededRng.derive(config.seed ?? 1, `bars:${symbol}`);
  const sigmaBar = (config.annualVol ?? 0.5) / Math.sqrt(MINUTES_PER_YEAR);
  const omega = sigmaBar * sigmaBar * (1 - GARCH_ALPHA - GARCH_BETA);
  const rate = config.tradesPerMinute ?? 7200;
  const meanQty = config.meanQty ?? 0.002;
  const halfSpread = (config.halfSpreadBps ?? 0.05) * 1e-4;
  const tick = config.tickSize ?? 0.01;
  const gapShare = config.gapShare ?? 0;

  let logMid = Math.log(config.startPrice ?? 97_000);
  let variance = sigmaBar * sigmaBar;
  let lastReturn = 0;
  const bars: Bar[] = [];
  for (let m = 0; m < minutes; m++) {
    const t = startUs + m * MINUTE_US;
    variance = Math.min(MAX_VARIANCE_RATIO * sigmaBar * sigmaBar, omega + GARCH_ALPHA * lastReturn * lastReturn + GARCH_BETA * variance);
    const season = seasonality(t);
    const sigma = Math.sqrt(variance) * season;
    const jump = rng.next() < JUMP_P ? 4 + 4 * rng.next() : 1;
    const subSigma = (sigma * jump) / Math.sqrt(SUB_STEPS);
    const activity = ((season * Math.sqrt(variance)) / sigmaBar) * Math.exp(0.35 * rng.normal() - 0.06) * (jump > 1 ? 2 : 1);
    const noTrades = rng.next() < gapShare;

    const startMid = logMid;
    let count = 0;
    let sells = 0;
    let volume = 0;
    let quoteVolume = 0;
    let priceSum = 0;
    let open = 0;
    let close = 0;
    let high = -Infinity;
    let low = Infinity;
    for (let k = 0; k < SUB_STEPS; k++) {
      const dm = subSigma * rng.normal();
      logMid += dm;
      if (noTrades) continue;
      const mid = Math.exp(logMid);
      const bid = roundTick(mid * (1 - halfSpread), tick);
      const ask = Math.max(bid + tick, roundTick(mid * (1 + halfSpread), tick));
      const n = Math.max(1, Math.round(((rate * activity) / SUB_STEPS) * Math.exp(0.3 * rng.normal() - 0.045)));
      const pSell = Math.min(0.95, Math.max(0.05, 0.5 - 0.25 * Math.tanh(dm / (subSigma || 1)) + 0.05 * rng.normal()));
      const s = Math.min(n, Math.max(0, Math.round(n * pSell + Math.sqrt(n * pSell * (1 - pSell)) * rng.normal())));
      const qty = n * meanQty * Math.exp(0.3 * rng.normal() - 0.045);
      const qSell = (qty * s) / n;
      const qBuy = qty - qSell;
      if (count === 0) open = rng.next() < s / n ? bid : ask;
      count += n;
      sells += s;
      volume += qty;
      quoteVolume += qSell * bid + qBuy * ask;
      priceSum += s * bid + (n - s) * ask;
      if (s > 0) low = Math.min(low, bid);
      if (s < n) high = Math.max(high, ask);
      if (s > 0) high = Math.max(high, bid);
      if (s < n) low = Math.min(low, ask);
      close = rng.next() < s / n ? bid : ask;
    }
    // The GARCH recursion sees the de-seasonalised diffusive return (jumps are a separate component).
    lastReturn = (logMid - startMid) / (season * jump);
    if (noTrades) continue;
    bars.push({
      symbol,
      minuteStartUs: t,
      open,
      high,
      low,
      close,
      vwap: quoteVolume / volume,
      avgPrice: priceSum / count,
      avgQuantity: volume / count,
      avgQuoteQuantity: quoteVolume / count,
      volume,
      quoteVolume,
      tradeCount: count,
      buyerMakerShare: sells / count,
    });
  }
  return bars;
}
