/**
 * The simulated producers in the cloud (`simulators`, orchestration stack):
 * absent by default; with `simulators=weather,energy,engagement` one
 * generator function with its entry and sources in its environment,
 * `kinesis:PutRecords` on the stream and nothing else of the data, a
 * `rate(5 minutes)` schedule in the schedule group with retries, a maximum
 * event age and the schedule dead-letter queue, the same limits on the
 * function's asynchronous invocations; cdk-nag clean; unknown sources and
 * ingestion=msk refused with a readable message.
 */
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config.js';
import { SIMULATED_PRODUCER_SERVICE, SimulatedProducers } from '../../lib/constructs/simulated-producers.js';
import { SIMULATED_PRODUCER_ENTRY } from '../../lib/paths.js';
import { nagReport } from '../../lib/tools/nag-report.js';
import { SOURCES, sourceById } from '../../src/sources/index.js';
import {
  acknowledgementsUnder,
  actionsOf,
  type BuiltApp,
  buildApp,
  bundledFunction,
  CDK_JSON_CONTEXT,
  configProblems,
  evaluate,
  FAKE_ACCOUNT,
  FAKE_REGION,
  functionNamed,
  policyStatements,
  resourcesOf,
  scheduleDeadLetterQueueId,
  scheduledInvokeConfig,
} from './helpers.js';

const NAME = 'ticklake-dev-simulate';
const STREAM_ARN = `arn:aws:kinesis:${FAKE_REGION}:${FAKE_ACCOUNT}:stream/ticklake-dev-events`;
const DEMO = 'weather,energy,engagement';

let off: BuiltApp;
let on: BuiltApp;
beforeAll(() => {
  off = buildApp();
  on = buildApp({ simulators: DEMO });
});

const generator = (t: Template) => functionNamed(t, NAME);
const queueId = scheduleDeadLetterQueueId;

const problems = configProblems;

describe('simulated producers: configuration', () => {
  it('none by default; a list from -c (comma-separated) or cdk.json (an array)', () => {
    expect(parseConfig(CDK_JSON_CONTEXT).simulators).toEqual([]);
    expect(parseConfig({ simulators: ' weather, ,energy,weather' }).simulators).toEqual(['weather', 'energy']);
    expect(parseConfig({ simulators: ['engagement'] }).simulators).toEqual(['engagement']);
    expect(parseConfig({ simulators: '' }).simulators).toEqual([]);
  });

  it('refuses unknown sources, naming the ones with a simulator, and ingestion=msk', () => {
    expect(problems({ simulators: 'weather,thermo' })).toEqual([
      `simulators: unknown source "thermo"; sources with a simulator: ${SOURCES.filter((s) => s.simulator)
        .map((s) => s.id)
        .join(', ')} (given: "weather,thermo")`,
    ]);
    expect(problems({ ingestion: 'msk', simulators: 'weather' })[0]).toMatch(
      /^simulators: the simulated producers put records with Kinesis PutRecords and have no Kafka producer; with ingestion=msk leave simulators empty/,
    );
  });
});

describe('simulated producers: off', () => {
  it('deploys no generator function and no schedule for it', () => {
    const t = off.template(off.stacks.orchestration);
    expect(resourcesOf(t, 'AWS::Lambda::Function').filter(([, r]) => r.Properties.FunctionName === NAME)).toEqual([]);
    expect(resourcesOf(t, 'AWS::Scheduler::Schedule').filter(([, r]) => r.Properties.Name === NAME)).toEqual([]);
    expect(off.stacks.orchestration.simulatedProducers).toBeUndefined();
  });
});

