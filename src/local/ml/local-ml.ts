/**
 * The forecasting workflows on the local runtime: the model store
 * (`<data dir>/models`) and the lake (`<data dir>/lake`) as file object
 * stores, and the DuckDB bar source, wired into the same handlers the Lambda
 * functions run, and the state machines executed with `aws-local-stepfunctions`.
 */
import { join } from 'node:path';
import { createMlHandlers, type MlHandlers } from '../../ml/steps/handlers.js';
import { DEFAULT_ML_CONFIG, type MlConfig } from '../../ml/steps/config.js';
import { BlobModelStore, type MlModelStore } from '../../ml/steps/model-store.js';
import type {
  EvaluationPlan,
  EvaluationRequest,
  PublishOutput,
  TrainingPlan,
  TrainingRequest,
  ActivateOutput,
  RegisteredModel,
  ChampionDecisions,
  ModelScore,
} from '../../ml/steps/workflow-types.js';
import type { BarSource } from '../../ml/steps/bar-source.js';
import type { ObjectStore } from '../../lake/object-store.js';
import { FileObjectStore } from '../file-object-store.js';
import { DuckDbBarSource } from './duckdb-bar-source.js';
import { localEvaluationWorkflow, localTrainingWorkflow, type LocalExecution } from './executor.js';
import { PredictionService, type PredictionStats } from '../../ml/steps/live-predictions.js';
import { createPredictHandler, type PredictResult } from '../../ml/steps/predict-handler.js';
import type { BarRow } from '../../core/bars.js';
import type { TimeSeriesSink } from '../../timeseries/point.js';

/** Final output of the weekly training state machine. */
export interface TrainingRunOutput {
  readonly request: TrainingRequest;
  readonly startedAt: string;
  readonly plan: TrainingPlan;
  readonly models: readonly RegisteredModel[];
  readonly activation: ActivateOutput;
}

/** Final output of the daily evaluation state machine (scores, decision and published only when the plan was ready). */
export interface EvaluationRunOutput {
  readonly request: EvaluationRequest;
  readonly startedAt: string;
  readonly plan: EvaluationPlan;
  readonly scores?: readonly ModelScore[];
  readonly decision?: ChampionDecisions;
  readonly published?: PublishOutput;
}

/** The local forecasting runtime of one data directory. */
export interface LocalMl {
  readonly dataDir: string;
  readonly store: MlModelStore;
  readonly bars: DuckDbBarSource;
  readonly lake: ObjectStore;
  readonly handlers: MlHandlers;
  /** Runs the weekly training state machine. */
  train(request: TrainingRequest): Promise<LocalExecution<TrainingRunOutput>>;
  /** Runs the daily evaluation state machine. */
  evaluate(request: EvaluationRequest): Promise<LocalExecution<EvaluationRunOutput>>;
}

/** Options of {@link openLocalMl}. */
export interface LocalMlOptions {
  /** Handler configuration (default {@link DEFAULT_ML_CONFIG}). */
  readonly config?: MlConfig;
  /** Bar source override (default: DuckDB over `<data dir>/lake`). */
  readonly bars?: BarSource;
  readonly log?: (message: string, data?: Readonly<Record<string, unknown>>) => void;
}

/** Model store directory under a data directory. */
export const modelStoreDir = (dataDir: string) => join(dataDir, 'models');

/** Opens the local forecasting runtime of a data directory. */
export function openLocalMl(dataDir: string, options: LocalMlOptions = {}): LocalMl {
  const store = new BlobModelStore(new FileObjectStore(modelStoreDir(dataDir)));
  const duck = new DuckDbBarSource(join(dataDir, 'lake'));
  const lake = new FileObjectStore(join(dataDir, 'lake'));
  const handlers = createMlHandlers({
    bars: options.bars ?? duck,
    store,
    lake,
    config: options.config ?? DEFAULT_ML_CONFIG,
    ...(options.log ? { log: options.log } : {}),
  });
  const training = localTrainingWorkflow<TrainingRunOutput>(handlers);
  const evaluation = localEvaluationWorkflow<EvaluationRunOutput>(handlers);
  return {
    dataDir,
    store,
    bars: duck,
    lake,
    handlers,
    train: (request) => training.run(request),
    evaluate: (request) => evaluation.run(request),
  };
}

/** Live predictions on the local runtime, fed with closed bars. */
export interface LocalLivePredictions {
  /** Feeds bars that have just closed (the bar publisher's `onClosed` hook); writes rows and points. */
  onClosed(bars: readonly BarRow[]): Promise<PredictResult>;
  stats(): PredictionStats;
}

/**
 * The champion's live predictions on a data directory: the same handler as the
 * `predict` Lambda, over the file model store (forecasts waiting for their
 * target minute are kept in `<data dir>/models/state/`), the file lake and,
 * when given, a time-series sink. Feature windows warm up from `bars_1m`.
 * Hook it into `publishClosedBars({ onClosed })` to forecast as the demo runs.
 */
export function openLocalLivePredictions(dataDir: string, timeSeries?: TimeSeriesSink): LocalLivePredictions {
  const store = new BlobModelStore(new FileObjectStore(modelStoreDir(dataDir)));
  const history = new DuckDbBarSource(join(dataDir, 'lake'));
  const service = new PredictionService({
    store,
    lake: new FileObjectStore(join(dataDir, 'lake')),
    history,
    ...(timeSeries ? { timeSeries } : {}),
    filePrefix: `live-${Date.now()}`,
  });
  const handle = createPredictHandler({ service, store, bars: history });
  return { onClosed: (bars) => handle({ bars }), stats: () => service.stats() };
}
