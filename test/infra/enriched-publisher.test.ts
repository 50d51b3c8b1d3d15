/**
 * The enriched publisher in the cloud (`enrichedPublisher`, orchestration
 * stack): absent by default; with `enrichedPublisher=engagement,viewing` one
 * function with its sources, the enriched stream, the catalog and its state
 * object in its environment, exact grants (PutRecords on the enriched stream
 * only, Athena on the workgroup, Glue and S3 reads of the tables it queries,
 * read/write of its one state object), one run at a time, a one-minute
 * schedule with retries and the schedule dead-letter queue; cdk-nag clean;
 * unknown sources refused.
 */
import { Duration } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config.js';
import { ENRICHED_PUBLISHER_SERVICE, ENRICHED_PUBLISHER_STATE_KEY, EnrichedPublisher } from '../../lib/constructs/enriched-publisher.js';
import { nagReport } from '../../lib/tools/nag-report.js';
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

const NAME = 'ticklake-dev-enriched-publisher';
const ENRICHED_ARN = `arn:aws:kinesis:${FAKE_REGION}:${FAKE_ACCOUNT}:stream/ticklake-dev-enriched`;
const BOTH = 'engagement,viewing';

let off: BuiltApp;
let on: BuiltApp;
let viewingOnly: BuiltApp;
beforeAll(() => {
  off = buildApp();
  on = buildApp({ enrichedPublisher: BOTH });
  viewingOnly = buildApp({ enrichedPublisher: 'viewing' });
});

const publisher = (t: Template) => functionNamed(t, NAME);

/** Per action, the resources granted (intrinsics evaluated), data actions only. */
function dataGrants(statements: Record<string, any>[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of statements)
    for (const a of actionsOf(s)) {
      if (a.startsWith('logs:') || a.startsWith('xray:')) continue;
      out[a] = [...(out[a] ?? []), ...[s.Resource].flat().map((r) => String(evaluate(r)))].sort();
    }
  return out;
}

describe('enriched publisher: configuration', () => {
  it('none by default; a list from -c or cdk.json; unknown or unpublished sources refused; with ingestion=msk too (the enriched stream is Kinesis)', () => {
    expect(parseConfig(CDK_JSON_CONTEXT).enrichedPublisher).toEqual([]);
    expect(parseConfig({ enrichedPublisher: ' viewing, engagement,viewing' }).enrichedPublisher).toEqual(['viewing', 'engagement']);
    expect(configProblems({ enrichedPublisher: 'engagement,weather' })).toEqual([
      'enrichedPublisher: source "weather" has no closed results the enriched publisher puts; sources it publishes: engagement, viewing (given: "engagement,weather")',
    ]);
    expect(configProblems({ enrichedPublisher: 'thermo' })[0]).toMatch(/^enrichedPublisher: unknown source "thermo"/);
    expect(configProblems({ ingestion: 'msk', enrichedPublisher: 'viewing' })).toEqual([]);
  });
});

describe('enriched publisher: off', () => {
  it('deploys no function and no schedule, and the orchestration stack does not wait for the ingestion stack', () => {
    const t = off.template(off.stacks.orchestration);
    expect(resourcesOf(t, 'AWS::Lambda::Function').filter(([, r]) => r.Properties.FunctionName === NAME)).toEqual([]);
    expect(resourcesOf(t, 'AWS::Scheduler::Schedule').filter(([, r]) => r.Properties.Name === NAME)).toEqual([]);
    expect(off.stacks.orchestration.enrichedPublisher).toBeUndefined();
    expect(off.stacks.orchestration.dependencies).not.toContain(off.stacks.ingestion);
  });
});

