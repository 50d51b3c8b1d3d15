/**
 * Random forest regression on the histogram tree learner: each tree is grown on
 * a bootstrap sample (drawn as integer row weights) and tries a random subset of
 * the features at every node; the forecast is the mean of the trees.
 */
import type { FeatureMatrix } from '../features.js';
import { Rng as SeededRng } from '../../core/random.js';
import { checkFraction, checkInt, EnsembleRegressor, TreeEnsemble } from './ensemble.js';
import { binMatrix, TreeGrower, type Tree } from './hist-tree.js';
import { checkTrainingData, type ModelArtifact } from './types.js';

/** Random-forest hyperparameters. */
export interface RandomForestConfig {
  /** Number of trees. Default 150 (as the old project). */
  readonly nTrees: number;
  /** Maximum tree depth. Default 7 (as the old project). */
  readonly maxDepth: number;
  /** Quantile bins per feature, 2..256. Default 128 (as the old project). */
  readonly maxBins: number;
  /** Minimum bootstrap-weighted rows per leaf. Default 20. */
  readonly minSamplesLeaf: number;
  /** Share of the features tried at each node. Default 1/3 (the usual choice for regression). */
  readonly featureFraction: number;
  /** Bootstrap sample size as a share of the rows (drawn with replacement). Default 1. */
  readonly sampleFraction: number;
  /** Sample rows with replacement (bootstrap); otherwise without. Default true. */
  readonly bootstrap: boolean;
  /** L2 regularisation of leaf values (0 = plain leaf means). Default 0. */
  readonly lambda: number;
  /** Seed of the bootstrap and feature sampling. Default 1. */
  readonly seed: number;
}

/** Default random-forest hyperparameters. */
export const DEFAULT_RANDOM_FOREST_CONFIG: RandomForestConfig = {
  nTrees: 150,
  maxDepth: 7,
  maxBins: 128,
  minSamplesLeaf: 20,
  featureFraction: 1 / 3,
  sampleFraction: 1,
  bootstrap: true,
  lambda: 0,
  seed: 1,
};

/** Random forest of histogram regression trees. */
export class RandomForestModel extends EnsembleRegressor {
  readonly kind = 'random_forest' as const;
  readonly config: RandomForestConfig;

  constructor(config: Partial<RandomForestConfig> = {}) {
    super();
    this.config = { ...DEFAULT_RANDOM_FOREST_CONFIG, ...config };
    const c = this.config;
    checkInt('nTrees', c.nTrees, 1);
    checkInt('maxDepth', c.maxDepth, 0, 30);
    checkInt('maxBins', c.maxBins, 2, 256);
    checkFraction('featureFraction', c.featureFraction);
    checkFraction('sampleFraction', c.sampleFraction);
    if (!(c.minSamplesLeaf > 0) || !(c.lambda >= 0) || !Number.isFinite(c.seed)) throw new RangeError('invalid random forest config');
  }

  get params(): Readonly<Record<string, number | boolean>> {
    return { ...this.config };
  }

  fit(X: FeatureMatrix, y: Float64Array): this {
    checkTrainingData(X, y);
    const c = this.config;
    const n = X.rows;
    const binned = binMatrix(X, c.maxBins);
    const grower = new TreeGrower(binned, {
      maxDepth: c.maxDepth,
      minSamplesLeaf: c.minSamplesLeaf,
      lambda: c.lambda,
      minGain: 0,
      nodeFeatureFraction: c.featureFraction,
    });
    const features = Int32Array.from({ length: X.cols }, (_, i) => i);
    const weight = new Float64Array(n);
    const grad = new Float64Array(n);
    const rowsBuf = new Uint32Array(n);
    // Per-row sums of the trees' values: the in-sample predictions without a second pass over the raw rows.
    const treeSum = new Float64Array(n);
    const values = new Float64Array(n);
    const m = Math.max(1, Math.round(c.sampleFraction * n));
    const trees: Tree[] = [];
    for (let t = 0; t < c.nTrees; t++) {
      const rng = SeededRng.derive(c.seed, `random_forest:tree:${t}`);
      weight.fill(0);
      if (c.bootstrap) {
        for (let k = 0; k < m; k++) weight[rng.int(n)]! += 1;
      } else {
        // Sample m rows without replacement (selection sampling keeps row order).
        let need = m;
        for (let r = 0; r < n && need > 0; r++) {
          if (rng.next() * (n - r) < need) {
            weight[r] = 1;
            need--;
          }
        }
      }
      let count = 0;
      for (let r = 0; r < n; r++) {
        const w = weight[r]!;
        grad[r] = -w * y[r]!;
        if (w > 0) rowsBuf[count++] = r;
      }
      const sample = rowsBuf.subarray(0, count);
      const tree = grower.grow(grad, weight, sample, features, rng);
      grower.values(tree, sample, values);
      for (let r = 0; r < n; r++) treeSum[r]! += values[r]!;
      trees.push({ feature: tree.feature, value: tree.value, left: tree.left, right: tree.right });
    }
    this.nFeatures = X.cols;
    this.nTrainRows = n;
    this.ensemble = new TreeEnsemble(trees, 0, 1 / trees.length, [...grower.gainByFeature]);
    this.fitPredictions = this.ensemble.combineAll(treeSum);
    return this;
  }

  /** Restores a model from its artifact. */
  static fromJSON(a: ModelArtifact): RandomForestModel {
    return new RandomForestModel(a.params as Partial<RandomForestConfig>).restore(a);
  }
}
