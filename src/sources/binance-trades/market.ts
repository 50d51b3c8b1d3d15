/**
 * Deterministic simulator of Binance spot trades. Pure: no I/O, no clock, no
 * Math.random; the same config always yields the same trades.
 *
 * Binance trade data cannot be downloaded here, so the simulator reproduces the
 * stylised facts downstream code and models must cope with:
 *
 * - Price: the log mid-price is a continuous random walk whose per-second
 *   variance follows a GARCH(1,1) recursion (volatility clustering), scaled by
 *   occasional jump seconds and a rare "news" regime (heavy-tailed returns) and
 *   by an intraday/weekly seasonality. Trades print at the bid (seller-initiated,
 *   `m = true`) or the ask (`m = false`), one tick apart, so the tape shows the
 *   bid-ask bounce; prices are whole ticks and never below one tick.
 * - Arrivals: taker orders arrive as a self-exciting (Hawkes) process with an
 *   exponential kernel, simulated exactly (Dassios-Zhao), whose baseline rises
 *   with volatility and in the news regime, so per-second counts are
 *   over-dispersed (bursts). Each taker order fills against one or more maker
 *   orders: those fills share the trade time and side, carry consecutive ids and
 *   may walk the book by a tick or more, as on the real tape.
 * - Sizes: log-normal body with a Pareto tail and a preference for round
 *   numbers, rounded to the quantity step and never zero.
 * - Side: a two-state Markov chain over taker orders (order-flow persistence),
 *   balanced in the long run.
 * - Signal (`signal`, default {@link DEFAULT_SIGNAL}): the one predictable part.
 *   The order-flow imbalance of a UTC minute's trades (buyer-initiated minus
 *   seller-initiated, `m = false` minus `m = true`), in standard errors, moves
 *   the mid over the next minute: a drift of `signal x z x sigma` where `z` is
 *   that standardised imbalance and `sigma` the minute's expected volatility.
 *   So about `signal^2` of the variance of a one-minute return is predictable
 *   from the minute before; the best one-minute forecast beats persistence by
 *   about `1 - sqrt(1 - signal^2)` in RMSE. The drift moves prices only (times,
 *   sides and sizes are those of signal 0), and with `signal` 0 none is applied:
 *   the mid is the pure random walk above, record for record.
 * - Ids and times: trade ids increase by one per symbol from a realistic start;
 *   trade time has microsecond precision; event time `E` is the trade time in ms
 *   plus a few ms of matching-engine latency.
 *
 * Each symbol is simulated from its own random stream (derived from the seed and
 * the symbol), so a symbol's trades do not change when other symbols are added.
 */
import { Rng } from '../../core/random.js';
import {
  encodeCsvLine,
  encodeTradeMessage,
  makeMalformed,
  toCsvLine,
  toTradeMessage,
  type MalformedKind,
  type MalformedRecord,
  type RecordFormat,
} from './binance-format.js';
import type { SimTrade } from './sim-trade.js';
import type { ReasonCode } from './trade.js';

/** Market parameters of one simulated symbol. */
export interface SymbolSpec {
  /** Upper-case Binance symbol, e.g. BTCUSDT. */
  readonly symbol: string;
  /** Price at the start of the simulation, in quote currency. */
  readonly startPrice: number;
  /** Price tick, a power of ten (Binance spot ticks are 1, 0.1, ..., 0.00000001). */
  readonly tickSize: number;
  /** Quantity step (lot size), a power of ten. */
  readonly qtyStep: number;
  /** Average trades per second on a weekday (bursts go far above it). */
  readonly meanRatePerSec: number;
  /** Annualised volatility of log returns, e.g. 0.5 for 50 %. Default 0.6. */
  readonly annualVol?: number;
  /** Median trade size in base units. Default: about 100 quote units. */
  readonly medianQty?: number;
  /** Id of the first simulated trade. Default 1,000,000,000. */
  readonly firstTradeId?: number;
  /** First order id (the `b`/`a` fields of older stream messages). Default 30 x firstTradeId. */
  readonly firstOrderId?: number;
}

/**
 * Presets with realistic late-2026 levels. Trade ids start near where Binance's
 * counters are for these pairs, so downstream code sees 10-digit ids.
 */
