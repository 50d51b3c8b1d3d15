/**
 * The model-training and model-evaluation workflows as Amazon States Language
 * (JSONPath, not JSONata, so `aws-local-stepfunctions` can run them). One
 * definition serves both places: the orchestration stack deploys it to Step
 * Functions with real Lambda ARNs, and the local runtime runs the very same
 * document with each Task state overridden by a local function (by state name).
 *
 * Until the ML functions exist, build the definitions without task ARNs: they
 * then record the request and stop in a clearly named Fail state
 * (`TrainingNotConfigured` / `EvaluationNotConfigured`) instead of pretending
 * to train.
 *
 * Deliberately free of aws-cdk-lib so the local runtime can import it.
 */

/** A state machine definition (Amazon States Language). */
export interface AslDefinition {
  Comment: string;
  StartAt: string;
  TimeoutSeconds?: number;
  States: Record<string, Record<string, unknown>>;
}

/** State names: the local runtime overrides Task states by these names. */
export const TRAINING_STATES = {
  prepare: 'PrepareTrainingRun',
  trainCandidates: 'TrainCandidateModels',
  promoteBest: 'PromoteBestModel',
  succeeded: 'TrainingSucceeded',
  failed: 'TrainingFailed',
  notConfigured: 'TrainingNotConfigured',
} as const;

export const EVALUATION_STATES = {
  prepare: 'PrepareEvaluationRun',
  evaluate: 'EvaluateProductionModel',
  succeeded: 'EvaluationRecorded',
  failed: 'EvaluationFailed',
  notConfigured: 'EvaluationNotConfigured',
} as const;

/** Error names a run ends with when it cannot do its job. */
export const WORKFLOW_ERRORS = {
  notConfigured: 'ticklake.ModelFunctionsNotDeployed',
  trainingFailed: 'ticklake.TrainingFailed',
  evaluationFailed: 'ticklake.EvaluationFailed',
} as const;

/** Lambda function ARNs of the training steps. */
export interface TrainingTasks {
  /** Trains every candidate model on the training window and scores it against the naive forecast. */
  readonly trainCandidates: string;
  /** Keeps the best candidate in the model table when it beats the production model. */
  readonly promoteBest: string;
}

/** Lambda function ARN of the evaluation step. */
export interface EvaluationTasks {
  /** Scores the production model on the latest data and records rmse / testing_date. */
  readonly evaluate: string;
}

/** Transient Lambda service errors worth retrying (not function errors). */
const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

function lambdaTask(
  resource: string,
  parameters: Record<string, string>,
  resultPath: string,
  next: string,
  onError: string,
  timeoutSeconds: number,
): Record<string, unknown> {
  return {
    Type: 'Task',
    Resource: resource,
    Parameters: parameters,
    ResultPath: resultPath,
    TimeoutSeconds: timeoutSeconds,
    Retry: [{ ErrorEquals: LAMBDA_TRANSIENT_ERRORS, IntervalSeconds: 5, MaxAttempts: 3, BackoffRate: 2 }],
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: onError }],
    Next: next,
  };
}

/** Shapes the scheduler's input into `{ request, startedAt }`. */
function prepare(next: string): Record<string, unknown> {
  return {
    Type: 'Pass',
    Comment: 'Keeps the schedule input (trigger, scheduledTime) and the execution start time',
    Parameters: { 'request.$': '$', 'startedAt.$': '$$.Execution.StartTime' },
    Next: next,
  };
}

function notConfigured(what: string): Record<string, unknown> {
  return {
    Type: 'Fail',
    Error: WORKFLOW_ERRORS.notConfigured,
    Cause: `No ${what} function is deployed yet, so nothing was ${what === 'training' ? 'trained' : 'evaluated'}. The schedule and this state machine are in place; deploy the ML functions and wire them into the orchestration stack to enable this run.`,
  };
}

/** Weekly training: train the candidates, then promote the best one. */
export function trainingDefinition(tasks?: TrainingTasks): AslDefinition {
  const s = TRAINING_STATES;
  if (!tasks) {
    return {
      Comment: 'ticklake weekly model training - NOT CONFIGURED: no training function is deployed, the run stops without training',
      StartAt: s.prepare,
      TimeoutSeconds: 300,
      States: { [s.prepare]: prepare(s.notConfigured), [s.notConfigured]: notConfigured('training') },
    };
  }
  return {
    Comment: 'ticklake weekly model training: train candidate models, keep the best one in production',
    StartAt: s.prepare,
    TimeoutSeconds: 3 * 3600,
    States: {
      [s.prepare]: prepare(s.trainCandidates),
      [s.trainCandidates]: lambdaTask(
        tasks.trainCandidates,
        { 'request.$': '$.request', 'startedAt.$': '$.startedAt' },
        '$.training',
        s.promoteBest,
        s.failed,
        900,
      ),
      [s.promoteBest]: lambdaTask(
        tasks.promoteBest,
        { 'training.$': '$.training', 'startedAt.$': '$.startedAt' },
        '$.promotion',
        s.succeeded,
        s.failed,
        300,
      ),
      [s.succeeded]: { Type: 'Succeed' },
      [s.failed]: { Type: 'Fail', Error: WORKFLOW_ERRORS.trainingFailed, Cause: 'A training step failed; the production model is unchanged. See the execution history.' },
    },
  };
}

/** Daily evaluation: score the production model on the latest data and record it. */
export function evaluationDefinition(tasks?: EvaluationTasks): AslDefinition {
  const s = EVALUATION_STATES;
  if (!tasks) {
    return {
      Comment: 'ticklake daily model evaluation - NOT CONFIGURED: no evaluation function is deployed, the run stops without evaluating',
      StartAt: s.prepare,
      TimeoutSeconds: 300,
      States: { [s.prepare]: prepare(s.notConfigured), [s.notConfigured]: notConfigured('evaluation') },
    };
  }
  return {
    Comment: 'ticklake daily model evaluation: score the production model and record the evaluation',
    StartAt: s.prepare,
    TimeoutSeconds: 3600,
    States: {
      [s.prepare]: prepare(s.evaluate),
      [s.evaluate]: lambdaTask(
        tasks.evaluate,
        { 'request.$': '$.request', 'startedAt.$': '$.startedAt' },
        '$.evaluation',
        s.succeeded,
        s.failed,
        900,
      ),
      [s.succeeded]: { Type: 'Succeed' },
      [s.failed]: { Type: 'Fail', Error: WORKFLOW_ERRORS.evaluationFailed, Cause: 'The evaluation step failed; no evaluation was recorded. See the execution history.' },
    },
  };
}
