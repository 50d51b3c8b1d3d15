import { SOURCES } from '../../src/sources/index.js';
import { SOURCE_METRICS } from '../../src/ingest/stream-transform.js';
import { readFileSync } from 'node:fs';
import type { Stack } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { TIMESERIES_POINTS_ENTRY, TIMESERIES_POINTS_SERVICE } from '../../lib/constructs/time-series-points.js';
import { BACKFILL_STATES } from '../../src/adapters/workflows/backfill-workflow.js';
import { COMPACTION_STATES } from '../../src/adapters/workflows/compaction-workflow.js';
import { ML_ENTRIES, TIMESERIES_WRITER_ENTRY } from '../../lib/paths.js';
import { PREDICT_REJECTION_METRICS, PREDICT_SERVICE } from '../../lib/stacks/orchestration-stack.js';
import { TIME_SERIES_REJECTED_METRIC, TIMESERIES_WRITER_SERVICE } from '../../lib/stacks/time-series-stack.js';
import { actionsOf, type BuiltApp, buildApp, evaluate, FIXTURE_HANDLER, resourcesOf } from './helpers.js';

let built: BuiltApp;
beforeAll(() => {
  built = buildApp({ alarmEmail: 'ops@example.com' });
});

/** One app per time-series engine for the whole file (built on first use). */
const once = <T>(make: () => T): (() => T) => {
  let value: T | undefined;
  return () => (value ??= make());
};
const liveAnalytics = once(() =>
  buildApp(
    { timeSeries: 'timestream-liveanalytics', timestreamMemoryRetentionHours: '12', timestreamMagneticRetentionDays: '730' },
    { timeSeriesWriterEntry: FIXTURE_HANDLER },
  ),
);
const influxDb = once(() => buildApp({ timeSeries: 'timestream-influxdb' }, { timeSeriesWriterEntry: FIXTURE_HANDLER }));

function alarms(b: BuiltApp): Record<string, any> {
  const t = b.template(b.stacks.observability);
  return Object.fromEntries(resourcesOf(t, 'AWS::CloudWatch::Alarm').map(([, a]) => [a.Properties.AlarmName, a.Properties]));
}

/** Every alarm notifies the alarm topic on ALARM and OK, and missing data is not breaching. */
function expectNotifiesTopic(b: BuiltApp, props: any): void {
  const [[topicId]] = resourcesOf(b.template(b.stacks.observability), 'AWS::SNS::Topic');
  expect(props.AlarmActions).toEqual([{ Ref: topicId }]);
  expect(props.OKActions).toEqual([{ Ref: topicId }]);
  expect(props.TreatMissingData).toBe('notBreaching');
}

/** An alarm that fires on any occurrence in five minutes. */
const ANY_IN_FIVE_MINUTES = { Statistic: 'Sum', Period: 300, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1 };

/** The resource of `producer` behind a `Fn::ImportValue` in the observability stack (its logical id). */
function exported(b: BuiltApp, producer: Stack, value: any): string {
  const name = value['Fn::ImportValue'];
  expect(name, JSON.stringify(value)).toBeTypeOf('string');
  const outputs = Object.values(b.template(producer).toJSON().Outputs ?? {}) as any[];
  const output = outputs.find((o) => o.Export?.Name === name);
  expect(output, name).toBeDefined();
  return output.Value.Ref;
}

/** The metrics the dashboard graphs, as namespace/name. */
function dashboardWidgets(b: BuiltApp): any[] {
  const [[, dash]] = resourcesOf(b.template(b.stacks.observability), 'AWS::CloudWatch::Dashboard');
  return JSON.parse(String(evaluate(dash.Properties.DashboardBody))).widgets as any[];
}
const graphed = (widgets: any[]) => widgets.flatMap((w) => (w.properties.metrics ?? []).map((m: unknown[]) => `${m[0]}/${m[1]}`));