describe('enriched publisher: engagement and viewing', () => {
  it('one function with its sources, the enriched stream, the catalog and its state object in its environment; one run at a time', () => {
    // Act
    const { props } = publisher(on.template(on.stacks.orchestration));
    // Assess
    expect(props).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], MemorySize: 512, Timeout: 55, ReservedConcurrentExecutions: 1 });
    expect(props.Environment.Variables).toMatchObject({
      ENRICHED_SOURCES: BOTH,
      STREAM_NAME: 'ticklake-dev-enriched',
      GLUE_DATABASE: 'ticklake_dev',
      ATHENA_WORKGROUP: 'ticklake-dev',
      STATE_KEY: ENRICHED_PUBLISHER_STATE_KEY,
      POWERTOOLS_SERVICE_NAME: ENRICHED_PUBLISHER_SERVICE,
    });
    expect(JSON.stringify(props.Environment.Variables.STATE_BUCKET)).toMatch(/ModelArtifacts/);
    expect(on.stacks.orchestration.dependencies).toContain(on.stacks.ingestion);
  });

  it('its role: PutRecords on the enriched stream only, Athena on the workgroup, Glue and S3 reads of the tables it queries (views, files, manifests), its one state object, its dead-letter queue; nothing else', () => {
    // Prepare
    const t = on.template(on.stacks.orchestration);
    // Act
    const grants = dataGrants(publisher(t).statements);
    // Assess
    expect(Object.keys(grants).sort()).toEqual(
      [
        'athena:GetQueryExecution',
        'athena:GetQueryResults',
        'athena:StartQueryExecution',
        'glue:GetDatabase',
        'glue:GetPartitions',
        'glue:GetTable',
        's3:AbortMultipartUpload',
        's3:GetBucketLocation',
        's3:GetObject',
        's3:ListBucket',
        's3:ListBucketMultipartUploads',
        's3:ListMultipartUploadParts',
        's3:PutObject',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
        'kinesis:PutRecords',
      ].sort(),
    );
    expect(grants['kinesis:PutRecords']).toEqual([ENRICHED_ARN]);
    expect(grants['athena:StartQueryExecution']).toEqual([`arn:aws:athena:${FAKE_REGION}:${FAKE_ACCOUNT}:workgroup/ticklake-dev`]);
    const glue = `arn:aws:glue:${FAKE_REGION}:${FAKE_ACCOUNT}`;
    // Each table is an exact-read view: with it, its physical table and manifest table, its files and manifests.
    const read = ['engagement_events', 'engagement_partials', 'viewing_events'];
    expect(grants['glue:GetTable']).toEqual(
      [
        `${glue}:catalog`,
        `${glue}:database/ticklake_dev`,
        `${glue}:database/ticklake_dev_files`,
        ...read.flatMap((t) => [`${glue}:table/ticklake_dev/${t}`, `${glue}:table/ticklake_dev_files/${t}`, `${glue}:table/ticklake_dev_files/${t}_manifests`]),
      ].sort(),
    );
    const gets = grants['s3:GetObject']!;
    const keys = ['curated/engagement_events/', 'aggregate/engagement_partials/', 'curated/viewing_events/'];
    expect(gets.filter((r) => r.includes('lake'))).toEqual(
      keys
        .flatMap((k) => [`${k}*`, `_compaction/${k}*`])
        .map((k) => `arn:aws:s3:::ticklake-dev-lake-${FAKE_ACCOUNT}-${FAKE_REGION}/${k}`)
        .sort(),
    );
    // Writes: Athena's result prefix and the one state object, no lake object.
    const puts = grants['s3:PutObject']!;
    expect(puts).toHaveLength(2);
    expect(puts.some((r) => r.endsWith(`/${ENRICHED_PUBLISHER_STATE_KEY}`) && r.includes('ModelArtifacts'))).toBe(true);
    expect(puts.some((r) => r.endsWith('/athena/*'))).toBe(true);
    expect(gets.filter((r) => r.includes('ModelArtifacts'))).toEqual(puts.filter((r) => r.includes('ModelArtifacts')));
  });

  it('with viewing only: reads viewing_events only', () => {
    const grants = dataGrants(publisher(viewingOnly.template(viewingOnly.stacks.orchestration)).statements);
    expect(grants['glue:GetTable']!.filter((r) => r.includes(':table/'))).toEqual(
      ['ticklake_dev/viewing_events', 'ticklake_dev_files/viewing_events', 'ticklake_dev_files/viewing_events_manifests'].map(
        (t) => `arn:aws:glue:${FAKE_REGION}:${FAKE_ACCOUNT}:table/${t}`,
      ),
    );
    expect(publisher(viewingOnly.template(viewingOnly.stacks.orchestration)).props.Environment.Variables.ENRICHED_SOURCES).toBe('viewing');
  });

  it('a rate(1 minute) schedule invokes it with the scheduled time, retries, a one-minute maximum age and the dead-letter queue; Lambda retries a failed tick likewise', () => {
    // Prepare
    const t = on.template(on.stacks.orchestration);
    const fn = publisher(t);
    // Act
    const schedules = resourcesOf(t, 'AWS::Scheduler::Schedule').filter(([, r]) => r.Properties.Name === NAME);
    const configs = resourcesOf(t, 'AWS::Lambda::EventInvokeConfig').filter(([, r]) => r.Properties.FunctionName.Ref === fn.id);
    // Assess
    expect(schedules).toHaveLength(1);
    const s = schedules[0]![1].Properties;
    expect(s).toMatchObject({ ScheduleExpression: 'rate(1 minute)', State: 'ENABLED', GroupName: 'ticklake-dev', FlexibleTimeWindow: { Mode: 'OFF' } });
    expect(s.Target.Arn).toEqual({ 'Fn::GetAtt': [fn.id, 'Arn'] });
    expect(JSON.parse(s.Target.Input)).toEqual({ scheduledTime: '<aws.scheduler.scheduled-time>', scheduleExecutionId: '<aws.scheduler.execution-id>' });
    expect(s.Target.RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 });
    expect(s.Target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [scheduleDeadLetterQueueId(t), 'Arn'] } });
    expect(policyStatements(t, s.Target.RoleArn['Fn::GetAtt'][0]).flatMap(actionsOf).sort()).toEqual(['lambda:InvokeFunction', 'sqs:SendMessage']);
    expect(configs.map(([, r]) => r.Properties)).toEqual([scheduledInvokeConfig(fn.id, scheduleDeadLetterQueueId(t), 60)]);
  });

  it('cdk-nag: no unacknowledged finding, every acknowledgement matches a finding', () => {
    // Act
    const r = nagReport('enriched publisher', CDK_JSON_CONTEXT, { enrichedPublisher: BOTH });
    // Assess
    expect(r.after).toEqual([]);
    const mine = acknowledgementsUnder(r, '/EnrichedPublisher');
    expect(mine.map((a) => a.id)).toEqual(
      expect.arrayContaining([
        'AwsSolutions-IAM5[Resource::*]',
        'Serverless-LambdaDLQ',
        expect.stringMatching(/^AwsSolutions-IAM5\[Resource::<EnrichedPublisherFunction[0-9A-F]+\.Arn>:\*\]$/),
      ]),
    );
  });
});

