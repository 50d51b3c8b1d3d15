/** Every model kind: artifact round trip, determinism by seed, configuration checks; ridge against a known linear model. */
import { describe, expect, it } from 'vitest';
import { buildDataset, FEATURE_NAMES } from '../../src/ml/features.js';
import {
  MODEL_KINDS,
  RidgeModel,
  createModel,
  modelFromJSON,
  resolveModelsConfig,
  type ModelArtifact,
  type ModelsConfigOverrides,
} from '../../src/ml/models/index.js';
import { Rng as SeededRng } from '../../src/core/random.js';
import { syntheticBars } from '../../src/ml/synthetic.js';

/** Small but real: 1.5 days of bars, models shrunk so the suite stays fast. */
const bars = syntheticBars({ minutes: 2200, seed: 31, gapShare: 0.01 });
const ds = buildDataset(bars, { field: 'avgPrice', horizon: 1 });
const SMALL: ModelsConfigOverrides = { random_forest: { nTrees: 20 }, gbt: { nIterations: 30 } };

describe('in-sample predictions from the fit', () => {
  it.each(['random_forest', 'gbt'] as const)(
    '%s: the tree sums kept while fitting are bit for bit predictMatrix of the training rows, handed over once',
    (kind) => {
      // Prepare
      const model = createModel(kind, SMALL).fit(ds.X, ds.y);
      // Act
      const fromFit = model.takeFitPredictions?.();
      const again = model.takeFitPredictions?.();
      // Assess
      expect(fromFit).toBeDefined();
      expect(Array.from(fromFit!)).toEqual(Array.from(model.predictMatrix(ds.X)));
      expect(again).toBeUndefined();
    },
  );
});

describe('artifacts', () => {
  it.each(MODEL_KINDS)('%s: JSON text round trip gives bit-identical predictions and the same artifact', (kind) => {
    // Prepare
    const model = createModel(kind, SMALL).fit(ds.X, ds.y);
    const artifact = model.toJSON({ featureNames: [...FEATURE_NAMES], modelId: `${kind}-x`, target: ds.target });
    // Act
    const text = JSON.stringify(artifact);
    const restored = modelFromJSON(JSON.parse(text) as ModelArtifact);
    // Assess
    expect(Array.from(restored.predictMatrix(ds.X))).toEqual(Array.from(model.predictMatrix(ds.X)));
    expect(JSON.stringify(restored.toJSON(artifact.meta))).toBe(text);
    expect(artifact).toMatchObject({ format: 'ticklake-model', formatVersion: 1, kind, nTrainRows: ds.y.length, meta: { modelId: `${kind}-x` } });
    if (kind !== 'persistence') expect(artifact.nFeatures).toBe(FEATURE_NAMES.length);
  });

  it('rejects an artifact of another kind, version or with a corrupt tree', () => {
    // Prepare
    const gbt = createModel('gbt', SMALL).fit(ds.X, ds.y).toJSON();
    const state = gbt.state as { trees: { f: number[] }[] };
    // Act / Assess
    expect(() => modelFromJSON({ ...gbt, formatVersion: 2 } as unknown as ModelArtifact)).toThrow(/version/);
    expect(() => modelFromJSON({ ...gbt, kind: 'unknown' } as unknown as ModelArtifact)).toThrow(/unknown model kind/);
    const corrupt = { ...gbt, state: { ...state, trees: [{ ...state.trees[0]!, f: state.trees[0]!.f.map((f) => (f >= 0 ? 99 : f)) }] } };
    expect(() => modelFromJSON(corrupt)).toThrow(/feature 99/);
  });
});

describe('determinism', () => {
  it.each(MODEL_KINDS)('%s: the same seed gives the same model', (kind) => {
    // Act
    const a = JSON.stringify(createModel(kind, SMALL).fit(ds.X, ds.y).toJSON());
    const b = JSON.stringify(createModel(kind, SMALL).fit(ds.X, ds.y).toJSON());
    // Assess
    expect(b).toBe(a);
  });

  it.each(['random_forest', 'gbt'] as const)('%s: another seed gives another model', (kind) => {
    // Act
    const a = createModel(kind, SMALL).fit(ds.X, ds.y).predictMatrix(ds.X);
    const b = createModel(kind, { random_forest: { nTrees: 20, seed: 2 }, gbt: { nIterations: 30, seed: 2 } })
      .fit(ds.X, ds.y)
      .predictMatrix(ds.X);
    // Assess
    expect(Array.from(b)).not.toEqual(Array.from(a));
  });
});

describe('ridge', () => {
  it('recovers the coefficients of a noiseless linear model and shrinks them as lambda grows', () => {
    // Prepare
    const rng = new SeededRng(4);
    const n = 500;
    const d = 4;
    const w = [2, -3, 0.5, 0];
    const data = new Float64Array(n * d);
    const y = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      let s = 7;
      for (let c = 0; c < d; c++) {
        const x = rng.normal() * (c + 1) + c;
        data[r * d + c] = x;
        s += w[c]! * x;
      }
      y[r] = s;
    }
    const X = { rows: n, cols: d, data };
    // Act
    const exact = new RidgeModel({ lambda: 0 }).fit(X, y);
    const shrunk = new RidgeModel({ lambda: 10 }).fit(X, y);
    // Assess
    expect(exact.predict([1, 1, 1, 1])).toBeCloseTo(7 + 2 - 3 + 0.5, 6);
    expect(exact.predict([0, 0, 0, 0])).toBeCloseTo(7, 6);
    const norm = (m: RidgeModel) => m.standardisedCoefficients().reduce((a, b) => a + b * b, 0);
    expect(norm(shrunk)).toBeLessThan(0.1 * norm(exact));
  });

  it('gives a constant column a zero coefficient instead of failing', () => {
    // Prepare
    const X = { rows: 4, cols: 2, data: Float64Array.from([1, 5, 2, 5, 3, 5, 4, 5]) };
    // Act
    const m = new RidgeModel({ lambda: 0 }).fit(X, Float64Array.from([2, 4, 6, 8]));
    // Assess
    expect(m.standardisedCoefficients()[1]).toBe(0);
    expect(m.predict([5, 123])).toBeCloseTo(10, 9);
  });
});

describe('configuration', () => {
  it('defaults follow the old project (RF 150 trees, depth 7, 128 bins; GBT 150 rounds, depth 7) and overrides merge per kind', () => {
    // Act
    const c = resolveModelsConfig({ gbt: { learningRate: 0.2 } });
    // Assess
    expect(c.random_forest).toMatchObject({ nTrees: 150, maxDepth: 7, maxBins: 128 });
    expect(c.gbt).toMatchObject({ nIterations: 150, maxDepth: 7, learningRate: 0.2 });
  });

  it('rejects invalid hyperparameters and non-finite training data', () => {
    expect(() => createModel('gbt', { gbt: { maxBins: 300 } })).toThrow(/maxBins/);
    expect(() => createModel('random_forest', { random_forest: { featureFraction: 0 } })).toThrow(/featureFraction/);
    expect(() => createModel('ridge', { ridge: { lambda: -1 } })).toThrow(/lambda/);
    const X = { rows: 2, cols: 1, data: Float64Array.from([1, Number.NaN]) };
    expect(() => createModel('gbt').fit(X, Float64Array.from([1, 2]))).toThrow(/not finite/);
  });
});
