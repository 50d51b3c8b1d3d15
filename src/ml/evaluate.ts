/**
 * Forecast metrics, always on the reconstructed PRICE (not on the log-return the
 * models predict), so they read like the old project's figures, plus the skill
 * against the persistence forecast, which is the number that matters:
 * `skill_vs_baseline = 1 − RMSE / RMSE_persistence` (> 0: better than "next =
 * last"; ≤ 0: worthless, whatever the R²).
 *
 * Note on R² on price: price levels vary far more over a day than from one
 * minute to the next, so R² on price is close to 1 even for the naive forecast
 * (and hugely negative for a model that predicts the wrong level, as the old
 * models did on live data). It is reported for continuity; judge by skill.
 */
import type { Dataset } from './features.js';
import type { ModelKind, Regressor } from './models/types.js';

/** Price-space error metrics on n rows. */
export interface PriceMetrics {
  /** Rows scored. */
  readonly n: number;
  /** Root mean squared error, quote currency. NaN when n = 0. */
  readonly rmse: number;
  /** Mean absolute error, quote currency. NaN when n = 0. */
  readonly mae: number;
  /** 1 − SSE / SST around the mean actual price. NaN when n = 0 or the actual price is constant. */
  readonly r2: number;
}

/** RMSE, MAE and R² of predicted against actual prices. */
export function priceMetrics(actual: ArrayLike<number>, predicted: ArrayLike<number>): PriceMetrics {
  const n = actual.length;
  if (predicted.length !== n) throw new Error(`${predicted.length} predictions for ${n} actual values`);
  if (n === 0) return { n: 0, rmse: Number.NaN, mae: Number.NaN, r2: Number.NaN };
  let mean = 0;
  for (let i = 0; i < n; i++) mean += actual[i]!;
  mean /= n;
  let sse = 0;
  let sae = 0;
  let sst = 0;
  for (let i = 0; i < n; i++) {
    const e = predicted[i]! - actual[i]!;
    sse += e * e;
    sae += Math.abs(e);
    const d = actual[i]! - mean;
    sst += d * d;
  }
  return { n, rmse: Math.sqrt(sse / n), mae: sae / n, r2: sst > 0 ? 1 - sse / sst : Number.NaN };
}

/**
 * `1 − rmse / baselineRmse`. 0 for the baseline itself, negative when worse.
 * When the baseline is perfect (RMSE 0) the skill is 0 for an equally perfect
 * model and −∞ otherwise.
 */
export function skillVsBaseline(rmse: number, baselineRmse: number): number {
  if (baselineRmse === 0) return rmse === 0 ? 0 : Number.NEGATIVE_INFINITY;
  return 1 - rmse / baselineRmse;
}

/** Price forecasts `basePrice * exp(predicted log-return)`. */
export function reconstructPrices(basePrice: ArrayLike<number>, predictedReturn: ArrayLike<number>): Float64Array {
  const n = basePrice.length;
  if (predictedReturn.length !== n) throw new Error(`${predictedReturn.length} predicted returns for ${n} base prices`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = basePrice[i]! * Math.exp(predictedReturn[i]!);
  return out;
}

/** Metrics of the persistence forecast on a dataset (predicted price = base price). */
export function persistenceMetrics(ds: Dataset): PriceMetrics {
  return priceMetrics(ds.actualPrice, ds.basePrice);
}

/** A model's price metrics on a dataset, with the persistence comparison on the same rows. */
export interface ModelEvaluation extends PriceMetrics {
  /** `1 − rmse / baselineRmse`. */
  readonly skillVsBaseline: number;
  /** RMSE of the persistence forecast on the same rows. */
  readonly baselineRmse: number;
}

/** Evaluates a model on a dataset: predicts returns, reconstructs prices, scores them. */
export function evaluateModel(model: Pick<Regressor, 'predictMatrix'>, ds: Dataset): ModelEvaluation {
  return evaluatePredictions(model.predictMatrix(ds.X), ds);
}

/** Scores predicted log-returns of a dataset's rows (row for row) on price, against persistence. */
export function evaluatePredictions(predictedReturns: ArrayLike<number>, ds: Dataset): ModelEvaluation {
  const predicted = reconstructPrices(ds.basePrice, predictedReturns);
  const m = priceMetrics(ds.actualPrice, predicted);
  const baselineRmse = persistenceMetrics(ds).rmse;
  return { ...m, skillVsBaseline: skillVsBaseline(m.rmse, baselineRmse), baselineRmse };
}

/** A model to evaluate, with its registry identity. */
export interface ModelUnderEvaluation {
  readonly modelId: string;
  readonly kind: ModelKind;
  readonly model: Pick<Regressor, 'predictMatrix'>;
}

/** One line of a leaderboard. */
export interface LeaderboardEntry extends ModelEvaluation {
  readonly modelId: string;
  readonly kind: ModelKind;
}

/** Evaluates several models on the same rows; sorted by RMSE (ties: model id). */
export function evaluateModels(models: readonly ModelUnderEvaluation[], ds: Dataset): LeaderboardEntry[] {
  return models
    .map((m) => ({ modelId: m.modelId, kind: m.kind, ...evaluateModel(m.model, ds) }))
    .sort((a, b) => a.rmse - b.rmse || (a.modelId < b.modelId ? -1 : a.modelId > b.modelId ? 1 : 0));
}

/** Per-row price errors of a model and of persistence on the same rows: the promotion rule's input. */
export interface PriceErrors {
  /** Predicted − actual price. */
  readonly error: Float64Array;
  /** Base price − actual price (the persistence forecast's error). */
  readonly baselineError: Float64Array;
}

/** A model's per-row price errors on a dataset, with persistence's on the same rows. */
export function priceErrors(model: Pick<Regressor, 'predictMatrix'>, ds: Dataset): PriceErrors {
  const predicted = reconstructPrices(ds.basePrice, model.predictMatrix(ds.X));
  const n = predicted.length;
  const error = new Float64Array(n);
  const baselineError = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    error[i] = predicted[i]! - ds.actualPrice[i]!;
    baselineError[i] = ds.basePrice[i]! - ds.actualPrice[i]!;
  }
  return { error, baselineError };
}