export const SYMBOL_PRESETS: Readonly<Record<string, SymbolSpec>> = {
  BTCUSDT: {
    symbol: 'BTCUSDT',
    startPrice: 97_000,
    tickSize: 0.01,
    qtyStep: 0.00001,
    meanRatePerSec: 120,
    annualVol: 0.5,
    medianQty: 0.002,
    firstTradeId: 5_000_000_000,
    firstOrderId: 48_000_000_000,
  },
  ETHUSDT: {
    symbol: 'ETHUSDT',
    startPrice: 3_400,
    tickSize: 0.01,
    qtyStep: 0.0001,
    meanRatePerSec: 60,
    annualVol: 0.65,
    medianQty: 0.03,
    firstTradeId: 2_600_000_000,
    firstOrderId: 31_000_000_000,
  },
  SOLUSDT: {
    symbol: 'SOLUSDT',
    startPrice: 180,
    tickSize: 0.01,
    qtyStep: 0.001,
    meanRatePerSec: 30,
    annualVol: 0.8,
    medianQty: 0.5,
    firstTradeId: 1_200_000_000,
    firstOrderId: 14_000_000_000,
  },
  BNBUSDT: {
    symbol: 'BNBUSDT',
    startPrice: 650,
    tickSize: 0.01,
    qtyStep: 0.001,
    meanRatePerSec: 15,
    annualVol: 0.45,
    medianQty: 0.1,
    firstTradeId: 1_100_000_000,
    firstOrderId: 12_000_000_000,
  },
  XRPUSDT: {
    symbol: 'XRPUSDT',
    startPrice: 2.3,
    tickSize: 0.0001,
    qtyStep: 0.1,
    meanRatePerSec: 25,
    annualVol: 0.8,
    medianQty: 45,
    firstTradeId: 800_000_000,
    firstOrderId: 9_000_000_000,
  },
  DOGEUSDT: {
    symbol: 'DOGEUSDT',
    startPrice: 0.32,
    tickSize: 0.00001,
    qtyStep: 1,
    meanRatePerSec: 20,
    annualVol: 0.9,
    medianQty: 300,
    firstTradeId: 1_000_000_000,
    firstOrderId: 10_000_000_000,
  },
};

/** Symbols simulated when the config names none. */
export const DEFAULT_SYMBOL_NAMES: readonly string[] = ['BTCUSDT', 'ETHUSDT'];

/** Default start: Monday 2026-11-02 00:00:00 UTC (after 2025, so CSV times are microseconds). */
export const DEFAULT_START_TIME_MS = Date.UTC(2026, 10, 2);

/** Simulation settings; every field has a default. */
export interface SimulationConfig {
  /** Preset names or full specs. Default {@link DEFAULT_SYMBOL_NAMES}. */
  readonly symbols?: readonly (string | SymbolSpec)[];
  /** Start of the simulated period, ms since epoch. Default {@link DEFAULT_START_TIME_MS}. */
  readonly startTimeMs?: number;
  /** Duration in minutes (fractions allowed). Default 60. */
  readonly minutes?: number;
  /** Seed; equal seeds give equal output. Default 1. */
  readonly seed?: number | string;
  /**
   * Share (0..1) of records replaced by malformed ones. Only {@link simulateRecords}
   * uses it: {@link simulateTrades} always yields valid trades.
   */
  readonly malformedShare?: number;
  /**
   * Strength of the predictable component, 0..{@link MAX_SIGNAL}: the
   * correlation between a minute's standardised order-flow imbalance and the
   * next minute's return. 0 gives a pure random walk (the same trades as
   * before the signal existed). Default {@link DEFAULT_SIGNAL}.
   */
  readonly signal?: number;
}

/**
 * Default signal strength: weak (about 4 % of a minute's return variance
 * predictable, at most about 2 % lower RMSE than persistence), yet enough for
 * the weekly models to find and the promotion rule to confirm within a week;
 * 0.1 and 0.15 were too weak for a week of training to find reliably
 * (docs/backtest.md has the measurement).
 */
export const DEFAULT_SIGNAL = 0.2;

/** Largest accepted signal: beyond it the "market" is mostly forecastable. */
export const MAX_SIGNAL = 0.5;

/** Checks a signal strength; throws a RangeError naming the accepted range. */
export function checkSignal(signal: number): number {
  if (!(Number.isFinite(signal) && signal >= 0 && signal <= MAX_SIGNAL)) throw new RangeError(`signal must be between 0 and ${MAX_SIGNAL}, got ${signal}`);
  return signal;
}

export type { SimTrade } from './sim-trade.js';

// ---------------------------------------------------------------------------
// Model constants. Chosen so that statistics resemble BTCUSDT spot tapes:
// fat-tailed 1 s returns, clustered volatility, dispersion of per-second counts
// well above Poisson, and aggregated/raw trade ratio around 2.

