/**
 * Features and targets for next-minute price forecasting, computed from minute
 * bars up to minute t only.
 *
 * Problem set-up (why the old BTC models collapsed, and what is done instead):
 *
 * - No price proxy among the features. The old models were fed
 *   `avg_quote_quantity` and `avg_quantity`, whose ratio *is* the price, and
 *   asked for the price level: they learnt the level of the training days and
 *   failed on the next ones. Here every feature is scale-free or an activity
 *   measure: log-returns, volatilities, deviations, ratios, shares, calendar.
 *   Volume enters as quote volume (notional), because base-unit volume moves
 *   inversely with the price level.
 * - The target is a log-return, not a level: the model predicts
 *   `y = ln(P[t+h] / P[t])` for the chosen price field P (`close` or
 *   `avgPrice`) and horizon h, and the price forecast is reconstructed as
 *   `P[t] * exp(ŷ)`. Predicting ŷ = 0 is therefore exactly the persistence
 *   forecast ("next = last"), the baseline every model must beat. Metrics are
 *   computed on the reconstructed price (see `evaluate.ts`).
 * - Splits are by time (see {@link splitByTime}): a training row's target minute
 *   always lies before the first evaluation target, never shuffled.
 *
 * Gaps: minutes without trades have no bar. Both the batch and the online path
 * rebuild a dense minute grid: a missing minute repeats the previous close as its
 * every price (forward fill), has zero volume and trades, a neutral buyer-maker
 * share of 0.5, and is flagged (`is_gap`, `gap_share_60`). A missing minute is
 * never a target (there is no actual price to learn or score).
 *
 * One function ({@link computeFeatureRow}) computes a row for both paths, so
 * training and live prediction cannot drift apart.
 */
import { MINUTE_US, assertSymbolSeries, type PriceField } from './bar.js';
import type { Bar } from '../core/bars.js';
import { getOrCreate } from '../core/collections.js';

/** What to forecast: a price field `horizon` minutes after the feature minute. */
export interface TargetSpec {
  /** Price field of the target minute: `close` or `avgPrice`. */
  readonly field: PriceField;
  /** Minutes ahead (1 = the next minute). Positive integer. */
  readonly horizon: number;
}

/** Default target: the next minute's close. */
export const DEFAULT_TARGET: TargetSpec = { field: 'close', horizon: 1 };

/** Feature columns, in matrix order. */
export const FEATURE_NAMES = [
  'ret_1',
  'ret_5',
  'ret_15',
  'ret_60',
  'avg_ret_1',
  'close_avg_dev',
  'vwap_dev',
  'range_1',
  'vol_15',
  'vol_60',
  'log_quote_volume',
  'quote_volume_ratio_60',
  'log_trade_count',
  'trade_count_ratio_60',
  'buyer_maker_share',
  'buyer_maker_share_15',
  'ofi_1',
  'ofi_vol_1',
  'is_gap',
  'gap_share_60',
  'tod_sin',
  'tod_cos',
  'dow_sin',
  'dow_cos',
] as const;

/** Name of one feature column. */
export type FeatureName = (typeof FEATURE_NAMES)[number];

/** Number of feature columns. */
export const N_FEATURES = FEATURE_NAMES.length;

/**
 * Bumped whenever a feature's definition changes; stored in model artifacts.
 * v2 added the order-flow imbalance columns `ofi_1` and `ofi_vol_1`.
 */
export const FEATURE_SET_VERSION = 2;

/** Minutes of history a feature row needs before its own minute (the longest window). */
export const WARMUP_MINUTES = 60;

/** Dense row-major matrix of features: `data[r * cols + c]`. */
export interface FeatureMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/** One minute of the dense (gap-filled) series of a symbol: the {@link Bar} fields the features read. */
export type DenseMinute = Pick<Bar, 'minuteStartUs' | 'high' | 'low' | 'close' | 'vwap' | 'avgPrice' | 'quoteVolume' | 'tradeCount' | 'buyerMakerShare'> & {
  /** True when the minute had no trade (prices forward-filled). */
  readonly isGap: boolean;
};

