/**
 * The cloud poller of a polled source (`sourcePollers`, orchestration stack):
 * absent by default; with `sourcePollers=crypto-quotes` a function with the
 * poller entry, `kinesis:PutRecords` on the stream and nothing else of the
 * data, a `rate(5 minutes)` schedule (from the source's poll interval) in the
 * schedule group with retries, a maximum event age and the schedule
 * dead-letter queue, the same limits on the function's asynchronous
 * invocations with the dead-letter queue as on-failure destination; cdk-nag
 * clean; refused with ingestion=msk.
 */
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config.js';
import { pollScheduleExpression, SOURCE_POLLER_SERVICE, SourcePoller } from '../../lib/constructs/source-poller.js';
import { SOURCE_POLLER_ENTRY } from '../../lib/paths.js';
import { streamNameOf } from '../../lib/stacks/ingestion-stack.js';
import { nagReport } from '../../lib/tools/nag-report.js';
import { COINGECKO_MARKETS_URL, cryptoQuotes } from '../../src/sources/crypto-quotes/index.js';
import { OPEN_METEO_FORECAST_URL } from '../../src/sources/weather/index.js';
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

const NAME = 'ticklake-dev-poll-crypto-quotes';
const STREAM_ARN = `arn:aws:kinesis:${FAKE_REGION}:${FAKE_ACCOUNT}:stream/ticklake-dev-events`;

let off: BuiltApp;
let on: BuiltApp;
beforeAll(() => {
  off = buildApp();
  on = buildApp({ sourcePollers: 'crypto-quotes' });
});

const poller = (t: Template) => functionNamed(t, NAME);
const queueId = scheduleDeadLetterQueueId;

describe('source pollers: configuration', () => {
  it('none by default; a list from -c (comma-separated) or cdk.json (an array)', () => {
    expect(parseConfig(CDK_JSON_CONTEXT).sourcePollers).toEqual([]);
    expect(parseConfig({ sourcePollers: ' crypto-quotes, ,crypto-quotes' }).sourcePollers).toEqual(['crypto-quotes']);
    expect(parseConfig({ sourcePollers: ['crypto-quotes'] }).sourcePollers).toEqual(['crypto-quotes']);
    expect(parseConfig({ sourcePollers: '' }).sourcePollers).toEqual([]);
  });

  it('refuses unknown sources, sources that are not polled, and ingestion=msk, with a clear message', () => {
    const problems = configProblems;
    expect(problems({ sourcePollers: 'thermo' })).toEqual(['sourcePollers: unknown source "thermo"; polled sources: crypto-quotes, weather (given: "thermo")']);
    expect(problems({ sourcePollers: 'binance-trades' })[0]).toMatch(
      /source "binance-trades" is not polled \(it has no HTTP poller\); polled sources: crypto-quotes, weather/,
    );
    expect(problems({ ingestion: 'msk', sourcePollers: 'crypto-quotes' })[0]).toMatch(
      /^sourcePollers: the source pollers put records with Kinesis PutRecords and have no Kafka producer; with ingestion=msk leave sourcePollers empty/,
    );
  });
});

describe('source pollers: off', () => {
  it('deploys no poller function, no poll schedule, and the orchestration stack does not wait for the ingestion stack', () => {
    const t = off.template(off.stacks.orchestration);
    expect(resourcesOf(t, 'AWS::Lambda::Function').filter(([, r]) => String(r.Properties.FunctionName).includes('-poll-'))).toEqual([]);
    expect(resourcesOf(t, 'AWS::Scheduler::Schedule').filter(([, r]) => String(r.Properties.Name).includes('-poll-'))).toEqual([]);
    expect(resourcesOf(t, 'AWS::Lambda::EventInvokeConfig').filter(([, r]) => JSON.stringify(r.Properties.FunctionName).includes('Poller'))).toEqual([]);
    expect(off.stacks.orchestration.sourcePollers).toEqual([]);
    expect(off.stacks.orchestration.dependencies).not.toContain(off.stacks.ingestion);
  });
});