/** GARCH(1,1) on per-second returns: persistence 0.997 gives a ~4 min half-life. */
const GARCH_ALPHA = 0.04;
const GARCH_BETA = 0.957;
/** Probability that a second carries a jump (variance x 4..12). */
const JUMP_SECOND_P = 0.02;
/** News regime: rare, short, busy and volatile. */
const NEWS_START_P = 1 / 1200;
const NEWS_END_P = 1 / 25;
const NEWS_RATE_MULT = 4;
const NEWS_VAR_MULT = 3;
/** Hawkes kernel: decay per second and branching ratio (share of self-excited orders). */
const HAWKES_DECAY = 4;
const HAWKES_BRANCHING = 0.65;
/** Order-flow persistence: probability the next taker order has the same side. */
const SIDE_STAY_P = 0.6;
/** Fills per taker order: 1 + geometric, plus rare book sweeps. */
const EXTRA_FILL_P = 0.5;
const SWEEP_P = 0.01;
const LEVEL_STEP_P = 0.3;
/** Trade sizes: log-normal body sigma, Pareto tail share and index. */
const SIZE_SIGMA = 1.1;
const SIZE_TAIL_P = 0.08;
const SIZE_TAIL_ALPHA = 1.4;
const ROUND_SIZE_P = 0.2;
/**
 * Variance of a minute's (buys - sells) over its trade count n: fills of one
 * order share a side and consecutive orders stay on a side (SIDE_STAY_P), so it
 * is well above 1 (measured 4.4 at 30 trades a minute, 6 at 1,200). Dividing
 * the imbalance by sqrt(n x OFI_VARIANCE_FACTOR) gives about unit variance.
 */
const OFI_VARIANCE_FACTOR = 5;
/** Bound on the standardised imbalance: a sweep-heavy quiet minute must not move the mid by several sigmas. */
const OFI_Z_CAP = 4;
const SECONDS_PER_YEAR = 365 * 86_400;

// Expected multipliers of the order rate, used to normalise the baseline so the
// long-run rate matches meanRatePerSec (0.95 is the measured mean of the
// clamped volatility factor sqrt(h / hBar)).
const MEAN_FILLS = 1 / EXTRA_FILL_P + SWEEP_P * 17.5;
const NEWS_SHARE = NEWS_START_P / (NEWS_START_P + NEWS_END_P);
const MEAN_RATE_MULT = (1 + NEWS_SHARE * (NEWS_RATE_MULT - 1)) * 0.95;
const MEAN_VAR_MULT = (1 + JUMP_SECOND_P * 7) * (1 + NEWS_SHARE * (NEWS_VAR_MULT - 1));

const SYMBOL_RE = /^[A-Z0-9]{2,20}$/;
const ZEROS = ['', '0', '00', '000', '0000', '00000', '000000', '0000000', '00000000'];
const POW10 = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

/** Number of decimals of a power-of-ten step (0.01 -> 2); throws for other steps. */
export function stepDecimals(step: number, what: string): number {
  const d = Math.round(-Math.log10(step));
  if (!(step > 0) || d < 0 || d > 8 || Math.abs(step - 10 ** -d) > 1e-12 * step) {
    throw new RangeError(`${what} must be a power of ten between 1 and 1e-8, got ${step}`);
  }
  return d;
}

/** "0000".."9999": fraction digits are emitted four at a time from this table. */
const DIGITS4: readonly string[] = Array.from({ length: 10_000 }, (_, i) => String(i).padStart(4, '0'));

/**
 * Formats `units / 10^decimals` with exactly 8 decimals, as Binance writes
 * decimals ("97123.45000000"). `units` is a non-negative safe integer and
 * `decimals` at most 8. Integer arithmetic plus a digit table keeps it exact
 * and avoids the intermediate strings of toFixed or slicing on the hot path.
 */
export function formatUnits8(units: number, decimals: number): string {
  if (decimals === 0) return `${units}.00000000`;
  const scale = POW10[decimals]!;
  let ip = Math.floor(units / scale);
  let rem = units - ip * scale;
  // The rounded quotient can land one too high just below an integer for huge values.
  if (rem < 0) {
    ip--;
    rem += scale;
  }
  // Fraction scaled to 8 digits: < 1e8, so exact in a double.
  const frac8 = rem * POW10[8 - decimals]!;
  const hi = Math.floor(frac8 / 10_000);
  return `${ip}.${DIGITS4[hi]!}${DIGITS4[frac8 - hi * 10_000]!}`;
}

