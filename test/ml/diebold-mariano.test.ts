/** The Diebold–Mariano test and its pieces: HAC variance, the t distribution, the small-sample correction. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultHacLag, dieboldMariano, logGamma, neweyWestVariance, regularizedBeta, studentTCdf } from '../../src/ml/diebold-mariano.js';

describe("Student's t distribution", () => {
  it('matches tabulated quantiles', () => {
    // Prepare: (df, quantile, probability) from standard t tables
    const table: [number, number, number][] = [
      [1, 12.706, 0.975],
      [1, 1, 0.75],
      [2, 2.92, 0.95],
      [5, 2.571, 0.975],
      [10, 1.812, 0.95],
      [30, 2.75, 0.995],
      [120, 1.98, 0.975],
    ];
    for (const [df, t, p] of table) {
      // Act
      const cdf = studentTCdf(t, df);
      // Assess (tables round the quantile to 3-4 digits)
      expect(cdf, `df ${df}, t ${t}`).toBeCloseTo(p, 3);
    }
  });

  it('is symmetric, 0.5 at 0, and tends to the normal for many degrees of freedom', () => {
    expect(studentTCdf(0, 7)).toBe(0.5);
    expect(studentTCdf(-2.1, 9) + studentTCdf(2.1, 9)).toBeCloseTo(1, 14);
    expect(studentTCdf(1.6448536, 1e7)).toBeCloseTo(0.95, 6);
    expect(studentTCdf(-1.959964, 1e7)).toBeCloseTo(0.025, 6);
  });

  it('the incomplete beta function has closed forms at a = 1 and b = 1, and log Γ matches factorials', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0.1, max: 20, noNaN: true }), (x, b) => {
        // I_x(1, b) = 1 − (1 − x)^b and I_x(a, 1) = x^a
        expect(regularizedBeta(x, 1, b)).toBeCloseTo(1 - (1 - x) ** b, 10);
        expect(regularizedBeta(x, b, 1)).toBeCloseTo(x ** b, 10);
      }),
      { numRuns: 300 },
    );
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
  });
});

describe('Newey–West variance', () => {
  it('with lag 0 equals the plain variance (divisor n)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 200 }), (xs) => {
        // Act
        const v = neweyWestVariance(xs, 0);
        // Assess
        const m = xs.reduce((a, b) => a + b, 0) / xs.length;
        const plain = xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length;
        expect(v).toBeCloseTo(plain, 6);
      }),
      { numRuns: 300 },
    );
  });

  it('adds Bartlett-weighted autocovariances: a hand-computed lag-1 example', () => {
    // Prepare: d = [1, 3, 2, 6], mean 3, deviations [-2, 0, -1, 3]
    // γ0 = (4 + 0 + 1 + 9) / 4 = 3.5; γ1 = (0·-2 + -1·0 + 3·-1) / 4 = -0.75; V = 3.5 + 2 · (1 − 1/2) · -0.75 = 2.75
    // Act / Assess
    expect(neweyWestVariance([1, 3, 2, 6], 1)).toBeCloseTo(2.75, 14);
  });

  it('uses the rule of thumb lag floor(4 (n/100)^(2/9))', () => {
    expect(defaultHacLag(100)).toBe(4);
    expect(defaultHacLag(10_080)).toBe(11);
    expect(defaultHacLag(1)).toBe(0);
  });
});

describe('Diebold–Mariano statistic', () => {
  it('matches a hand-computed example', () => {
    // Prepare: challenger errors a, reference errors b; d = b² − a² = [3, 5, -1, 5, 3]
    const a = [1, 2, 3, 2, 1];
    const b = [2, 3, 2.8284271247461903, 3, 2];
    // mean d = 3; deviations [0, 2, -4, 2, 0]: γ0 = 24 / 5 = 4.8
    // lag 0: DM = 3 / sqrt(4.8 / 5) = 3.0618621784789726; HLN (h = 1) × sqrt((5 + 1 − 2) / 5) = sqrt(0.8)
    // Act
    const r = dieboldMariano(a, b, { lag: 0 });
    // Assess
    expect(r.meanDifferential).toBeCloseTo(3, 12);
    expect(r.variance).toBeCloseTo(4.8, 12);
    expect(r.statistic).toBeCloseTo(3.0618621784789726 * Math.sqrt(0.8), 12);
    expect(r.pValue).toBeCloseTo(1 - studentTCdf(r.statistic, 4), 12);
    // statistic ≈ 2.7386; t(4) one-sided 97.5 % quantile 2.776, 95 % 2.132
    expect(r.pValue).toBeGreaterThan(0.025);
    expect(r.pValue).toBeLessThan(0.05);
  });

  it('is antisymmetric in the two forecasts, and gives no evidence without variance', () => {
    const a = [0.5, -1.2, 2.2, 0.1, -0.4, 1.7];
    const b = [1.1, -0.3, 1.9, 0.6, -1.5, 0.8];
    expect(dieboldMariano(a, b).statistic).toBeCloseTo(-dieboldMariano(b, a).statistic, 12);
    expect(dieboldMariano(a, a)).toMatchObject({ statistic: 0, pValue: 1 });
    expect(dieboldMariano([1], [2])).toMatchObject({ pValue: 1 });
  });
});
