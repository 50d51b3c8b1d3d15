/**
 * The forecasting workflows as Amazon States Language, on JSONPath (not
 * JSONata, which `aws-local-stepfunctions` ignores), so one document serves
 * both places: the orchestration stack deploys it to Step Functions with the
 * Lambda function ARNs, and the local runtime (`src/local/ml/executor.ts`)
 * runs the very same document with every Task state overridden, by state name,
 * by the handler function the Lambda entry point wraps.
 *
 * Weekly training:
 *
 * ```
 * PrepareTrainingRun → PlanTraining → TrainModels (Map over plan.kinds:
 *   TrainModel → RegisterModel) → ActivateModels → TrainingSucceeded
 * ```
 *
 * Daily evaluation:
 *
 * ```
 * PrepareEvaluationRun → PlanEvaluation → HasModelsToEvaluate?
 *   ├─ no  → NothingToEvaluate (Succeed: before the first training, or no bars that day)
 *   └─ yes → EvaluateModels (Map over plan.models: EvaluateModel)
 *            → ChooseChampion → PublishEvaluation → EvaluationSucceeded
 * ```
 *
 * Every Task retries transient Lambda service errors; any other error is
 * caught and ends the run in a Fail state whose cause is the step's error.
 * PublishEvaluation moves the champion pointers last, after writing the
 * evaluation and change records, so a failed run leaves the pointers as they
 * were and can simply be run again.
 *
 * Deliberately free of aws-cdk-lib so the local runtime can import it.
 */
import type { AslDefinition } from '../../orchestration/asl.js';

/** State names of the weekly training workflow (the local runtime overrides Task states by these names). */
export const WEEKLY_TRAINING_STATES = {
  prepare: 'PrepareTrainingRun',
  plan: 'PlanTraining',
  trainModels: 'TrainModels',
  train: 'TrainModel',
  register: 'RegisterModel',
  activate: 'ActivateModels',
  succeeded: 'TrainingSucceeded',
  failed: 'TrainingFailed',
} as const;

/** State names of the daily evaluation workflow. */
export const DAILY_EVALUATION_STATES = {
  prepare: 'PrepareEvaluationRun',
  plan: 'PlanEvaluation',
  hasModels: 'HasModelsToEvaluate',
  nothingToEvaluate: 'NothingToEvaluate',
  evaluateModels: 'EvaluateModels',
  evaluate: 'EvaluateModel',
  choose: 'ChooseChampion',
  publish: 'PublishEvaluation',
  succeeded: 'EvaluationSucceeded',
  failed: 'EvaluationFailed',
} as const;

/** Error names the workflows end with when a step fails. */
export const ML_WORKFLOW_ERRORS = {
  trainingFailed: 'ticklake.TrainingFailed',
  evaluationFailed: 'ticklake.EvaluationFailed',
} as const;

/** Lambda function ARNs of the weekly training steps. */
export interface WeeklyTrainingTasks {
  /** Resolves the training window, model kinds, target and version from the request (`lambdas/ml/plan-training.ts`). */
  readonly planTraining: string;
  /** Fits one model kind on the window and stores its artifact (`lambdas/ml/train.ts`). */
  readonly trainModel: string;
  /** Writes the `models` row and the registry entry of one trained model (`lambdas/ml/register.ts`). */
  readonly registerModel: string;
  /** Makes the run's models the active set the daily evaluation scores (`lambdas/ml/activate.ts`). */
  readonly activateModels: string;
}

/** Lambda function ARNs of the daily evaluation steps. */
export interface DailyEvaluationTasks {
  /** Resolves the evaluation day, the symbols and the candidate models (`lambdas/ml/plan-evaluation.ts`). */
  readonly planEvaluation: string;
  /** Scores one model per symbol on the day, with the persistence comparison (`lambdas/ml/evaluate.ts`). */
  readonly evaluateModel: string;
  /** Applies the promotion rule per symbol (`lambdas/ml/choose-champion.ts`). */
  readonly chooseChampion: string;
  /** Writes `model_evaluations` and `champion_changes`, then moves the champion pointers (`lambdas/ml/publish.ts`). */
  readonly publishEvaluation: string;
}

