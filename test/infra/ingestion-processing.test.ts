import { Match } from 'aws-cdk-lib/assertions';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createStreamTransform } from '../../src/ingest/stream-transform.js';
import { STREAM_TRANSFORM_TABLES } from '../../lib/stacks/processing-stack.js';
import { cryptoQuote, engagementView, kinesisEvent, stockTick, tradeMessage, viewingEvent } from '../helpers/kinesis-events.js';
import { SOURCE_METRICS, STREAM_TRANSFORM_METRICS } from '../../lib/stacks/observability-stack.js';
import { STREAM_TRANSFORM_SERVICE } from '../../lib/stacks/processing-stack.js';
import { MemoryObjectStore } from '../helpers/memory-object-store.js';
import { actionsOf, type BuiltApp, buildApp, evaluate, FAKE_ACCOUNT, FAKE_REGION, FIXTURE_HANDLER, resourcesOf } from './helpers.js';
import { envelopeOf } from '../../src/sources/iot-readings/index.js';
import { pgoutputEnvelope } from '../../src/sources/cdc/index.js';

let kinesis: BuiltApp;
let msk: BuiltApp;
beforeAll(() => {
  kinesis = buildApp();
  msk = buildApp({ ingestion: 'msk' });
});

/** Every IAM policy statement in every stack of an app. */
function allStatements(b: BuiltApp): { stack: string; statement: any }[] {
  const out: { stack: string; statement: any }[] = [];
  for (const stack of Object.values(b.stacks)) {
    if (!stack) continue;
    const t = b.template(stack);
    for (const [, p] of resourcesOf(t, 'AWS::IAM::Policy')) {
      for (const statement of p.Properties.PolicyDocument.Statement) out.push({ stack: stack.stackName, statement });
    }
    for (const [, r] of resourcesOf(t, 'AWS::IAM::Role')) {
      for (const pol of r.Properties.Policies ?? []) {
        for (const statement of pol.PolicyDocument.Statement) out.push({ stack: stack.stackName, statement });
      }
    }
  }
  return out;
}

describe('ingestion stack', () => {
  it('Kinesis stream: on-demand, encrypted with the AWS managed key, 24 h retention, retained', () => {
    const t = kinesis.template(kinesis.stacks.ingestion);
    t.hasResource('AWS::Kinesis::Stream', {
      Properties: {
        Name: 'ticklake-dev-events',
        StreamModeDetails: { StreamMode: 'ON_DEMAND' },
        RetentionPeriodHours: 24,
        StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
      },
      DeletionPolicy: 'Retain',
    });
  });

  it('provisioned mode takes the configured shard count', () => {
    const b = buildApp({ kinesisCapacityMode: 'provisioned', kinesisShardCount: '4', streamRetentionHours: '72' });
    b.template(b.stacks.ingestion).hasResourceProperties('AWS::Kinesis::Stream', {
      ShardCount: 4,
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      RetentionPeriodHours: 72,
    });
  });

  it('MSK Serverless: IAM authentication only, private subnets, flow logs, no events stream (the enriched stream only)', () => {
    const t = msk.template(msk.stacks.ingestion);
    t.resourceCountIs('AWS::Kinesis::Stream', 1);
    t.hasResourceProperties('AWS::Kinesis::Stream', { Name: 'ticklake-dev-enriched' });
    t.hasResourceProperties('AWS::MSK::ServerlessCluster', {
      ClusterName: 'ticklake-dev',
      ClientAuthentication: { Sasl: { Iam: { Enabled: true } } },
    });
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    t.resourceCountIs('AWS::EC2::InternetGateway', 0);
    t.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 9098, ToPort: 9098, IpProtocol: 'tcp' });
  });
});

