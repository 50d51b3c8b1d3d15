/** The champion rule: lowest RMSE wins, never a model worse than persistence, ties keep the champion. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseChampion, type ChampionCandidate } from '../../src/ml/champion.js';
import { evaluateModels } from '../../src/ml/evaluate.js';
import { buildDataset, splitByTime } from '../../src/ml/features.js';
import { MODEL_KINDS } from '../../src/ml/models/index.js';
import { championChange, evaluationRecords } from '../../src/ml/registry.js';
import { syntheticBars } from '../../src/ml/synthetic.js';
import { trainModels } from '../../src/ml/train.js';
import { MIN } from './helpers.js';

const base: ChampionCandidate = { modelId: 'persistence', kind: 'persistence', rmse: 100, n: 1440 };
const cand = (modelId: string, rmse: number, kind: ChampionCandidate['kind'] = 'gbt'): ChampionCandidate => ({ modelId, kind, rmse, n: 1440 });

describe('champion rule', () => {
  it('FAILS IF a model worse than persistence becomes champion: a worse model never wins, even as the current champion', () => {
    // Prepare
    const worse = [cand('gbt-1', 100.0001), cand('rf-1', 150, 'random_forest')];
    // Act
    const initial = chooseChampion([base, ...worse]);
    const incumbent = chooseChampion([base, ...worse], { currentChampionId: 'gbt-1' });
    const tolerant = chooseChampion([base, ...worse], { currentChampionId: 'gbt-1', tieTolerance: 0.01 });
    // Assess
    for (const d of [initial, incumbent, tolerant]) {
      expect(d.championId).toBe('persistence');
      expect(d.ranking.find((r) => r.modelId === 'gbt-1')!.eligible).toBe(false);
    }
    expect(incumbent).toMatchObject({ changed: true, reason: 'demoted', previousChampionId: 'gbt-1' });
  });

  it('FAILS IF a model worse than persistence becomes champion (property over random leaderboards)', () => {
    const arb = fc.record({
      baseline: fc.double({ min: 1, max: 1000, noNaN: true }),
      others: fc.array(fc.oneof(fc.double({ min: 0, max: 2000, noNaN: true }), fc.constant(Number.NaN)), { maxLength: 6 }),
      current: fc.integer({ min: -1, max: 6 }),
      tol: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.1, noNaN: true })),
    });
    fc.assert(
      fc.property(arb, ({ baseline, others, current, tol }) => {
        // Prepare
        const cands = [{ ...base, rmse: baseline }, ...others.map((r, i) => cand(`m${i}`, r))];
        const currentChampionId = current < 0 ? undefined : current === 0 ? 'persistence' : current <= others.length ? `m${current - 1}` : 'retired';
        // Act
        const d = chooseChampion(cands, { currentChampionId, tieTolerance: tol });
        // Assess
        const winner = cands.find((c) => c.modelId === d.championId)!;
        expect(winner.rmse).toBeLessThanOrEqual(baseline);
        const bestEligible = Math.min(...cands.filter((c) => c.rmse <= baseline).map((c) => c.rmse));
        expect(winner.rmse).toBeLessThanOrEqual(bestEligible * (1 + tol));
      }),
      { numRuns: 500 },
    );
  });

  it('promotes the lowest RMSE that beats persistence', () => {
    // Act
    const d = chooseChampion([cand('gbt-1', 90), base, cand('ridge-1', 80, 'ridge'), cand('rf-1', 95, 'random_forest')], { currentChampionId: 'gbt-1' });
    // Assess
    expect(d).toMatchObject({ championId: 'ridge-1', changed: true, reason: 'beaten', baselineRmse: 100 });
    expect(d.ranking.map((r) => r.modelId)).toEqual(['ridge-1', 'gbt-1', 'rf-1', 'persistence']);
    expect(d.ranking[0]!.skillVsBaseline).toBeCloseTo(0.2, 12);
  });

  it('ties keep the current champion; a tie without it goes to the baseline, then to the smallest id', () => {
    expect(chooseChampion([base, cand('a', 90), cand('b', 90)], { currentChampionId: 'b' })).toMatchObject({ championId: 'b', changed: false, reason: 'kept' });
    expect(chooseChampion([base, cand('a', 100)], { currentChampionId: 'a' })).toMatchObject({ championId: 'a', changed: false });
    expect(chooseChampion([base, cand('a', 100)])).toMatchObject({ championId: 'persistence', reason: 'initial' });
    expect(chooseChampion([base, cand('b', 90), cand('a', 90)], { currentChampionId: 'persistence' })).toMatchObject({ championId: 'a', reason: 'beaten' });
    // a tolerance turns near-ties into ties, in favour of the incumbent
    expect(chooseChampion([base, cand('a', 89.99), cand('b', 90)], { currentChampionId: 'b', tieTolerance: 0.001 })).toMatchObject({
      championId: 'b',
      reason: 'kept',
    });
  });

  it('an unscored model is not eligible, and an unscored champion is replaced', () => {
    // Act
    const d = chooseChampion([base, { ...cand('a', Number.NaN), n: 0 }, cand('b', 99)], { currentChampionId: 'a' });
    // Assess
    expect(d).toMatchObject({ championId: 'b', reason: 'demoted' });
    expect(d.ranking.at(-1)).toMatchObject({ modelId: 'a', eligible: false });
  });

  it('needs exactly one scored persistence baseline', () => {
    expect(() => chooseChampion([cand('a', 1)])).toThrow(/baseline/);
    expect(() => chooseChampion([base, { ...base, modelId: 'p2' }])).toThrow(/exactly one/);
    expect(() => chooseChampion([{ ...base, n: 0 }])).toThrow(/no score/);
    expect(() => chooseChampion([base, base])).toThrow(/twice/);
  });
});

describe('one training week and one evaluation day, end to end', () => {
  it('trains every kind, scores the next day against persistence, and never crowns a loser', () => {
    // Prepare
    const bars = syntheticBars({ minutes: 4 * 1440 + 60, seed: 17 });
    const ds = buildDataset(bars, { field: 'close', horizon: 1 });
    const boundary = bars[0]!.minuteStartUs + (3 * 1440 + 60) * MIN;
    const { train, evaluation } = splitByTime(ds, boundary, boundary + 1440 * MIN);
    const trained = trainModels(MODEL_KINDS, train, { trainingDate: '2026-11-05', config: { random_forest: { nTrees: 30 }, gbt: { nIterations: 40 } } });
    // Act
    const board = evaluateModels(trained, evaluation);
    const decision = chooseChampion(board, { currentChampionId: 'gbt-2026-11-05-v1' });
    const rows = evaluationRecords('2026-11-06', board, decision);
    // Assess
    const champ = board.find((b) => b.modelId === decision.championId)!;
    expect(champ.skillVsBaseline).toBeGreaterThanOrEqual(0);
    expect(rows.filter((r) => r.is_champion)).toHaveLength(1);
    expect(rows.find((r) => r.kind === 'persistence')!.skill_vs_baseline).toBe(0);
    expect(rows.every((r) => r.n === evaluation.y.length && r.eval_date === '2026-11-06')).toBe(true);
    const change = championChange('2026-11-06', decision);
    if (decision.changed) expect(change).toMatchObject({ previousModelId: 'gbt-2026-11-05-v1', modelId: decision.championId });
    else expect(change).toBeUndefined();
  });
});