/** price x qty from integer ticks and steps, exact, with 8 decimals. */
function formatProduct8(priceTicks: number, dp: number, qtySteps: number, dq: number): string {
  const d = dp + dq;
  const units = priceTicks * qtySteps;
  if (d <= 8 && Number.isSafeInteger(units)) return formatUnits8(units, d);
  // Rare: more than 8 decimals or beyond 2^53. BigInt keeps it exact; round half up.
  let big = BigInt(priceTicks) * BigInt(qtySteps);
  let dd = d;
  if (dd > 8) {
    const div = 10n ** BigInt(dd - 8);
    big = (big + div / 2n) / div;
    dd = 8;
  }
  const s = big.toString().padStart(dd + 1, '0');
  return dd === 0 ? `${s}.00000000` : `${s.slice(0, s.length - dd)}.${s.slice(s.length - dd)}${ZEROS[8 - dd]}`;
}

/** Looks up a preset by name, or validates a full spec. */
export function resolveSymbol(s: string | SymbolSpec): SymbolSpec {
  const spec = typeof s === 'string' ? SYMBOL_PRESETS[s.toUpperCase()] : s;
  if (!spec) {
    throw new RangeError(`unknown symbol preset ${JSON.stringify(s)}; known: ${Object.keys(SYMBOL_PRESETS).join(', ')} (or pass a full SymbolSpec)`);
  }
  if (!SYMBOL_RE.test(spec.symbol)) throw new RangeError(`symbol ${JSON.stringify(spec.symbol)} must be 2-20 upper-case letters or digits`);
  if (!(spec.startPrice > 0) || !Number.isFinite(spec.startPrice)) throw new RangeError(`${spec.symbol}: startPrice must be positive`);
  if (!(spec.meanRatePerSec > 0)) throw new RangeError(`${spec.symbol}: meanRatePerSec must be positive`);
  if (spec.annualVol !== undefined && !(spec.annualVol > 0 && spec.annualVol < 10)) throw new RangeError(`${spec.symbol}: annualVol must be in (0, 10)`);
  if (spec.medianQty !== undefined && !(spec.medianQty > 0)) throw new RangeError(`${spec.symbol}: medianQty must be positive`);
  for (const [k, v] of [
    ['firstTradeId', spec.firstTradeId],
    ['firstOrderId', spec.firstOrderId],
  ] as const) {
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) throw new RangeError(`${spec.symbol}: ${k} must be a non-negative safe integer`);
  }
  stepDecimals(spec.tickSize, `${spec.symbol} tickSize`);
  stepDecimals(spec.qtyStep, `${spec.symbol} qtyStep`);
  return spec;
}

/** Resolved start and end of a simulation, microseconds since epoch. */
export function simulationWindowUs(config: SimulationConfig = {}): { startUs: number; endUs: number } {
  const startMs = config.startTimeMs ?? DEFAULT_START_TIME_MS;
  const minutes = config.minutes ?? 60;
  if (!Number.isFinite(startMs) || !Number.isFinite(minutes) || minutes < 0) {
    throw new RangeError(`startTimeMs and minutes must be finite and minutes >= 0`);
  }
  const startUs = Math.round(startMs) * 1000;
  return { startUs, endUs: startUs + Math.round(minutes * 60_000_000) };
}

/** The symbols a config simulates, resolved, in config order. */
export function configSymbols(config: SimulationConfig = {}): SymbolSpec[] {
  const specs = (config.symbols ?? DEFAULT_SYMBOL_NAMES).map(resolveSymbol);
  const names = new Set<string>();
  for (const s of specs) {
    if (names.has(s.symbol)) throw new RangeError(`symbol ${s.symbol} listed twice`);
    names.add(s.symbol);
  }
  return specs;
}

/** State machine producing one symbol's trades in time order. */
class SymbolSim {
  /** Trade time of the next trade, or +Infinity when the window is over. */
  peekTimeUs = 0;

  private readonly rng: Rng;
  private readonly symbol: string;
  private readonly dp: number;
  private readonly dq: number;
  private readonly tick: number;
  private readonly qtyStep: number;
  private readonly startUs: number;
  /** End of the window, seconds after the start. */
  private readonly endSec: number;

  // Latent price.
  private logMid: number;
  private tPrice = 0;
  private acc = 0;
  private h: number;
  private readonly hBar: number;
  private readonly omega: number;
  private varRate: number;
  private jumpMult = 1;
  private news = false;
  private seasonVol = 1;
  private seasonRate = 1;

