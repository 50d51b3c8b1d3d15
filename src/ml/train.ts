/**
 * Training one model kind on a time window of rows, producing the fitted model,
 * its artifact (with training context) and its `models` row.
 */
import { FEATURE_SET_VERSION, type Dataset } from './features.js';
import { evaluatePredictions, type PriceMetrics } from './evaluate.js';
import { createModel, type ModelsConfigOverrides } from './models/index.js';
import type { ModelArtifact, ModelKind, Regressor } from './models/types.js';
import { makeModelId, modelRecord, type ModelRecord } from './registry.js';

/** Options of {@link trainModel}. */
export interface TrainOptions {
  /** UTC training date, yyyy-MM-dd. */
  readonly trainingDate: string;
  /** Version for the model id. Default 1. */
  readonly version?: number;
  /** Hyperparameter overrides. */
  readonly config?: ModelsConfigOverrides;
  /** URI the artifact will be stored at, from the model id. Default `models/<id>.json`. */
  readonly artifactUri?: (modelId: string) => string;
}

/** A trained model with everything the registry needs. */
export interface TrainedModel {
  readonly modelId: string;
  readonly kind: ModelKind;
  readonly model: Regressor;
  readonly artifact: ModelArtifact;
  readonly record: ModelRecord;
  /** In-sample metrics on price. */
  readonly trainMetrics: PriceMetrics;
  /** In-sample predicted log-returns, row for row of the training rows (= `model.predictMatrix(train.X)`). */
  readonly trainPredictions: Float64Array;
}

/** Fits one model kind on the training rows. Deterministic given the config's seeds. */
export function trainModel(kind: ModelKind, train: Dataset, options: TrainOptions): TrainedModel {
  const n = train.y.length;
  if (n === 0) throw new Error('no training rows');
  const version = options.version ?? 1;
  const modelId = makeModelId(kind, options.trainingDate, version);
  const model = createModel(kind, options.config).fit(train.X, train.y);
  // The ensembles sum their trees over the training rows while fitting; the others predict them again.
  const trainPredictions = model.takeFitPredictions?.() ?? model.predictMatrix(train.X);
  const trainMetrics = evaluatePredictions(trainPredictions, train);
  let trainStartUs = Number.POSITIVE_INFINITY;
  let trainEndUs = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    trainStartUs = Math.min(trainStartUs, train.minuteStartUs[i]!);
    trainEndUs = Math.max(trainEndUs, train.targetTimeUs[i]!);
  }
  const artifact = model.toJSON({
    featureNames: [...train.featureNames],
    featureSetVersion: FEATURE_SET_VERSION,
    target: train.target,
    symbols: [...new Set(train.symbols)].sort(),
    trainStartUs,
    trainEndUs,
    trainingDate: options.trainingDate,
    modelId,
    version,
  });
  const artifactUri = (options.artifactUri ?? ((id: string) => `models/${id}.json`))(modelId);
  const record = modelRecord({
    modelId,
    kind,
    version,
    trainingDate: options.trainingDate,
    trainStartUs,
    trainEndUs,
    params: model.params,
    trainMetrics,
    artifactUri,
  });
  return {
    modelId,
    kind,
    model,
    artifact,
    record,
    trainMetrics: { n: trainMetrics.n, rmse: trainMetrics.rmse, mae: trainMetrics.mae, r2: trainMetrics.r2 },
    trainPredictions,
  };
}

/** Trains several kinds on the same rows, in the given order. */
export function trainModels(kinds: readonly ModelKind[], train: Dataset, options: TrainOptions): TrainedModel[] {
  return kinds.map((k) => trainModel(k, train, options));
}