describe('enriched publisher: the bundle', () => {
  it('bundles lambdas/enriched-publisher/handler.ts into one ES module that loads and exports its handler, without the embedded SQL engine', async () => {
    // Act: the construct alone in a stack
    const { code, module } = await bundledFunction((stack) => {
      new EnrichedPublisher(stack, 'EnrichedPublisher', {
        config: parseConfig({ enrichedPublisher: BOTH }),
        sources: ['engagement', 'viewing'],
        streamName: 'ticklake-dev-enriched',
        lakeBucket: new s3.Bucket(stack, 'Lake'),
        athenaResultsBucket: new s3.Bucket(stack, 'Results'),
        athenaResultsPrefix: 'athena/',
        stateBucket: new s3.Bucket(stack, 'Models'),
        databaseName: 'ticklake_dev',
        workGroupName: 'ticklake-dev',
        scheduleGroup: new scheduler.ScheduleGroup(stack, 'Group'),
        deadLetterQueue: new sqs.Queue(stack, 'Dlq', { retentionPeriod: Duration.days(1) }),
      });
    });
    // Assess
    expect(code).toContain('"PutRecords"');
    expect(code).toContain('StartQueryExecution');
    expect(code).toContain('ENRICHED_SOURCES');
    expect(/@duckdb|duckdb\.node/.test(code)).toBe(false);
    expect(typeof module.handler).toBe('function');
  }, 120_000);
});
