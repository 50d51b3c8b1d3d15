/**
 * Live prediction: as each minute bar closes, the champion forecasts the target
 * price `horizon` minutes later for that symbol. Features come from the same
 * code as training ({@link FeatureWindow}); one window per symbol.
 */
import type { Bar } from '../core/bars.js';
import { FEATURE_NAMES, FEATURE_SET_VERSION, FeatureWindow, N_FEATURES, type TargetSpec } from './features.js';
import { MINUTE_US } from './bar.js';
import { modelFromJSON } from './models/index.js';
import type { ModelArtifact, Regressor } from './models/types.js';
import { getOrCreate } from '../core/collections.js';

/** One live forecast. */
export interface Prediction {
  readonly symbol: string;
  /** The forecast minute (t + horizon), µs since epoch. */
  readonly minuteStartUs: number;
  readonly modelId: string;
  /** Forecast price of the target field. */
  readonly predicted: number;
  /** The persistence forecast (the last price) for comparison. */
  readonly basePrice: number;
}

/** Throws unless an artifact was trained on the features this code computes. */
export function checkFeatureCompatibility(a: ModelArtifact): void {
  const names = a.meta.featureNames;
  if (a.nFeatures !== N_FEATURES && a.kind !== 'persistence')
    throw new Error(`model ${a.meta.modelId ?? a.kind} expects ${a.nFeatures} features, this code computes ${N_FEATURES}`);
  if (names !== undefined && (names.length !== N_FEATURES || names.some((n, i) => n !== FEATURE_NAMES[i])))
    throw new Error(`model ${a.meta.modelId ?? a.kind} was trained on other feature columns`);
  if (a.meta.featureSetVersion !== undefined && a.meta.featureSetVersion !== FEATURE_SET_VERSION)
    throw new Error(`model ${a.meta.modelId ?? a.kind} uses feature set v${a.meta.featureSetVersion}, this code computes v${FEATURE_SET_VERSION}`);
}

/** Forecasts from bars as they close, for any number of symbols. */
export class LivePredictor {
  private readonly windows = new Map<string, FeatureWindow>();
  private readonly row = new Float64Array(N_FEATURES);

  constructor(
    private model: Regressor,
    private modelId: string,
    readonly target: TargetSpec,
  ) {}

  /** A predictor for a stored artifact (checks feature compatibility; the target comes from the artifact). */
  static fromArtifact(a: ModelArtifact): LivePredictor {
    checkFeatureCompatibility(a);
    if (a.meta.target === undefined) throw new Error('artifact does not say what it forecasts (meta.target)');
    return new LivePredictor(modelFromJSON(a), a.meta.modelId ?? a.kind, a.meta.target);
  }

  /** Swaps the model (a new champion); the feature windows are kept. */
  setModel(model: Regressor, modelId: string): void {
    this.model = model;
    this.modelId = modelId;
  }

  /** Feeds a closed bar; returns the forecast, or undefined while the symbol warms up. */
  onBar(bar: Bar): Prediction | undefined {
    const w = getOrCreate(this.windows, bar.symbol, () => new FeatureWindow());
    w.push(bar);
    const x = w.features(this.row);
    if (x === undefined) return undefined;
    const basePrice = w.lastPrice(this.target.field);
    return {
      symbol: bar.symbol,
      minuteStartUs: bar.minuteStartUs + this.target.horizon * MINUTE_US,
      modelId: this.modelId,
      predicted: basePrice * Math.exp(this.model.predict(x)),
      basePrice,
    };
  }
}
