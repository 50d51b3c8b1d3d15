/**
 * Gradient-boosted regression trees (squared loss) on the histogram tree
 * learner, in the style of XGBoost's `hist` method: each round fits a tree to
 * the gradients `ŷ − y` with second-order gains, L2-regularised leaves and
 * shrinkage, on an optional row subsample and column subsample per tree.
 */
import type { FeatureMatrix } from '../features.js';
import { Rng as SeededRng } from '../../core/random.js';
import { checkFraction, checkInt, EnsembleRegressor, TreeEnsemble } from './ensemble.js';
import { binMatrix, TreeGrower, type Tree } from './hist-tree.js';
import { checkTrainingData, type ModelArtifact } from './types.js';

/** Gradient-boosting hyperparameters. */
export interface GbtConfig {
  /** Boosting rounds (trees). Default 150 (as the old project). */
  readonly nIterations: number;
  /** Maximum tree depth. Default 7 (as the old project). */
  readonly maxDepth: number;
  /** Shrinkage applied to every tree. Default 0.05. */
  readonly learningRate: number;
  /** Quantile bins per feature, 2..256. Default 128. */
  readonly maxBins: number;
  /** Minimum rows (hessian) per leaf. Default 50. */
  readonly minSamplesLeaf: number;
  /** L2 regularisation of leaf values (XGBoost's lambda). Default 1. */
  readonly lambda: number;
  /** Minimum split gain (XGBoost's gamma). Default 0. */
  readonly minGain: number;
  /** Share of rows sampled (without replacement) per round. Default 0.8. */
  readonly subsample: number;
  /** Share of features sampled per tree. Default 0.8. */
  readonly colsampleByTree: number;
  /** Seed of the row and column sampling. Default 1. */
  readonly seed: number;
}

/** Default gradient-boosting hyperparameters. */
export const DEFAULT_GBT_CONFIG: GbtConfig = {
  nIterations: 150,
  maxDepth: 7,
  learningRate: 0.05,
  maxBins: 128,
  minSamplesLeaf: 50,
  lambda: 1,
  minGain: 0,
  subsample: 0.8,
  colsampleByTree: 0.8,
  seed: 1,
};

/** Gradient-boosted histogram regression trees. */
export class GbtModel extends EnsembleRegressor {
  readonly kind = 'gbt' as const;
  readonly config: GbtConfig;

  constructor(config: Partial<GbtConfig> = {}) {
    super();
    this.config = { ...DEFAULT_GBT_CONFIG, ...config };
    const c = this.config;
    checkInt('nIterations', c.nIterations, 1);
    checkInt('maxDepth', c.maxDepth, 0, 30);
    checkInt('maxBins', c.maxBins, 2, 256);
    checkFraction('subsample', c.subsample);
    checkFraction('colsampleByTree', c.colsampleByTree);
    if (!(c.learningRate > 0) || !(c.minSamplesLeaf > 0) || !(c.lambda >= 0) || !(c.minGain >= 0) || !Number.isFinite(c.seed))
      throw new RangeError('invalid gbt config');
  }

  get params(): Readonly<Record<string, number>> {
    return { ...this.config };
  }

  fit(X: FeatureMatrix, y: Float64Array): this {
    checkTrainingData(X, y);
    const c = this.config;
    const n = X.rows;
    const d = X.cols;
    const binned = binMatrix(X, c.maxBins);
    const grower = new TreeGrower(binned, {
      maxDepth: c.maxDepth,
      minSamplesLeaf: c.minSamplesLeaf,
      lambda: c.lambda,
      minGain: c.minGain,
      nodeFeatureFraction: 1,
    });
    let base = 0;
    for (let r = 0; r < n; r++) base += y[r]!;
    base /= n;
    const pred = new Float64Array(n).fill(base);
    // Per-row sums of the trees' values (pred less the base, added as predict adds them): the in-sample predictions.
    const treeSum = new Float64Array(n);
    const values = new Float64Array(n);
    const grad = new Float64Array(n);
    const hess = new Float64Array(n);
    const rowsBuf = new Uint32Array(n);
    const m = Math.max(1, Math.round(c.subsample * n));
    const k = Math.max(1, Math.round(c.colsampleByTree * d));
    const all = Int32Array.from({ length: d }, (_, i) => i);
    const trees: Tree[] = [];
    for (let it = 0; it < c.nIterations; it++) {
      const rng = SeededRng.derive(c.seed, `gbt:round:${it}`);
      // Row subsample without replacement, kept in ascending order.
      let count = 0;
      if (m >= n) {
        for (let r = 0; r < n; r++) rowsBuf[count++] = r;
      } else {
        let need = m;
        for (let r = 0; r < n && need > 0; r++) {
          if (rng.next() * (n - r) < need) {
            rowsBuf[count++] = r;
            need--;
          }
        }
      }
      hess.fill(0);
      for (let j = 0; j < count; j++) {
        const r = rowsBuf[j]!;
        grad[r] = pred[r]! - y[r]!;
        hess[r] = 1;
      }
      // Column subsample per tree, in ascending column order.
      let features = all;
      if (k < d) {
        const perm = Int32Array.from(all);
        for (let i = 0; i < k; i++) {
          const j = i + rng.int(d - i);
          const t = perm[i]!;
          perm[i] = perm[j]!;
          perm[j] = t;
        }
        features = perm.subarray(0, k).sort();
      }
      const sample = rowsBuf.subarray(0, count);
      const tree = grower.grow(grad, hess, sample, features, undefined, c.learningRate);
      grower.values(tree, sample, values);
      for (let r = 0; r < n; r++) {
        pred[r]! += values[r]!;
        treeSum[r]! += values[r]!;
      }
      trees.push({ feature: tree.feature, value: tree.value, left: tree.left, right: tree.right });
    }
    this.nFeatures = d;
    this.nTrainRows = n;
    this.ensemble = new TreeEnsemble(trees, base, 1, [...grower.gainByFeature]);
    this.fitPredictions = this.ensemble.combineAll(treeSum);
    return this;
  }

  /** Restores a model from its artifact. */
  static fromJSON(a: ModelArtifact): GbtModel {
    return new GbtModel(a.params as Partial<GbtConfig>).restore(a);
  }
}
