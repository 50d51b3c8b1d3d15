/** The day's leaderboard (the promotion rule itself is tested in promotion.test.ts). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rankCandidates, type ChampionCandidate } from '../../src/ml/champion.js';
import { evaluateModels } from '../../src/ml/evaluate.js';
import { buildDataset, splitByTime } from '../../src/ml/features.js';
import { MODEL_KINDS } from '../../src/ml/models/index.js';
import { championChange, evaluationRecords } from '../../src/ml/registry.js';
import { syntheticBars } from '../../src/ml/synthetic.js';
import { trainModels } from '../../src/ml/train.js';
import { MIN } from './helpers.js';

const base: ChampionCandidate = { modelId: 'persistence', kind: 'persistence', rmse: 100, n: 1440 };
const cand = (modelId: string, rmse: number, kind: ChampionCandidate['kind'] = 'gbt'): ChampionCandidate => ({ modelId, kind, rmse, n: 1440 });

describe("the day's leaderboard", () => {
  it('ranks by RMSE, flags models worse than persistence, and reports skill against it', () => {
    // Act
    const d = rankCandidates([cand('gbt-1', 90), base, cand('ridge-1', 80, 'ridge'), cand('rf-1', 105, 'random_forest')]);
    // Assess
    expect(d).toMatchObject({ baselineId: 'persistence', baselineRmse: 100 });
    expect(d.ranking.map((r) => r.modelId)).toEqual(['ridge-1', 'gbt-1', 'persistence', 'rf-1']);
    expect(d.ranking.map((r) => r.eligible)).toEqual([true, true, true, false]);
    expect(d.ranking[0]!.skillVsBaseline).toBeCloseTo(0.2, 12);
  });

  it('ranks unscored models last, ties by id', () => {
    // Act
    const d = rankCandidates([base, { ...cand('a', Number.NaN), n: 0 }, cand('c', 90), cand('b', 90)]);
    // Assess
    expect(d.ranking.map((r) => r.modelId)).toEqual(['b', 'c', 'persistence', 'a']);
    expect(d.ranking.at(-1)).toMatchObject({ modelId: 'a', eligible: false, rank: 4 });
  });

  it('needs exactly one scored persistence baseline', () => {
    expect(() => rankCandidates([cand('a', 1)])).toThrow(/baseline/);
    expect(() => rankCandidates([base, { ...base, modelId: 'p2' }])).toThrow(/exactly one/);
    expect(() => rankCandidates([{ ...base, n: 0 }])).toThrow(/no score/);
    expect(() => rankCandidates([base, base])).toThrow(/twice/);
  });

  it('ranks every scored model by RMSE (property over random leaderboards)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 1000, noNaN: true }),
        fc.array(fc.double({ min: 0, max: 2000, noNaN: true }), { maxLength: 6 }),
        (baseline, others) => {
          // Act
          const d = rankCandidates([{ ...base, rmse: baseline }, ...others.map((r, i) => cand(`m${i}`, r))]);
          // Assess
          for (let i = 1; i < d.ranking.length; i++) expect(d.ranking[i]!.rmse).toBeGreaterThanOrEqual(d.ranking[i - 1]!.rmse);
          for (const r of d.ranking) expect(r.eligible).toBe(r.rmse <= baseline);
        },
      ),
      { numRuns: 200 },
    );
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
    const day = rankCandidates(board);
    const best = day.ranking.find((r) => r.eligible)!;
    const rows = evaluationRecords('2026-11-06', board, best.modelId);
    // Assess
    expect(best.skillVsBaseline).toBeGreaterThanOrEqual(0);
    expect(rows.filter((r) => r.is_champion)).toHaveLength(1);
    expect(rows.find((r) => r.kind === 'persistence')!.skill_vs_baseline).toBe(0);
    expect(rows.every((r) => r.n === evaluation.y.length && r.eval_date === '2026-11-06')).toBe(true);
    const outcome = {
      championId: best.modelId,
      previousChampionId: 'gbt-2026-11-05-v1',
      reason: 'beaten' as const,
      rmse: best.rmse,
      baselineRmse: day.baselineRmse,
    };
    expect(championChange('2026-11-06', { ...outcome, changed: false })).toBeUndefined();
    expect(championChange('2026-11-06', { ...outcome, changed: true })).toMatchObject({ previousModelId: 'gbt-2026-11-05-v1', modelId: best.modelId });
  });
});
