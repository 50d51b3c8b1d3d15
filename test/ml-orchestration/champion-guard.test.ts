/**
 * The promotion rule at the orchestration level: a model that is clearly worse
 * than persistence is never promoted, a champion that turns clearly worse is
 * demoted, and the pointer the live predictor follows is the rule's choice.
 * These tests fail if it is not.
 */
import { cpSync } from 'node:fs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dailyEvaluationDefinition, DAILY_EVALUATION_STATES as E, ML_WORKFLOW_ERRORS } from '../../src/adapters/workflows/ml-workflows.js';
import { evaluationTaskHandlers, LOCAL_EVALUATION_TASKS, LocalExecutionError, LocalWorkflow } from '../../src/local/ml/executor.js';
import { openLocalMl, type LocalMl } from '../../src/local/ml/local-ml.js';
import type { ChampionDecisions, ChooseInput } from '../../src/ml/steps/workflow-types.js';
import { tempDir, withLake } from '../helpers/lake-files.js';
import { badRidge, DAY, FAST_CONFIG, iso, T0, twoSymbolBars, writeBars } from './helpers.js';

const RIDGE = 'ridge-2026-11-04-v1';
const BASELINE = 'persistence-2026-11-04-v1';

/** Every symbol's champion on the day, from the published table, with its RMSE against persistence's. */
async function championsOf(dir: string, evalDate: string): Promise<{ symbol: string; modelId: string; rmse: number; baseline: number }[]> {
  const r = await withLake(`${dir}/lake`, (sql) =>
    sql.query(`SELECT symbol, model_id, rmse, baseline_rmse FROM model_evaluations WHERE is_champion AND eval_date = DATE '${evalDate}' ORDER BY symbol`),
  );
  return r.rows.map((row) => ({ symbol: String(row[0]), modelId: String(row[1]), rmse: Number(row[2]), baseline: Number(row[3]) }));
}

async function expectNoPointerWorseThanPersistence(ml: LocalMl, dir: string, evalDate: string): Promise<void> {
  const rows = await championsOf(dir, evalDate);
  expect(rows.length).toBeGreaterThan(0);
  for (const r of rows) {
    expect(r.rmse, `${r.symbol} champion ${r.modelId}`).toBeLessThanOrEqual(r.baseline);
    expect((await ml.store.getChampion(r.symbol))?.modelId).toBe(r.modelId);
  }
}

