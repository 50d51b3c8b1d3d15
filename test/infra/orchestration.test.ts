import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type AslDefinition,
  EVALUATION_STATES,
  evaluationDefinition,
  TRAINING_STATES,
  trainingDefinition,
  WORKFLOW_ERRORS,
} from '../../lib/orchestration/model-workflows.js';
import { type BuiltApp, buildApp, evaluate, polyfillPromiseWithResolvers, resourcesOf } from './helpers.js';

polyfillPromiseWithResolvers();

let unwired: BuiltApp;
let wired: BuiltApp;
beforeAll(() => {
  unwired = buildApp();
  wired = buildApp(
    {},
    {
      extend: (app) => {
        const ml = new Stack(app, 'ml-functions-under-test');
        const fn = (id: string) =>
          new lambda.Function(ml, id, {
            functionName: `ml-${id}`,
            runtime: lambda.Runtime.NODEJS_22_X,
            handler: 'index.handler',
            code: lambda.Code.fromInline('exports.handler = async () => ({});'),
          });
        return { modelFunctions: { trainCandidates: fn('train'), promoteBest: fn('promote'), evaluate: fn('evaluate') } };
      },
    },
  );
});

/** The synthesized state machine definitions of an app, by state machine name, intrinsics evaluated. */
function definitions(b: BuiltApp): Record<string, AslDefinition> {
  const t = b.template(b.stacks.orchestration);
  return Object.fromEntries(
    resourcesOf(t, 'AWS::StepFunctions::StateMachine').map(([, r]) => {
      const raw = r.Properties.DefinitionString;
      const text = typeof raw === 'string' ? raw : String(evaluate(raw));
      return [r.Properties.StateMachineName, JSON.parse(text) as AslDefinition];
    }),
  );
}

/** The Lambda ARN the evaluator gives a cross-stack function reference. */
function taskArns(def: AslDefinition): string[] {
  return Object.values(def.States)
    .filter((s) => s.Type === 'Task')
    .map((s) => String(s.Resource));
}

async function failureOf(p: Promise<unknown>): Promise<{ error: string; cause: string }> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ExecutionError);
    const cause = (e as Error).cause as Error;
    return { error: cause.name, cause: cause.message };
  }
  throw new Error('execution succeeded, expected a failure');
}

const scheduleInput = { trigger: 'weekly-training', scheduledTime: '2026-03-02T03:00:00Z', scheduleExecutionId: 'e-1' };

describe('model workflows as synthesized (no ML functions yet)', () => {
  it('are JSONPath Amazon States Language, valid for aws-local-stepfunctions', () => {
    const defs = definitions(unwired);
    expect(Object.keys(defs).sort()).toEqual(['ticklake-dev-evaluate-models', 'ticklake-dev-train-models']);
    for (const d of Object.values(defs)) {
      expect(JSON.stringify(d)).not.toMatch(/JSONata|QueryLanguage/);
      expect(() => new StateMachine(d as never)).not.toThrow();
    }
  });

  it('do not pretend to train: they stop in a clearly named Fail state, no Task state at all', async () => {
    const defs = definitions(unwired);
    for (const [name, notConfigured] of [
      ['ticklake-dev-train-models', TRAINING_STATES.notConfigured],
      ['ticklake-dev-evaluate-models', EVALUATION_STATES.notConfigured],
    ] as const) {
      const d = defs[name]!;
      expect(taskArns(d)).toEqual([]);
      expect(d.Comment).toMatch(/NOT CONFIGURED/);
      const run = new StateMachine(d as never).run(scheduleInput);
      const entered: string[] = [];
      const logs = (async () => {
        for await (const e of run.eventLogs) if (e.type === 'StateEntered') entered.push((e as { state: { name: string } }).state.name);
      })();
      const f = await failureOf(run.result);
      await logs;
      expect(f.error).toBe(WORKFLOW_ERRORS.notConfigured);
      expect(f.cause).toMatch(/nothing was (trained|evaluated)/);
      expect(entered.at(-1)).toBe(notConfigured);
    }
  });

  it('are exactly the documents the local runtime builds from lib/orchestration/model-workflows.ts', () => {
    const defs = definitions(unwired);
    expect(defs['ticklake-dev-train-models']).toEqual(trainingDefinition());
    expect(defs['ticklake-dev-evaluate-models']).toEqual(evaluationDefinition());
  });
});

