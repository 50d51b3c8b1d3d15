/**
 * The JSON documents the forecasting workflows pass between their states
 * (inputs and outputs of the handlers in `handlers.ts`). Everything here
 * round-trips through JSON: no NaN or Infinity (unscored values are null), no
 * typed arrays, times as ISO 8601 strings or µs numbers.
 */
import type { TargetSpec } from '../features.js';
import type { ModelKind, ModelsConfigOverrides } from '../models/index.js';
import type { ChampionReason, PairwiseTest } from '../promotion.js';
import type { PromotionSettings } from './config.js';
import type { ModelRecord } from '../registry.js';
import type { ChampionChangeEntry } from './model-store.js';

/** Input of the weekly training: the schedule's document, or an explicit request. */
export interface TrainingRequest {
  /** Who started the run, e.g. `weekly-training` (EventBridge Scheduler) or `cli`. */
  readonly trigger?: string;
  /** Scheduled time (ISO 8601) from EventBridge Scheduler; the window ends at the start of its UTC day. */
  readonly scheduledTime?: string;
  readonly scheduleExecutionId?: string;
  /** Explicit end of the training window (ISO 8601, floored to the minute); wins over scheduledTime. */
  readonly asOf?: string;
  /** Model kinds to train (default: configuration). Must include persistence. */
  readonly kinds?: readonly string[];
  /** Days in the training window (default: configuration). */
  readonly trainDays?: number;
  /** Symbols to train on (default: configuration, else every symbol with bars). */
  readonly symbols?: readonly string[];
}

/** Input of the daily evaluation: the schedule's document, or an explicit day. */
export interface EvaluationRequest {
  readonly trigger?: string;
  /** Scheduled time (ISO 8601); the evaluated day is the UTC day before it. */
  readonly scheduledTime?: string;
  readonly scheduleExecutionId?: string;
  /** Explicit day to evaluate, yyyy-MM-dd; wins over scheduledTime. */
  readonly evalDate?: string;
}

/** A training run, resolved once by PlanTraining and passed to every later step. */
export interface TrainingPlan {
  readonly runId: string;
  /** UTC date of the window end, yyyy-MM-dd: part of the model ids. */
  readonly trainingDate: string;
  /** Version of this run's model ids (1 + runs already registered on the date). */
  readonly version: number;
  /** Window of target minutes, `[windowStart, windowEnd)`, ISO 8601 and µs. */
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly windowStartUs: number;
  readonly windowEndUs: number;
  /** Kinds to train, persistence included: the Map iterates over them. */
  readonly kinds: readonly ModelKind[];
  readonly target: TargetSpec;
  /** Hyperparameter overrides. */
  readonly models: ModelsConfigOverrides;
  readonly minTrainRows: number;
  /** Symbols whose bars are pooled for training. */
  readonly symbols: readonly string[];
  /** Execution start time, ISO 8601. */
  readonly startedAt: string;
  /** The run's time: the schedule's scheduledTime, else the start time (a backtest's simulated clock). */
  readonly runTime: string;
}

/** Price metrics of one model on one symbol's rows; null when nothing was scored. */
export interface SymbolMetrics {
  readonly symbol: string;
  readonly n: number;
  readonly rmse: number | null;
  readonly mae: number | null;
  readonly r2: number | null;
  /** RMSE of the persistence forecast on the same rows. */
  readonly baselineRmse: number | null;
  /** `1 − rmse / baselineRmse`. */
  readonly skillVsBaseline: number | null;
}

/** Input of TrainModel (one Map iteration). */
export interface TrainInput {
  readonly kind: ModelKind;
  readonly plan: TrainingPlan;
}

/** Output of TrainModel: the artifact is in the model store, this is its summary. */
export interface TrainOutput {
  readonly modelId: string;
  readonly kind: ModelKind;
  /** The `models` row to register. */
  readonly record: ModelRecord;
  readonly trainRows: number;
  /** In-sample metrics per symbol. */
  readonly bySymbol: readonly SymbolMetrics[];
  /** Fit time, seconds. */
  readonly fitSeconds: number;
}

/** Input of RegisterModel. */
export interface RegisterInput {
  readonly plan: TrainingPlan;
  readonly trained: TrainOutput;
}

/** Output of RegisterModel (and one element of the training Map's result). */
export interface RegisteredModel {
  readonly modelId: string;
  readonly kind: ModelKind;
  readonly artifactUri: string;
  readonly trainRmse: number | null;
  readonly trainR2: number | null;
  readonly trainRows: number;
  readonly bySymbol: readonly SymbolMetrics[];
  readonly fitSeconds: number;
  /** Lake key of the `models` row. */
  readonly tableKey: string;
}

/** Input of ActivateModels. */
export interface ActivateInput {
  readonly plan: TrainingPlan;
  readonly models: readonly RegisteredModel[];
}

