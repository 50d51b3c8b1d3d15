/** Shared fixtures of the ml tests. */
import type { FeatureMatrix } from '../../src/ml/features.js';
import { Rng as SeededRng } from '../../src/core/random.js';

/** A minute-aligned start: Monday 2026-11-02 00:00 UTC in µs. */
export const T0 = Date.UTC(2026, 10, 2) * 1000;
export const MIN = 60_000_000;

/**
 * Friedman #1 regression problem: y = 10 sin(π x0 x1) + 20 (x2 − 0.5)² + 10 x3
 * + 5 x4 + noise, with 5 further pure-noise features. A standard nonlinear test.
 */
export function friedman1(n: number, seed: number, noise = 1): { X: FeatureMatrix; y: Float64Array; signal: Float64Array } {
  const rng = new SeededRng(seed);
  const d = 10;
  const data = new Float64Array(n * d);
  const y = new Float64Array(n);
  const signal = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < d; c++) data[r * d + c] = rng.next();
    const x = (c: number) => data[r * d + c]!;
    const f = 10 * Math.sin(Math.PI * x(0) * x(1)) + 20 * (x(2) - 0.5) ** 2 + 10 * x(3) + 5 * x(4);
    signal[r] = f;
    y[r] = f + noise * rng.normal();
  }
  return { X: { rows: n, cols: d, data }, y, signal };
}

/** RMSE of two equal-length series. */
export function rmseOf(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s / a.length);
}

/** Mean of a series. */
export function meanOf(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s / a.length;
}

/** Rows as nested arrays (for libraries that want them). */
export function toRows(X: FeatureMatrix): number[][] {
  return Array.from({ length: X.rows }, (_, r) => Array.from(X.data.subarray(r * X.cols, (r + 1) * X.cols)));
}
