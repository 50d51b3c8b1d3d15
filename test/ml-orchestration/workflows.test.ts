/** The forecasting state machines: valid JSONPath ASL, run end to end locally (train, then evaluate) with the real handlers. */
import { StateMachine } from 'aws-local-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DAILY_EVALUATION_STATES as E,
  dailyEvaluationDefinition,
  ML_WORKFLOW_ERRORS,
  WEEKLY_TRAINING_STATES as W,
  weeklyTrainingDefinition,
} from '../../src/adapters/workflows/ml-workflows.js';
import type { AslDefinition } from '../../src/orchestration/asl.js';
import { LOCAL_EVALUATION_TASKS, LOCAL_TRAINING_TASKS, LocalExecutionError, polyfillPromiseWithResolvers } from '../../src/local/ml/executor.js';
import { openLocalMl, type LocalMl } from '../../src/local/ml/local-ml.js';
import { taskStates } from '../helpers/asl.js';
import { tempDir, withLake } from '../helpers/lake-files.js';
import { DAY, FAST_CONFIG, iso, T0, twoSymbolBars, writeBars } from './helpers.js';

describe('ml-workflows definitions', () => {
  const arn = (n: string) => `arn:aws:lambda:eu-west-1:123456789012:function:ticklake-dev-ml-${n}`;
  const training = weeklyTrainingDefinition({
    planTraining: arn('plan-training'),
    trainModel: arn('train'),
    registerModel: arn('register'),
    activateModels: arn('activate'),
  });
  const evaluation = dailyEvaluationDefinition({
    planEvaluation: arn('plan-evaluation'),
    evaluateModel: arn('evaluate'),
    chooseChampion: arn('choose-champion'),
    publishEvaluation: arn('publish'),
  });

  it('are JSONPath ASL that aws-local-stepfunctions accepts, with a Map over kinds and over models', () => {
    polyfillPromiseWithResolvers();
    for (const d of [training, evaluation] as AslDefinition[]) {
      expect(JSON.stringify(d)).not.toMatch(/JSONata|QueryLanguage|\{%/);
      expect(() => new StateMachine(d as never)).not.toThrow();
    }
    expect(training.States[W.trainModels]).toMatchObject({ Type: 'Map', ItemsPath: '$.plan.kinds' });
    expect(evaluation.States[E.evaluateModels]).toMatchObject({ Type: 'Map', ItemsPath: '$.plan.models' });
    expect(evaluation.States[E.hasModels]).toMatchObject({ Type: 'Choice', Default: E.nothingToEvaluate });
  });

  it('take the function ARNs for their Task states, by the exported state names, and retry transient Lambda errors', () => {
    expect(Object.fromEntries(taskStates(training.States).map(([n, s]) => [n, s.Resource]))).toEqual({
      [W.plan]: arn('plan-training'),
      [W.train]: arn('train'),
      [W.register]: arn('register'),
      [W.activate]: arn('activate'),
    });
    expect(Object.fromEntries(taskStates(evaluation.States).map(([n, s]) => [n, s.Resource]))).toEqual({
      [E.plan]: arn('plan-evaluation'),
      [E.evaluate]: arn('evaluate'),
      [E.choose]: arn('choose-champion'),
      [E.publish]: arn('publish'),
    });
    for (const [, s] of [...taskStates(training.States), ...taskStates(evaluation.States)]) {
      expect(s.Retry).toEqual([expect.objectContaining({ ErrorEquals: expect.arrayContaining(['Lambda.TooManyRequestsException']) })]);
    }
  });
});

describe('train, then evaluate, locally through the state machines', () => {
  let dir: string;
  let ml: LocalMl;

  beforeAll(async () => {
    dir = tempDir('ticklake-mlwf-');
    await writeBars(dir, twoSymbolBars(4));
    ml = openLocalMl(dir, { config: FAST_CONFIG });
  });

  it('an evaluation before any training ends in NothingToEvaluate', async () => {
    const run = await ml.evaluate({ trigger: 'daily-evaluation', scheduledTime: iso(T0 + DAY) });
    expect(run.output.plan).toMatchObject({ ready: false, evalDate: '2026-11-02' });
    expect(run.statesEntered).toEqual([E.prepare, E.plan, E.hasModels, E.nothingToEvaluate]);
  });

  it('weekly training: plan, a Map of train -> register per kind, activate; rows and artifacts stored', async () => {
    const run = await ml.train({ trigger: 'weekly-training', scheduledTime: iso(T0 + 2 * DAY + 3 * 3_600_000_000) });
    const { plan, models, activation } = run.output;
    expect(plan).toMatchObject({
      trainingDate: '2026-11-04',
      version: 1,
      windowStart: '2026-11-02T00:00:00.000Z',
      windowEnd: '2026-11-04T00:00:00.000Z',
      symbols: ['BTCUSDT', 'ETHUSDT'],
    });
    expect(models.map((m) => m.modelId)).toEqual(['persistence-2026-11-04-v1', 'ridge-2026-11-04-v1', 'random_forest-2026-11-04-v1', 'gbt-2026-11-04-v1']);
    expect(activation.activeModelIds).toHaveLength(4);
    expect(run.statesEntered.filter((s) => s === W.train)).toHaveLength(4);
    expect(run.statesEntered.filter((s) => s === W.register)).toHaveLength(4);
    expect(run.statesEntered.at(-1)).toBe(W.succeeded);
    for (const m of models) {
      expect(m.trainRows).toBeGreaterThan(2 * 2 * 1300);
      expect(m.bySymbol.map((b) => b.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
      expect(await ml.store.getArtifact(m.modelId)).toMatchObject({ kind: m.kind, meta: { modelId: m.modelId, trainingDate: '2026-11-04' } });
    }
    await withLake(`${dir}/lake`, async (sql) => {
      const r = await sql.query('SELECT model_id, CAST(training_date AS VARCHAR), epoch_us(train_end) FROM models ORDER BY model_id');
      expect(r.rows.map((row) => row[0])).toEqual(['gbt-2026-11-04-v1', 'persistence-2026-11-04-v1', 'random_forest-2026-11-04-v1', 'ridge-2026-11-04-v1']);
      for (const row of r.rows) {
        expect(row[1]).toBe('2026-11-04');
        expect(Number(row[2])).toBeLessThan(T0 + 2 * DAY);
      }
    });
  });

  it('daily evaluation: a Map of evaluate per model, the champion rule per symbol, publish; pointers, rows and changes recorded', async () => {
    const run = await ml.evaluate({ trigger: 'daily-evaluation', scheduledTime: iso(T0 + 3 * DAY + 15 * 60_000_000) });
    const { plan, decision, published } = run.output;
    expect(plan).toMatchObject({ ready: true, evalDate: '2026-11-04', symbols: ['BTCUSDT', 'ETHUSDT'], baselineId: 'persistence-2026-11-04-v1' });
    expect(plan.models).toHaveLength(4);
    expect(run.statesEntered.filter((s) => s === E.evaluate)).toHaveLength(4);
    expect(run.statesEntered.slice(-3)).toEqual([E.choose, E.publish, E.succeeded]);
    expect(decision!.decisions.map((d) => d.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    for (const d of decision!.decisions) {
      expect(d.reason).toBe('initial');
      expect(d.championRmse).toBeLessThanOrEqual(d.baselineRmse);
      expect(await ml.store.getChampion(d.symbol)).toEqual({
        modelId: d.championId,
        kind: d.championKind,
        artifactUri: ml.store.artifactUri(d.championId),
        evalDate: '2026-11-04',
      });
    }
    expect(published!.changes).toHaveLength(2);
    expect(await ml.store.championHistory()).toHaveLength(2);

    await withLake(`${dir}/lake`, async (sql) => {
      expect(await sql.count('model_evaluations')).toBe(8);
      const champs = await sql.query('SELECT symbol, model_id, rmse, baseline_rmse, rank FROM model_evaluations WHERE is_champion ORDER BY symbol');
      expect(champs.rows.map((r) => [r[0], r[1]])).toEqual(decision!.decisions.map((d) => [d.symbol, d.championId]));
      for (const r of champs.rows) expect(Number(r[2])).toBeLessThanOrEqual(Number(r[3]));
      const changes = await sql.query('SELECT symbol, CAST(eval_date AS VARCHAR), previous_model_id, reason FROM champion_changes ORDER BY symbol');
      expect(changes.rows).toEqual([
        ['BTCUSDT', '2026-11-04', null, 'initial'],
        ['ETHUSDT', '2026-11-04', null, 'initial'],
      ]);
    });
  });

  it('re-running a day is idempotent: the same decision replaces its own rows and change records, pointers unchanged', async () => {
    const before = await ml.store.listChampions();
    const history = await ml.store.championHistory();
    const run = await ml.evaluate({ trigger: 'cli', evalDate: '2026-11-04' });
    // The champion before 2026-11-04 is still "none": the same initial decisions, written over themselves.
    expect(run.output.published!.changes.map((c) => [c.symbol, c.modelId, c.reason])).toEqual(history.map((c) => [c.symbol, c.modelId, c.reason]));
    expect(await ml.store.listChampions()).toEqual(before);
    expect(await ml.store.championHistory()).toHaveLength(2);
    await withLake(`${dir}/lake`, async (sql) => {
      expect(await sql.count('model_evaluations')).toBe(8);
      expect(await sql.count('champion_changes')).toBe(2);
    });
  });

  it('models trained on the evaluated day are left out, with the reason', async () => {
    const run = await ml.evaluate({ trigger: 'cli', evalDate: '2026-11-03' });
    expect(run.output.plan.models.map((m) => m.kind)).toEqual(['persistence']);
    expect(run.output.plan.excluded.map((e) => e.modelId).sort()).toEqual(['gbt-2026-11-04-v1', 'random_forest-2026-11-04-v1', 'ridge-2026-11-04-v1']);
    // A later day already decided the pointers: an older day never moves them back.
    expect([...run.output.published!.stale].sort()).toEqual(['BTCUSDT', 'ETHUSDT']);
  });

  it('a failing step ends the run in TrainingFailed with the step error as the cause', async () => {
    const empty = openLocalMl(tempDir('ticklake-mlwf-empty-'), { config: FAST_CONFIG });
    const err = await empty.train({ trigger: 'cli', asOf: iso(T0 + 2 * DAY) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalExecutionError);
    expect(err).toMatchObject({ error: ML_WORKFLOW_ERRORS.trainingFailed, cause: expect.stringMatching(/no bars between/) });
    expect((err as LocalExecutionError).statesEntered.at(-1)).toBe(W.failed);
  });

  it('the local definitions are the deployable ones, with placeholder ARNs', () => {
    expect(weeklyTrainingDefinition(LOCAL_TRAINING_TASKS).States[W.plan]).toMatchObject({ Type: 'Task', Resource: LOCAL_TRAINING_TASKS.planTraining });
    expect(dailyEvaluationDefinition(LOCAL_EVALUATION_TASKS).States[E.publish]).toMatchObject({
      Type: 'Task',
      Resource: LOCAL_EVALUATION_TASKS.publishEvaluation,
    });
  });
});
