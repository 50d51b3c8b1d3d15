/**
 * Model registry records, shaped like the lake tables `models` and
 * `model_evaluations` (schemas in `glue-schemas/`), and the interface of the
 * model store that keeps artifacts and the champion pointer (S3 in the cloud,
 * files locally; adapters live outside this pure module).
 *
 * Value conventions: `timestamp` columns are µs since epoch (as in the trades
 * table), `date` columns and the `eval_date` partition are `yyyy-MM-dd` (UTC)
 * strings.
 */
import type { ChampionReason } from './promotion.js';
import type { LeaderboardEntry, PriceMetrics } from './evaluate.js';
import type { ModelArtifact, ModelKind, ParamValue } from './models/types.js';

/** One row of the `models` table: a trained model version. */
export interface ModelRecord {
  /** Unique id, e.g. `gbt-2026-11-09-v1` (see {@link makeModelId}). */
  readonly model_id: string;
  readonly kind: ModelKind;
  /** Version of this kind trained on the same date (1, 2, ... on retries or re-training). */
  readonly version: number;
  /** UTC date of training, yyyy-MM-dd. */
  readonly training_date: string;
  /** First feature minute of the training rows, µs since epoch. */
  readonly train_start: number;
  /** Last target minute of the training rows, µs since epoch. */
  readonly train_end: number;
  /** Hyperparameters as a JSON object string (keys sorted). */
  readonly params: string;
  /** In-sample RMSE on price over the training rows. */
  readonly train_rmse: number;
  /** In-sample R² on price over the training rows. */
  readonly train_r2: number;
  /** Where the artifact JSON is stored (s3://... or a local path/URI). */
  readonly artifact_uri: string;
}

/** One row of the `model_evaluations` table: a model scored on one day. */
export interface ModelEvaluationRecord {
  readonly model_id: string;
  readonly kind: ModelKind;
  /** UTC date whose target minutes were scored, yyyy-MM-dd (the table's partition). */
  readonly eval_date: string;
  readonly rmse: number;
  readonly mae: number;
  readonly r2: number;
  /** `1 − rmse / rmse_persistence` on the same rows. */
  readonly skill_vs_baseline: number;
  /** Rows scored. */
  readonly n: number;
  /** Whether the model is the champion after this day's evaluation. */
  readonly is_champion: boolean;
}

/** `kind-yyyy-MM-dd-vN`. */
export function makeModelId(kind: ModelKind, trainingDate: string, version = 1): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(trainingDate)) throw new Error(`training date must be yyyy-MM-dd, got ${trainingDate}`);
  if (!Number.isInteger(version) || version < 1) throw new RangeError(`version must be a positive integer, got ${version}`);
  return `${kind}-${trainingDate}-v${version}`;
}

/** JSON text of hyperparameters with sorted keys (stable across runs). */
export function paramsJson(params: Readonly<Record<string, ParamValue>>): string {
  const sorted: Record<string, ParamValue> = {};
  for (const k of Object.keys(params).sort()) sorted[k] = params[k]!;
  return JSON.stringify(sorted);
}

/** Builds a `models` row. */
export function modelRecord(input: {
  readonly modelId: string;
  readonly kind: ModelKind;
  readonly version: number;
  readonly trainingDate: string;
  readonly trainStartUs: number;
  readonly trainEndUs: number;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly trainMetrics: PriceMetrics;
  readonly artifactUri: string;
}): ModelRecord {
  return {
    model_id: input.modelId,
    kind: input.kind,
    version: input.version,
    training_date: input.trainingDate,
    train_start: input.trainStartUs,
    train_end: input.trainEndUs,
    params: paramsJson(input.params),
    train_rmse: input.trainMetrics.rmse,
    train_r2: input.trainMetrics.r2,
    artifact_uri: input.artifactUri,
  };
}

/** The `model_evaluations` rows of one day, flagged with the champion after the day's decision. */
export function evaluationRecords(evalDate: string, leaderboard: readonly LeaderboardEntry[], championId: string): ModelEvaluationRecord[] {
  return leaderboard.map((e) => ({
    model_id: e.modelId,
    kind: e.kind,
    eval_date: evalDate,
    rmse: e.rmse,
    mae: e.mae,
    r2: e.r2,
    skill_vs_baseline: e.skillVsBaseline,
    n: e.n,
    is_champion: e.modelId === championId,
  }));
}

/** Where the champion pointer stands. */
export interface ChampionPointer {
  readonly modelId: string;
  readonly kind: ModelKind;
  readonly artifactUri: string;
  /** Evaluation date that made (or kept) it champion, yyyy-MM-dd. */
  readonly evalDate: string;
}

/** A change of champion, for the audit trail. */
export interface ChampionChange {
  readonly evalDate: string;
  readonly previousModelId: string | undefined;
  readonly modelId: string;
  readonly reason: ChampionReason;
  readonly rmse: number;
  readonly baselineRmse: number;
}

/** A day's champion decision, as far as the audit trail needs it. */
export interface ChampionOutcome {
  readonly championId: string;
  readonly previousChampionId: string | undefined;
  readonly changed: boolean;
  readonly reason: ChampionReason;
  /** RMSE of the champion on the day. */
  readonly rmse: number;
  readonly baselineRmse: number;
}

/** The change a decision represents, or undefined when the champion stayed. */
export function championChange(evalDate: string, decision: ChampionOutcome): ChampionChange | undefined {
  if (!decision.changed) return undefined;
  return {
    evalDate,
    previousModelId: decision.previousChampionId,
    modelId: decision.championId,
    reason: decision.reason,
    rmse: decision.rmse,
    baselineRmse: decision.baselineRmse,
  };
}

/**
 * Storage of model artifacts and of the champion pointer. Implemented over S3
 * in the cloud and over files locally; this module only defines the contract.
 */
export interface ModelStore {
  /** Stores an artifact under its model id; resolves to its URI. Overwriting the same id is idempotent. */
  putArtifact(modelId: string, artifact: ModelArtifact): Promise<string>;
  /** Loads an artifact by model id, or undefined when absent. */
  getArtifact(modelId: string): Promise<ModelArtifact | undefined>;
  /** The current champion pointer, or undefined before the first evaluation. */
  getChampion(): Promise<ChampionPointer | undefined>;
  /** Moves the champion pointer (and records the change). */
  setChampion(pointer: ChampionPointer, change: ChampionChange | undefined): Promise<void>;
}
