/**
 * Accuracy of the own GBT against XGBoost (`ml-xgboost` 1.1.2, WebAssembly) with
 * the same hyperparameters on the same rows: the own learner must be within 10 %
 * of XGBoost's RMSE (or better), and both are compared with the persistence
 * baseline on minute bars.
 */
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateModel } from '../../src/ml/evaluate.js';
import { buildDataset, splitByTime, type FeatureMatrix } from '../../src/ml/features.js';
import { GbtModel } from '../../src/ml/models/index.js';
import { syntheticBars } from '../../src/ml/synthetic.js';
import { friedman1, MIN, rmseOf, toRows } from './helpers.js';

/** The part of ml-xgboost's API used here (the package ships no types). */
interface XGBoostModel {
  train(X: number[][], y: number[]): void;
  predict(X: number[][]): number[];
  free(): void;
}
type XGBoostCtor = new (options: Record<string, string | number>) => XGBoostModel;

let XGBoost: XGBoostCtor;
beforeAll(async () => {
  const require = createRequire(import.meta.url);
  XGBoost = (await (require('ml-xgboost') as Promise<XGBoostCtor>)) as XGBoostCtor;
});

/** Same settings for both learners. */
const SHARED = { rounds: 100, depth: 6, eta: 0.1, lambda: 1, minChildWeight: 1 };

function fitXgboost(X: FeatureMatrix, y: Float64Array, Xtest: FeatureMatrix): Float64Array {
  const m = new XGBoost({
    booster: 'gbtree',
    objective: 'reg:linear',
    max_depth: SHARED.depth,
    eta: SHARED.eta,
    lambda: SHARED.lambda,
    min_child_weight: SHARED.minChildWeight,
    subsample: 1,
    colsample_bytree: 1,
    silent: 1,
    iterations: SHARED.rounds,
  });
  try {
    m.train(toRows(X), Array.from(y));
    return Float64Array.from(m.predict(toRows(Xtest)));
  } finally {
    m.free();
  }
}

function fitOwn(X: FeatureMatrix, y: Float64Array): GbtModel {
  return new GbtModel({
    nIterations: SHARED.rounds,
    maxDepth: SHARED.depth,
    learningRate: SHARED.eta,
    lambda: SHARED.lambda,
    minSamplesLeaf: SHARED.minChildWeight,
    subsample: 1,
    colsampleByTree: 1,
    maxBins: 256,
  }).fit(X, y);
}

describe('own GBT vs ml-xgboost', () => {
  it('minute bars (7 days train, next day test, avgPrice target): RMSE on price within 10 % of XGBoost, both beat persistence', () => {
    // Prepare
    const bars = syntheticBars({ minutes: 8 * 1440 + 60, seed: 3 });
    const ds = buildDataset(bars, { field: 'avgPrice', horizon: 1 });
    const { train, evaluation } = splitByTime(ds, bars[0]!.minuteStartUs + (7 * 1440 + 60) * MIN);
    expect(train.y.length).toBeGreaterThan(10_000);
    // Act
    const own = evaluateModel(fitOwn(train.X, train.y), evaluation);
    const xgbReturns = fitXgboost(train.X, train.y, evaluation.X);
    const xgb = evaluateModel({ predictMatrix: () => xgbReturns }, evaluation);
    // Assess
    expect(own.rmse).toBeLessThanOrEqual(1.1 * xgb.rmse);
    expect(own.skillVsBaseline).toBeGreaterThan(0.1);
    expect(xgb.skillVsBaseline).toBeGreaterThan(0.1);
    expect(own.n).toBe(1440);
  });

  it('minute bars, close target (a martingale): neither learner beats persistence by more than noise, and they agree within 10 %', () => {
    // Prepare
    const bars = syntheticBars({ minutes: 3 * 1440 + 60, seed: 12 });
    const ds = buildDataset(bars, { field: 'close', horizon: 1 });
    const { train, evaluation } = splitByTime(ds, bars[0]!.minuteStartUs + (2 * 1440 + 60) * MIN);
    // Act
    const own = evaluateModel(fitOwn(train.X, train.y), evaluation);
    const xgbReturns = fitXgboost(train.X, train.y, evaluation.X);
    const xgb = evaluateModel({ predictMatrix: () => xgbReturns }, evaluation);
    // Assess
    expect(own.rmse).toBeLessThanOrEqual(1.1 * xgb.rmse);
    expect(own.skillVsBaseline).toBeLessThan(0.05);
    expect(xgb.skillVsBaseline).toBeLessThan(0.05);
  });

  it('Friedman #1 (a nonlinear function with a large learnable signal): RMSE within 10 % of XGBoost', () => {
    // Prepare
    const train = friedman1(5000, 21);
    const test = friedman1(2000, 22);
    // Act
    const own = rmseOf(test.y, fitOwn(train.X, train.y).predictMatrix(test.X));
    const xgb = rmseOf(test.y, fitXgboost(train.X, train.y, test.X));
    // Assess
    expect(own).toBeLessThanOrEqual(1.1 * xgb);
    expect(own).toBeLessThan(2);
  });
});