/** Transient Lambda service errors worth retrying (not function errors). */
const LAMBDA_TRANSIENT_ERRORS = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];

const RETRY = [{ ErrorEquals: LAMBDA_TRANSIENT_ERRORS, IntervalSeconds: 5, MaxAttempts: 3, BackoffRate: 2 }];

interface TaskOptions {
  readonly parameters: Record<string, string>;
  readonly resultPath?: string;
  readonly outputPath?: string;
  readonly timeoutSeconds: number;
  /** Next state, or undefined for the last state of a Map iteration. */
  readonly next?: string;
  /** Fail state to go to on any error; inside a Map the error fails the Map instead. */
  readonly onError?: string;
}

function lambdaTask(resource: string, o: TaskOptions): Record<string, unknown> {
  return {
    Type: 'Task',
    Resource: resource,
    Parameters: o.parameters,
    ...(o.resultPath === undefined ? {} : { ResultPath: o.resultPath }),
    ...(o.outputPath === undefined ? {} : { OutputPath: o.outputPath }),
    TimeoutSeconds: o.timeoutSeconds,
    Retry: RETRY,
    ...(o.onError === undefined ? {} : { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: o.onError }] }),
    ...(o.next === undefined ? { End: true } : { Next: o.next }),
  };
}

/** Shapes the scheduler's (or the CLI's) input into `{ request, startedAt }`. */
function prepare(next: string): Record<string, unknown> {
  return {
    Type: 'Pass',
    Comment: 'Keeps the schedule input (trigger, scheduledTime) or the explicit request, and the execution start time',
    Parameters: { 'request.$': '$', 'startedAt.$': '$$.Execution.StartTime' },
    Next: next,
  };
}

/**
 * An inline Map over `$.plan.<items>`: each iteration gets the item as `<as>`
 * and the plan; results land at `resultPath`; any failure ends in `onError`.
 */
function mapOverPlan(o: {
  comment: string;
  items: string;
  as: string;
  maxConcurrency: number;
  startAt: string;
  states: Record<string, Record<string, unknown>>;
  resultPath: string;
  next: string;
  onError: string;
}): Record<string, unknown> {
  return {
    Type: 'Map',
    Comment: o.comment,
    ItemsPath: `$.plan.${o.items}`,
    ItemSelector: { [`${o.as}.$`]: '$$.Map.Item.Value', 'plan.$': '$.plan' },
    MaxConcurrency: o.maxConcurrency,
    ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: o.startAt, States: o.states },
    ResultPath: o.resultPath,
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: o.onError }],
    Next: o.next,
  };
}

function fail(error: string, what: string): Record<string, unknown> {
  return { Type: 'Fail', Comment: `${what}; the step's error is the cause`, Error: error, CausePath: '$.error.Cause' };
}

/**
 * Weekly training: plan, then a Map over the model kinds (train → register,
 * one iteration per kind, in parallel), then activate the run's models.
 * Input: the schedule's `{ trigger, scheduledTime }` or an explicit
 * `{ asOf, kinds?, trainDays? }` (see `TrainingRequest` in
 * `src/ml/steps/workflow-types.ts`).
 */