describe('source pollers: crypto-quotes', () => {
  it('a Node.js 22 function of the ticklake construct with the source, its URL and the stream in its environment', () => {
    // Act
    const { props } = poller(on.template(on.stacks.orchestration));
    // Assess
    expect(props).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], MemorySize: 256, Timeout: 60, TracingConfig: { Mode: 'Active' } });
    expect(props.Environment.Variables).toMatchObject({
      SOURCE_ID: 'crypto-quotes',
      POLL_URL: COINGECKO_MARKETS_URL,
      STREAM_NAME: 'ticklake-dev-events',
      POWERTOOLS_SERVICE_NAME: SOURCE_POLLER_SERVICE,
      POWERTOOLS_METRICS_NAMESPACE: 'ticklake',
    });
    // the stream of that name is the ingestion stack's
    const [[, stream]] = resourcesOf(on.template(on.stacks.ingestion), 'AWS::Kinesis::Stream');
    expect(stream!.Properties.Name).toBe(streamNameOf(on.config));
    expect(on.stacks.orchestration.dependencies).toContain(on.stacks.ingestion);
  });

  it('its role may put records on the stream (PutRecords only, no KMS: the stream uses the AWS managed key) and send its failed polls to the dead-letter queue', () => {
    // Prepare
    const t = on.template(on.stacks.orchestration);
    // Act
    const { statements } = poller(t);
    // Assess
    const byAction = statements.flatMap((s) => actionsOf(s).map((a) => [a, s.Resource] as const));
    const data = Object.fromEntries(byAction.filter(([a]) => !a.startsWith('logs:') && !a.startsWith('xray:')));
    const queue = { 'Fn::GetAtt': [queueId(t), 'Arn'] };
    expect(Object.keys(data).sort()).toEqual(['kinesis:PutRecords', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
    expect(evaluate(data['kinesis:PutRecords'])).toBe(STREAM_ARN);
    for (const a of ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']) expect(data[a], a).toEqual(queue);
    expect(byAction.filter(([a]) => a.startsWith('xray:')).every(([, r]) => r === '*')).toBe(true);
    expect(byAction.filter(([a]) => a.startsWith('logs:')).every(([, r]) => r !== '*')).toBe(true);
    expect(resourcesOf(on.template(on.stacks.ingestion), 'AWS::Kinesis::Stream')[0]![1].Properties.StreamEncryption).toEqual({
      EncryptionType: 'KMS',
      KeyId: 'alias/aws/kinesis',
    });
  });

  it('a rate(5 minutes) schedule in the schedule group invokes it with the scheduled time, with retries, a maximum event age and the dead-letter queue', () => {
    // Prepare
    const t = on.template(on.stacks.orchestration);
    const fn = poller(t);
    // Act
    const schedules = resourcesOf(t, 'AWS::Scheduler::Schedule').filter(([, r]) => r.Properties.Name === NAME);
    // Assess
    expect(schedules).toHaveLength(1);
    const s = schedules[0]![1].Properties;
    const [[groupId, group]] = resourcesOf(t, 'AWS::Scheduler::ScheduleGroup');
    expect(s.GroupName).toEqual(group!.Properties.Name ?? { Ref: groupId });
    expect(s).toMatchObject({ ScheduleExpression: 'rate(5 minutes)', State: 'ENABLED', FlexibleTimeWindow: { Mode: 'OFF' } });
    expect(s.Target.Arn).toEqual({ 'Fn::GetAtt': [fn.id, 'Arn'] });
    expect(JSON.parse(s.Target.Input)).toEqual({ scheduledTime: '<aws.scheduler.scheduled-time>', scheduleExecutionId: '<aws.scheduler.execution-id>' });
    expect(s.Target.RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 });
    expect(s.Target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [queueId(t), 'Arn'] } });
    // the scheduler's role may invoke that function (and its versions) and write to the dead-letter queue, nothing else
    const role = policyStatements(t, s.Target.RoleArn['Fn::GetAtt'][0]);
    expect(role.flatMap(actionsOf).sort()).toEqual(['lambda:InvokeFunction', 'sqs:SendMessage']);
    const invoke = role.find((x) => actionsOf(x).includes('lambda:InvokeFunction'))!;
    expect(invoke.Resource).toEqual([{ 'Fn::GetAtt': [fn.id, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [fn.id, 'Arn'] }, ':*']] }]);
  });

  it('the expression is derived from the poll interval, not restated', () => {
    expect(pollScheduleExpression(cryptoQuotes.poller!.intervalMs).expressionString).toBe('rate(5 minutes)');
    expect(pollScheduleExpression(60_000).expressionString).toBe('rate(1 minute)');
    expect(pollScheduleExpression(2 * 3_600_000).expressionString).toBe('rate(2 hours)');
    expect(() => pollScheduleExpression(90_000)).toThrow(/whole minutes/);
  });

  it('a poll that throws is retried by Lambda twice within one interval, then sent to the dead-letter queue (the scheduler invokes asynchronously: its retries cover only the delivery)', () => {
    // Prepare
    const t = on.template(on.stacks.orchestration);
    const fn = poller(t);
    // Act
    const configs = resourcesOf(t, 'AWS::Lambda::EventInvokeConfig').filter(([, r]) => r.Properties.FunctionName.Ref === fn.id);
    // Assess
    expect(configs).toHaveLength(1);
    expect(configs[0]![1].Properties).toEqual(scheduledInvokeConfig(fn.id, queueId(t), 300));
  });

  it('with schedulesEnabled=false the schedule is deployed disabled', () => {
    const b = buildApp({ sourcePollers: 'crypto-quotes', schedulesEnabled: 'false' });
    const [[, s]] = resourcesOf(b.template(b.stacks.orchestration), 'AWS::Scheduler::Schedule').filter(([, r]) => r.Properties.Name === NAME);
    expect(s!.Properties.State).toBe('DISABLED');
  });

  it('cdk-nag: no unacknowledged finding, every acknowledgement matches a finding', () => {
    // Act
    const r = nagReport('pollers', CDK_JSON_CONTEXT, { sourcePollers: 'crypto-quotes' });
    // Assess
    expect(r.after).toEqual([]);
    const mine = acknowledgementsUnder(r, '/Poller-crypto-quotes');
    expect(mine).toHaveLength(5);
    expect(mine.map((a) => a.id)).toEqual(
      expect.arrayContaining([
        'AwsSolutions-IAM5[Resource::*]',
        'AwsSolutions-L1',
        'Serverless-LambdaDLQ',
        'Serverless-LambdaLatestVersion',
        expect.stringMatching(/^AwsSolutions-IAM5\[Resource::<PollercryptoquotesFunction[0-9A-F]+\.Arn>:\*\]$/),
      ]),
    );
  });
});

