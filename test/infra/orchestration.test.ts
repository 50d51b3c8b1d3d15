import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DAILY_EVALUATION_STATES as E,
  dailyEvaluationDefinition,
  ML_WORKFLOW_ERRORS,
  WEEKLY_TRAINING_STATES as W,
  weeklyTrainingDefinition,
} from '../../src/adapters/workflows/ml-workflows.js';
import type { AslDefinition } from '../../src/orchestration/asl.js';
import { EVALUATION_FUNCTIONS, ML_FUNCTIONS, type MlFunctionKey, TRAINING_FUNCTIONS } from '../../lib/stacks/orchestration-stack.js';
import { taskStates } from '../helpers/asl.js';
import { actionsOf, type BuiltApp, buildApp, evaluate, policyStatements, polyfillPromiseWithResolvers, resourcesOf } from './helpers.js';

polyfillPromiseWithResolvers();

const TRAIN = 'ticklake-dev-train-models';
const EVAL = 'ticklake-dev-evaluate-models';

let built: BuiltApp;
beforeAll(() => {
  built = buildApp();
});

const template = () => built.template(built.stacks.orchestration);

/** The synthesized model workflow definitions, by state machine name, intrinsics evaluated (the backfill has its own tests). */
function definitions(b: BuiltApp = built): Record<string, AslDefinition> {
  const t = b.template(b.stacks.orchestration);
  return Object.fromEntries(
    resourcesOf(t, 'AWS::StepFunctions::StateMachine')
      .filter(([, r]) => !['ticklake-dev-backfill', 'ticklake-dev-compaction'].includes(r.Properties.StateMachineName))
      .map(([, r]) => {
        const raw = r.Properties.DefinitionString;
        const text = typeof raw === 'string' ? raw : String(evaluate(raw));
        return [r.Properties.StateMachineName, JSON.parse(text) as AslDefinition];
      }),
  );
}

/** The ML functions of the template: function name → [logical id, properties]. */
function functions(): Record<string, [string, Record<string, any>]> {
  return Object.fromEntries(resourcesOf(template(), 'AWS::Lambda::Function').map(([id, r]) => [String(r.Properties.FunctionName), [id, r.Properties]]));
}

const functionName = (k: MlFunctionKey) => `ticklake-dev-ml-${ML_FUNCTIONS[k].name}`;
const logicalId = (k: MlFunctionKey) => functions()[functionName(k)]![0];
/** The ARN the evaluator gives the function (what the synthesized definition holds). */
const arnOf = (k: MlFunctionKey) => String(evaluate({ 'Fn::GetAtt': [logicalId(k), 'Arn'] }));

/** Statements of the IAM policies attached to a role (by logical id). */
const statementsOf = (roleId: string) => policyStatements(template(), roleId);

async function run(def: AslDefinition, input: unknown, handlers: Record<string, (input: any) => Promise<any>>, retryZero: string[] = []) {
  const execution = new StateMachine(def as never).run(input as never, {
    overrides: {
      taskResourceLocalHandlers: handlers,
      retryIntervalOverrides: Object.fromEntries(retryZero.map((s) => [s, 0])),
    },
  });
  const entered: string[] = [];
  const logs = (async () => {
    for await (const e of execution.eventLogs) if (e.type === 'StateEntered') entered.push((e as { state: { name: string } }).state.name);
  })();
  try {
    const output = (await execution.result) as Record<string, any>;
    return { output, entered, error: undefined };
  } catch (e) {
    expect(e).toBeInstanceOf(ExecutionError);
    const cause = (e as Error).cause as Error;
    return { output: undefined, entered, error: { name: cause.name, message: cause.message } };
  } finally {
    await logs;
  }
}

const trainingInput = { trigger: 'weekly-training', scheduledTime: '2026-03-02T03:00:00Z', scheduleExecutionId: 'e-1' };
const evaluationInput = { trigger: 'daily-evaluation', scheduledTime: '2026-03-03T00:30:00Z', scheduleExecutionId: 'e-2' };