export function weeklyTrainingDefinition(tasks: WeeklyTrainingTasks): AslDefinition {
  const s = WEEKLY_TRAINING_STATES;
  return {
    Comment: 'ticklake weekly model training: train every model kind on the latest bars, register them, make them the active set',
    StartAt: s.prepare,
    TimeoutSeconds: 3 * 3600,
    States: {
      [s.prepare]: prepare(s.plan),
      [s.plan]: lambdaTask(tasks.planTraining, {
        parameters: { 'request.$': '$.request', 'startedAt.$': '$.startedAt' },
        resultPath: '$.plan',
        timeoutSeconds: 120,
        next: s.trainModels,
        onError: s.failed,
      }),
      [s.trainModels]: mapOverPlan({
        comment: 'One iteration per model kind: fit and store the artifact, then register it',
        items: 'kinds',
        as: 'kind',
        maxConcurrency: 4,
        startAt: s.train,
        states: {
          [s.train]: lambdaTask(tasks.trainModel, {
            parameters: { 'kind.$': '$.kind', 'plan.$': '$.plan' },
            resultPath: '$.trained',
            timeoutSeconds: 900,
            next: s.register,
          }),
          [s.register]: lambdaTask(tasks.registerModel, {
            parameters: { 'plan.$': '$.plan', 'trained.$': '$.trained' },
            resultPath: '$.registered',
            outputPath: '$.registered',
            timeoutSeconds: 120,
          }),
        },
        resultPath: '$.models',
        next: s.activate,
        onError: s.failed,
      }),
      [s.activate]: lambdaTask(tasks.activateModels, {
        parameters: { 'plan.$': '$.plan', 'models.$': '$.models' },
        resultPath: '$.activation',
        timeoutSeconds: 60,
        next: s.succeeded,
        onError: s.failed,
      }),
      [s.succeeded]: { Type: 'Succeed' },
      [s.failed]: fail(ML_WORKFLOW_ERRORS.trainingFailed, 'A training step failed; the active models and the champions are unchanged'),
    },
  };
}

/**
 * Daily evaluation: plan (day, symbols, candidates), a Map over the candidate
 * models (evaluate each per symbol), the promotion rule, then publish.
 * Input: the schedule's `{ trigger, scheduledTime }` (evaluates the UTC day
 * before) or an explicit `{ evalDate: "yyyy-MM-dd" }`.
 */
export function dailyEvaluationDefinition(tasks: DailyEvaluationTasks): AslDefinition {
  const s = DAILY_EVALUATION_STATES;
  return {
    Comment: 'ticklake daily model evaluation: score every candidate per symbol on the day, keep the best (never worse than persistence) as champion',
    StartAt: s.prepare,
    TimeoutSeconds: 3600,
    States: {
      [s.prepare]: prepare(s.plan),
      [s.plan]: lambdaTask(tasks.planEvaluation, {
        parameters: { 'request.$': '$.request', 'startedAt.$': '$.startedAt' },
        resultPath: '$.plan',
        timeoutSeconds: 120,
        next: s.hasModels,
        onError: s.failed,
      }),
      [s.hasModels]: {
        Type: 'Choice',
        Choices: [{ Variable: '$.plan.ready', BooleanEquals: true, Next: s.evaluateModels }],
        Default: s.nothingToEvaluate,
      },
      [s.nothingToEvaluate]: { Type: 'Succeed', Comment: 'No trained model yet, or no bars on the day: nothing to score (plan.reason says which)' },
      [s.evaluateModels]: mapOverPlan({
        comment: 'One iteration per candidate model (the persistence baseline included)',
        items: 'models',
        as: 'model',
        maxConcurrency: 8,
        startAt: s.evaluate,
        states: {
          [s.evaluate]: lambdaTask(tasks.evaluateModel, {
            parameters: { 'model.$': '$.model', 'plan.$': '$.plan' },
            timeoutSeconds: 600,
          }),
        },
        resultPath: '$.scores',
        next: s.choose,
        onError: s.failed,
      }),
      [s.choose]: lambdaTask(tasks.chooseChampion, {
        parameters: { 'plan.$': '$.plan', 'scores.$': '$.scores' },
        resultPath: '$.decision',
        timeoutSeconds: 60,
        next: s.publish,
        onError: s.failed,
      }),
      [s.publish]: lambdaTask(tasks.publishEvaluation, {
        parameters: { 'plan.$': '$.plan', 'scores.$': '$.scores', 'decision.$': '$.decision' },
        resultPath: '$.published',
        timeoutSeconds: 120,
        next: s.succeeded,
        onError: s.failed,
      }),
      [s.succeeded]: { Type: 'Succeed' },
      [s.failed]: fail(ML_WORKFLOW_ERRORS.evaluationFailed, 'An evaluation step failed; the champion pointers are unchanged'),
    },
  };
}