/** Output of ActivateModels. */
export interface ActivateOutput {
  readonly trainingDate: string;
  readonly activeModelIds: readonly string[];
}

/** A model the daily evaluation scores. */
export interface CandidateModel {
  readonly modelId: string;
  readonly kind: ModelKind;
  /**
   * Only for these symbols: a champion kept from an earlier training competes
   * for the symbols it is champion of. Absent: every symbol (the active models).
   */
  readonly symbols?: readonly string[];
}

/** An evaluation run, resolved by PlanEvaluation. */
export interface EvaluationPlan {
  /** False when there is nothing to evaluate (the Choice state ends the run). */
  readonly ready: boolean;
  /** Why the run is not ready. */
  readonly reason?: string;
  readonly runId: string;
  /** Evaluated UTC day, yyyy-MM-dd: target minutes in `[dayStartUs, dayEndUs)`. */
  readonly evalDate: string;
  readonly dayStartUs: number;
  readonly dayEndUs: number;
  readonly symbols: readonly string[];
  readonly target: TargetSpec | null;
  /** Candidates, the persistence baseline first. The evaluation Map iterates over them. */
  readonly models: readonly CandidateModel[];
  readonly baselineId: string | null;
  /** Champion of each symbol before this day's decision (null: none yet). */
  readonly currentChampions: Readonly<Record<string, string | null>>;
  /** Active models left out, with the reason (e.g. trained on data of the day). */
  readonly excluded: readonly { readonly modelId: string; readonly reason: string }[];
  /** The promotion rule's window and level for this run (ChooseChampion and PublishEvaluation use the same). */
  readonly promotion: PromotionSettings;
  readonly startedAt: string;
  /** The run's time: the schedule's scheduledTime, else the start time; champion changes are stamped with it. */
  readonly runTime: string;
}

/** Input of EvaluateModel (one Map iteration). */
export interface EvaluateInput {
  readonly model: CandidateModel;
  readonly plan: EvaluationPlan;
}

/** Output of EvaluateModel: one model's metrics per symbol on the day. */
export interface ModelScore {
  readonly modelId: string;
  readonly kind: ModelKind;
  readonly bySymbol: readonly SymbolMetrics[];
}

/** Input of ChooseChampion. */
export interface ChooseInput {
  readonly plan: EvaluationPlan;
  readonly scores: readonly ModelScore[];
}

/** One model's place on a symbol's leaderboard. */
export interface RankedEntry {
  readonly modelId: string;
  readonly kind: ModelKind;
  readonly rmse: number | null;
  readonly n: number;
  readonly rank: number;
  /** Scored and not worse than persistence. */
  readonly eligible: boolean;
  readonly skillVsBaseline: number | null;
}

/** The promotion rule's outcome for one symbol, with the day's leaderboard and deployed skill. */
export interface SymbolDecision {
  readonly symbol: string;
  readonly championId: string;
  readonly championKind: ModelKind;
  readonly previousChampionId: string | null;
  readonly changed: boolean;
  readonly reason: ChampionReason;
  readonly baselineId: string;
  readonly baselineRmse: number;
  readonly championRmse: number;
  /** Best first. */
  readonly ranking: readonly RankedEntry[];
  /** The Diebold–Mariano tests the decision rests on. */
  readonly tests: readonly PairwiseTest[];
  /** What the served forecasts did on the day; null when no champion served it. */
  readonly deployed: DeployedSkill | null;
}

/**
 * The day's deployed skill of a symbol: the model that served the live
 * forecasts (the champion after the previous evaluation), scored on the day
 * against persistence on the same minutes.
 */
export interface DeployedSkill {
  readonly modelId: string;
  /** Null when the served model was not scored on the day. */
  readonly kind: ModelKind | null;
  readonly rmse: number | null;
  readonly baselineRmse: number | null;
  /** `1 − rmse / baselineRmse`; null when the served model could not be scored on the day. */
  readonly skill: number | null;
  readonly n: number;
}

/** Output of ChooseChampion. */
export interface ChampionDecisions {
  readonly evalDate: string;
  readonly decisions: readonly SymbolDecision[];
  /** Symbols without a scored baseline on the day (no target minute with trades). */
  readonly skipped: readonly { readonly symbol: string; readonly reason: string }[];
}

/** Input of PublishEvaluation. */
export interface PublishInput {
  readonly plan: EvaluationPlan;
  readonly scores: readonly ModelScore[];
  readonly decision: ChampionDecisions;
}

/** Output of PublishEvaluation. */
export interface PublishOutput {
  readonly evalDate: string;
  /** Champion of each symbol after the day. */
  readonly champions: Readonly<Record<string, string>>;
  /** Changes recorded (and pointers moved). */
  readonly changes: readonly ChampionChangeEntry[];
  readonly evaluationRows: number;
  /** Symbols whose pointer was left alone because a later day already decided it. */
  readonly stale: readonly string[];
}