/** Local stand-ins for the training steps, recording their calls. */
function trainingStubs(calls: string[]) {
  return {
    [W.plan]: async (input: any) => {
      calls.push('plan');
      expect(input).toMatchObject({ request: trainingInput, startedAt: expect.any(String) });
      return { runId: 'run-1', trainingDate: '2026-03-02', kinds: ['persistence', 'linear', 'gbt'] };
    },
    [W.train]: async (input: any) => {
      calls.push(`train:${input.kind}`);
      expect(input.plan).toMatchObject({ runId: 'run-1' });
      return { modelId: `${input.kind}-v1`, kind: input.kind };
    },
    [W.register]: async (input: any) => {
      calls.push(`register:${input.trained.kind}`);
      return { modelId: input.trained.modelId, kind: input.trained.kind };
    },
    [W.activate]: async (input: any) => {
      calls.push('activate');
      expect(input.models.map((m: any) => m.modelId).sort()).toEqual(['gbt-v1', 'linear-v1', 'persistence-v1']);
      return { runId: input.plan.runId, active: input.models.map((m: any) => m.modelId) };
    },
  };
}

function evaluationStubs(calls: string[], ready = true) {
  return {
    [E.plan]: async (input: any) => {
      calls.push('plan');
      expect(input).toMatchObject({ request: evaluationInput });
      return ready
        ? { ready: true, evalDate: '2026-03-02', models: [{ modelId: 'persistence-v1' }, { modelId: 'gbt-v1' }], baselineId: 'persistence-v1' }
        : { ready: false, reason: 'no trained model yet', models: [] };
    },
    [E.evaluate]: async (input: any) => {
      calls.push(`evaluate:${input.model.modelId}`);
      return { modelId: input.model.modelId, rmse: input.model.modelId === 'gbt-v1' ? 9.5 : 10 };
    },
    [E.choose]: async (input: any) => {
      calls.push('choose');
      expect(input.scores).toHaveLength(2);
      const best = [...input.scores].sort((a: any, b: any) => a.rmse - b.rmse)[0];
      return { champions: [{ symbol: 'BTCUSDT', championId: best.modelId }] };
    },
    [E.publish]: async (input: any) => {
      calls.push('publish');
      expect(input.decision.champions[0].championId).toBe('gbt-v1');
      return { evaluations: 2, championChanges: 1 };
    },
  };
}

describe('model workflows as synthesized', () => {
  it('are JSONPath Amazon States Language, valid for aws-local-stepfunctions', () => {
    const defs = definitions();
    expect(Object.keys(defs).sort()).toEqual([EVAL, TRAIN]);
    for (const d of Object.values(defs)) {
      expect(JSON.stringify(d)).not.toMatch(/JSONata|QueryLanguage/);
      expect(() => new StateMachine(d as never)).not.toThrow();
    }
  });

  it('are exactly the documents of src/adapters/workflows/ml-workflows.ts with the functions ARNs', () => {
    const defs = definitions();
    expect(defs[TRAIN]).toEqual(
      weeklyTrainingDefinition({
        planTraining: arnOf('planTraining'),
        trainModel: arnOf('train'),
        registerModel: arnOf('register'),
        activateModels: arnOf('activate'),
      }),
    );
    expect(defs[EVAL]).toEqual(
      dailyEvaluationDefinition({
        planEvaluation: arnOf('planEvaluation'),
        evaluateModel: arnOf('evaluate'),
        chooseChampion: arnOf('chooseChampion'),
        publishEvaluation: arnOf('publish'),
      }),
    );
  });

  it('map over the model kinds (train → register) and over the active models (evaluate)', () => {
    const defs = definitions();
    const trainMap = defs[TRAIN]!.States[W.trainModels] as Record<string, any>;
    expect(trainMap).toMatchObject({ Type: 'Map', ItemsPath: '$.plan.kinds', ItemProcessor: { StartAt: W.train } });
    expect(Object.keys(trainMap.ItemProcessor.States).sort()).toEqual([W.register, W.train].sort());
    const evalMap = defs[EVAL]!.States[E.evaluateModels] as Record<string, any>;
    expect(evalMap).toMatchObject({ Type: 'Map', ItemsPath: '$.plan.models', ItemProcessor: { StartAt: E.evaluate } });
    expect(Object.keys(evalMap.ItemProcessor.States)).toEqual([E.evaluate]);
    // every Task runs one of the workflow's own functions
    expect(taskStates(defs[TRAIN]!.States).map(([n, s]) => [n, s.Resource])).toEqual([
      [W.plan, arnOf('planTraining')],
      [W.train, arnOf('train')],
      [W.register, arnOf('register')],
      [W.activate, arnOf('activate')],
    ]);
    expect(taskStates(defs[EVAL]!.States).map(([n, s]) => [n, s.Resource])).toEqual([
      [E.plan, arnOf('planEvaluation')],
      [E.evaluate, arnOf('evaluate')],
      [E.choose, arnOf('chooseChampion')],
      [E.publish, arnOf('publish')],
    ]);
  });

  it("each state machine's role may invoke exactly its own functions (and their versions)", () => {
    const t = template();
    const machines = Object.fromEntries(resourcesOf(t, 'AWS::StepFunctions::StateMachine').map(([, r]) => [r.Properties.StateMachineName, r.Properties]));
    for (const [name, keys] of [
      [TRAIN, TRAINING_FUNCTIONS],
      [EVAL, EVALUATION_FUNCTIONS],
    ] as const) {
      const roleId = machines[name]!.RoleArn['Fn::GetAtt'][0] as string;
      const invoke = statementsOf(roleId).filter((s) => actionsOf(s).includes('lambda:InvokeFunction'));
      for (const s of invoke) expect(actionsOf(s)).toEqual(['lambda:InvokeFunction']);
      const resources = invoke.flatMap((s) => [s.Resource].flat()).map((r) => JSON.stringify(r));
      const expected = keys.flatMap((k) => [
        JSON.stringify({ 'Fn::GetAtt': [logicalId(k), 'Arn'] }),
        JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(k), 'Arn'] }, ':*']] }),
      ]);
      expect(resources.sort()).toEqual(expected.sort());
    }
  });
});

