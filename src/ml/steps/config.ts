/**
 * Configuration of the forecasting workflows: which model kinds the weekly
 * training fits, on how many days, to forecast what, with which
 * hyperparameters. The plan step copies it into the execution, so every later
 * step (and the execution history) sees the values the run used.
 */
import { DEFAULT_TARGET, type TargetSpec } from '../features.js';
import { isModelKind, MODEL_KINDS, type ModelKind, type ModelsConfigOverrides } from '../models/index.js';

/** Settings of the training and evaluation handlers. */
export interface MlConfig {
  /** Model kinds trained every week; must include `persistence` (the baseline the champion rule needs). */
  readonly kinds: readonly ModelKind[];
  /** Days of bars before the training time that form the training window. */
  readonly trainDays: number;
  /** What the models forecast. */
  readonly target: TargetSpec;
  /** Hyperparameter overrides per kind (merged over the defaults of `src/ml/models`). */
  readonly models: ModelsConfigOverrides;
  /** A training run fails below this many training rows (all symbols together). */
  readonly minTrainRows: number;
  /** Symbols to train and evaluate on; undefined = every symbol with bars in the window. */
  readonly symbols?: readonly string[];
  /** The promotion rule's window and level (`src/ml/promotion.ts`). */
  readonly promotion: PromotionSettings;
}

/** Settings of the promotion rule, copied into each evaluation plan. */
export interface PromotionSettings {
  /** Evaluation days whose per-minute errors the tests use, the evaluated day included. */
  readonly windowDays: number;
  /** One-sided significance level of each Diebold–Mariano test. */
  readonly level: number;
}

/** Defaults chosen on the backtest (docs/backtest.md, "Promotion rule"). */
export const DEFAULT_PROMOTION: PromotionSettings = { windowDays: 7, level: 0.05 };

/** Defaults: every kind, 7 days, next minute's close, default hyperparameters. */
export const DEFAULT_ML_CONFIG: MlConfig = {
  kinds: MODEL_KINDS,
  trainDays: 7,
  target: DEFAULT_TARGET,
  models: {},
  minTrainRows: 200,
  promotion: DEFAULT_PROMOTION,
};

/** Parses a comma-separated list of model kinds; throws on an unknown kind or a missing baseline. */
export function parseKinds(text: string): ModelKind[] {
  const kinds = text
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  const unknown = kinds.filter((k) => !isModelKind(k));
  if (unknown.length > 0) throw new Error(`unknown model kind ${unknown.join(', ')}; known: ${MODEL_KINDS.join(', ')}`);
  return checkKinds(kinds as ModelKind[]);
}

/** Throws unless the kinds are distinct and include the persistence baseline. */
export function checkKinds(kinds: readonly ModelKind[]): ModelKind[] {
  if (new Set(kinds).size !== kinds.length) throw new Error(`model kinds listed twice: ${kinds.join(', ')}`);
  if (!kinds.includes('persistence')) throw new Error('the model kinds must include persistence: the champion rule compares every model with it');
  return [...kinds];
}

/**
 * The configuration from Lambda environment variables, over the defaults:
 * `ML_MODEL_KINDS` (comma-separated), `ML_TRAIN_DAYS`, `ML_TARGET_FIELD`
 * (`close` | `avgPrice`), `ML_TARGET_HORIZON`, `ML_MODELS_CONFIG` (JSON object of
 * per-kind overrides), `ML_MIN_TRAIN_ROWS`, `ML_SYMBOLS` (comma-separated),
 * `ML_PROMOTION_WINDOW_DAYS`, `ML_PROMOTION_LEVEL` (in (0, 0.5]).
 */
export function mlConfigFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): MlConfig {
  const num = (name: string, fallback: number, min: number): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got ${raw}`);
    return n;
  };
  const field = env.ML_TARGET_FIELD?.trim() || DEFAULT_ML_CONFIG.target.field;
  if (field !== 'close' && field !== 'avgPrice') throw new Error(`ML_TARGET_FIELD must be close or avgPrice, got ${field}`);
  let models: ModelsConfigOverrides = {};
  const modelsText = env.ML_MODELS_CONFIG?.trim();
  if (modelsText) {
    const parsed: unknown = JSON.parse(modelsText);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('ML_MODELS_CONFIG must be a JSON object');
    models = parsed as ModelsConfigOverrides;
  }
  const symbols = env.ML_SYMBOLS?.trim();
  const levelText = env.ML_PROMOTION_LEVEL?.trim();
  const level = levelText ? Number(levelText) : DEFAULT_PROMOTION.level;
  if (!(level > 0 && level <= 0.5)) throw new Error(`ML_PROMOTION_LEVEL must be in (0, 0.5], got ${levelText}`);
  return {
    kinds: env.ML_MODEL_KINDS?.trim() ? parseKinds(env.ML_MODEL_KINDS) : DEFAULT_ML_CONFIG.kinds,
    trainDays: num('ML_TRAIN_DAYS', DEFAULT_ML_CONFIG.trainDays, 1),
    target: { field, horizon: num('ML_TARGET_HORIZON', DEFAULT_ML_CONFIG.target.horizon, 1) },
    models,
    minTrainRows: num('ML_MIN_TRAIN_ROWS', DEFAULT_ML_CONFIG.minTrainRows, 1),
    promotion: { windowDays: num('ML_PROMOTION_WINDOW_DAYS', DEFAULT_PROMOTION.windowDays, 1), level },
    ...(symbols
      ? {
          symbols: symbols
            .split(',')
            .map((s) => s.trim().toUpperCase())
            .filter(Boolean),
        }
      : {}),
  };
}
