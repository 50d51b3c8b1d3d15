/**
 * The naive forecast: the next price equals the last one. In log-return terms it
 * predicts 0, whatever the features. Every other model is judged against it.
 */
import type { FeatureMatrix } from '../features.js';
import { ARTIFACT_FORMAT, ARTIFACT_FORMAT_VERSION, checkArtifact, type ArtifactMeta, type ModelArtifact, type Regressor } from './types.js';

/** Persistence has no fitted state. */
export type PersistenceState = Record<string, never>;

/** Persistence baseline: predicts a zero log-return. */
export class PersistenceModel implements Regressor {
  readonly kind = 'persistence' as const;
  readonly params: Readonly<Record<string, never>> = {};
  private nFeatures = 0;
  private nTrainRows = 0;

  fit(X: FeatureMatrix, y: Float64Array): this {
    if (y.length !== X.rows) throw new Error(`y has ${y.length} values for ${X.rows} rows`);
    this.nFeatures = X.cols;
    this.nTrainRows = X.rows;
    return this;
  }

  predict(_x: ArrayLike<number>): number {
    return 0;
  }

  predictMatrix(X: FeatureMatrix): Float64Array {
    return new Float64Array(X.rows);
  }

  toJSON(meta: ArtifactMeta = {}): ModelArtifact<PersistenceState> {
    return {
      format: ARTIFACT_FORMAT,
      formatVersion: ARTIFACT_FORMAT_VERSION,
      kind: this.kind,
      params: {},
      nFeatures: this.nFeatures,
      nTrainRows: this.nTrainRows,
      meta,
      state: {},
    };
  }

  /** Restores a model from its artifact. */
  static fromJSON(a: ModelArtifact): PersistenceModel {
    checkArtifact(a, 'persistence');
    const m = new PersistenceModel();
    m.nFeatures = a.nFeatures;
    m.nTrainRows = a.nTrainRows;
    return m;
  }
}