describe('model workflows run locally (Task states overridden by local functions)', () => {
  it('weekly training: plan, train → register per kind in the Map, activate, TrainingSucceeded', async () => {
    const calls: string[] = [];
    const r = await run(definitions()[TRAIN]!, trainingInput, trainingStubs(calls));
    expect(r.error).toBeUndefined();
    expect(r.entered.at(-1)).toBe(W.succeeded);
    expect(calls[0]).toBe('plan');
    expect(calls.at(-1)).toBe('activate');
    for (const k of ['persistence', 'linear', 'gbt']) expect(calls.indexOf(`train:${k}`)).toBeLessThan(calls.indexOf(`register:${k}`));
    expect(calls).toHaveLength(8);
    expect(r.output).toMatchObject({ request: trainingInput, plan: { runId: 'run-1' }, activation: { runId: 'run-1' } });
    expect(r.output!.models).toHaveLength(3);
  });

  it('weekly training: transient Lambda errors are retried; a failing step ends in TrainingFailed', async () => {
    let attempts = 0;
    const stubs = trainingStubs([]);
    const retried = await run(
      definitions()[TRAIN]!,
      trainingInput,
      {
        ...stubs,
        [W.plan]: async (input: any) => {
          attempts += 1;
          if (attempts < 3) throw Object.assign(new Error('rate exceeded'), { name: 'Lambda.TooManyRequestsException' });
          return stubs[W.plan](input);
        },
      },
      [W.plan],
    );
    expect(attempts).toBe(3);
    expect(retried.entered.at(-1)).toBe(W.succeeded);

    const failed = await run(definitions()[TRAIN]!, trainingInput, {
      ...stubs,
      [W.train]: async () => {
        throw Object.assign(new Error('120 training rows, at least 200 needed'), { name: 'ticklake.InsufficientData' });
      },
      [W.activate]: async () => {
        throw new Error('must not run');
      },
    });
    expect(failed.error?.name).toBe(ML_WORKFLOW_ERRORS.trainingFailed);
    expect(failed.entered.at(-1)).toBe(W.failed);
    expect(failed.entered).not.toContain(W.activate);
  });

  it('daily evaluation: plan, evaluate each model in the Map, choose champion, publish, EvaluationSucceeded', async () => {
    const calls: string[] = [];
    const r = await run(definitions()[EVAL]!, evaluationInput, evaluationStubs(calls));
    expect(r.error).toBeUndefined();
    expect(r.entered.at(-1)).toBe(E.succeeded);
    expect(calls.slice(0, 1)).toEqual(['plan']);
    expect(calls.slice(1, 3).sort()).toEqual(['evaluate:gbt-v1', 'evaluate:persistence-v1']);
    expect(calls.slice(3)).toEqual(['choose', 'publish']);
    expect(r.output).toMatchObject({ decision: { champions: [{ championId: 'gbt-v1' }] }, published: { championChanges: 1 } });
  });

  it('daily evaluation before the first training: nothing to evaluate, succeeds without scoring', async () => {
    const calls: string[] = [];
    const r = await run(definitions()[EVAL]!, evaluationInput, evaluationStubs(calls, false));
    expect(r.error).toBeUndefined();
    expect(r.entered.at(-1)).toBe(E.nothingToEvaluate);
    expect(calls).toEqual(['plan']);
  });

  it('daily evaluation: a failing step ends in EvaluationFailed without publishing', async () => {
    const calls: string[] = [];
    const r = await run(definitions()[EVAL]!, evaluationInput, {
      ...evaluationStubs(calls),
      [E.evaluate]: async () => {
        throw Object.assign(new Error('no artifact'), { name: 'ticklake.ModelNotFound' });
      },
    });
    expect(r.error?.name).toBe(ML_WORKFLOW_ERRORS.evaluationFailed);
    expect(r.entered.at(-1)).toBe(E.failed);
    expect(calls).not.toContain('publish');
  });
});

