/**
 * Runs the forecasting state machines locally: the very ASL documents the
 * orchestration stack deploys (`src/adapters/workflows/ml-workflows.ts`), executed
 * by `aws-local-stepfunctions`, with each Task state overridden by name by the
 * same handler function the Lambda entry point wraps. Outputs pass through JSON
 * (as between Lambda and Step Functions) and are held to the Step Functions
 * payload limit, so what works here also fits in the cloud.
 */
import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import {
  DAILY_EVALUATION_STATES,
  dailyEvaluationDefinition,
  WEEKLY_TRAINING_STATES,
  weeklyTrainingDefinition,
  type DailyEvaluationTasks,
  type WeeklyTrainingTasks,
} from '../../adapters/workflows/ml-workflows.js';
import type { MlHandlers } from '../../ml/steps/handlers.js';
import type { AslDefinition } from '../../orchestration/asl.js';

/** Step Functions' limit on a state's input or output, bytes (256 KiB). */
export const STEP_FUNCTIONS_PAYLOAD_LIMIT = 256 * 1024;

/** aws-local-stepfunctions needs Promise.withResolvers (Node 22); adds it on Node 20. */
export function polyfillPromiseWithResolvers(): void {
  const P = Promise as unknown as { withResolvers?: () => unknown };
  if (typeof P.withResolvers === 'function') return;
  P.withResolvers = function withResolvers<T>() {
    let resolve!: (v: T | PromiseLike<T>) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

const fn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:ticklake-local-ml-${name}`;

/** Placeholder function ARNs of the local definitions (every Task is overridden; nothing is invoked). */
export const LOCAL_TRAINING_TASKS: WeeklyTrainingTasks = {
  planTraining: fn('plan-training'),
  trainModel: fn('train'),
  registerModel: fn('register'),
  activateModels: fn('activate'),
};

/** Placeholder function ARNs of the local evaluation definition. */
export const LOCAL_EVALUATION_TASKS: DailyEvaluationTasks = {
  planEvaluation: fn('plan-evaluation'),
  evaluateModel: fn('evaluate'),
  chooseChampion: fn('choose-champion'),
  publishEvaluation: fn('publish'),
};

/** A Task override: JSON in, JSON out. */
export type LocalTask = (input: unknown) => Promise<unknown>;

/** Task overrides of the weekly training, by state name. */
export function trainingTaskHandlers(h: MlHandlers): Record<string, LocalTask> {
  const s = WEEKLY_TRAINING_STATES;
  return {
    [s.plan]: (i) => h.planTraining(i as Parameters<MlHandlers['planTraining']>[0]),
    [s.train]: (i) => h.trainModel(i as Parameters<MlHandlers['trainModel']>[0]),
    [s.register]: (i) => h.registerModel(i as Parameters<MlHandlers['registerModel']>[0]),
    [s.activate]: (i) => h.activateModels(i as Parameters<MlHandlers['activateModels']>[0]),
  };
}

/** Task overrides of the daily evaluation, by state name. */
export function evaluationTaskHandlers(h: MlHandlers): Record<string, LocalTask> {
  const s = DAILY_EVALUATION_STATES;
  return {
    [s.plan]: (i) => h.planEvaluation(i as Parameters<MlHandlers['planEvaluation']>[0]),
    [s.evaluate]: (i) => h.evaluateModel(i as Parameters<MlHandlers['evaluateModel']>[0]),
    [s.choose]: (i) => h.chooseChampion(i as Parameters<MlHandlers['chooseChampion']>[0]),
    [s.publish]: (i) => h.publishEvaluation(i as Parameters<MlHandlers['publishEvaluation']>[0]),
  };
}

/** Outcome of a local execution. */
export interface LocalExecution<O> {
  /** Final state output. */
  readonly output: O;
  /** Every state entered, in order (Map iterations included). */
  readonly statesEntered: readonly string[];
  readonly durationMs: number;
}

/** Raised when an execution fails; `error` and `cause` are what Step Functions would report. */
export class LocalExecutionError extends Error {
  constructor(
    readonly error: string,
    override readonly cause: string,
    readonly statesEntered: readonly string[],
  ) {
    super(`${error}: ${cause}`);
    this.name = 'LocalExecutionError';
  }
}

function jsonRoundTrip(stateName: string, value: unknown): unknown {
  const text = JSON.stringify(value ?? null);
  if (Buffer.byteLength(text, 'utf8') > STEP_FUNCTIONS_PAYLOAD_LIMIT) {
    throw Object.assign(
      new Error(`output of ${stateName} is ${Buffer.byteLength(text, 'utf8')} bytes, over the Step Functions limit of ${STEP_FUNCTIONS_PAYLOAD_LIMIT}`),
      { name: 'States.DataLimitExceeded' },
    );
  }
  return JSON.parse(text) as unknown;
}

/**
 * A definition ready to run locally with its Task overrides. Validating a
 * definition costs a few hundred milliseconds in `aws-local-stepfunctions`,
 * so a workflow is built once and run many times (executions are independent).
 *
 * `$$.Execution.StartTime` is always the wall-clock start (version 3.0.0
 * ignores a mocked one); a simulated clock goes in the input instead
 * (`scheduledTime`, as EventBridge Scheduler sends it).
 */
export class LocalWorkflow<O> {
  private readonly machine: StateMachine;
  private readonly overrides: Record<string, (input: unknown) => Promise<unknown>> = {};

  constructor(
    readonly definition: AslDefinition,
    tasks: Readonly<Record<string, LocalTask>>,
  ) {
    polyfillPromiseWithResolvers();
    this.machine = new StateMachine(definition as never);
    for (const [name, task] of Object.entries(tasks)) {
      this.overrides[name] = async (i: unknown) => jsonRoundTrip(name, await task(jsonRoundTrip(`the input of ${name}`, i)));
    }
  }

  /**
   * Runs one execution to its end; throws {@link LocalExecutionError} when it fails.
   * `executionName` is what the definition reads as `$$.Execution.Name`.
   */
  async run(input: unknown, executionName?: string): Promise<LocalExecution<O>> {
    const t0 = performance.now();
    const context = executionName === undefined ? undefined : { Execution: { Name: executionName } };
    const run = this.machine.run(input as never, { overrides: { taskResourceLocalHandlers: this.overrides as never }, ...(context ? { context } : {}) });
    const entered: string[] = [];
    const logs = (async () => {
      for await (const e of run.eventLogs) if (e.type === 'StateEntered') entered.push((e as { state: { name: string } }).state.name);
    })();
    try {
      const output = (await run.result) as O;
      await logs;
      return { output, statesEntered: entered, durationMs: performance.now() - t0 };
    } catch (e) {
      await logs.catch(() => undefined);
      if (e instanceof ExecutionError) {
        const cause = (e as Error).cause as { name?: string; message?: string } | undefined;
        throw new LocalExecutionError(cause?.name ?? 'States.Runtime', cause?.message ?? e.message, entered);
      }
      throw e;
    }
  }
}

/** The weekly training definition with its Tasks overridden by the handlers. */
export function localTrainingWorkflow<O>(handlers: MlHandlers): LocalWorkflow<O> {
  return new LocalWorkflow<O>(weeklyTrainingDefinition(LOCAL_TRAINING_TASKS), trainingTaskHandlers(handlers));
}

/** The daily evaluation definition with its Tasks overridden by the handlers. */
export function localEvaluationWorkflow<O>(handlers: MlHandlers): LocalWorkflow<O> {
  return new LocalWorkflow<O>(dailyEvaluationDefinition(LOCAL_EVALUATION_TASKS), evaluationTaskHandlers(handlers));
}