describe('source pollers: weather (derived from the registry like any polled source)', () => {
  it('sourcePollers=weather synthesises its function, with the Open-Meteo URL, and an hourly schedule', () => {
    // Prepare
    const b = buildApp({ sourcePollers: 'weather' });
    const t = b.template(b.stacks.orchestration);
    // Act
    const fns = resourcesOf(t, 'AWS::Lambda::Function').filter(([, r]) => String(r.Properties.FunctionName).includes('-poll-'));
    const schedules = resourcesOf(t, 'AWS::Scheduler::Schedule').filter(([, r]) => String(r.Properties.Name).includes('-poll-'));
    // Assess
    expect(fns.map(([, r]) => r.Properties.FunctionName)).toEqual(['ticklake-dev-poll-weather']);
    expect(fns[0]![1].Properties.Environment.Variables).toMatchObject({
      SOURCE_ID: 'weather',
      POLL_URL: OPEN_METEO_FORECAST_URL,
      STREAM_NAME: 'ticklake-dev-events',
    });
    expect(schedules.map(([, r]) => [r.Properties.Name, r.Properties.ScheduleExpression])).toEqual([['ticklake-dev-poll-weather', 'rate(1 hour)']]);
    expect(b.stacks.orchestration.sourcePollers).toHaveLength(1);
  });

  it('both polled sources at once: one function and one schedule each', () => {
    // Act
    const b = buildApp({ sourcePollers: 'crypto-quotes,weather' });
    const names = resourcesOf(b.template(b.stacks.orchestration), 'AWS::Scheduler::Schedule')
      .map(([, r]) => [r.Properties.Name, r.Properties.ScheduleExpression])
      .filter(([n]) => String(n).includes('-poll-'));
    // Assess
    expect(names.sort()).toEqual([
      ['ticklake-dev-poll-crypto-quotes', 'rate(5 minutes)'],
      ['ticklake-dev-poll-weather', 'rate(1 hour)'],
    ]);
  });
});

describe('source pollers: the bundle', () => {
  it('bundles lambdas/source-poller/handler.ts into one ES module that loads and exports its handler', async () => {
    // Prepare
    expect(SOURCE_POLLER_ENTRY.endsWith(join('lambdas', 'source-poller', 'handler.ts'))).toBe(true);
    // Act: the construct alone in a stack
    const { code, module } = await bundledFunction((stack) => {
      new SourcePoller(stack, 'Poller', {
        config: parseConfig({ sourcePollers: 'crypto-quotes' }),
        source: cryptoQuotes,
        streamName: 'ticklake-dev-events',
        scheduleGroup: new scheduler.ScheduleGroup(stack, 'Group'),
        deadLetterQueue: new sqs.Queue(stack, 'Dlq', { retentionPeriod: Duration.days(1) }),
      });
    });
    // Assess
    expect(code).toContain('STREAM_NAME or STREAM_ARN');
    expect(code).toContain('"PutRecords"');
    expect(/@duckdb|duckdb\.node/.test(code)).toBe(false);
    expect(typeof module.handler).toBe('function');
  }, 120_000);
});
