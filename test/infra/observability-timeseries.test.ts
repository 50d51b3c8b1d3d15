import { beforeAll, describe, expect, it } from 'vitest';
import { type BuiltApp, buildApp, evaluate, FIXTURE_HANDLER, resourcesOf } from './helpers.js';

let built: BuiltApp;
beforeAll(() => {
  built = buildApp({ alarmEmail: 'ops@example.com' });
});

function alarms(b: BuiltApp): Record<string, any> {
  const t = b.template(b.stacks.observability);
  return Object.fromEntries(resourcesOf(t, 'AWS::CloudWatch::Alarm').map(([, a]) => [a.Properties.AlarmName, a.Properties]));
}

describe('observability stack', () => {
  it('alarm topic: KMS-encrypted (rotating key CloudWatch may use), TLS-only, e-mail subscription', () => {
    const t = built.template(built.stacks.observability);
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const key = resourcesOf(t, 'AWS::KMS::Key')[0]![1];
    expect(key.Properties.KeyPolicy.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey'] }),
      ]),
    );
    const [[, topic]] = resourcesOf(t, 'AWS::SNS::Topic');
    expect(topic.Properties.TopicName).toBe('ticklake-dev-alarms');
    expect(topic.Properties.KmsMasterKeyId).toBeDefined();
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    const policy = resourcesOf(t, 'AWS::SNS::TopicPolicy')[0]![1];
    expect(policy.Properties.PolicyDocument.Statement).toEqual(
      expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
    );
  });

  it('alarms on iterator age, function errors, throttles and dead letters, all notifying the topic', () => {
    const a = alarms(built);
    const topicRef = (props: any) => JSON.stringify(props.AlarmActions);
    expect(Object.keys(a).sort()).toEqual([
      'ticklake-dev-evaluation-failed',
      'ticklake-dev-iterator-age',
      'ticklake-dev-schedule-dead-letters',
      'ticklake-dev-stream-write-throttled',
      'ticklake-dev-training-failed',
      'ticklake-dev-transform-dead-letters',
      'ticklake-dev-transform-errors',
      'ticklake-dev-transform-throttles',
    ]);
    for (const props of Object.values(a)) {
      expect(topicRef(props)).toMatch(/Alarms/);
      expect(props.OKActions).toEqual(props.AlarmActions);
      expect(props.TreatMissingData).toBe('notBreaching');
    }
    expect(a['ticklake-dev-iterator-age']).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Statistic: 'Maximum',
      Threshold: 300_000,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 5,
      DatapointsToAlarm: 3,
    });
    expect(a['ticklake-dev-transform-errors']).toMatchObject({ MetricName: 'Errors', Statistic: 'Sum', Threshold: 1, Period: 300 });
    expect(a['ticklake-dev-transform-throttles']).toMatchObject({ MetricName: 'Throttles', Statistic: 'Sum' });
    expect(a['ticklake-dev-transform-dead-letters']).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    for (const name of ['ticklake-dev-training-failed', 'ticklake-dev-evaluation-failed']) {
      expect(a[name]).toMatchObject({ Namespace: 'AWS/States', MetricName: 'ExecutionsFailed', Statistic: 'Sum', Threshold: 1 });
    }
    expect(evaluate(a['ticklake-dev-iterator-age'].Dimensions)).toEqual([{ Name: 'FunctionName', Value: expect.stringContaining('StreamTransform') }]);
  });

  it('dashboard shows records, bytes, iterator age, errors, throttles, duration, DLQ depth, quarantined records and lake objects', () => {
    const t = built.template(built.stacks.observability);
    const [[, dash]] = resourcesOf(t, 'AWS::CloudWatch::Dashboard');
    expect(dash.Properties.DashboardName).toBe('ticklake-dev');
    const body = String(evaluate(dash.Properties.DashboardBody));
    const widgets = JSON.parse(body).widgets as any[];
    const metrics = widgets.flatMap((w) => (w.properties.metrics ?? []).map((m: unknown[]) => `${m[0]}/${m[1]}`));
    for (const m of [
      'AWS/Kinesis/IncomingRecords',
      'AWS/Kinesis/IncomingBytes',
      'AWS/Kinesis/GetRecords.IteratorAgeMilliseconds',
      'AWS/Lambda/IteratorAge',
      'AWS/Lambda/Errors',
      'AWS/Lambda/Throttles',
      'AWS/Lambda/Duration',
      'AWS/SQS/ApproximateNumberOfMessagesVisible',
      'ticklake/QuarantinedRecords',
      'ticklake/TradesWritten',
      'ticklake/LakeObjectsWritten',
      'AWS/States/ExecutionsFailed',
    ]) {
      expect(metrics, m).toContain(m);
    }
    expect(widgets.some((w) => w.properties.title === 'Alarms' && w.properties.alarms.length === 8)).toBe(true);
  });

  it('with MSK: offset lag instead of iterator age', () => {
    const b = buildApp({ ingestion: 'msk' });
    const a = alarms(b);
    expect(a['ticklake-dev-offset-lag']).toMatchObject({ MetricName: 'OffsetLag', Namespace: 'AWS/Lambda' });
    expect(a['ticklake-dev-iterator-age']).toBeUndefined();
    expect(a['ticklake-dev-stream-write-throttled']).toBeUndefined();
  });
});