  // Signal: the order flow of the minute that just closed drifts the mid in the next.
  private readonly signal: number;
  /** Seconds from the start to the first UTC minute boundary's phase (seconds mod 60). */
  private readonly minutePhase: number;
  private minuteBuys = 0;
  private minuteSells = 0;
  /** Drift of the log mid per second, from the previous minute's imbalance. */
  private drift = 0;
  /** Sum of the drift applied so far (log). */
  private drifted = 0;

  // Arrivals.
  private t = 0;
  private sec = 0;
  private excess = 0;
  private mu: number;
  private readonly mu0: number;

  // Order flow and sizes.
  private buyerMaker: boolean;
  private readonly logMedianQty: number;
  private readonly tailScale: number;
  private readonly maxSteps: number;

  // Current taker order.
  private fillsLeft = 0;
  private level = 0;
  private bidTicks = 0;
  private orderTimeUs = 0;
  private orderEventMs = 0;
  private takerOrderId: number;
  /** Last formatted price: fills of one order mostly share it. */
  private lastPriceTicks = -1;
  private lastPriceText = '';
  private nextId: number;
  private orderCounter: number;

  constructor(spec: SymbolSpec, seed: number | string, startUs: number, endUs: number, signal: number) {
    this.rng = Rng.derive(seed, spec.symbol);
    this.signal = signal;
    this.minutePhase = ((Math.floor(startUs / 1e6) % 60) + 60) % 60;
    this.symbol = spec.symbol;
    this.dp = stepDecimals(spec.tickSize, 'tickSize');
    this.dq = stepDecimals(spec.qtyStep, 'qtyStep');
    this.tick = spec.tickSize;
    this.qtyStep = spec.qtyStep;
    this.startUs = startUs;
    this.endSec = (endUs - startUs) / 1e6;

    this.logMid = Math.log(spec.startPrice);
    const vol = spec.annualVol ?? 0.6;
    // Jump seconds and the news regime add variance on top of the GARCH level;
    // scale the level down so the long-run volatility matches annualVol.
    this.hBar = (vol * vol) / SECONDS_PER_YEAR / MEAN_VAR_MULT;
    this.omega = this.hBar * (1 - GARCH_ALPHA - GARCH_BETA);
    this.h = this.hBar;
    this.varRate = this.hBar;

    const orderRate = spec.meanRatePerSec / MEAN_FILLS;
    this.mu0 = (orderRate * (1 - HAWKES_BRANCHING)) / MEAN_RATE_MULT;
    this.mu = this.mu0;

    this.buyerMaker = this.rng.chance(0.5);
    const median = spec.medianQty ?? 100 / spec.startPrice;
    this.logMedianQty = Math.log(median);
    this.tailScale = median * 6;
    this.maxSteps = Math.max(1, Math.round((median * 20_000) / spec.qtyStep));

    const firstId = spec.firstTradeId ?? 1_000_000_000;
    this.nextId = firstId;
    this.orderCounter = spec.firstOrderId ?? firstId * 30;
    this.takerOrderId = this.orderCounter;

    this.startSecond();
    this.advance();
  }

  /** Returns the pending trade and prepares the next one. */
  take(): SimTrade {
    const rng = this.rng;
    const buyerMaker = this.buyerMaker;
    if (buyerMaker) this.minuteSells++;
    else this.minuteBuys++;
    // Fills walk the book away from the touch: sells down from the bid, buys up from the ask.
    const priceTicks = buyerMaker ? Math.max(1, this.bidTicks - this.level) : this.bidTicks + 1 + this.level;
    const qtySteps = this.drawQtySteps();
    if (priceTicks !== this.lastPriceTicks) {
      this.lastPriceTicks = priceTicks;
      this.lastPriceText = formatUnits8(priceTicks, this.dp);
    }
    const makerOrderId = this.orderCounter - 1 - Math.floor(rng.exponential(20_000));
    const trade: SimTrade = {
      symbol: this.symbol,
      id: this.nextId++,
      price: this.lastPriceText,
      qty: formatUnits8(qtySteps, this.dq),
      quoteQty: formatProduct8(priceTicks, this.dp, qtySteps, this.dq),
      tradeTimeUs: this.orderTimeUs,
      eventTimeMs: this.orderEventMs,
      isBuyerMaker: buyerMaker,
      isBestMatch: true,
      buyerOrderId: buyerMaker ? makerOrderId : this.takerOrderId,
      sellerOrderId: buyerMaker ? this.takerOrderId : makerOrderId,
    };
    this.fillsLeft--;
    if (this.fillsLeft > 0) {
      if (rng.next() < LEVEL_STEP_P) this.level++;
    } else {
      this.endOrder();
      this.advance();
    }
    return trade;
  }