describe('model workflows wired to ML functions', () => {
  it('synthesize the same definition with the functions ARNs, and the role may invoke exactly those', () => {
    const defs = definitions(wired);
    const train = defs['ticklake-dev-train-models']!;
    const [trainArn, promoteArn] = taskArns(train);
    expect(train).toEqual(trainingDefinition({ trainCandidates: trainArn!, promoteBest: promoteArn! }));
    const evalDef = defs['ticklake-dev-evaluate-models']!;
    expect(evalDef).toEqual(evaluationDefinition({ evaluate: taskArns(evalDef)[0]! }));

    const t = wired.template(wired.stacks.orchestration);
    const invoke = resourcesOf(t, 'AWS::IAM::Policy')
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => [s.Action].flat().includes('lambda:InvokeFunction'));
    expect(invoke.length).toBeGreaterThan(0);
    for (const s of invoke) for (const r of [s.Resource].flat()) expect(JSON.stringify(r)).toMatch(/ml-functions-under-test/);
  });

  it('training runs locally with its Lambda tasks overridden: train, then promote', async () => {
    const def = definitions(wired)['ticklake-dev-train-models']!;
    const calls: string[] = [];
    const result = (await new StateMachine(def as never).run(scheduleInput, {
      overrides: {
        taskResourceLocalHandlers: {
          [TRAINING_STATES.trainCandidates]: async (input) => {
            calls.push('train');
            expect(input).toMatchObject({ request: scheduleInput });
            return { candidates: [{ name: 'gbt', rmse: 12.5 }, { name: 'naive', rmse: 14 }] };
          },
          [TRAINING_STATES.promoteBest]: async (input) => {
            calls.push('promote');
            expect(input).toMatchObject({ training: { candidates: expect.any(Array) } });
            return { promoted: 'gbt', training_date: '2026-03-02' };
          },
        },
      },
    }).result) as Record<string, unknown>;
    expect(calls).toEqual(['train', 'promote']);
    expect(result).toMatchObject({ request: scheduleInput, promotion: { promoted: 'gbt' } });
  });

  it('retries transient Lambda errors, and a failing step ends in TrainingFailed', async () => {
    const def = definitions(wired)['ticklake-dev-train-models']!;
    let attempts = 0;
    const ok = await new StateMachine(def as never).run(scheduleInput, {
      overrides: {
        retryIntervalOverrides: { [TRAINING_STATES.trainCandidates]: 0 },
        taskResourceLocalHandlers: {
          [TRAINING_STATES.trainCandidates]: async () => {
            attempts += 1;
            if (attempts < 3) throw Object.assign(new Error('rate exceeded'), { name: 'Lambda.TooManyRequestsException' });
            return { candidates: [] };
          },
          [TRAINING_STATES.promoteBest]: async () => ({ promoted: null }),
        },
      },
    }).result;
    expect(attempts).toBe(3);
    expect(ok).toMatchObject({ promotion: { promoted: null } });

    const f = await failureOf(
      new StateMachine(def as never).run(scheduleInput, {
        overrides: {
          taskResourceLocalHandlers: {
            [TRAINING_STATES.trainCandidates]: async () => {
              throw Object.assign(new Error('not enough data'), { name: 'InsufficientData' });
            },
            [TRAINING_STATES.promoteBest]: async () => {
              throw new Error('must not run');
            },
          },
        },
      }).result,
    );
    expect(f.error).toBe(WORKFLOW_ERRORS.trainingFailed);
  });

  it('evaluation runs locally with its task overridden', async () => {
    const def = definitions(wired)['ticklake-dev-evaluate-models']!;
    const out = await new StateMachine(def as never).run(
      { trigger: 'daily-evaluation' },
      { overrides: { taskResourceLocalHandlers: { [EVALUATION_STATES.evaluate]: async () => ({ rmse: 10.2, testing_date: '2026-03-03' }) } } },
    ).result;
    expect(out).toMatchObject({ evaluation: { rmse: 10.2 } });
  });
});

describe('orchestration stack resources', () => {
  it('state machines: standard, X-Ray tracing, ALL events logged with execution data to a retained-period log group', () => {
    const t = unwired.template(unwired.stacks.orchestration);
    for (const [, sm] of resourcesOf(t, 'AWS::StepFunctions::StateMachine')) {
      expect(sm.Properties).toMatchObject({
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
      });
    }
    for (const [, lg] of resourcesOf(t, 'AWS::Logs::LogGroup')) expect(lg.Properties.RetentionInDays).toBe(30);
  });

  it('one EventBridge Scheduler schedule per workflow, cron from the configuration, DLQ and bounded retries', () => {
    const t = unwired.template(unwired.stacks.orchestration);
    const schedules = Object.fromEntries(resourcesOf(t, 'AWS::Scheduler::Schedule').map(([, s]) => [s.Properties.Name, s.Properties]));
    expect(Object.keys(schedules).sort()).toEqual(['ticklake-dev-daily-evaluation', 'ticklake-dev-weekly-training']);
    const smIds = Object.fromEntries(resourcesOf(t, 'AWS::StepFunctions::StateMachine').map(([id, r]) => [r.Properties.StateMachineName, id]));
    for (const [name, expr, sm, trigger] of [
      ['ticklake-dev-weekly-training', 'cron(0 3 ? * MON *)', 'ticklake-dev-train-models', 'weekly-training'],
      ['ticklake-dev-daily-evaluation', 'cron(30 4 * * ? *)', 'ticklake-dev-evaluate-models', 'daily-evaluation'],
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

  it('schedules follow the configuration (expression, time zone, disabled)', () => {
    const b = buildApp({ trainingSchedule: 'cron(15 2 ? * SUN *)', evaluationSchedule: 'rate(12 hours)', scheduleTimeZone: 'Europe/Paris', schedulesEnabled: 'false' });
    const t = b.template(b.stacks.orchestration);
    t.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(15 2 ? * SUN *)', ScheduleExpressionTimezone: 'Europe/Paris', State: 'DISABLED' });
    t.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(12 hours)', State: 'DISABLED' });
  });
});