describe('simulated producers: weather, energy, engagement', () => {
  it('one function of the ticklake construct with its sources and the stream in its environment', () => {
    // Act
    const { props } = generator(on.template(on.stacks.orchestration));
    // Assess
    expect(props).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], MemorySize: 512, Timeout: 120, TracingConfig: { Mode: 'Active' } });
    expect(props.Environment.Variables).toMatchObject({
      SIMULATED_SOURCES: DEMO,
      STREAM_NAME: 'ticklake-dev-events',
      POWERTOOLS_SERVICE_NAME: SIMULATED_PRODUCER_SERVICE,
    });
    expect(on.stacks.orchestration.dependencies).toContain(on.stacks.ingestion);
  });

  it('its role may put records on the stream and send its failed invocations to the dead-letter queue, nothing else', () => {
    // Prepare
    const t = on.template(on.stacks.orchestration);
    // Act
    const { statements } = generator(t);
    // Assess
    const byAction = statements.flatMap((s) => actionsOf(s).map((a) => [a, s.Resource] as const));
    const data = Object.fromEntries(byAction.filter(([a]) => !a.startsWith('logs:') && !a.startsWith('xray:')));
    expect(Object.keys(data).sort()).toEqual(['kinesis:PutRecords', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
    expect(evaluate(data['kinesis:PutRecords'])).toBe(STREAM_ARN);
    for (const a of ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']) expect(data[a], a).toEqual({ 'Fn::GetAtt': [queueId(t), 'Arn'] });
    expect(byAction.filter(([a]) => a.startsWith('logs:')).every(([, r]) => r !== '*')).toBe(true);
  });

  it('a rate(5 minutes) schedule invokes it with the scheduled time, with retries, a maximum event age and the dead-letter queue; Lambda retries a failed window likewise', () => {
    // Prepare
    const t = on.template(on.stacks.orchestration);
    const fn = generator(t);
    // Act
    const schedules = resourcesOf(t, 'AWS::Scheduler::Schedule').filter(([, r]) => r.Properties.Name === NAME);
    const configs = resourcesOf(t, 'AWS::Lambda::EventInvokeConfig').filter(([, r]) => r.Properties.FunctionName.Ref === fn.id);
    // Assess
    expect(schedules).toHaveLength(1);
    const s = schedules[0]![1].Properties;
    expect(s).toMatchObject({ ScheduleExpression: 'rate(5 minutes)', State: 'ENABLED', FlexibleTimeWindow: { Mode: 'OFF' } });
    expect(s.Target.Arn).toEqual({ 'Fn::GetAtt': [fn.id, 'Arn'] });
    expect(JSON.parse(s.Target.Input)).toEqual({ scheduledTime: '<aws.scheduler.scheduled-time>', scheduleExecutionId: '<aws.scheduler.execution-id>' });
    expect(s.Target.RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 });
    expect(s.Target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [queueId(t), 'Arn'] } });
    const role = policyStatements(t, s.Target.RoleArn['Fn::GetAtt'][0]);
    expect(role.flatMap(actionsOf).sort()).toEqual(['lambda:InvokeFunction', 'sqs:SendMessage']);
    expect(configs.map(([, r]) => r.Properties)).toEqual([scheduledInvokeConfig(fn.id, queueId(t), 300)]);
  });

  it('with pollers too: one schedule each, the pollers unchanged', () => {
    // Act
    const b = buildApp({ simulators: 'engagement', sourcePollers: 'weather' });
    const names = resourcesOf(b.template(b.stacks.orchestration), 'AWS::Scheduler::Schedule')
      .map(([, r]) => [r.Properties.Name, r.Properties.ScheduleExpression])
      .filter(([n]) => n === NAME || String(n).includes('-poll-'));
    // Assess
    expect(names.sort()).toEqual([
      ['ticklake-dev-poll-weather', 'rate(1 hour)'],
      [NAME, 'rate(5 minutes)'],
    ]);
  });

  it('cdk-nag: no unacknowledged finding, every acknowledgement matches a finding', () => {
    // Act
    const r = nagReport('simulators', CDK_JSON_CONTEXT, { simulators: DEMO });
    // Assess
    expect(r.after).toEqual([]);
    const mine = acknowledgementsUnder(r, '/Simulators');
    expect(mine.map((a) => a.id)).toEqual(
      expect.arrayContaining([
        'AwsSolutions-IAM5[Resource::*]',
        'Serverless-LambdaDLQ',
        expect.stringMatching(/^AwsSolutions-IAM5\[Resource::<SimulatorsFunction[0-9A-F]+\.Arn>:\*\]$/),
      ]),
    );
  });
});

describe('simulated producers: the bundle', () => {
  it('bundles lambdas/simulated-producer/handler.ts into one ES module that loads and exports its handler', async () => {
    // Prepare
    expect(SIMULATED_PRODUCER_ENTRY.endsWith(join('lambdas', 'simulated-producer', 'handler.ts'))).toBe(true);
    // Act: the construct alone in a stack
    const { code, module } = await bundledFunction((stack) => {
      new SimulatedProducers(stack, 'Simulators', {
        config: parseConfig({ simulators: DEMO }),
        sources: DEMO.split(',').map(sourceById),
        streamName: 'ticklake-dev-events',
        scheduleGroup: new scheduler.ScheduleGroup(stack, 'Group'),
        deadLetterQueue: new sqs.Queue(stack, 'Dlq', { retentionPeriod: Duration.days(1) }),
      });
    });
    // Assess
    expect(code).toContain('"PutRecords"');
    expect(code).toContain('SIMULATED_SOURCES');
    expect(/@duckdb|duckdb\.node/.test(code)).toBe(false);
    expect(typeof module.handler).toBe('function');
  }, 120_000);
});