  private drawQtySteps(): number {
    const rng = this.rng;
    let q = rng.next() < SIZE_TAIL_P ? rng.pareto(this.tailScale, SIZE_TAIL_ALPHA) : Math.exp(this.logMedianQty + SIZE_SIGMA * rng.normal());
    if (rng.next() < ROUND_SIZE_P) q = roundNumber(q);
    let steps = Math.round(q / this.qtyStep);
    if (steps < 1) steps = 1;
    else if (steps > this.maxSteps) steps = this.maxSteps;
    return steps;
  }

  /** A taker order that walked the book leaves a small permanent price impact. */
  private endOrder(): void {
    if (this.level > 0) {
      // Sized on the mid without the signal's drift: then the volatility and the
      // arrivals, which the impact feeds, and so every draw, are those of signal 0.
      const mid = Math.exp(this.logMid - this.drifted);
      const impact = (0.5 * this.level * this.tick) / mid;
      const r = this.buyerMaker ? -impact : impact;
      this.logMid += r;
      this.acc += r;
    }
  }

  /** Draws the next taker order (time, side, fills) or marks the end of the window. */
  private advance(): void {
    const rng = this.rng;
    for (;;) {
      // Exact Hawkes step (Dassios & Zhao 2013): the earlier of the next baseline
      // arrival and the next self-excited arrival. Intensity parameters change
      // only at whole seconds; the process is memoryless, so restarting the draw
      // at a boundary keeps it exact.
      let wait = -Math.log(rng.nextOpen()) / this.mu;
      if (this.excess > 1e-9) {
        const d = 1 + (HAWKES_DECAY * Math.log(rng.nextOpen())) / this.excess;
        if (d > 0) {
          const w2 = -Math.log(d) / HAWKES_DECAY;
          if (w2 < wait) wait = w2;
        }
      }
      const boundary = this.sec + 1;
      if (this.t + wait >= boundary) {
        this.excess *= Math.exp(-HAWKES_DECAY * (boundary - this.t));
        this.t = boundary;
        this.moveLatent(boundary);
        this.closeSecond();
        if (this.t >= this.endSec) {
          this.peekTimeUs = Number.POSITIVE_INFINITY;
          return;
        }
        continue;
      }
      this.t += wait;
      this.excess = this.excess * Math.exp(-HAWKES_DECAY * wait) + HAWKES_DECAY * HAWKES_BRANCHING;
      break;
    }
    if (this.t >= this.endSec) {
      this.peekTimeUs = Number.POSITIVE_INFINITY;
      return;
    }
    this.moveLatent(this.t);

    if (rng.next() >= SIDE_STAY_P) this.buyerMaker = !this.buyerMaker;
    let fills = 1 + rng.geometric(EXTRA_FILL_P);
    if (rng.next() < SWEEP_P) fills += 5 + rng.int(26);
    this.fillsLeft = fills;
    this.level = 0;
    const midTicks = Math.exp(this.logMid) / this.tick;
    this.bidTicks = Math.max(1, Math.floor(midTicks));
    const timeUs = this.startUs + Math.floor(this.t * 1e6);
    this.orderTimeUs = timeUs;
    // Matching-engine to stream latency: mostly 1-5 ms, occasionally tens.
    this.orderEventMs = Math.floor(timeUs / 1000) + 1 + Math.min(60, Math.floor(rng.exponential(2.5)));
    this.orderCounter += 1 + rng.int(40);
    this.takerOrderId = this.orderCounter;
    this.peekTimeUs = timeUs;
  }

  /** Brownian increment of the log mid from the last update to time `t`. */
  private moveLatent(t: number): void {
    const dt = t - this.tPrice;
    if (dt > 0) {
      const r = Math.sqrt(this.varRate * dt) * this.rng.normal();
      this.logMid += r;
      this.acc += r;
      // The drift stays out of `acc`: the GARCH recursion sees the random walk's shocks only.
      if (this.drift !== 0) {
        this.logMid += this.drift * dt;
        this.drifted += this.drift * dt;
      }
      this.tPrice = t;
    }
  }

