/**
 * The Diebold–Mariano test of equal predictive accuracy (Diebold & Mariano,
 * 1995) on squared-error loss, with a Newey–West (Bartlett kernel) HAC
 * estimate of the long-run variance of the loss differential and the
 * Harvey–Leybourne–Newbold (1997) small-sample correction, judged against
 * Student's t with n − 1 degrees of freedom.
 *
 * For errors `a` (the challenger) and `b` (the reference) on the same minutes,
 * `d_t = b_t² − a_t²` (positive where the challenger is better),
 * `DM = mean(d) / sqrt(V / n)` with `V = γ₀ + 2 Σ_{k=1..L} (1 − k/(L+1)) γ_k`
 * (autocovariances with divisor n), and
 * `DM* = DM · sqrt((n + 1 − 2h + h(h − 1)/n) / n)` for an h-step forecast.
 * The one-sided p-value is `P(T_{n−1} ≥ DM*)`: small when the challenger is
 * better by more than noise.
 */

/** Autocovariance at lag k, divisor n (the usual HAC convention). */
function autocovariance(d: ArrayLike<number>, mean: number, k: number): number {
  const n = d.length;
  let s = 0;
  for (let t = k; t < n; t++) s += (d[t]! - mean) * (d[t - k]! - mean);
  return s / n;
}

/** Arithmetic mean; NaN for an empty series. */
export function mean(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return x.length === 0 ? Number.NaN : s / x.length;
}

/**
 * Newey–West long-run variance of a series: `γ₀ + 2 Σ_{k=1..lag} (1 − k/(lag+1)) γ_k`.
 * With lag 0 it is the plain variance (divisor n). Clamped at 0 (Bartlett
 * weights keep it non-negative up to rounding).
 */
export function neweyWestVariance(d: ArrayLike<number>, lag: number): number {
  if (!Number.isInteger(lag) || lag < 0) throw new RangeError(`lag must be a non-negative integer, got ${lag}`);
  const n = d.length;
  if (n === 0) return Number.NaN;
  const m = mean(d);
  let v = autocovariance(d, m, 0);
  for (let k = 1; k <= Math.min(lag, n - 1); k++) v += 2 * (1 - k / (lag + 1)) * autocovariance(d, m, k);
  return Math.max(0, v);
}

/** Newey and West's (1994) rule of thumb for the Bartlett kernel: `floor(4 (n/100)^(2/9))`. */
export function defaultHacLag(n: number): number {
  return n <= 1 ? 0 : Math.floor(4 * (n / 100) ** (2 / 9));
}

// Lanczos approximation (g = 7, 9 terms): ~15 significant digits for x > 0.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
  9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** log Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) return h;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b), for a, b > 0 and 0 ≤ x ≤ 1. */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) throw new RangeError(`a and b must be > 0, got ${a}, ${b}`);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`x must be in [0, 1], got ${x}`);
  if (x === 0 || x === 1) return x;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  // The continued fraction converges fast for x < (a+1)/(a+b+2); use the symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom (df > 0). */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`df must be > 0, got ${df}`);
  if (Number.isNaN(t)) return Number.NaN;
  if (t === Number.POSITIVE_INFINITY) return 1;
  if (t === Number.NEGATIVE_INFINITY) return 0;
  const tail = 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

/** Result of {@link dieboldMariano}. */
export interface DieboldMarianoResult {
  /** Minutes compared. */
  readonly n: number;
  /** Mean loss differential `mean(b² − a²)`: > 0 when the challenger `a` is better. */
  readonly meanDifferential: number;
  /** HAC long-run variance of the differential. */
  readonly variance: number;
  /** Newey–West lag used. */
  readonly lag: number;
  /** The statistic after the Harvey–Leybourne–Newbold correction (0 when the differential is constant zero). */
  readonly statistic: number;
  /** One-sided p-value of "the challenger is better", `P(T_{n−1} ≥ statistic)`. */
  readonly pValue: number;
}

/** Options of {@link dieboldMariano}. */
export interface DieboldMarianoOptions {
  /** Newey–West lag (default {@link defaultHacLag} of n). */
  readonly lag?: number;
  /** Forecast horizon h in steps (default 1). */
  readonly horizon?: number;
}

/**
 * One-sided Diebold–Mariano test that the forecast with errors `a` has a
 * lower mean squared error than the one with errors `b` (same minutes, same
 * order). Fewer than 2 minutes, or a differential with no variance, give no
 * evidence: p-value 1 (or 0 for a constant positive differential).
 */
export function dieboldMariano(a: ArrayLike<number>, b: ArrayLike<number>, options: DieboldMarianoOptions = {}): DieboldMarianoResult {
  const n = a.length;
  if (b.length !== n) throw new Error(`${a.length} errors against ${b.length}`);
  const h = options.horizon ?? 1;
  if (!Number.isInteger(h) || h < 1) throw new RangeError(`horizon must be a positive integer, got ${h}`);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = b[i]! * b[i]! - a[i]! * a[i]!;
  const lag = options.lag ?? defaultHacLag(n);
  const m = mean(d);
  if (n < 2) return { n, meanDifferential: n === 0 ? 0 : m, variance: Number.NaN, lag, statistic: 0, pValue: 1 };
  const variance = neweyWestVariance(d, lag);
  if (!(variance > 0)) {
    const statistic = m > 0 ? Number.POSITIVE_INFINITY : m < 0 ? Number.NEGATIVE_INFINITY : 0;
    return { n, meanDifferential: m, variance, lag, statistic, pValue: m > 0 ? 0 : 1 };
  }
  const dm = m / Math.sqrt(variance / n);
  const hln = Math.sqrt(Math.max(0, (n + 1 - 2 * h + (h * (h - 1)) / n) / n));
  const statistic = dm * hln;
  return { n, meanDifferential: m, variance, lag, statistic, pValue: studentTCdf(-statistic, n - 1) };
}
