/** The promotion rule: promotions and demotions need a significant Diebold–Mariano advantage over the window. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/random.js';
import { alignErrors, decidePromotion, type ErrorSeries, type PromotionCandidate } from '../../src/ml/promotion.js';

const MINUTES = 3 * 1440;

/** Gaussian errors of a forecast, sd `sd`, one per minute. */
function noise(rng: Rng, n: number, sd: number): Float64Array {
  return Float64Array.from({ length: n }, () => sd * rng.normal());
}

const minutes = (n: number, from = 0) => Float64Array.from({ length: n }, (_, i) => from + i);
const plus = (a: ArrayLike<number>, b: ArrayLike<number>) => Float64Array.from(a, (v, i) => v + b[i]!);
const scaled = (a: ArrayLike<number>, k: number) => Float64Array.from(a, (v) => v * k);

function candidate(modelId: string, error: ArrayLike<number>, baselineError: ArrayLike<number>, t = minutes(error.length)): PromotionCandidate {
  return { modelId, kind: modelId.startsWith('persistence') ? 'persistence' : 'ridge', scoredToday: true, errors: { t, error, baselineError } };
}

const persistence = (baselineError: ArrayLike<number>) => candidate('persistence', baselineError, baselineError);

describe('promotion rule', () => {
  it('FAILS IF an advantage within noise is promoted: two identical error series plus independent noise are promoted at about the level', () => {
    // Prepare: the common error (the price move neither forecast sees) plus equal, independent noise on each forecast
    const level = 0.05;
    const seeds = fc.sample(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { numRuns: 400, seed: 15 });
    let promoted = 0;
    for (const seed of seeds) {
      const rng = new Rng(seed);
      const common = noise(rng, MINUTES, 10);
      const base = plus(common, noise(rng, MINUTES, 1));
      const challenger = plus(common, noise(rng, MINUTES, 1));
      // Act
      const d = decidePromotion([persistence(base), candidate('ridge-1', challenger, base)], { currentChampionId: 'persistence', level });
      // Assess
      if (d.championId === 'ridge-1') promoted++;
      else expect(d.reason).toMatch(/^(kept|not-significant)$/);
    }
    // Binomial(400, 0.05): sd 1.1 %; the bounds are 3 sd on the high side and a test that still has power on the low side.
    const rate = promoted / seeds.length;
    expect(rate).toBeLessThanOrEqual(level + 0.033);
    expect(rate).toBeGreaterThanOrEqual(0.015);
  });

  it('promotes a challenger with a clear advantage, and not one that is merely lucky on the day', () => {
    // Prepare: the challenger removes a tenth of the predictable part of persistence's error
    const rng = new Rng(3);
    const signal = noise(rng, MINUTES, 3);
    const base = plus(noise(rng, MINUTES, 10), signal);
    const clear = plus(base, scaled(signal, -0.3));
    // Act
    const initial = decidePromotion([persistence(base), candidate('ridge-1', clear, base)], { level: 0.05 });
    const beaten = decidePromotion([persistence(base), candidate('ridge-1', clear, base)], { currentChampionId: 'persistence', level: 0.05 });
    // Assess
    expect(initial).toMatchObject({ championId: 'ridge-1', reason: 'initial', changed: true, previousChampionId: undefined });
    expect(beaten).toMatchObject({ championId: 'ridge-1', reason: 'beaten', changed: true });
    const t = beaten.tests.find((x) => x.challengerId === 'ridge-1')!;
    expect(t.pValue).toBeLessThan(1e-6);
    expect(t.meanDifferential).toBeGreaterThan(0);
  });

  it('demotes to persistence a champion that loses to it significantly, and keeps one that loses by noise', () => {
    // Prepare
    const rng = new Rng(5);
    const base = noise(rng, MINUTES, 10);
    const worse = plus(base, noise(rng, MINUTES, 4));
    const noisy = plus(base, noise(rng, MINUTES, 0.01));
    // Act
    const demoted = decidePromotion([persistence(base), candidate('gbt-1', worse, base)], { currentChampionId: 'gbt-1', level: 0.05 });
    const kept = decidePromotion([persistence(base), candidate('gbt-1', noisy, base)], { currentChampionId: 'gbt-1', level: 0.05 });
    // Assess
    expect(demoted).toMatchObject({ championId: 'persistence', reason: 'demoted', changed: true, previousChampionId: 'gbt-1' });
    expect(demoted.tests[0]).toMatchObject({ challengerId: 'persistence', referenceId: 'gbt-1', significant: true });
    expect(kept.championId).toBe(kept.tests[0]!.significant ? 'persistence' : 'gbt-1');
  });

  it('demotes a champion that was not scored on the day', () => {
    // Prepare
    const base = noise(new Rng(6), 100, 1);
    const unscored = { ...candidate('rf-1', base, base), scoredToday: false };
    // Act
    const d = decidePromotion([persistence(base), unscored], { currentChampionId: 'rf-1', level: 0.05 });
    const retired = decidePromotion([persistence(base)], { currentChampionId: 'rf-0', level: 0.05 });
    // Assess
    expect(d).toMatchObject({ championId: 'persistence', reason: 'demoted' });
    expect(retired).toMatchObject({ championId: 'persistence', reason: 'demoted' });
  });

  it('a challenger must also beat a learned champion significantly, on the minutes both were scored', () => {
    // Prepare: the champion is clearly better than persistence over three days; a new model, scored on the last day only, is as good
    const rng = new Rng(8);
    const signal = noise(rng, MINUTES, 3);
    const base = plus(noise(rng, MINUTES, 10), signal);
    const champion = plus(base, scaled(signal, -0.8));
    const lastDay = (x: Float64Array) => x.subarray(2 * 1440);
    const rival = plus(lastDay(champion), noise(rng, 1440, 0.05));
    const newer = candidate('gbt-2', rival, lastDay(base), minutes(1440, 2 * 1440));
    // Act
    const d = decidePromotion([persistence(base), candidate('ridge-1', champion, base), newer], { currentChampionId: 'ridge-1', level: 0.05 });
    // Assess
    const vsChampion = d.tests.find((t) => t.challengerId === 'gbt-2' && t.referenceId === 'ridge-1')!;
    expect(vsChampion.n).toBe(1440);
    expect(d.tests.find((t) => t.challengerId === 'gbt-2' && t.referenceId === 'persistence')!.significant).toBe(true);
    expect(d.championId).toBe(vsChampion.significant ? 'gbt-2' : 'ridge-1');
    expect(d.changed).toBe(vsChampion.significant);
  });

  it('aligns two series on their common minutes', () => {
    // Prepare
    const a: ErrorSeries = { t: [1, 2, 4, 7], error: [10, 20, 40, 70], baselineError: [0, 0, 0, 0] };
    const b: ErrorSeries = { t: [2, 3, 4, 8], error: [-2, -3, -4, -8], baselineError: [0, 0, 0, 0] };
    // Act
    const { a: x, b: y } = alignErrors(a, b);
    // Assess
    expect([...x]).toEqual([20, 40]);
    expect([...y]).toEqual([-2, -4]);
  });

  it('needs one scored persistence baseline and a level in (0, 1)', () => {
    const e = [1, 2, 3];
    expect(() => decidePromotion([candidate('ridge-1', e, e)], { level: 0.05 })).toThrow(/exactly one persistence/);
    expect(() => decidePromotion([{ ...persistence(e), scoredToday: false }], { level: 0.05 })).toThrow(/no score/);
    expect(() => decidePromotion([persistence(e)], { level: 0 })).toThrow(/level/);
    expect(() => decidePromotion([persistence(e), persistence(e)], { level: 0.05 })).toThrow(/twice/);
  });
});