  /** Whole-second bookkeeping: GARCH update, regime and jump draws, seasonality. */
  private closeSecond(): void {
    const rng = this.rng;
    // GARCH on the standardised return (seasonality, jump and news scaling
    // removed) so the recursion stays stationary around hBar whatever the shocks.
    const u2 = (this.acc * this.acc) / (this.varRate / this.h);
    let h = this.omega + GARCH_ALPHA * u2 + GARCH_BETA * this.h;
    const lo = 0.05 * this.hBar;
    const hi = 50 * this.hBar;
    h = h < lo ? lo : Math.min(h, hi);
    this.h = h;
    this.acc = 0;
    this.sec++;
    if (this.news) {
      if (rng.next() < NEWS_END_P) this.news = false;
    } else if (rng.next() < NEWS_START_P) {
      this.news = true;
    }
    this.jumpMult = rng.next() < JUMP_SECOND_P ? rng.uniform(4, 12) : 1;
    this.startSecond();
    if ((this.sec + this.minutePhase) % 60 === 0) this.closeMinute();
  }

  /**
   * At a UTC minute boundary: the minute's standardised order-flow imbalance
   * sets the next minute's drift (`signal x z x sigma` over the minute, sigma
   * the expected one-minute volatility now). Draws nothing at random, so a
   * signal of 0 leaves the random stream, and every trade, as without it.
   */
  private closeMinute(): void {
    const n = this.minuteBuys + this.minuteSells;
    if (this.signal !== 0) {
      let z = n > 0 ? (this.minuteBuys - this.minuteSells) / Math.sqrt(n * OFI_VARIANCE_FACTOR) : 0;
      z = Math.max(-OFI_Z_CAP, Math.min(OFI_Z_CAP, z));
      // Expected per-second variance: GARCH level with the mean jump scaling, the regime and the season.
      const perSecondVar = this.h * (1 + JUMP_SECOND_P * 7) * (this.news ? NEWS_VAR_MULT : 1) * this.seasonVol * this.seasonVol;
      const sigmaMinute = Math.sqrt(60 * perSecondVar);
      this.drift = (this.signal * z * sigmaMinute) / 60;
    }
    this.minuteBuys = 0;
    this.minuteSells = 0;
  }

  private startSecond(): void {
    if (this.sec % 60 === 0) this.updateSeason();
    const h = this.h;
    const newsVar = this.news ? NEWS_VAR_MULT : 1;
    this.varRate = h * this.jumpMult * newsVar * this.seasonVol * this.seasonVol;
    let volFactor = Math.sqrt(h / this.hBar);
    volFactor = volFactor < 0.4 ? 0.4 : Math.min(volFactor, 3);
    this.mu = this.mu0 * this.seasonRate * volFactor * (this.news ? NEWS_RATE_MULT : 1);
  }

  /**
   * Intraday and weekly seasonality, refreshed each minute: activity peaks
   * around 14-16 UTC (US/Europe overlap) and is lower at weekends.
   */
  private updateSeason(): void {
    const nowUs = this.startUs + this.sec * 1e6;
    const dayNum = Math.floor(nowUs / 86_400_000_000);
    const hour = (nowUs - dayNum * 86_400_000_000) / 3_600_000_000;
    const dow = (((dayNum + 4) % 7) + 7) % 7; // 0 = Sunday (1970-01-01 was a Thursday)
    const weekend = dow === 0 || dow === 6;
    const c = Math.cos((2 * Math.PI * (hour - 15)) / 24);
    this.seasonRate = (1 + 0.4 * c) * (weekend ? 0.65 : 1);
    this.seasonVol = (1 + 0.25 * c) * (weekend ? 0.8 : 1);
  }
}

/** Snaps a size to the nearest 1, 2 or 5 x 10^k, as people type order sizes. */
function roundNumber(q: number): number {
  const p = 10 ** Math.floor(Math.log10(q));
  const m = q / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/**
 * Simulates trades for every configured symbol, merged in trade-time order
 * (ties keep the config's symbol order). Lazily generated: memory stays flat
 * however long the window.
 *
 * @param config symbols, window, seed; see {@link SimulationConfig}.
 * @returns a generator of valid trades; `malformedShare` is ignored here.
 */
export function* simulateTrades(config: SimulationConfig = {}): Generator<SimTrade, void, undefined> {
  const { startUs, endUs } = simulationWindowUs(config);
  const seed = config.seed ?? 1;
  const signal = checkSignal(config.signal ?? DEFAULT_SIGNAL);
  const sims = configSymbols(config).map((s) => new SymbolSim(s, seed, startUs, endUs, signal));
  if (sims.length === 1) {
    const sim = sims[0]!;
    while (sim.peekTimeUs !== Number.POSITIVE_INFINITY) yield sim.take();
    return;
  }
  const n = sims.length;
  for (;;) {
    let best = -1;
    let bestTime = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const t = sims[i]!.peekTimeUs;
      if (t < bestTime) {
        bestTime = t;
        best = i;
      }
    }
    if (best < 0) return;
    yield sims[best]!.take();
  }
}

