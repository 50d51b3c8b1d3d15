/**
 * The common shape of every forecasting model: a regressor from a feature row
 * to the target log-return (see `features.ts`), with a JSON artifact.
 */
import type { FeatureMatrix, TargetSpec } from '../features.js';

/** Model families. */
export type ModelKind = 'persistence' | 'ridge' | 'random_forest' | 'gbt';

/** Every model family, baseline first. */
export const MODEL_KINDS: readonly ModelKind[] = ['persistence', 'ridge', 'random_forest', 'gbt'];

/** Hyperparameter values as stored in artifacts and the `models.params` column. */
export type ParamValue = number | boolean | string;

/** Format tag of model artifacts. */
export const ARTIFACT_FORMAT = 'ticklake-model';

/** Version of the artifact layout; readers reject other versions. */
export const ARTIFACT_FORMAT_VERSION = 1;

/**
 * Context stored with a model: what it was trained on and for. Filled in by
 * the trainer; the models themselves only carry it.
 */
export interface ArtifactMeta {
  /** Feature column names, in matrix order. */
  readonly featureNames?: readonly string[];
  /** Version of the feature definitions (`FEATURE_SET_VERSION`). */
  readonly featureSetVersion?: number;
  /** What the model forecasts. */
  readonly target?: TargetSpec;
  /** Symbols whose bars were used for training. */
  readonly symbols?: readonly string[];
  /** First and last target minute of the training rows, µs since epoch. */
  readonly trainStartUs?: number;
  readonly trainEndUs?: number;
  /** Training date, yyyy-MM-dd (UTC). */
  readonly trainingDate?: string;
  /** Registry id and version of the model. */
  readonly modelId?: string;
  readonly version?: number;
}

/** A serialised model: JSON-safe, self-describing, enough to predict again. */
export interface ModelArtifact<S = unknown> {
  readonly format: typeof ARTIFACT_FORMAT;
  readonly formatVersion: typeof ARTIFACT_FORMAT_VERSION;
  readonly kind: ModelKind;
  /** Hyperparameters, seed included. */
  readonly params: Readonly<Record<string, ParamValue>>;
  /** Number of feature columns the model expects. */
  readonly nFeatures: number;
  /** Rows the model was fitted on. */
  readonly nTrainRows: number;
  readonly meta: ArtifactMeta;
  /** Fitted state, specific to the kind. */
  readonly state: S;
}

/**
 * A fitted (or unfitted) regressor from a feature row to the target log-return.
 * `fit` is deterministic given the model's seed.
 */
export interface Regressor {
  readonly kind: ModelKind;
  /** Hyperparameters, seed included. */
  readonly params: Readonly<Record<string, ParamValue>>;
  /** Fits the model on rows of X and targets y; returns the model. */
  fit(X: FeatureMatrix, y: Float64Array): this;
  /** Predicted log-return of one feature row. */
  predict(x: ArrayLike<number>): number;
  /** Predicted log-returns of every row of X. */
  predictMatrix(X: FeatureMatrix): Float64Array;
  /**
   * The predictions on the rows of the last `fit`, equal to `predictMatrix` of
   * its X, for models that get them while fitting (the tree ensembles): handed
   * over once, then dropped. Undefined when not available.
   */
  takeFitPredictions?(): Float64Array | undefined;
  /** The artifact, with optional training context. */
  toJSON(meta?: ArtifactMeta): ModelArtifact;
}

/** Throws unless X and y describe the same finite rows. */
export function checkTrainingData(X: FeatureMatrix, y: Float64Array): void {
  if (X.data.length !== X.rows * X.cols) throw new Error(`matrix data length ${X.data.length} != ${X.rows} x ${X.cols}`);
  if (y.length !== X.rows) throw new Error(`y has ${y.length} values for ${X.rows} rows`);
  if (X.rows === 0) throw new Error('cannot fit on zero rows');
  for (let i = 0; i < y.length; i++) if (!Number.isFinite(y[i]!)) throw new Error(`y[${i}] is not finite`);
  for (let i = 0; i < X.data.length; i++)
    if (!Number.isFinite(X.data[i]!)) throw new Error(`X row ${Math.floor(i / X.cols)} column ${i % X.cols} is not finite`);
}

/** Throws unless an artifact has the expected format, version and kind. */
export function checkArtifact(a: ModelArtifact, kind: ModelKind): void {
  if (a.format !== ARTIFACT_FORMAT) throw new Error(`not a model artifact (format ${String(a.format)})`);
  if (a.formatVersion !== ARTIFACT_FORMAT_VERSION) throw new Error(`unsupported artifact version ${String(a.formatVersion)}`);
  if (a.kind !== kind) throw new Error(`artifact is a ${a.kind} model, expected ${kind}`);
}

/** Predicts every row of X with a one-row predictor. */
export function predictRows(model: Pick<Regressor, 'predict'>, X: FeatureMatrix): Float64Array {
  const out = new Float64Array(X.rows);
  for (let r = 0; r < X.rows; r++) out[r] = model.predict(X.data.subarray(r * X.cols, (r + 1) * X.cols));
  return out;
}