describe('time-series stack', () => {
  it('is not deployed with timeSeries=none (the default)', () => {
    expect(built.stacks.timeSeries).toBeUndefined();
  });

  it('LiveAnalytics: database and tables with memory and magnetic retention', async () => {
    const b = buildApp({ timeSeries: 'timestream-liveanalytics', timestreamMemoryRetentionHours: '12', timestreamMagneticRetentionDays: '730' }, { timeSeriesWriterEntry: FIXTURE_HANDLER });
    const t = b.template(b.stacks.timeSeries!);
    t.hasResource('AWS::Timestream::Database', { Properties: { DatabaseName: 'ticklake_dev' }, DeletionPolicy: 'Retain' });
    const tables = resourcesOf(t, 'AWS::Timestream::Table').map(([, r]) => r.Properties);
    expect(tables.map((x) => x.TableName).sort()).toEqual(['minute_bars', 'predictions', 'trades']);
    for (const x of tables) {
      expect(x.RetentionProperties).toEqual({ MemoryStoreRetentionPeriodInHours: '12', MagneticStoreRetentionPeriodInDays: '730' });
      expect(x.MagneticStoreWriteProperties).toEqual({ EnableMagneticStoreWrites: true });
    }
    // the writer may write only to those tables
    const statements = resourcesOf(t, 'AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    const write = statements.find((s: any) => [s.Action].flat().includes('timestream:WriteRecords'));
    expect(write.Resource).toHaveLength(3);
    // the tables are the ones the time-series sink maps its measurements to
    const { DEFAULT_TABLES } = await import('../../lambdas/shared/timeseries/timestream-liveanalytics.js');
    expect(Object.values(DEFAULT_TABLES).sort()).toEqual(tables.map((x) => x.TableName).sort());
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BisectBatchOnFunctionError: true, MaximumRetryAttempts: 3 });
  });

  it('InfluxDB: private instance in its own VPC, credentials in Secrets Manager, writer inside the VPC', async () => {
    const b = buildApp({ timeSeries: 'timestream-influxdb' }, { timeSeriesWriterEntry: FIXTURE_HANDLER });
    const t = b.template(b.stacks.timeSeries!);
    const [[, influx]] = resourcesOf(t, 'AWS::Timestream::InfluxDBInstance');
    expect(influx.Properties).toMatchObject({ PubliclyAccessible: false, DeploymentType: 'SINGLE_AZ', DbInstanceType: 'db.influx.medium', AllocatedStorage: 20 });
    expect(JSON.stringify(influx.Properties.Password)).toMatch(/resolve:secretsmanager/);
    expect(influx.Properties.VpcSubnetIds).toHaveLength(2);
    t.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'ticklake-dev/influxdb/admin', GenerateSecretString: { GenerateStringKey: 'password' } });
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface', PrivateDnsEnabled: true });
    const [[, writer]] = resourcesOf(t, 'AWS::Lambda::Function').filter(([, f]) => f.Properties.FunctionName === 'ticklake-dev-timeseries-writer');
    expect(writer.Properties.VpcConfig.SubnetIds).toHaveLength(2);
    expect(Object.keys(writer.Properties.Environment.Variables)).toEqual(
      expect.arrayContaining(['TIME_SERIES_ENGINE', 'INFLUXDB_URL', 'INFLUXDB_SECRET_ARN', 'INFLUXDB_ORG', 'INFLUXDB_BUCKET']),
    );
    // the environment is one the time-series sink accepts
    const { cloudConfigFromEnv } = await import('../../lambdas/shared/timeseries/cloud-sink.js');
    const env = evaluate(writer.Properties.Environment.Variables) as Record<string, string>;
    expect(cloudConfigFromEnv(env)).toMatchObject({ engine: 'timestream-influxdb', org: 'ticklake', bucket: 'market' });
    const statements = resourcesOf(t, 'AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    expect(statements.some((s: any) => [s.Action].flat().includes('secretsmanager:GetSecretValue'))).toBe(true);
    // the observability stack watches the writer too
    expect(Object.keys(alarms(b))).toEqual(expect.arrayContaining(['ticklake-dev-writer-errors', 'ticklake-dev-writer-dead-letters']));
  });

  it('without a writer entry no writer is deployed', () => {
    const b = buildApp({ timeSeries: 'timestream-influxdb' }, { timeSeriesWriterEntry: null });
    const t = b.template(b.stacks.timeSeries!);
    expect(resourcesOf(t, 'AWS::Lambda::Function').filter(([, f]) => f.Properties.FunctionName === 'ticklake-dev-timeseries-writer')).toEqual([]);
    t.resourceCountIs('AWS::Timestream::InfluxDBInstance', 1);
  });
});
