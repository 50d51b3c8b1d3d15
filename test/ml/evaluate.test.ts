/** Price metrics, skill against persistence, registry rows and their lake schemas. */
import { describe, expect, it } from 'vitest';
import { parseTableSchema } from '../../src/lake/table-schema.js';
import modelsSchemaJson from '../../glue-schemas/models.json' with { type: 'json' };
import evaluationsSchemaJson from '../../glue-schemas/model_evaluations.json' with { type: 'json' };
import tradesSchemaJson from '../../glue-schemas/trades.json' with { type: 'json' };
import { evaluateModel, evaluateModels, persistenceMetrics, priceMetrics, reconstructPrices, skillVsBaseline } from '../../src/ml/evaluate.js';
import { FEATURE_SET_VERSION, buildDataset } from '../../src/ml/features.js';
import { PersistenceModel } from '../../src/ml/models/index.js';
import { evaluationRecords, makeModelId, paramsJson } from '../../src/ml/registry.js';
import { syntheticBars } from '../../src/ml/synthetic.js';
import { trainModel } from '../../src/ml/train.js';

describe('metrics on price', () => {
  it('RMSE, MAE and R² on hand-computed values', () => {
    // Act
    const m = priceMetrics([1, 2, 3, 4], [1, 2, 3, 6]);
    // Assess: errors 0,0,0,2; SST = 5
    expect(m).toEqual({ n: 4, rmse: 1, mae: 0.5, r2: 1 - 4 / 5 });
    expect(priceMetrics([], [])).toMatchObject({ n: 0, rmse: Number.NaN });
    expect(priceMetrics([2, 2], [2, 3]).r2).toBeNaN();
  });

  it('skill is 1 − RMSE / RMSE_persistence', () => {
    expect(skillVsBaseline(80, 100)).toBeCloseTo(0.2, 15);
    expect(skillVsBaseline(120, 100)).toBeCloseTo(-0.2, 15);
    expect(skillVsBaseline(0, 0)).toBe(0);
    expect(skillVsBaseline(1, 0)).toBe(Number.NEGATIVE_INFINITY);
  });

  it('a zero predicted return is the persistence forecast: skill exactly 0, price metrics equal to the baseline', () => {
    // Prepare
    const ds = buildDataset(syntheticBars({ minutes: 300, seed: 3 }), { field: 'avgPrice', horizon: 2 });
    // Act
    const e = evaluateModel(new PersistenceModel(), ds);
    // Assess
    expect(Array.from(reconstructPrices(ds.basePrice, new Float64Array(ds.y.length)))).toEqual(Array.from(ds.basePrice));
    expect(e.skillVsBaseline).toBe(0);
    expect(e.rmse).toBe(persistenceMetrics(ds).rmse);
    // the price R² of the naive forecast is high: why skill, not R², is the yardstick
    expect(e.r2).toBeGreaterThan(0.8);
  });
});

describe('registry rows follow their lake schemas', () => {
  const models = parseTableSchema(modelsSchemaJson, 'models.json');
  const evaluations = parseTableSchema(evaluationsSchemaJson, 'model_evaluations.json');

  it('schemas have the glue-schemas layout, zone "models", and the columns of the issue', () => {
    expect(Object.keys(modelsSchemaJson)).toEqual(Object.keys(tradesSchemaJson));
    expect(Object.keys(evaluationsSchemaJson)).toEqual(Object.keys(tradesSchemaJson));
    expect(models.zone).toBe('models');
    expect(evaluations.zone).toBe('models');
    expect([...models.columns, ...models.partitionKeys].map((c) => c.name)).toEqual([
      'model_id',
      'kind',
      'version',
      'training_date',
      'train_start',
      'train_end',
      'params',
      'train_rmse',
      'train_r2',
      'artifact_uri',
    ]);
    // The lake table adds the per-symbol context (symbol, baseline_rmse, rank) to the columns.
    const evalColumns = [...evaluations.columns, ...evaluations.partitionKeys].map((c) => c.name);
    expect(evalColumns).toEqual(
      expect.arrayContaining(['model_id', 'kind', 'eval_date', 'rmse', 'mae', 'r2', 'skill_vs_baseline', 'n', 'is_champion', 'symbol']),
    );
  });

  it('a trained model and its evaluation produce rows with exactly the schema columns and matching value types', () => {
    // Prepare
    const bars = syntheticBars({ minutes: 600, seed: 2 });
    const ds = buildDataset(bars);
    const trained = trainModel('ridge', ds, { trainingDate: '2026-11-02', artifactUri: (id) => `s3://bucket/models/${id}.json` });
    const board = evaluateModels([trained, trainModel('persistence', ds, { trainingDate: '2026-11-02' })], ds);
    // Act
    const mrow = trained.record;
    const erows = evaluationRecords('2026-11-02', board, board[0]!.modelId);
    // Assess
    const jsType = { string: 'string', int: 'number', bigint: 'number', double: 'number', timestamp: 'number', date: 'string', boolean: 'boolean' } as const;
    const check = (row: object, schema: typeof models, exact: boolean) => {
      const cols = [...schema.columns, ...schema.partitionKeys].filter((c) => exact || c.name in row);
      if (exact) expect(Object.keys(row).sort()).toEqual(cols.map((c) => c.name).sort());
      else expect(cols.map((c) => c.name).sort()).toEqual(Object.keys(row).sort());
      for (const c of cols) expect(typeof (row as Record<string, unknown>)[c.name]).toBe(jsType[c.type as keyof typeof jsType]);
    };
    check(mrow, models, true);
    // The pure core's evaluation rows are the lake rows minus the per-symbol context the orchestration adds.
    for (const r of erows) check(r, evaluations, false);
    expect(mrow).toMatchObject({ model_id: 'ridge-2026-11-02-v1', version: 1, artifact_uri: 's3://bucket/models/ridge-2026-11-02-v1.json' });
    expect(JSON.parse(mrow.params)).toEqual({ lambda: 0.01 });
    expect(mrow.train_start).toBe(ds.minuteStartUs[0]);
    expect(mrow.train_end).toBe(ds.targetTimeUs[ds.targetTimeUs.length - 1]);
    expect(trained.artifact.meta).toMatchObject({
      modelId: 'ridge-2026-11-02-v1',
      target: { field: 'close', horizon: 1 },
      symbols: ['BTCUSDT'],
      featureSetVersion: FEATURE_SET_VERSION,
    });
  });

  it.each(['ridge', 'random_forest', 'gbt'] as const)('%s: training metrics and predictions are those of the fitted model on the training rows', (kind) => {
    // Prepare
    const ds = buildDataset(syntheticBars({ minutes: 600, seed: 3 }));
    // Act
    const trained = trainModel(kind, ds, { trainingDate: '2026-11-02', config: { random_forest: { nTrees: 10 }, gbt: { nIterations: 10 } } });
    // Assess
    expect(Array.from(trained.trainPredictions)).toEqual(Array.from(trained.model.predictMatrix(ds.X)));
    const { n, rmse, mae, r2 } = evaluateModel(trained.model, ds);
    expect(trained.trainMetrics).toEqual({ n, rmse, mae, r2 });
  });

  it('model ids and params text are stable', () => {
    expect(makeModelId('random_forest', '2026-11-09', 2)).toBe('random_forest-2026-11-09-v2');
    expect(() => makeModelId('gbt', '09/11/2026')).toThrow(/yyyy-MM-dd/);
    expect(paramsJson({ b: 1, a: true })).toBe('{"a":true,"b":1}');
  });
});