/** One record as a producer would put it on the stream. */
export interface SimRecord {
  /** Trade time, ms since epoch (what merges this market with other simulated sources). */
  readonly timeMs: number;
  /** A stream message (jsonl) or a CSV line, without a line terminator. */
  readonly payload: string;
  /** The trade's symbol (the Kinesis partition key; CSV lines carry no symbol). */
  readonly partitionKey: string;
  /** For a malformed record: the reason code a validator should give. */
  readonly malformed?: ReasonCode;
  /** For a malformed record: which corruption was applied. */
  readonly malformedKind?: MalformedKind;
}

/** Options of {@link simulateRecords}. */
export interface RecordOptions extends SimulationConfig {
  /** 'jsonl': Binance stream messages; 'csv': historical CSV lines. */
  readonly format: RecordFormat;
  /** CSV time unit. Default: 'us' for trades from 2025 on, 'ms' before (as Binance files). */
  readonly timeUnit?: 'ms' | 'us';
  /** Include the `b`/`a` order ids of older stream messages. Default false. */
  readonly withOrderIds?: boolean;
  /** Write CSV decimals without trailing zeros ("97123.45" instead of "97123.45000000"). */
  readonly trimZeros?: boolean;
}

/** The pieces of {@link simulateRecords}, for writers that batch without per-record objects. */
export interface RecordPipeline {
  /** The valid trades, in time order. */
  readonly trades: Generator<SimTrade, void, undefined>;
  /** Formats a trade in the configured format (no line terminator). */
  readonly format: (trade: SimTrade) => string;
  /** Encodes the formatted text plus `\n` into `buf` at `off`; returns the new offset. */
  readonly encode: (trade: SimTrade, buf: Uint8Array, off: number) => number;
  /** Draws whether the next record is corrupted. Call exactly once per trade, in order. */
  readonly shouldCorrupt: () => boolean;
  /** Corrupts a formatted record; call only right after `shouldCorrupt()` returned true. */
  readonly malform: (payload: string) => MalformedRecord;
}

/**
 * Builds the trade generator, formatter and corrupter behind
 * {@link simulateRecords}; a writer using them in the same order produces
 * exactly the same records.
 */
export function recordPipeline(options: RecordOptions): RecordPipeline {
  const share = options.malformedShare ?? 0;
  if (!(share >= 0 && share <= 1)) throw new RangeError(`malformedShare must be in 0..1, got ${share}`);
  // Keyed by the symbol set too, so per-symbol files do not corrupt the same positions.
  const label = `malformed:${configSymbols(options)
    .map((s) => s.symbol)
    .join(',')}`;
  const bad = Rng.derive(options.seed ?? 1, label);
  const fmt = options.format;
  const csvOpts = { timeUnit: options.timeUnit, trimZeros: options.trimZeros };
  const msgOpts = { withOrderIds: options.withOrderIds ?? false };
  const csv = fmt === 'csv';
  return {
    trades: simulateTrades(options),
    format: csv ? (t) => toCsvLine(t, csvOpts) : (t) => toTradeMessage(t, msgOpts),
    encode: csv ? (t, buf, off) => encodeCsvLine(t, buf, off, csvOpts) : (t, buf, off) => encodeTradeMessage(t, buf, off, msgOpts),
    shouldCorrupt: share > 0 ? () => bad.next() < share : () => false,
    malform: (payload) => makeMalformed(bad, payload, fmt),
  };
}

/**
 * Simulated records ready to send or write, a share of them malformed.
 *
 * Malformed records replace valid ones (they are not added): the stream keeps
 * its rate, and the replaced trade ids are simply missing downstream, as when a
 * corrupted record is quarantined. Whether a record is corrupted, and how, is
 * drawn from a random stream separate from the market's, so the valid records
 * are the same trades whatever the share.
 */
export function* simulateRecords(options: RecordOptions): Generator<SimRecord, void, undefined> {
  const { trades, format, shouldCorrupt, malform } = recordPipeline(options);
  for (const trade of trades) {
    const payload = format(trade);
    if (shouldCorrupt()) {
      const m = malform(payload);
      yield { timeMs: Math.floor(trade.tradeTimeUs / 1000), payload: m.payload, partitionKey: trade.symbol, malformed: m.reason, malformedKind: m.kind };
    } else {
      yield { timeMs: Math.floor(trade.tradeTimeUs / 1000), payload, partitionKey: trade.symbol };
    }
  }
}