function barMinute(b: Bar): DenseMinute {
  return {
    minuteStartUs: b.minuteStartUs,
    high: b.high,
    low: b.low,
    close: b.close,
    vwap: b.vwap,
    avgPrice: b.avgPrice,
    quoteVolume: b.quoteVolume,
    tradeCount: b.tradeCount,
    buyerMakerShare: b.buyerMakerShare,
    isGap: false,
  };
}

function gapMinute(prev: DenseMinute, minuteStartUs: number): DenseMinute {
  const p = prev.close;
  return { minuteStartUs, high: p, low: p, close: p, vwap: p, avgPrice: p, quoteVolume: 0, tradeCount: 0, buyerMakerShare: 0.5, isGap: true };
}

/**
 * Appends `bar` to a dense series, first filling the minutes missing since the
 * series' last minute (at most `maxFill` of them: older fill rows would never be
 * read). Throws when the bar is not after the last minute.
 */
export function appendDense(series: DenseMinute[], bar: Bar, maxFill = Number.POSITIVE_INFINITY): void {
  const last = series[series.length - 1];
  if (last !== undefined) {
    if (bar.minuteStartUs <= last.minuteStartUs) throw new Error(`bar ${bar.symbol} ${bar.minuteStartUs} is not after ${last.minuteStartUs}`);
    const missing = (bar.minuteStartUs - last.minuteStartUs) / MINUTE_US - 1;
    const fill = Math.min(missing, maxFill);
    for (let k = fill; k >= 1; k--) series.push(gapMinute(last, bar.minuteStartUs - k * MINUTE_US));
  }
  series.push(barMinute(bar));
}

/** The gap-filled minute series of one symbol's time-ordered bars. */
export function densify(bars: readonly Bar[]): DenseMinute[] {
  assertSymbolSeries(bars);
  const out: DenseMinute[] = [];
  for (const b of bars) appendDense(out, b);
  return out;
}

const TWO_PI = 2 * Math.PI;
const DAY_US = 86_400_000_000;

/** ln(close) of the minutes of a window, when the caller has no precomputed series of them. */
const windowLogClose = new Float64Array(WARMUP_MINUTES + 1);

/** ln(close) of every minute of a dense series, index for index. */
export function logCloses(series: readonly DenseMinute[]): Float64Array {
  return Float64Array.from(series, (m) => Math.log(m.close));
}

/**
 * Writes the feature row of minute `i` of a dense series into `out[offset ..]`.
 * Reads `series[i - WARMUP_MINUTES ..= i]` only: nothing after minute i.
 * Requires `i >= WARMUP_MINUTES`.
 * @param logClose {@link logCloses} of the series, for a caller computing many rows (each close's log once, not once per row that reads it)
 */
