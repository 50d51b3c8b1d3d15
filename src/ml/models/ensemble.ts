/** Shared plumbing of the tree ensembles: artifact state and prediction. */
import type { FeatureMatrix } from '../features.js';
import { predictTree, treeFromJSON, treeToJSON, type Tree, type TreeJSON } from './hist-tree.js';
import {
  ARTIFACT_FORMAT,
  ARTIFACT_FORMAT_VERSION,
  checkArtifact,
  type ArtifactMeta,
  type ModelArtifact,
  type ModelKind,
  type ParamValue,
  type Regressor,
} from './types.js';

/** Serialised trees of an ensemble. */
export interface EnsembleState {
  /** Added to the tree sum (GBT: the training mean of y; forest: 0). */
  readonly baseScore: number;
  /** Multiplies the tree sum (forest: 1 / nTrees; GBT: 1, the learning rate is in the leaves). */
  readonly treeScale: number;
  readonly trees: TreeJSON[];
  /** Total split gain per feature over all trees (importance), same order as the features. */
  readonly gainByFeature: number[];
}

/** Fitted trees plus how to combine them. */
export class TreeEnsemble {
  constructor(
    readonly trees: readonly Tree[],
    readonly baseScore: number,
    readonly treeScale: number,
    readonly gainByFeature: readonly number[],
  ) {}

  predict(x: ArrayLike<number>): number {
    let s = 0;
    for (let t = 0; t < this.trees.length; t++) s += predictTree(this.trees[t]!, x);
    return this.combine(s);
  }

  /** The forecast from the sum of the trees' values (added in tree order, starting at 0). */
  combine(treeSum: number): number {
    return this.baseScore + this.treeScale * treeSum;
  }

  /** Forecasts from per-row tree sums, in place: what {@link predictMatrix} gives for the rows they were summed on. */
  combineAll(treeSums: Float64Array): Float64Array {
    for (let r = 0; r < treeSums.length; r++) treeSums[r] = this.combine(treeSums[r]!);
    return treeSums;
  }

  predictMatrix(X: FeatureMatrix): Float64Array {
    const out = new Float64Array(X.rows);
    for (let r = 0; r < X.rows; r++) out[r] = this.predict(X.data.subarray(r * X.cols, (r + 1) * X.cols));
    return out;
  }

  toState(): EnsembleState {
    return { baseScore: this.baseScore, treeScale: this.treeScale, trees: this.trees.map(treeToJSON), gainByFeature: [...this.gainByFeature] };
  }

  static fromState(s: EnsembleState, nFeatures: number): TreeEnsemble {
    if (!Array.isArray(s.trees) || typeof s.baseScore !== 'number' || typeof s.treeScale !== 'number') throw new Error('ensemble artifact state is malformed');
    return new TreeEnsemble(
      s.trees.map((t) => treeFromJSON(t, nFeatures)),
      s.baseScore,
      s.treeScale,
      s.gainByFeature ?? [],
    );
  }
}

/** Integer config check shared by the ensembles. */
export function checkInt(name: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${v}`);
}

/** Fraction config check shared by the ensembles: (0, 1]. */
export function checkFraction(name: string, v: number): void {
  if (!(v > 0 && v <= 1)) throw new RangeError(`${name} must be in (0, 1], got ${v}`);
}

/** What the tree-ensemble models share: prediction, importance and artifacts around a fitted {@link TreeEnsemble}. */
export abstract class EnsembleRegressor implements Regressor {
  abstract readonly kind: ModelKind;
  abstract readonly params: Readonly<Record<string, ParamValue>>;
  protected ensemble: TreeEnsemble | undefined;
  protected nFeatures = 0;
  protected nTrainRows = 0;
  /** Predictions on the rows of the last fit, kept until {@link takeFitPredictions}. */
  protected fitPredictions: Float64Array | undefined;

  abstract fit(X: FeatureMatrix, y: Float64Array): this;

  takeFitPredictions(): Float64Array | undefined {
    const p = this.fitPredictions;
    this.fitPredictions = undefined;
    return p;
  }

  protected fitted(): TreeEnsemble {
    if (this.ensemble === undefined) throw new Error(`${this.kind} model is not fitted`);
    return this.ensemble;
  }

  predict(x: ArrayLike<number>): number {
    return this.fitted().predict(x);
  }

  predictMatrix(X: FeatureMatrix): Float64Array {
    return this.fitted().predictMatrix(X);
  }

  /** Total split gain per feature (importance). */
  featureGains(): readonly number[] {
    return this.fitted().gainByFeature;
  }

  toJSON(meta: ArtifactMeta = {}): ModelArtifact<EnsembleState> {
    return {
      format: ARTIFACT_FORMAT,
      formatVersion: ARTIFACT_FORMAT_VERSION,
      kind: this.kind,
      params: this.params,
      nFeatures: this.nFeatures,
      nTrainRows: this.nTrainRows,
      meta,
      state: this.fitted().toState(),
    };
  }

  /** Loads the fitted state of an artifact of this model's kind into this model. */
  protected restore(a: ModelArtifact): this {
    checkArtifact(a, this.kind);
    this.nFeatures = a.nFeatures;
    this.nTrainRows = a.nTrainRows;
    this.ensemble = TreeEnsemble.fromState(a.state as EnsembleState, a.nFeatures);
    return this;
  }
}