describe('forecasting functions', () => {
  const expected: Record<MlFunctionKey, [number, number]> = {
    planTraining: [512, 120],
    train: [3008, 900],
    register: [512, 120],
    activate: [256, 60],
    planEvaluation: [512, 120],
    evaluate: [1769, 600],
    chooseChampion: [512, 120],
    publish: [512, 120],
  };

  it('memory, timeout and environment of each step', () => {
    const fns = functions();
    expect(
      Object.keys(fns)
        .filter((n) => n.includes('-ml-'))
        .sort(),
    ).toEqual([...Object.keys(expected).map((k) => functionName(k as MlFunctionKey)), 'ticklake-dev-ml-predict'].sort());
    for (const [k, [memory, timeout]] of Object.entries(expected) as [MlFunctionKey, [number, number]][]) {
      const [, p] = fns[functionName(k)]!;
      expect(p, k).toMatchObject({ MemorySize: memory, Timeout: timeout, Runtime: 'nodejs22.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
      const env = evaluate(p.Environment.Variables, (name) => (name.includes('ModelArtifacts') ? 'model-bucket' : undefined)) as Record<string, string>;
      expect(env, k).toMatchObject({
        LAKE_BUCKET: 'ticklake-dev-lake-123456789012-us-east-1',
        MODEL_BUCKET: expect.any(String),
        MODEL_PREFIX: 'model-store/',
        GLUE_DATABASE: 'ticklake_dev',
        ATHENA_WORKGROUP: 'ticklake-dev',
      });
      expect(JSON.stringify(p.Environment.Variables.MODEL_BUCKET)).toMatch(/ModelArtifacts/);
    }
  });

  it('grants: no wildcard action; model store, lake tables and Athena only where the step needs them', () => {
    const fns = functions();
    const t = template();
    for (const k of Object.keys(expected) as MlFunctionKey[]) {
      const [, p] = fns[functionName(k)]!;
      const roleId = p.Role['Fn::GetAtt'][0] as string;
      const statements = statementsOf(roleId);
      for (const s of statements) for (const a of actionsOf(s)) expect(a, `${k}: ${a}`).not.toMatch(/\*/);
      const on = (action: string) =>
        statements
          .filter((s) => actionsOf(s).includes(action))
          .flatMap((s) =>
            [s.Resource]
              .flat()
              .map((r) =>
                String(
                  evaluate(r, (n) =>
                    n.includes('ModelArtifacts') ? 'arn:aws:s3:::model-bucket' : n.includes('AthenaResults') ? 'arn:aws:s3:::results-bucket' : undefined,
                  ),
                ),
              ),
          );
      const spec = ML_FUNCTIONS[k] as (typeof ML_FUNCTIONS)[MlFunctionKey] & { modelStore?: string };
      const lake = 'arn:aws:s3:::ticklake-dev-lake-123456789012-us-east-1';

      const puts = on('s3:PutObject').sort();
      const expectedPuts = [
        ...(spec.modelStore === 'readWrite' ? ['arn:aws:s3:::model-bucket/model-store/*'] : []),
        ...spec.writesTables.map((tb) => `${lake}/${tb.zone}/${tb.name}/*`),
        ...(spec.athena ? ['arn:aws:s3:::results-bucket/athena/*'] : []),
      ].sort();
      expect(puts, k).toEqual(expectedPuts);
      expect(on('s3:GetObject').includes('arn:aws:s3:::model-bucket/model-store/*'), k).toBe(spec.modelStore !== undefined);
      expect(on('s3:DeleteObject'), k).toEqual([]);
      if (spec.athena) {
        expect(on('athena:StartQueryExecution'), k).toEqual(['arn:aws:athena:us-east-1:123456789012:workgroup/ticklake-dev']);
        // bars_1m reads the bar_partials view, which reads its physical table and manifest table.
        expect(on('glue:GetTable').sort(), k).toEqual(
          [
            'arn:aws:glue:us-east-1:123456789012:catalog',
            'arn:aws:glue:us-east-1:123456789012:database/ticklake_dev',
            'arn:aws:glue:us-east-1:123456789012:database/ticklake_dev_files',
            'arn:aws:glue:us-east-1:123456789012:table/ticklake_dev/bar_partials',
            'arn:aws:glue:us-east-1:123456789012:table/ticklake_dev/bars_1m',
            'arn:aws:glue:us-east-1:123456789012:table/ticklake_dev_files/bar_partials',
            'arn:aws:glue:us-east-1:123456789012:table/ticklake_dev_files/bar_partials_manifests',
          ].sort(),
        );
        expect(on('s3:GetObject'), k).toEqual(expect.arrayContaining([`${lake}/aggregate/bar_partials/*`, `${lake}/_compaction/aggregate/bar_partials/*`]));
      } else {
        expect(on('athena:StartQueryExecution'), k).toEqual([]);
        expect(on('glue:GetTable'), k).toEqual([]);
      }
      expect(
        on('s3:GetObject').filter(
          (r) => r.startsWith(lake) && r !== `${lake}/aggregate/bar_partials/*` && r !== `${lake}/_compaction/aggregate/bar_partials/*`,
        ),
        k,
      ).toEqual([]);
    }
    // choose-champion reads the model store (the window's per-minute errors) and nothing else but its logs and traces
    const chooseRole = fns[functionName('chooseChampion')]![1].Role['Fn::GetAtt'][0] as string;
    expect(statementsOf(chooseRole).flatMap(actionsOf).sort()).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:GetObject',
      's3:ListBucket',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    expect(t.findResources('AWS::Lambda::EventSourceMapping')).toEqual({});
  });

  it('the lake prefixes the steps write are the table locations of the models zone', () => {
    for (const k of ['register', 'publish'] as const) for (const tb of ML_FUNCTIONS[k].writesTables) expect(tb.zone).toBe('models');
    expect(ML_FUNCTIONS.register.writesTables.map((tb) => tb.name)).toEqual(['models']);
    expect(ML_FUNCTIONS.publish.writesTables.map((tb) => tb.name)).toEqual(['model_evaluations', 'champion_changes']);
  });
});

describe('orchestration stack resources', () => {
  it('state machines: standard, X-Ray tracing, ALL events logged with execution data to a retained-period log group', () => {
    const t = template();
    for (const [, sm] of resourcesOf(t, 'AWS::StepFunctions::StateMachine')) {
      expect(sm.Properties).toMatchObject({
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
      });
    }
    for (const [, lg] of resourcesOf(t, 'AWS::Logs::LogGroup')) expect(lg.Properties.RetentionInDays).toBe(30);
  });

  it('one EventBridge Scheduler schedule per workflow, cron from the configuration (evaluation before training), DLQ and bounded retries', () => {
    const t = template();
    const schedules = Object.fromEntries(resourcesOf(t, 'AWS::Scheduler::Schedule').map(([, s]) => [s.Properties.Name, s.Properties]));
    // (the compaction's schedule: test/infra/compaction.test.ts)
    expect(Object.keys(schedules).sort()).toEqual([
      'ticklake-dev-compaction',
      'ticklake-dev-daily-evaluation',
      'ticklake-dev-live-predictions',
      'ticklake-dev-weekly-training',
    ]);
    const smIds = Object.fromEntries(resourcesOf(t, 'AWS::StepFunctions::StateMachine').map(([id, r]) => [r.Properties.StateMachineName, id]));
    expect(built.config).toMatchObject({ trainingSchedule: 'cron(0 3 ? * MON *)', evaluationSchedule: 'cron(30 0 * * ? *)' });
    for (const [name, expr, sm, trigger] of [
      ['ticklake-dev-weekly-training', built.config.trainingSchedule, TRAIN, 'weekly-training'],
      ['ticklake-dev-daily-evaluation', built.config.evaluationSchedule, EVAL, 'daily-evaluation'],
    ] as const) {
      const s = schedules[name];
      expect(s).toMatchObject({
        ScheduleExpression: expr,
        ScheduleExpressionTimezone: 'UTC',
        State: 'ENABLED',
        GroupName: 'ticklake-dev',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: { Arn: { Ref: smIds[sm] }, RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 7200 } },
      });
      expect(s.Target.DeadLetterConfig.Arn).toBeDefined();
      expect(JSON.parse(s.Target.Input)).toEqual({
        trigger,
        scheduledTime: '<aws.scheduler.scheduled-time>',
        scheduleExecutionId: '<aws.scheduler.execution-id>',
      });
    }
  });

  it('live predictions: a one-minute schedule invokes the predict function with the scheduled time; one concurrent run; predictions rows only', () => {
    const t = template();
    const fns = functions();
    const [id, p] = fns['ticklake-dev-ml-predict']!;
    const s = resourcesOf(t, 'AWS::Scheduler::Schedule')
      .map(([, r]) => r.Properties)
      .find((x) => x.Name === 'ticklake-dev-live-predictions')!;
    expect(s).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: { 'Fn::GetAtt': [id, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 2 } },
    });
    expect(JSON.parse(s.Target.Input)).toEqual({ time: '<aws.scheduler.scheduled-time>' });
    expect(s.Target.DeadLetterConfig.Arn).toBeDefined();
    // The schedule invokes asynchronously: a tick that fails in the function is retried, then dead-lettered to the same queue.
    const invokeConfigs = resourcesOf(t, 'AWS::Lambda::EventInvokeConfig').filter(([, r]) => r.Properties.FunctionName.Ref === id);
    expect(invokeConfigs.map(([, r]) => r.Properties)).toEqual([
      {
        FunctionName: { Ref: id },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 600,
        DestinationConfig: { OnFailure: { Destination: s.Target.DeadLetterConfig.Arn } },
      },
    ]);
    expect(p).toMatchObject({ MemorySize: 1024, Timeout: 60, ReservedConcurrentExecutions: 1 });
    expect(p.Environment.Variables).toMatchObject({ TIME_SERIES_ENGINE: 'none', MODEL_PREFIX: 'model-store/' });
    const puts = statementsOf(p.Role['Fn::GetAtt'][0] as string)
      .filter((x) => actionsOf(x).includes('s3:PutObject'))
      .flatMap((x) => [x.Resource].flat().map((r) => JSON.stringify(r)));
    expect(
      puts.some((r) => r.includes('models/predictions/*')),
      puts.join('\n'),
    ).toBe(true);
    expect(
      puts.every((r) => r.includes('models/predictions/*') || r.includes('model-store/*') || r.includes('athena/*')),
      puts.join('\n'),
    ).toBe(true);
  });

  it('schedules follow the configuration (expression, time zone, disabled)', () => {
    const b = buildApp({
      trainingSchedule: 'cron(15 2 ? * SUN *)',
      evaluationSchedule: 'rate(12 hours)',
      scheduleTimeZone: 'Europe/Paris',
      schedulesEnabled: 'false',
    });
    const t = b.template(b.stacks.orchestration);
    t.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(15 2 ? * SUN *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
      State: 'DISABLED',
    });
    t.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(12 hours)', State: 'DISABLED' });
  });
});