describe('observability stack', () => {
  it('alarm topic: KMS-encrypted (rotating key CloudWatch may use), TLS-only, e-mail subscription', () => {
    const t = built.template(built.stacks.observability);
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const key = resourcesOf(t, 'AWS::KMS::Key')[0]![1];
    expect(key.Properties.KeyPolicy.Statement).toEqual(
      expect.arrayContaining([expect.objectContaining({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey'] })]),
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
      'ticklake-dev-backfill-failed',
      'ticklake-dev-backfill-timed-out',
      'ticklake-dev-compaction-failed',
      'ticklake-dev-compaction-timed-out',
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

  it('alarms on failed and timed-out backfill runs (the state machine of the orchestration stack), no data not breaching', () => {
    const a = alarms(built);
    const orchestration = built.stacks.orchestration;
    const backfill = orchestration.getLogicalId(orchestration.backfill.stateMachine.node.defaultChild as any);
    for (const [name, metric] of [
      ['ticklake-dev-backfill-failed', 'ExecutionsFailed'],
      ['ticklake-dev-backfill-timed-out', 'ExecutionsTimedOut'],
    ]) {
      expect(a[name], name).toMatchObject({ Namespace: 'AWS/States', MetricName: metric, ...ANY_IN_FIVE_MINUTES });
      expectNotifiesTopic(built, a[name]);
      const [dim] = a[name].Dimensions;
      expect(a[name].Dimensions).toHaveLength(1);
      expect(dim.Name).toBe('StateMachineArn');
      expect(exported(built, orchestration, dim.Value)).toBe(backfill);
    }
    // Both ways a run can fail end in a Fail state, so the execution counts as ExecutionsFailed.
    const [[, sm]] = resourcesOf(built.template(orchestration), 'AWS::StepFunctions::StateMachine').filter(([id]) => id === backfill);
    const states = JSON.parse(String(evaluate(sm.Properties.DefinitionString))).States;
    expect(states[BACKFILL_STATES.failed].Type).toBe('Fail');
    expect(states[BACKFILL_STATES.filesFailed].Type).toBe('Fail');
  });

  it('alarms on failed and timed-out compaction runs, and graphs them', () => {
    // Prepare
    const a = alarms(built);
    const orchestration = built.stacks.orchestration;
    const compaction = orchestration.getLogicalId(orchestration.compaction.stateMachine.node.defaultChild as any);
    // Assess
    for (const [name, metric] of [
      ['ticklake-dev-compaction-failed', 'ExecutionsFailed'],
      ['ticklake-dev-compaction-timed-out', 'ExecutionsTimedOut'],
    ]) {
      expect(a[name], name).toMatchObject({ Namespace: 'AWS/States', MetricName: metric, ...ANY_IN_FIVE_MINUTES });
      expectNotifiesTopic(built, a[name]);
      expect(a[name].Dimensions).toHaveLength(1);
      expect(exported(built, orchestration, a[name].Dimensions[0].Value)).toBe(compaction);
    }
    // A failed partition ends the run in a Fail state once the others are committed, so it counts as ExecutionsFailed.
    const [[, sm]] = resourcesOf(built.template(orchestration), 'AWS::StepFunctions::StateMachine').filter(([id]) => id === compaction);
    const states = JSON.parse(String(evaluate(sm.Properties.DefinitionString))).States;
    expect(states[COMPACTION_STATES.partitionsFailed].Type).toBe('Fail');
    expect(dashboardWidgets(built).some((w) => w.properties.title === 'Lake compaction runs')).toBe(true);
  });

  it('no time-series alarms or widgets without a store (the default)', () => {
    const names = Object.keys(alarms(built));
    expect(names.filter((n) => /points|writer/.test(n))).toEqual([]);
    expect(graphed(dashboardWidgets(built)).filter((m) => /Points/.test(m))).toEqual([]);
  });

  it('dashboard shows records, bytes, iterator age, errors, throttles, duration, DLQ depth, quarantined records, lake objects and backfill runs', () => {
    const t = built.template(built.stacks.observability);
    const [[, dash]] = resourcesOf(t, 'AWS::CloudWatch::Dashboard');
    expect(dash.Properties.DashboardName).toBe('ticklake-dev');
    const widgets = dashboardWidgets(built);
    const metrics = graphed(widgets);
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
      'ticklake/SourceRows',
      'ticklake/LakeObjectsWritten',
      'AWS/States/ExecutionsFailed',
      'AWS/States/ExecutionsTimedOut',
    ]) {
      expect(metrics, m).toContain(m);
    }
    expect(widgets.some((w) => w.properties.title === 'Backfill runs')).toBe(true);
    // One widget per source metric, one series per registry source, labelled with its title.
    for (const name of SOURCE_METRICS) {
      const series = widgets.flatMap((w) => (w.properties.metrics ?? []) as unknown[][]).filter((m) => m[1] === name);
      expect(series.map((m) => m[5]).sort(), name).toEqual(SOURCES.map((s) => s.id).sort());
    }
    expect(widgets.some((w) => w.properties.title === 'Alarms' && w.properties.alarms.length === 12)).toBe(true);
  });

  it('the time-series alarms watch the metric names and service dimensions the handlers publish', () => {
    const predict = readFileSync(ML_ENTRIES.predict, 'utf8');
    expect(predict).toMatch(/new Metrics\(\{ namespace: 'ticklake', serviceName: '([^']+)' \}\)/);
    expect(predict).toContain(`serviceName: '${PREDICT_SERVICE}'`);
    for (const m of PREDICT_REJECTION_METRICS) expect(predict, m).toContain(`addMetric('${m}'`);
    for (const [entry, service] of [
      [TIMESERIES_WRITER_ENTRY, TIMESERIES_WRITER_SERVICE],
      [TIMESERIES_POINTS_ENTRY, TIMESERIES_POINTS_SERVICE],
    ]) {
      const handler = readFileSync(entry, 'utf8');
      expect(handler, entry).toContain(`new Metrics({ namespace: 'ticklake', serviceName: '${service}' })`);
      expect(handler, entry).toContain(`addMetric('${TIME_SERIES_REJECTED_METRIC}'`);
    }
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
    const b = liveAnalytics();
    const t = b.template(b.stacks.timeSeries!);
    t.hasResource('AWS::Timestream::Database', { Properties: { DatabaseName: 'ticklake_dev' }, DeletionPolicy: 'Retain' });
    const tables = resourcesOf(t, 'AWS::Timestream::Table').map(([, r]) => r.Properties);
    // One table per measurement: every source's points (trades, stock ticks, crypto quotes), bars, forecasts.
    expect(tables.map((x) => x.TableName).sort()).toEqual(['crypto_quotes', 'minute_bars', 'predictions', 'stock_ticks', 'trades']);
    for (const x of tables) {
      expect(x.RetentionProperties).toEqual({ MemoryStoreRetentionPeriodInHours: '12', MagneticStoreRetentionPeriodInDays: '730' });
      expect(x.MagneticStoreWriteProperties).toEqual({ EnableMagneticStoreWrites: true });
    }
    // the writer may write only to those tables
    const statements = resourcesOf(t, 'AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    const write = statements.find((s: any) => actionsOf(s).includes('timestream:WriteRecords'));
    expect(write.Resource).toHaveLength(5);
    // the tables are the ones the time-series sink maps its measurements to
    const { DEFAULT_TABLES } = await import('../../src/adapters/aws/timeseries/timestream-liveanalytics.js');
    expect(Object.values(DEFAULT_TABLES).sort()).toEqual(tables.map((x) => x.TableName).sort());
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BisectBatchOnFunctionError: true, MaximumRetryAttempts: 3 });
  });

  it('InfluxDB: private instance in its own VPC, credentials in Secrets Manager, writer inside the VPC', async () => {
    const b = influxDb();
    const t = b.template(b.stacks.timeSeries!);
    const [[, influx]] = resourcesOf(t, 'AWS::Timestream::InfluxDBInstance');
    expect(influx.Properties).toMatchObject({
      PubliclyAccessible: false,
      DeploymentType: 'SINGLE_AZ',
      DbInstanceType: 'db.influx.medium',
      AllocatedStorage: 20,
    });
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
    const { cloudConfigFromEnv } = await import('../../src/adapters/aws/timeseries/cloud-sink.js');
    const env = evaluate(writer.Properties.Environment.Variables) as Record<string, string>;
    expect(cloudConfigFromEnv(env)).toMatchObject({ engine: 'timestream-influxdb', org: 'ticklake', bucket: 'market' });
    const statements = resourcesOf(t, 'AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    expect(statements.some((s: any) => actionsOf(s).includes('secretsmanager:GetSecretValue'))).toBe(true);
    // the observability stack watches the writer, the points function and refused points too
    expect(Object.keys(alarms(b))).toEqual(
      expect.arrayContaining([
        'ticklake-dev-writer-errors',
        'ticklake-dev-writer-dead-letters',
        'ticklake-dev-writer-points-rejected',
        'ticklake-dev-bar-points-rejected',
        'ticklake-dev-prediction-points-rejected',
        'ticklake-dev-points-function-errors',
      ]),
    );
  });

  it('with a store: alarms on points it refused (ml-predict bars and predictions, writer trades) and on points-function errors, to the topic', () => {
    const b = liveAnalytics();
    const a = alarms(b);
    const refused = {
      'ticklake-dev-bar-points-rejected': ['BarPointsRejected', 'ml-predict'],
      'ticklake-dev-prediction-points-rejected': ['PredictionPointsRejected', 'ml-predict'],
      'ticklake-dev-writer-points-rejected': ['TimeSeriesPointsRejected', 'timeseries-writer'],
    };
    for (const [name, [metric, service]] of Object.entries(refused)) {
      expect(a[name], name).toMatchObject({
        Namespace: 'ticklake',
        MetricName: metric,
        Dimensions: [{ Name: 'service', Value: service }],
        ...ANY_IN_FIVE_MINUTES,
      });
      expectNotifiesTopic(b, a[name]);
    }
    // the points function's own refusal count repeats ml-predict's (its only caller): not alarmed twice
    expect(Object.values(a).filter((x) => JSON.stringify(x.Dimensions).includes(TIMESERIES_POINTS_SERVICE))).toEqual([]);

    const errors = a['ticklake-dev-points-function-errors'];
    expect(errors).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', ...ANY_IN_FIVE_MINUTES });
    expectNotifiesTopic(b, errors);
    expect(errors.Dimensions).toHaveLength(1);
    expect(errors.Dimensions[0].Name).toBe('FunctionName');
    const ts = b.stacks.timeSeries!;
    expect(exported(b, ts, errors.Dimensions[0].Value)).toBe(ts.getLogicalId(ts.points.function.node.defaultChild as any));

    const widgets = dashboardWidgets(b);
    const metrics = graphed(widgets);
    const refusedGraph = widgets.find((w) => w.properties.title === 'Points refused by the time-series store');
    expect(refusedGraph.properties.metrics.map((m: unknown[]) => `${m[1]}/${m[3]}`).sort()).toEqual([
      'BarPointsRejected/ml-predict',
      'PredictionPointsRejected/ml-predict',
      'TimeSeriesPointsRejected/timeseries-points',
      'TimeSeriesPointsRejected/timeseries-writer',
    ]);
    for (const m of ['ticklake/BarPointsRejected', 'ticklake/PredictionPointsRejected', 'ticklake/TimeSeriesPointsRejected', 'ticklake/BarsPublished']) {
      expect(metrics, m).toContain(m);
    }
    expect(widgets.some((w) => w.properties.title === 'Time-series points function: invocations, errors')).toBe(true);
    expect(widgets.find((w) => w.properties.title === 'Alarms').properties.alarms).toHaveLength(Object.keys(a).length);
  });

  it('without a writer entry no writer is deployed', () => {
    const b = buildApp({ timeSeries: 'timestream-influxdb' }, { timeSeriesWriterEntry: null });
    const t = b.template(b.stacks.timeSeries!);
    expect(resourcesOf(t, 'AWS::Lambda::Function').filter(([, f]) => f.Properties.FunctionName === 'ticklake-dev-timeseries-writer')).toEqual([]);
    t.resourceCountIs('AWS::Timestream::InfluxDBInstance', 1);
    // refused bars and predictions are still alarmed, the writer's trades are not there to be
    const names = Object.keys(alarms(b));
    expect(names).toEqual(
      expect.arrayContaining(['ticklake-dev-bar-points-rejected', 'ticklake-dev-prediction-points-rejected', 'ticklake-dev-points-function-errors']),
    );
    expect(names.filter((n) => n.startsWith('ticklake-dev-writer-'))).toEqual([]);
  });
});