export function computeFeatureRow(series: readonly DenseMinute[], i: number, out: Float64Array, offset = 0, logClose?: Float64Array): void {
  if (i < WARMUP_MINUTES || i >= series.length) throw new RangeError(`feature row ${i} needs ${WARMUP_MINUTES} minutes of history`);
  if (logClose !== undefined && logClose.length !== series.length) throw new RangeError('logClose must have one value per minute of the series');
  const cur = series[i]!;
  const c = cur.close;
  const at = (k: number) => series[i - k]!;
  // lnAt(k) = ln(close of minute i - k), from the caller's series or from the window's own logs.
  let logs = logClose;
  let first = 0;
  if (logs === undefined) {
    logs = windowLogClose;
    first = i - WARMUP_MINUTES;
    for (let k = 0; k <= WARMUP_MINUTES; k++) logs[k] = Math.log(series[first + k]!.close);
  }
  const lnAt = (k: number) => logs[i - k - first]!;
  const lc = lnAt(0);
  let o = offset;
  out[o++] = lc - lnAt(1);
  out[o++] = lc - lnAt(5);
  out[o++] = lc - lnAt(15);
  out[o++] = lc - lnAt(60);
  out[o++] = Math.log(cur.avgPrice / at(1).avgPrice);
  out[o++] = Math.log(c / cur.avgPrice);
  out[o++] = c / cur.vwap - 1;
  out[o++] = Math.log(cur.high / cur.low);

  // One pass over the last 60 minutes for the rolling statistics.
  let s15 = 0;
  let ss15 = 0;
  let s60 = 0;
  let ss60 = 0;
  let qv60 = 0;
  let tc60 = 0;
  let gaps60 = 0;
  let bmNum15 = 0;
  let bmDen15 = 0;
  let prevLog = lnAt(60);
  for (let k = 59; k >= 0; k--) {
    const m = at(k);
    const l = lnAt(k);
    const r = l - prevLog;
    prevLog = l;
    s60 += r;
    ss60 += r * r;
    qv60 += m.quoteVolume;
    tc60 += m.tradeCount;
    if (m.isGap) gaps60++;
    if (k < 15) {
      s15 += r;
      ss15 += r * r;
      bmNum15 += m.buyerMakerShare * m.tradeCount;
      bmDen15 += m.tradeCount;
    }
  }
  const vol15 = Math.sqrt(Math.max(0, ss15 / 15 - (s15 / 15) ** 2));
  out[o++] = vol15;
  out[o++] = Math.sqrt(Math.max(0, ss60 / 60 - (s60 / 60) ** 2));
  out[o++] = Math.log1p(cur.quoteVolume);
  out[o++] = qv60 > 0 ? cur.quoteVolume / (qv60 / 60) : 0;
  out[o++] = Math.log1p(cur.tradeCount);
  out[o++] = tc60 > 0 ? cur.tradeCount / (tc60 / 60) : 0;
  out[o++] = cur.buyerMakerShare;
  out[o++] = bmDen15 > 0 ? bmNum15 / bmDen15 : 0.5;
  // Order-flow imbalance of the minute in standard errors of a balanced tape
  // ((buys - sells) / sqrt(n)), and scaled by recent volatility: flow moves prices
  // in proportion to how much they move anyway, which a linear model cannot
  // build from the two columns on its own.
  const ofi = (1 - 2 * cur.buyerMakerShare) * Math.sqrt(cur.tradeCount);
  out[o++] = ofi;
  out[o++] = ofi * vol15;
  out[o++] = cur.isGap ? 1 : 0;
  out[o++] = gaps60 / 60;

  const t = cur.minuteStartUs;
  const day = Math.floor(t / DAY_US);
  const tod = ((t - day * DAY_US) / DAY_US) * TWO_PI;
  const dow = (((((day + 3) % 7) + 7) % 7) / 7) * TWO_PI + tod / 7; // Monday 00:00 = 0
  out[o++] = Math.sin(tod);
  out[o++] = Math.cos(tod);
  out[o++] = Math.sin(dow);
  out[o] = Math.cos(dow);
}

/** Price of a field at a dense minute (forward-filled at gaps). */
export function priceOf(m: DenseMinute, field: PriceField): number {
  return field === 'close' ? m.close : m.avgPrice;
}

/** Feature rows of every minute of one symbol's series that has enough history. */
export interface SymbolFeatures {
  readonly symbol: string;
  /** The dense, gap-filled series the rows were computed from. */
  readonly series: readonly DenseMinute[];
  /** Index in `series` of feature row 0 (= WARMUP_MINUTES). */
  readonly firstIndex: number;
  /** Minute of each feature row, µs. */
  readonly minuteStartUs: Float64Array;
  readonly X: FeatureMatrix;
}

/** Features of every minute (gaps included) of one symbol's time-ordered bars. */
export function computeFeatures(bars: readonly Bar[]): SymbolFeatures {
  const series = densify(bars);
  const n = Math.max(0, series.length - WARMUP_MINUTES);
  const data = new Float64Array(n * N_FEATURES);
  const minuteStartUs = new Float64Array(n);
  const logClose = logCloses(series);
  for (let r = 0; r < n; r++) {
    const i = r + WARMUP_MINUTES;
    computeFeatureRow(series, i, data, r * N_FEATURES, logClose);
    minuteStartUs[r] = series[i]!.minuteStartUs;
  }
  return { symbol: bars[0]?.symbol ?? '', series, firstIndex: WARMUP_MINUTES, minuteStartUs, X: { rows: n, cols: N_FEATURES, data } };
}

/**
 * Supervised rows: features at minute t, target `ln(P[t+h] / P[t])`. Rows are
 * ordered by feature minute (then symbol). Only rows whose target minute had
 * trades are kept.
 */