describe('a model worse than persistence never becomes champion', () => {
  /** Bars and one weekly training, made once for the file; each test works on a copy of it. */
  let trained: string;
  let dir: string;
  let ml: LocalMl;

  beforeAll(async () => {
    trained = tempDir('ticklake-guard-trained-');
    await writeBars(trained, twoSymbolBars(5, 7));
    await openLocalMl(trained, { config: FAST_CONFIG }).train({ trigger: 'weekly-training', scheduledTime: iso(T0 + 2 * DAY) });
  });

  beforeEach(() => {
    dir = tempDir('ticklake-guard-');
    cpSync(trained, dir, { recursive: true });
    ml = openLocalMl(dir, { config: FAST_CONFIG });
  });

  it('a forced bad model is ranked, flagged and never promoted', async () => {
    await ml.store.putArtifact(RIDGE, badRidge((await ml.store.getArtifact(RIDGE))!));
    const run = await ml.evaluate({ trigger: 'daily-evaluation', scheduledTime: iso(T0 + 3 * DAY) });
    for (const d of run.output.decision!.decisions) {
      const ridge = d.ranking.find((r) => r.modelId === RIDGE)!;
      expect(ridge.eligible).toBe(false);
      expect(ridge.skillVsBaseline!).toBeLessThan(-0.5);
      expect(d.championId).not.toBe(RIDGE);
      expect((await ml.store.getChampion(d.symbol))?.modelId).not.toBe(RIDGE);
    }
    await expectNoPointerWorseThanPersistence(ml, dir, '2026-11-04');
  });

  it('a champion that turns worse than persistence is demoted the next day, and the change is recorded', async () => {
    // Day 1: ridge is made champion of both symbols (as if it had won), then it goes bad.
    for (const symbol of ['BTCUSDT', 'ETHUSDT'])
      await ml.store.setChampion(symbol, { modelId: RIDGE, kind: 'ridge', artifactUri: ml.store.artifactUri(RIDGE), evalDate: '2026-11-04' });
    await ml.store.putArtifact(RIDGE, badRidge((await ml.store.getArtifact(RIDGE))!));
    const run = await ml.evaluate({ trigger: 'daily-evaluation', scheduledTime: iso(T0 + 4 * DAY) });
    expect(run.output.plan.currentChampions).toEqual({ BTCUSDT: RIDGE, ETHUSDT: RIDGE });
    for (const d of run.output.decision!.decisions) {
      expect(d).toMatchObject({ changed: true, reason: 'demoted', previousChampionId: RIDGE });
      expect(d.championId).not.toBe(RIDGE);
    }
    await expectNoPointerWorseThanPersistence(ml, dir, '2026-11-05');
    const history = await ml.store.championHistory();
    expect(history.map((c) => [c.symbol, c.previousModelId, c.reason])).toEqual([
      ['BTCUSDT', RIDGE, 'demoted'],
      ['ETHUSDT', RIDGE, 'demoted'],
    ]);
    await withLake(`${dir}/lake`, async (sql) => {
      const r = await sql.query('SELECT symbol, previous_model_id, reason FROM champion_changes ORDER BY symbol');
      expect(r.rows).toEqual([
        ['BTCUSDT', RIDGE, 'demoted'],
        ['ETHUSDT', RIDGE, 'demoted'],
      ]);
    });
  });

  it('after a new training, an earlier champion keeps competing, for its own symbol only', async () => {
    await ml.store.setChampion('BTCUSDT', { modelId: RIDGE, kind: 'ridge', artifactUri: ml.store.artifactUri(RIDGE), evalDate: '2026-11-04' });
    await ml.train({ trigger: 'weekly-training', scheduledTime: iso(T0 + 3 * DAY) });
    const run = await ml.evaluate({ trigger: 'daily-evaluation', scheduledTime: iso(T0 + 4 * DAY) });
    const { plan, decision } = run.output;
    expect(plan.baselineId).toBe('persistence-2026-11-05-v1');
    expect(plan.models.find((m) => m.modelId === RIDGE)).toEqual({ modelId: RIDGE, kind: 'ridge', symbols: ['BTCUSDT'] });
    expect(plan.models.filter((m) => m.symbols === undefined).map((m) => m.modelId)).toEqual([
      'persistence-2026-11-05-v1',
      'gbt-2026-11-05-v1',
      'random_forest-2026-11-05-v1',
      'ridge-2026-11-05-v1',
    ]);
    const btc = decision!.decisions.find((d) => d.symbol === 'BTCUSDT')!;
    const eth = decision!.decisions.find((d) => d.symbol === 'ETHUSDT')!;
    expect(btc.ranking.map((r) => r.modelId)).toContain(RIDGE);
    expect(eth.ranking.map((r) => r.modelId)).not.toContain(RIDGE);
    expect(btc.previousChampionId).toBe(RIDGE);
    // The earlier champion was tested against persistence on its minutes; it stays unless persistence wins significantly.
    const vsPersistence = btc.tests.find((t) => t.challengerId === plan.baselineId && t.referenceId === RIDGE)!;
    expect(vsPersistence.n).toBeGreaterThan(0);
    expect(btc.championId === RIDGE).toBe(!vsPersistence.significant && btc.reason !== 'beaten');
    expect((await ml.store.getChampion('BTCUSDT'))?.modelId).toBe(btc.championId);
  });

  it('when every model is bad, persistence is champion', async () => {
    for (const id of ['ridge-2026-11-04-v1', 'random_forest-2026-11-04-v1', 'gbt-2026-11-04-v1']) {
      const a = (await ml.store.getArtifact(id))!;
      // Any kind: swap in the bad ridge under the model's id.
      await ml.store.putArtifact(id, { ...badRidge((await ml.store.getArtifact(RIDGE))!), meta: { ...a.meta } });
    }
    const run = await ml.evaluate({ trigger: 'daily-evaluation', scheduledTime: iso(T0 + 3 * DAY) });
    for (const d of run.output.decision!.decisions) expect(d.championId).toBe(BASELINE);
    await expectNoPointerWorseThanPersistence(ml, dir, '2026-11-04');
  });

  it('a faulty decision step that picks a worse model fails the run and leaves the pointers alone', async () => {
    const first = await ml.evaluate({ trigger: 'daily-evaluation', scheduledTime: iso(T0 + 3 * DAY) });
    const before = await ml.store.listChampions();
    await ml.store.putArtifact(RIDGE, badRidge((await ml.store.getArtifact(RIDGE))!));
    // The deployed definition, with ChooseChampion replaced by a broken rule that promotes the worst model.
    const tasks = evaluationTaskHandlers(ml.handlers);
    const broken = new LocalWorkflow(dailyEvaluationDefinition(LOCAL_EVALUATION_TASKS), {
      ...tasks,
      [E.choose]: async (input) => {
        const real = (await ml.handlers.chooseChampion(input as ChooseInput)) as ChampionDecisions;
        return {
          ...real,
          decisions: real.decisions.map((d) => ({ ...d, championId: d.ranking.at(-1)!.modelId, championKind: d.ranking.at(-1)!.kind, changed: true })),
        };
      },
    });
    const err = await broken.run({ trigger: 'daily-evaluation', scheduledTime: iso(T0 + 4 * DAY) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalExecutionError);
    expect(err).toMatchObject({ error: ML_WORKFLOW_ERRORS.evaluationFailed, cause: expect.stringMatching(/not the promotion rule's choice/) });
    expect(await ml.store.listChampions()).toEqual(before);
    expect(await championsOf(dir, '2026-11-05')).toEqual([]);
    expect(first.output.published!.changes.length).toBe(2);
  });
});