describe('processing stack: the stream-transform function', () => {
  it('NodejsFunction on nodejs22.x / arm64 with ESM bundle, JSON logs, tracing and Powertools environment', () => {
    const t = kinesis.template(kinesis.stacks.processing);
    const [[, fn]] = resourcesOf(t, 'AWS::Lambda::Function');
    const p = fn.Properties;
    expect(p).toMatchObject({
      FunctionName: 'ticklake-dev-stream-transform',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 1024,
      Timeout: 120,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'INFO' },
    });
    expect(evaluate(p.Environment.Variables)).toMatchObject({
      LAKE_BUCKET: `ticklake-dev-lake-${FAKE_ACCOUNT}-${FAKE_REGION}`,
      POWERTOOLS_SERVICE_NAME: 'stream-transform',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      POWERTOOLS_METRICS_NAMESPACE: 'ticklake',
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/lambda/ticklake-dev-stream-transform', RetentionInDays: 30 });
  });

  it('Kinesis event source: explicit safety settings, partial batch responses, SQS on-failure destination', () => {
    const t = kinesis.template(kinesis.stacks.processing);
    const [[, esm]] = resourcesOf(t, 'AWS::Lambda::EventSourceMapping');
    expect(esm.Properties).toMatchObject({
      BatchSize: 5000,
      MaximumBatchingWindowInSeconds: 30,
      ParallelizationFactor: 2,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 12 * 3600,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      StartingPosition: 'TRIM_HORIZON',
    });
    expect(esm.Properties.EventSourceArn['Fn::ImportValue']).toMatch(/ticklake-dev-ingestion/);
    const [[dlqId, dlq]] = resourcesOf(t, 'AWS::SQS::Queue');
    expect(esm.Properties.DestinationConfig.OnFailure.Destination).toEqual({ 'Fn::GetAtt': [dlqId, 'Arn'] });
    expect(dlq.Properties).toMatchObject({
      QueueName: 'ticklake-dev-stream-transform-dead-letters',
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 86400,
    });
    t.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('retry bound, record age and batch settings follow the configuration', () => {
    const b = buildApp({
      streamRetryAttempts: '10',
      streamMaxRecordAgeHours: '2',
      streamBatchSize: '100',
      streamBatchingWindowSeconds: '0',
      streamParallelizationFactor: '1',
    });
    b.template(b.stacks.processing).hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 7200,
      BatchSize: 100,
      ParallelizationFactor: 1,
      BisectBatchOnFunctionError: true,
    });
  });

  it('MSK event source: same safety settings with provisioned pollers and IAM-scoped Kafka permissions', () => {
    const t = msk.template(msk.stacks.processing);
    const [[, esm]] = resourcesOf(t, 'AWS::Lambda::EventSourceMapping');
    expect(esm.Properties).toMatchObject({
      Topics: ['ticklake-events'],
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'ticklake-dev-stream-transform' },
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 12 * 3600,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 2 },
    });
    expect(esm.Properties.DestinationConfig.OnFailure.Destination).toBeDefined();
    const cluster = (name: string) =>
      name.includes('Kafka') ? `arn:aws:kafka:${FAKE_REGION}:${FAKE_ACCOUNT}:cluster/ticklake-dev/0a1b2c3d-4e5f-6789-abcd-ef0123456789-s1` : undefined;
    const statements = allStatements(msk)
      .filter((s) => s.stack === 'ticklake-dev-processing')
      .map((s) => s.statement);
    const topic = statements.find((s) => actionsOf(s).includes('kafka-cluster:ReadData'));
    // cluster ARN arn:aws:kafka:<r>:<a>:cluster/<name>/<uuid> -> topic/<name>/<uuid>/<topic>
    expect(evaluate(topic.Resource, cluster)).toBe(
      `arn:aws:kafka:${FAKE_REGION}:${FAKE_ACCOUNT}:topic/ticklake-dev/0a1b2c3d-4e5f-6789-abcd-ef0123456789-s1/ticklake-events`,
    );
    expect(evaluate(topic.Resource, cluster)).toMatch(/^arn:aws:kafka:[^:]+:\d{12}:topic\/[^/]+\/[^/]+\/ticklake-events$/);
    const group = statements.find((s) => actionsOf(s).includes('kafka-cluster:AlterGroup'));
    expect(evaluate(group.Resource, cluster)).toMatch(/:group\/[^/]+\/[^/]+\/ticklake-dev-stream-transform$/);
  });

  it('grants exactly what the stream transform does to the lake, found by running it (fails on drift)', async () => {
    // Run the real transform against an in-memory lake and record every operation.
    const ops: { action: string; key: string }[] = [];
    const lake = new (class extends MemoryObjectStore {
      override async put(key: string, body: Uint8Array): Promise<void> {
        ops.push({ action: 's3:PutObject', key });
        await super.put(key, body);
      }
      override async get(key: string): Promise<Uint8Array | undefined> {
        ops.push({ action: 's3:GetObject', key });
        return super.get(key);
      }
      override async copy(from: string, to: string): Promise<void> {
        ops.push({ action: 's3:GetObject', key: from }, { action: 's3:PutObject', key: to });
        await super.copy(from, to);
      }
      override async delete(keys: readonly string[]): Promise<void> {
        for (const key of keys) ops.push({ action: 's3:DeleteObject', key });
        await super.delete(keys);
      }
      override async list(prefix: string): Promise<string[]> {
        ops.push({ action: 's3:ListBucket', key: prefix });
        return super.list(prefix);
      }
    })();
    const transform = createStreamTransform({ lake, clock: () => 1_793_577_700_000 });
    const tick = JSON.stringify(stockTick({ created_at: '2026-11-02T00:30:00.000Z' }));
    const quote = JSON.stringify(cryptoQuote());
    const view = JSON.stringify(engagementView({ timestamp: '2026-11-02T00:30:00.000Z' }));
    const viewing = JSON.stringify(viewingEvent({ timestamp: '2026-11-02T00:30:00.000Z' }));
    const reading = envelopeOf(
      'devices/d-1/telemetry',
      JSON.stringify({ ts: 1_793_577_600_000, temperature_c: 21, humidity_pct: 40, battery_v: 3.9, seq: 1 }),
      1_793_577_600_100,
    );
    const observation = JSON.stringify({
      source: 'weather',
      latitude: 47.4489,
      longitude: -122.3094,
      elevation: 131,
      fetched_at: '2026-11-02T00:00:00.400Z',
      utc_offset_seconds: 0,
      units: { temperature_2m: '°C', relative_humidity_2m: '%', wind_speed_10m: 'm/s', precipitation: 'mm', weather_code: 'wmo code' },
      hour: { time: '2026-11-02T00:00', temperature_2m: 9.1, relative_humidity_2m: 88, wind_speed_10m: 2.4, precipitation: 0.2, weather_code: 61 },
    });
    const energyReading = JSON.stringify({
      source: 'energy',
      household: 'H-0001',
      reading_time: '2026-11-02T00:30:00.000Z',
      interval_minutes: 15,
      kwh: 0.61,
      submeters: { hvac: 0.3, water_heater: 0.1, kitchen: 0.02, laundry: 0 },
    });
    const change = pgoutputEnvelope({
      lsn: '0/16B3748',
      xid: 731,
      commitTimeUs: 1_793_577_600_000_000,
      seq: 0,
      schema: 'shop',
      table: 'customers',
      op: 'insert',
      before: null,
      after: {
        customer_id: 1,
        email: 'a@example.com',
        name: 'A',
        country: 'SE',
        tier: 'basic',
        created_at: '2026-11-02 00:00:00.000000',
        updated_at: '2026-11-02 00:00:00.000000',
      },
    });
    const payloads = [
      tradeMessage({ t: 1 }),
      tick,
      tradeMessage({ t: 2, T: 1_793_581_200_000 }),
      '{"not json',
      tradeMessage({ t: 3 }),
      quote,
      observation,
      energyReading,
      view,
      reading,
      viewing,
      change,
    ];
    await transform(kinesisEvent(payloads));
    // A retry of the same batch, shorter (as after a partial failure): replaces the earlier attempt.
    await transform(kinesisEvent(payloads.slice(0, 3)));

    const statements = allStatements(kinesis)
      .filter((s) => s.stack === 'ticklake-dev-processing')
      .map((s) => s.statement)
      .filter((s) => actionsOf(s).some((a: string) => a.startsWith('s3:')));
    const bucketArn = `arn:aws:s3:::ticklake-dev-lake-${FAKE_ACCOUNT}-${FAKE_REGION}`;
    const granted = statements.flatMap((s) =>
      actionsOf(s).flatMap((action: string) => [s.Resource].flat().map((r: unknown) => ({ action, resource: String(evaluate(r)) }))),
    );
    const allows = (action: string, key: string) =>
      granted.some((g) => g.action === action && g.resource.endsWith('*') && `${bucketArn}/${key}`.startsWith(g.resource.slice(0, -1)));
    for (const op of ops) expect(allows(op.action, op.key), `${op.action} ${op.key}`).toBe(true);

    // and nothing beyond that: every granted object pattern was used by the run
    for (const g of granted.filter((x) => x.resource.startsWith(`${bucketArn}/`))) {
      const prefix = g.resource.slice(bucketArn.length + 1, -1);
      expect(
        ops.some((o) => o.key.startsWith(prefix) && o.action === g.action),
        `${g.action} ${prefix}`,
      ).toBe(true);
    }
    // ListBucket (bucket ARN only) turns the GetObject of a missing marker into 404 instead of 403
    expect(granted.filter((g) => g.action === 's3:ListBucket').map((g) => g.resource)).toEqual([bucketArn]);
    expect(granted.some((g) => g.resource === '*' || g.resource === `${bucketArn}/*`)).toBe(false);
    // the run exercised each written table and the markers
    expect(new Set(ops.map((o) => o.key.split('/').slice(0, 2).join('/')))).toEqual(
      new Set([...STREAM_TRANSFORM_TABLES.map((t) => `${t.zone}/${t.name}`), `_batches/${'ticklake-events'}`]),
    );
  });

  it('no IAM statement anywhere grants a wildcard action, and "*" resources only for services without resource-level permissions', () => {
    const allowedOnStar =
      /^(xray:|logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)$|ec2:(CreateNetworkInterface|DescribeNetworkInterfaces|DeleteNetworkInterface|DescribeSubnets|DescribeVpcs|DescribeSecurityGroups|AssignPrivateIpAddresses|UnassignPrivateIpAddresses)$|timestream:DescribeEndpoints$)/;
    for (const b of [
      kinesis,
      msk,
      buildApp({ timeSeries: 'timestream-liveanalytics' }, { timeSeriesWriterEntry: FIXTURE_HANDLER }),
      buildApp({ ingestion: 'msk', timeSeries: 'timestream-influxdb' }, { timeSeriesWriterEntry: FIXTURE_HANDLER }),
    ]) {
      for (const { stack, statement } of allStatements(b)) {
        const actions = actionsOf(statement);
        for (const a of actions) expect(a, `${stack}: ${a}`).not.toMatch(/\*/);
        if ([statement.Resource].flat().includes('*')) {
          for (const a of actions) expect(a, `${stack}: ${a} on *`).toMatch(allowedOnStar);
        }
      }
    }
  });

  it('the dashboard metric names are the ones the deployed handler publishes, per source with a source dimension', async () => {
    // Prepare: the real Lambda entry point; S3 answered by aws-sdk-client-mock (metrics need no storage emulator)
    process.env.LAKE_BUCKET = 'lake';
    const s3 = mockClient(S3Client);
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('no such key'), { name: 'NoSuchKey' }));
    s3.on(PutObjectCommand).resolves({});
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    try {
      const { handler } = await import('../../lambdas/stream-transform/handler.js');
      // Act
      await handler(kinesisEvent([tradeMessage(), JSON.stringify(stockTick()), 'garbage']));
    } finally {
      write.mockRestore();
      s3.restore();
    }
    // Assess: EMF blobs on stdout
    const blobs = out
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.includes('"_aws"'))
      .map(
        (l) =>
          JSON.parse(l) as Record<string, unknown> & {
            _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
          },
      );
    const names = new Set(blobs.flatMap((b) => b._aws.CloudWatchMetrics.flatMap((m) => m.Metrics.map((x) => x.Name))));
    for (const m of [...STREAM_TRANSFORM_METRICS, ...SOURCE_METRICS]) expect(names, m).toContain(m);
    expect(blobs.every((b) => b._aws.CloudWatchMetrics.every((m) => m.Namespace === 'ticklake') && b.service === STREAM_TRANSFORM_SERVICE)).toBe(true);
    const perSource = blobs.filter((b) => b._aws.CloudWatchMetrics[0]!.Dimensions[0]!.includes('source'));
    expect(new Set(perSource.map((b) => b.source))).toEqual(new Set(['binance-trades', 'stock-ticks']));
    const records = (id: string) => perSource.find((b) => b.source === id && 'SourceRecords' in b)?.SourceRecords;
    expect([records('binance-trades'), records('stock-ticks')]).toEqual([2, 1]);
  });
});