export interface Dataset {
  readonly featureNames: readonly string[];
  readonly target: TargetSpec;
  readonly X: FeatureMatrix;
  /** Target log-return `ln(actualPrice / basePrice)`. */
  readonly y: Float64Array;
  /** P[t]: the target field at the feature minute (forward-filled at a gap): the persistence forecast. */
  readonly basePrice: Float64Array;
  /** P[t+h]: the actual target price. */
  readonly actualPrice: Float64Array;
  /** Feature minute t, µs. */
  readonly minuteStartUs: Float64Array;
  /** Target minute t + h, µs. */
  readonly targetTimeUs: Float64Array;
  /** Symbol of each row. */
  readonly symbols: readonly string[];
}

/** Groups bars by symbol, each group in time order. */
export function groupBySymbol(bars: readonly Bar[]): Map<string, Bar[]> {
  const groups = new Map<string, Bar[]>();
  for (const b of bars) {
    const g = getOrCreate(groups, b.symbol, () => []);
    g.push(b);
  }
  for (const g of groups.values()) g.sort((a, b) => a.minuteStartUs - b.minuteStartUs);
  return groups;
}

/** Builds the supervised dataset of bars of one or more symbols. */
export function buildDataset(bars: readonly Bar[], target: TargetSpec = DEFAULT_TARGET): Dataset {
  if (!Number.isInteger(target.horizon) || target.horizon < 1) throw new RangeError(`horizon must be a positive integer, got ${target.horizon}`);
  const h = target.horizon;
  interface Part {
    symbol: string;
    f: SymbolFeatures;
    rows: number[];
  }
  const parts: Part[] = [];
  for (const [symbol, group] of [...groupBySymbol(bars)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const f = computeFeatures(group);
    const rows: number[] = [];
    for (let r = 0; r < f.X.rows; r++) {
      const target = f.series[f.firstIndex + r + h];
      if (target !== undefined && !target.isGap) rows.push(r);
    }
    parts.push({ symbol, f, rows });
  }
  // Merge symbols by feature minute (symbol order on ties); each part is already in minute order.
  const n = parts.reduce((a, p) => a + p.rows.length, 0);
  const orderPart = new Int32Array(n);
  const orderRow = new Int32Array(n);
  const next = parts.map(() => 0);
  for (let k = 0; k < n; k++) {
    let pick = -1;
    let pickT = Number.POSITIVE_INFINITY;
    for (let pi = 0; pi < parts.length; pi++) {
      const p = parts[pi]!;
      if (next[pi]! >= p.rows.length) continue;
      const t = p.f.minuteStartUs[p.rows[next[pi]!]!]!;
      if (t < pickT) {
        pick = pi;
        pickT = t;
      }
    }
    orderPart[k] = pick;
    orderRow[k] = parts[pick]!.rows[next[pick]!]!;
    next[pick]!++;
  }
  const data = new Float64Array(n * N_FEATURES);
  const y = new Float64Array(n);
  const basePrice = new Float64Array(n);
  const actualPrice = new Float64Array(n);
  const minuteStartUs = new Float64Array(n);
  const targetTimeUs = new Float64Array(n);
  const symbols: string[] = new Array<string>(n);
  for (let k = 0; k < n; k++) {
    const r = orderRow[k]!;
    const p = parts[orderPart[k]!]!;
    const i = p.f.firstIndex + r;
    const src = p.f.X.data;
    for (let c = 0; c < N_FEATURES; c++) data[k * N_FEATURES + c] = src[r * N_FEATURES + c]!;
    const base = priceOf(p.f.series[i]!, target.field);
    const actual = priceOf(p.f.series[i + h]!, target.field);
    basePrice[k] = base;
    actualPrice[k] = actual;
    y[k] = Math.log(actual / base);
    minuteStartUs[k] = p.f.series[i]!.minuteStartUs;
    targetTimeUs[k] = p.f.series[i + h]!.minuteStartUs;
    symbols[k] = p.symbol;
  }
  return { featureNames: FEATURE_NAMES, target, X: { rows: n, cols: N_FEATURES, data }, y, basePrice, actualPrice, minuteStartUs, targetTimeUs, symbols };
}

/** The rows of `ds` at the given indices (in that order). */
export function selectRows(ds: Dataset, indices: readonly number[]): Dataset {
  const n = indices.length;
  const d = ds.X.cols;
  // A run of consecutive rows (a time window of a time-ordered dataset) is copied in one block.
  let consecutive = true;
  for (let k = 1; k < n && consecutive; k++) consecutive = indices[k] === indices[k - 1]! + 1;
  const first = indices[0] ?? 0;
  const pick = (src: Float64Array) => {
    if (consecutive) return src.slice(first, first + n);
    const out = new Float64Array(n);
    for (let k = 0; k < n; k++) out[k] = src[indices[k]!]!;
    return out;
  };
  const from = ds.X.data;
  const data = consecutive ? from.slice(first * d, (first + n) * d) : new Float64Array(n * d);
  for (let k = 0; k < n && !consecutive; k++) {
    const i = indices[k]!;
    for (let c = 0; c < d; c++) data[k * d + c] = from[i * d + c]!;
  }
  return {
    featureNames: ds.featureNames,
    target: ds.target,
    X: { rows: n, cols: d, data },
    y: pick(ds.y),
    basePrice: pick(ds.basePrice),
    actualPrice: pick(ds.actualPrice),
    minuteStartUs: pick(ds.minuteStartUs),
    targetTimeUs: pick(ds.targetTimeUs),
    symbols: indices.map((i) => ds.symbols[i]!),
  };
}

/** Rows whose target minute lies in `[startUs, endUs)`. */
export function targetWindow(ds: Dataset, startUs: number, endUs: number): Dataset {
  const idx: number[] = [];
  for (let i = 0; i < ds.targetTimeUs.length; i++) {
    const t = ds.targetTimeUs[i]!;
    if (t >= startUs && t < endUs) idx.push(i);
  }
  return selectRows(ds, idx);
}

/** A time-ordered train / evaluation split. */
export interface TimeSplit {
  /** Rows whose target minute is before the boundary. */
  readonly train: Dataset;
  /** Rows whose target minute is in `[boundary, end)`. */
  readonly evaluation: Dataset;
}

/**
 * Splits by time, never shuffling: training rows are those whose *target*
 * minute is before `boundaryUs` (so no training label overlaps the evaluation
 * window, even for h > 1), evaluation rows those whose target minute is in
 * `[boundaryUs, endUs)`. Evaluation features may read minutes before the
 * boundary: that history is known at prediction time.
 */
export function splitByTime(ds: Dataset, boundaryUs: number, endUs = Number.POSITIVE_INFINITY): TimeSplit {
  if (!(endUs > boundaryUs)) throw new RangeError('split end must be after the boundary');
  return { train: targetWindow(ds, Number.NEGATIVE_INFINITY, boundaryUs), evaluation: targetWindow(ds, boundaryUs, endUs) };
}

/**
 * Online features for one symbol: push each bar as it closes, read the feature
 * row of the latest minute. Keeps a bounded window; gaps are filled exactly as
 * in {@link buildDataset}, so live rows equal training rows.
 */
export class FeatureWindow {
  private series: DenseMinute[] = [];
  private static readonly KEEP = WARMUP_MINUTES + 1;

  /** Adds the bar of a newly closed minute (must be after the previous one). */
  push(bar: Bar): void {
    appendDense(this.series, bar, FeatureWindow.KEEP);
    if (this.series.length > 4 * FeatureWindow.KEEP) this.series = this.series.slice(-FeatureWindow.KEEP);
  }

  /** True once enough history is buffered for a feature row. */
  get ready(): boolean {
    return this.series.length > WARMUP_MINUTES;
  }

  /** Minute of the latest bar, µs (NaN before the first bar). */
  get lastMinuteUs(): number {
    return this.series[this.series.length - 1]?.minuteStartUs ?? Number.NaN;
  }

  /** The latest value of a price field (the persistence forecast). */
  lastPrice(field: PriceField): number {
    const m = this.series[this.series.length - 1];
    return m === undefined ? Number.NaN : priceOf(m, field);
  }

  /** Feature row of the latest minute, or undefined during warm-up. */
  features(out: Float64Array = new Float64Array(N_FEATURES)): Float64Array | undefined {
    if (!this.ready) return undefined;
    computeFeatureRow(this.series, this.series.length - 1, out, 0);
    return out;
  }
}
