/**
 * Ordinary least squares for one predictor, its metrics and a time-ordered
 * train/test split: what the weather x energy analysis fits. Pure.
 */

/** A fitted line y = intercept + slope * x. */
export interface LinearFit {
  readonly intercept: number;
  readonly slope: number;
}

/**
 * The least-squares line through (x, y), centred for numerical stability.
 * Throws with fewer than two points or when every x is the same (no slope to fit).
 */
export function fitOls(x: readonly number[], y: readonly number[]): LinearFit {
  if (x.length !== y.length) throw new RangeError(`x has ${x.length} values, y ${y.length}`);
  if (x.length < 2) throw new RangeError('a line needs at least two points');
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    sxy += dx * (y[i]! - my);
    sxx += dx * dx;
  }
  if (!(sxx > 0)) throw new RangeError('every x is the same: the slope is undefined');
  const slope = sxy / sxx;
  return { intercept: my - slope * mx, slope };
}

/** The line's predictions at x. */
export const predict = (f: LinearFit, x: readonly number[]): number[] => x.map((v) => f.intercept + f.slope * v);

/** Root mean squared error of predictions. */
export function rmse(actual: readonly number[], predicted: readonly number[]): number {
  if (actual.length === 0) return Number.NaN;
  let s = 0;
  for (let i = 0; i < actual.length; i++) s += (actual[i]! - predicted[i]!) ** 2;
  return Math.sqrt(s / actual.length);
}

/** Coefficient of determination, 1 - SSres / SStot (NaN when the actual values do not vary). */
export function rSquared(actual: readonly number[], predicted: readonly number[]): number {
  const n = actual.length;
  if (n === 0) return Number.NaN;
  const mean = actual.reduce((a, b) => a + b, 0) / n;
  let res = 0;
  let tot = 0;
  for (let i = 0; i < n; i++) {
    res += (actual[i]! - predicted[i]!) ** 2;
    tot += (actual[i]! - mean) ** 2;
  }
  return tot > 0 ? 1 - res / tot : Number.NaN;
}

/**
 * A time-ordered split: the first `trainShare` of the rows (by their order,
 * which must be time order) to fit on, the rest to test on; no shuffling, so
 * the test part is strictly later than anything the fit saw.
 */
export function timeOrderedSplit<T>(rows: readonly T[], trainShare = 0.7): { train: T[]; test: T[] } {
  if (!(trainShare > 0 && trainShare < 1)) throw new RangeError(`train share ${trainShare} is not between 0 and 1`);
  const cut = Math.round(rows.length * trainShare);
  return { train: rows.slice(0, cut), test: rows.slice(cut) };
}
