/**
 * The time-series points function (time-series stack) and the predict
 * function that writes minute bars and predictions through it (orchestration
 * stack): environment, least-privilege grants, network.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { cloudConfigFromEnv } from '../../src/adapters/aws/timeseries/cloud-sink.js';
import { actionsOf, type BuiltApp, buildApp, evaluate, FAKE_ACCOUNT, FAKE_REGION, FIXTURE_HANDLER, policyStatements, resourcesOf } from './helpers.js';

/** A function of a template by name, with the statements of the policies on its role. */
function fn(t: Template, name: string): { props: Record<string, any>; statements: any[] } {
  const [[, f]] = resourcesOf(t, 'AWS::Lambda::Function').filter(([, r]) => r.Properties.FunctionName === name);
  return { props: f!.Properties, statements: policyStatements(t, f!.Properties.Role['Fn::GetAtt'][0] as string) };
}

let liveAnalytics: BuiltApp;
beforeAll(() => {
  liveAnalytics = buildApp({ timeSeries: 'timestream-liveanalytics' }, { timeSeriesWriterEntry: FIXTURE_HANDLER });
});

describe('time-series points function', () => {
  it('LiveAnalytics: writes only the minute_bars and predictions tables, with an environment the sink accepts', () => {
    // Prepare
    const t = liveAnalytics.template(liveAnalytics.stacks.timeSeries!);
    const tables = Object.fromEntries(resourcesOf(t, 'AWS::Timestream::Table').map(([id, r]) => [r.Properties.TableName as string, id]));
    // Act
    const points = fn(t, 'ticklake-dev-timeseries-points');
    // Assess
    const env = evaluate(points.props.Environment.Variables) as Record<string, string>;
    expect(cloudConfigFromEnv(env)).toMatchObject({
      engine: 'timestream-liveanalytics',
      database: 'ticklake_dev',
      tables: { bar_1m: 'minute_bars', prediction: 'predictions' },
    });
    expect(cloudConfigFromEnv(env)).not.toHaveProperty('tables.trade');
    const write = points.statements.find((s) => actionsOf(s).includes('timestream:WriteRecords'));
    expect(write.Resource.map((r: any) => r['Fn::GetAtt'][0]).sort()).toEqual([tables.minute_bars, tables.predictions].sort());
    expect(
      points.statements
        .flatMap(actionsOf)
        .filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:'))
        .sort(),
    ).toEqual(['timestream:DescribeEndpoints', 'timestream:DescribeTable', 'timestream:WriteRecords']);
    expect(points.props.VpcConfig).toBeUndefined();
    expect(points.props.Timeout).toBe(30);
  });

  it('the predict function writes points only through it: engine and function name in its environment, InvokeFunction on that one function', () => {
    // Prepare
    const t = liveAnalytics.template(liveAnalytics.stacks.orchestration);
    // Act
    const predict = fn(t, 'ticklake-dev-ml-predict');
    // Assess
    expect(predict.props.Environment.Variables).toMatchObject({
      TIME_SERIES_ENGINE: 'timestream-liveanalytics',
      TIME_SERIES_POINTS_FUNCTION: 'ticklake-dev-timeseries-points',
    });
    const invoke = predict.statements.filter((s) => actionsOf(s).includes('lambda:InvokeFunction'));
    expect(invoke.map((s) => evaluate(s.Resource))).toEqual([`arn:aws:lambda:${FAKE_REGION}:${FAKE_ACCOUNT}:function:ticklake-dev-timeseries-points`]);
    expect(predict.statements.flatMap(actionsOf).some((a) => a.startsWith('timestream:'))).toBe(false);
    expect(liveAnalytics.stacks.orchestration.dependencies).toContain(liveAnalytics.stacks.timeSeries);
  });

  it('InfluxDB: in the VPC with the writer’s security group and read access to the credentials secret', () => {
    // Prepare
    const b = buildApp({ timeSeries: 'timestream-influxdb' }, { timeSeriesWriterEntry: FIXTURE_HANDLER });
    const t = b.template(b.stacks.timeSeries!);
    // Act
    const points = fn(t, 'ticklake-dev-timeseries-points');
    const writer = fn(t, 'ticklake-dev-timeseries-writer');
    // Assess
    expect(points.props.VpcConfig.SubnetIds).toHaveLength(2);
    expect(points.props.VpcConfig.SecurityGroupIds).toEqual(writer.props.VpcConfig.SecurityGroupIds);
    expect(points.statements.flatMap(actionsOf)).toContain('secretsmanager:GetSecretValue');
    expect(cloudConfigFromEnv(evaluate(points.props.Environment.Variables) as Record<string, string>)).toMatchObject({
      engine: 'timestream-influxdb',
      org: 'ticklake',
      bucket: 'market',
    });
    expect(fn(b.template(b.stacks.orchestration), 'ticklake-dev-ml-predict').props.Environment.Variables).toMatchObject({
      TIME_SERIES_ENGINE: 'timestream-influxdb',
      TIME_SERIES_POINTS_FUNCTION: 'ticklake-dev-timeseries-points',
    });
  });

  it('without a time-series store there is no points function and the predict function may invoke none', () => {
    // Prepare
    const b = buildApp();
    // Act
    const predict = fn(b.template(b.stacks.orchestration), 'ticklake-dev-ml-predict');
    // Assess
    expect(b.stacks.timeSeries).toBeUndefined();
    expect(predict.props.Environment.Variables.TIME_SERIES_ENGINE).toBe('none');
    expect(predict.props.Environment.Variables.TIME_SERIES_POINTS_FUNCTION).toBeUndefined();
    expect(predict.statements.flatMap(actionsOf)).not.toContain('lambda:InvokeFunction');
  });
});
