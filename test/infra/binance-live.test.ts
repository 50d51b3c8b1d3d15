/**
 * The Binance live connector on ECS Fargate (`-c binanceLive=true`): off by
 * default; when on, one task at a time, its own public-subnet VPC without NAT or
 * ingress, a task role limited to PutRecords on the stream, the container's
 * environment, the image asset (hashed at synth, never built), the heartbeat
 * alarm, and cdk-nag with no unacknowledged finding.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../lib/config.js';
import { acknowledgementsOf } from '../../lib/nag.js';
import { NAG_VARIANTS } from '../../lib/tools/nag-report.js';
import { BINANCE_LIVE_SERVICE, webSocketPort } from '../../lib/stacks/binance-live-stack.js';
import { HEARTBEAT_METRICS, parseServiceConfig } from '../../src/cli/binance-live-service.js';
import { type BuiltApp, buildApp, CDK_JSON_CONTEXT, evaluate, policyStatements, resourcesOf } from './helpers.js';

let off: BuiltApp;
let on: BuiltApp;
beforeAll(() => {
  off = buildApp();
  on = buildApp({ binanceLive: 'true', alarmEmail: 'ops@example.com' });
});

const ECS_TYPES = ['AWS::ECS::Cluster', 'AWS::ECS::Service', 'AWS::ECS::TaskDefinition'];

function problems(ctx: Record<string, unknown>): string[] {
  try {
    parseConfig({ ...CDK_JSON_CONTEXT, ...ctx });
    return [];
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
}

/** The one resource of a type in the connector's stack. */
function one(b: BuiltApp, type: string): [string, Record<string, any>] {
  const found = resourcesOf(b.template(b.stacks.binanceLive!), type);
  expect(found, type).toHaveLength(1);
  return [found[0]![0], found[0]![1].Properties];
}

/** The logical id behind an `Fn::ImportValue` of the ingestion stack (the stream). */
function importedFromIngestion(b: BuiltApp, value: any): { ref?: string; getAtt?: string[] } {
  const name = value['Fn::ImportValue'];
  expect(name, JSON.stringify(value)).toBeTypeOf('string');
  const outputs = Object.values(b.template(b.stacks.ingestion).toJSON().Outputs ?? {}) as any[];
  const output = outputs.find((o) => o.Export?.Name === name);
  expect(output, name).toBeDefined();
  return { ref: output.Value.Ref, getAtt: output.Value['Fn::GetAtt'] };
}

describe('binanceLive off (the default)', () => {
  it('creates no connector stack and no ECS resource anywhere, and no heartbeat alarm', () => {
    expect(off.config.binanceLive).toBe(false);
    expect(off.stacks.binanceLive).toBeUndefined();
    for (const stack of Object.values(off.stacks)) {
      if (!stack) continue;
      for (const type of ECS_TYPES) expect(resourcesOf(off.template(stack), type), `${stack.stackName} ${type}`).toEqual([]);
    }
    const names = resourcesOf(off.template(off.stacks.observability), 'AWS::CloudWatch::Alarm').map(([, a]) => String(a.Properties.AlarmName));
    expect(names.some((n) => n.includes('binance'))).toBe(false);
  });
});

describe('binanceLive on', () => {
  it('adds the ticklake-<stage>-binance-live stack with one cluster (container insights on) and one Fargate service', () => {
    expect(on.stacks.binanceLive?.stackName).toBe('ticklake-dev-binance-live');
    const [, cluster] = one(on, 'AWS::ECS::Cluster');
    expect(cluster.ClusterName).toBe('ticklake-dev-binance-live');
    expect(cluster.ClusterSettings).toEqual([{ Name: 'containerInsights', Value: 'enabled' }]);
    one(on, 'AWS::ECS::TaskDefinition');
    const [, service] = one(on, 'AWS::ECS::Service');
    expect(service.LaunchType).toBe('FARGATE');
  });

  it('runs exactly one task, also during a deployment (min 0 %, max 100 %: the old task stops before the new one starts)', () => {
    const [, service] = one(on, 'AWS::ECS::Service');
    expect(service.DesiredCount).toBe(1);
    expect(service.DeploymentConfiguration).toMatchObject({
      MaximumPercent: 100,
      MinimumHealthyPercent: 0,
      DeploymentCircuitBreaker: { Enable: true, Rollback: true },
    });
    expect(resourcesOf(on.template(on.stacks.binanceLive!), 'AWS::ApplicationAutoScaling::ScalableTarget')).toEqual([]);
  });

  it('lives in its own VPC: public subnets only, no NAT gateway, a public IP for outbound, a security group with no ingress', () => {
    const t = on.template(on.stacks.binanceLive!);
    expect(resourcesOf(t, 'AWS::EC2::NatGateway')).toEqual([]);
    const subnets = resourcesOf(t, 'AWS::EC2::Subnet');
    expect(subnets.length).toBeGreaterThanOrEqual(1);
    for (const [, s] of subnets) expect(s.Properties.MapPublicIpOnLaunch).toBe(true);
    expect(resourcesOf(t, 'AWS::EC2::FlowLog')).toHaveLength(1);

    const [sgId, sg] = one(on, 'AWS::EC2::SecurityGroup');
    expect(sg.SecurityGroupIngress).toBeUndefined();
    expect(resourcesOf(t, 'AWS::EC2::SecurityGroupIngress')).toEqual([]);
    expect(sg.SecurityGroupEgress.map((e: any) => [e.CidrIp, e.IpProtocol, e.FromPort, e.ToPort])).toEqual([
      ['0.0.0.0/0', 'tcp', 443, 443],
      ['0.0.0.0/0', 'tcp', 9443, 9443],
    ]);

    const [, service] = one(on, 'AWS::ECS::Service');
    const vpcConfig = service.NetworkConfiguration.AwsvpcConfiguration;
    expect(vpcConfig.AssignPublicIp).toBe('ENABLED');
    expect(vpcConfig.SecurityGroups).toEqual([{ 'Fn::GetAtt': [sgId, 'GroupId'] }]);
    expect(vpcConfig.Subnets.map((s: any) => s.Ref).sort()).toEqual(subnets.map(([id]) => id).sort());
  });

  it('opens outbound only the port of a configured endpoint besides HTTPS', () => {
    const b = buildApp({ binanceLive: 'true', binanceLiveWsUrl: 'wss://data-stream.binance.vision' });
    const [[, sg]] = resourcesOf(b.template(b.stacks.binanceLive!), 'AWS::EC2::SecurityGroup');
    expect(sg.Properties.SecurityGroupEgress.map((e: any) => e.FromPort)).toEqual([443]);
    expect(webSocketPort('ws://127.0.0.1:8080/stream')).toBe(8080);
    expect(webSocketPort('ws://host')).toBe(80);
    expect(webSocketPort('http://host')).toBe(80);
    expect(webSocketPort('https://host')).toBe(443);
  });

  it('the task role may do exactly one thing: kinesis:PutRecords on the stream (aws/kinesis encryption needs no KMS permission)', () => {
    const t = on.template(on.stacks.binanceLive!);
    const [, taskDef] = one(on, 'AWS::ECS::TaskDefinition');
    const roleId = taskDef.TaskRoleArn['Fn::GetAtt'][0];
    const [, role] = resourcesOf(t, 'AWS::IAM::Role').find(([id]) => id === roleId)!;
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.Policies).toBeUndefined();
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'ecs-tasks.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
    const statements = policyStatements(t, roleId);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({ Effect: 'Allow', Action: 'kinesis:PutRecords' });
    expect(importedFromIngestion(on, statements[0]!.Resource).getAtt).toEqual([streamId(), 'Arn']);
    // The stream really is encrypted with the AWS-managed key.
    const [[, stream]] = resourcesOf(on.template(on.stacks.ingestion), 'AWS::Kinesis::Stream');
    expect(stream.Properties.StreamEncryption).toEqual({ EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' });
  });

  it('runs the image built from the repository Dockerfile for arm64, with the stream name and the symbols in its environment', () => {
    const [, taskDef] = one(on, 'AWS::ECS::TaskDefinition');
    expect(taskDef).toMatchObject({
      Cpu: '256',
      Memory: '512',
      NetworkMode: 'awsvpc',
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
    });
    expect(taskDef.ContainerDefinitions).toHaveLength(1);
    const c = taskDef.ContainerDefinitions[0];
    expect(c).toMatchObject({ Name: BINANCE_LIVE_SERVICE, Essential: true, ReadonlyRootFilesystem: true, StopTimeout: 30 });
    const env = Object.fromEntries(c.Environment.map((e: any) => [e.Name, e.Value]));
    expect(importedFromIngestion(on, env.STREAM_NAME).ref).toBe(streamId());
    expect(env).toMatchObject({
      BINANCE_SYMBOLS: 'BTCUSDT,ETHUSDT',
      SERVICE_NAME: 'binance-live',
      METRICS_NAMESPACE: 'ticklake',
      LOG_LEVEL: 'INFO',
      STOP_TIMEOUT_SECONDS: '20',
    });
    expect(env).not.toHaveProperty('BINANCE_WS_URL');
    // The container accepts the environment it gets (the stream name is a token at synth).
    expect(() => parseServiceConfig({ ...env, STREAM_NAME: 'ticklake-dev-events' })).not.toThrow();
    // The stop timeout leaves the drain time to finish before SIGKILL.
    expect(Number(env.STOP_TIMEOUT_SECONDS)).toBeLessThan(c.StopTimeout);

    expect(c.LogConfiguration).toMatchObject({ LogDriver: 'awslogs', Options: { mode: 'non-blocking', 'awslogs-stream-prefix': 'binance-live' } });
  });

  it('passes the configured symbols and endpoint to the container', () => {
    const b = buildApp({ binanceLive: 'true', binanceLiveSymbols: 'SOLUSDT, BNBUSDT', binanceLiveWsUrl: 'wss://data-stream.binance.vision/stream' });
    const [[, taskDef]] = resourcesOf(b.template(b.stacks.binanceLive!), 'AWS::ECS::TaskDefinition');
    const env = Object.fromEntries(taskDef.Properties.ContainerDefinitions[0].Environment.map((e: any) => [e.Name, e.Value]));
    expect(env).toMatchObject({ BINANCE_SYMBOLS: 'SOLUSDT,BNBUSDT', BINANCE_WS_URL: 'wss://data-stream.binance.vision/stream' });
    expect(env).not.toHaveProperty('BINANCE_REST_URL');
  });

  it('passes the REST API to heal gaps from, and opens its port when it is not 443', () => {
    const b = buildApp({ binanceLive: 'true', binanceLiveRestUrl: 'http://binance-proxy.example:8080' });
    const t = b.template(b.stacks.binanceLive!);
    const [[, taskDef]] = resourcesOf(t, 'AWS::ECS::TaskDefinition');
    const env = Object.fromEntries(taskDef.Properties.ContainerDefinitions[0].Environment.map((e: any) => [e.Name, e.Value]));
    const [[, sg]] = resourcesOf(t, 'AWS::EC2::SecurityGroup');
    expect(env.BINANCE_REST_URL).toBe('http://binance-proxy.example:8080');
    expect(sg.Properties.SecurityGroupEgress.map((e: any) => [e.FromPort, e.Description])).toEqual([
      [443, 'HTTPS: Kinesis, ECR, CloudWatch Logs (and Binance on 443)'],
      [9443, 'The Binance stream endpoint (stream.binance.com:9443)'],
      [8080, 'The Binance REST API (binance-proxy.example:8080)'],
    ]);
  });

  it('keeps its logs for logRetentionDays', () => {
    const b = buildApp({ binanceLive: 'true', logRetentionDays: '14' });
    const groups = resourcesOf(b.template(b.stacks.binanceLive!), 'AWS::Logs::LogGroup').map(([, g]) => g.Properties);
    expect(groups.find((g) => g.LogGroupName === '/ecs/ticklake-dev-binance-live')).toMatchObject({ RetentionInDays: 14 });
    for (const g of groups) expect(g.RetentionInDays).toBe(14);
  });

  it('alarms on the heartbeat: LastTradeAgeSeconds above the threshold for 3 minutes, missing data breaching, to the alarm topic', () => {
    const t = on.template(on.stacks.observability);
    const [[topicId]] = resourcesOf(t, 'AWS::SNS::Topic');
    const alarm = resourcesOf(t, 'AWS::CloudWatch::Alarm')
      .map(([, a]) => a.Properties)
      .find((a) => a.AlarmName === 'ticklake-dev-binance-live-stale');
    expect(alarm).toMatchObject({
      Namespace: 'ticklake',
      MetricName: HEARTBEAT_METRICS.lastTradeAge,
      Dimensions: [{ Name: 'service', Value: BINANCE_LIVE_SERVICE }],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 120,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: topicId }],
      OKActions: [{ Ref: topicId }],
    });
    const custom = buildApp({ binanceLive: 'true', binanceLiveStaleSeconds: '600' });
    const threshold = resourcesOf(custom.template(custom.stacks.observability), 'AWS::CloudWatch::Alarm')
      .map(([, a]) => a.Properties)
      .find((a) => a.AlarmName === 'ticklake-dev-binance-live-stale')?.Threshold;
    expect(threshold).toBe(600);
  });

  it('graphs the heartbeat and the task on the dashboard, by name: no export ties the observability stack to the connector', () => {
    const [[, dash]] = resourcesOf(on.template(on.stacks.observability), 'AWS::CloudWatch::Dashboard');
    const body = String(evaluate(dash.Properties.DashboardBody));
    for (const m of Object.values(HEARTBEAT_METRICS)) expect(body).toContain(`"${m}"`);
    expect(body).toContain('["AWS/ECS","CPUUtilization","ClusterName","ticklake-dev-binance-live","ServiceName","ticklake-dev-binance-live"');
    // So the connector's stack can be destroyed on its own once binanceLive is off.
    const outputs = Object.values(on.template(on.stacks.binanceLive!).toJSON().Outputs ?? {}) as any[];
    expect(outputs.filter((o) => o.Export)).toEqual([]);
    expect(on.stacks.observability.dependencies.map((d) => d.stackName)).not.toContain('ticklake-dev-binance-live');
  });

  it('stages the image build context (only what .dockerignore lets through) and never builds it at synth', () => {
    const assembly = on.app.synth();
    const manifest = JSON.parse(readFileSync(join(assembly.directory, 'ticklake-dev-binance-live.assets.json'), 'utf8'));
    const images = Object.values(manifest.dockerImages) as any[];
    expect(images).toHaveLength(1);
    expect(images[0].source).toMatchObject({ dockerFile: 'Dockerfile', platform: 'linux/arm64' });
    const dir = join(assembly.directory, images[0].source.directory);
    const staged = readFileSync(join(dir, 'Dockerfile'), 'utf8');
    expect(staged).toMatch(/^FROM node:22-slim$/m);
    for (const f of ['package.json', 'package-lock.json', 'bin/binance-live.ts', 'src/cli/binance-live-service.ts']) {
      expect(() => readFileSync(join(dir, f)), f).not.toThrow();
    }
    for (const f of ['node_modules', 'test', 'lib', 'cdk.json', 'README.md']) expect(() => readFileSync(join(dir, f)), f).toThrow();
  });
});

/** The logical id of the Kinesis stream in the ingestion stack. */
function streamId(): string {
  const [[id]] = resourcesOf(on.template(on.stacks.ingestion), 'AWS::Kinesis::Stream');
  return id;
}

describe('configuration', () => {
  it('is off by default, with BTCUSDT and ETHUSDT and a 120 s alarm when turned on', () => {
    const c = parseConfig({ ...CDK_JSON_CONTEXT, binanceLive: 'true' });
    expect(c).toMatchObject({ binanceLive: true, binanceLiveSymbols: ['BTCUSDT', 'ETHUSDT'], binanceLiveStaleSeconds: 120 });
    expect(c.binanceLiveWsUrl).toBeUndefined();
    expect(parseConfig({ binanceLiveSymbols: ['SOLUSDT'] }).binanceLiveSymbols).toEqual(['SOLUSDT']);
  });

  it('refuses binanceLive with ingestion=msk, with a clear message', () => {
    const p = problems({ binanceLive: 'true', ingestion: 'msk' });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^binanceLive: .*Kinesis stream.*ingestion=msk.*not implemented/);
    expect(problems({ binanceLive: 'false', ingestion: 'msk' })).toEqual([]);
  });

  it("checks symbols and endpoint by the container's own rules, naming the key", () => {
    expect(problems({ binanceLive: 'true', binanceLiveSymbols: 'btcusdt' })).toEqual([
      'binanceLiveSymbols: symbols must be 2-20 upper-case letters or digits: btcusdt (given: "btcusdt")',
    ]);
    expect(problems({ binanceLiveSymbols: 'BTCUSDT,BTCUSDT' })[0]).toMatch(/^binanceLiveSymbols: a symbol is repeated/);
    expect(problems({ binanceLiveWsUrl: 'https://stream.binance.com' })[0]).toMatch(
      /^binanceLiveWsUrl: https:\/\/stream.binance.com is not a ws:\/\/ or wss:\/\/ URL/,
    );
    expect(problems({ binanceLiveWsUrl: 'wss://x/ws' })[0]).toMatch(/^binanceLiveWsUrl: a raw \/ws endpoint carries one stream/);
    expect(problems({ binanceLiveRestUrl: 'wss://api.binance.com' })[0]).toMatch(
      /^binanceLiveRestUrl: wss:\/\/api.binance.com is not an http:\/\/ or https:\/\/ URL/,
    );
    expect(problems({ binanceLiveRestUrl: 'https://api.binance.com' })).toEqual([]);
    expect(problems({ binanceLiveStaleSeconds: '5' })[0]).toMatch(/^binanceLiveStaleSeconds/);
    expect(problems({ binanceLve: 'true' })).toEqual(['unknown key "binanceLve": did you mean "binanceLive"?']);
  });
});

describe('cdk-nag with the connector', () => {
  it('is one of the configurations the nag report and test cover', () => {
    expect(NAG_VARIANTS.some((v) => String(v.overrides.binanceLive) === 'true')).toBe(true);
  });

  it('acknowledges only two specific findings in its stack (nag.test.ts checks each matches a real finding and none is left)', () => {
    const ours = acknowledgementsOf(on.app).filter((a) => a.stack === 'ticklake-dev-binance-live');
    expect(ours.map((a) => `${a.id} ${a.path}`).sort()).toEqual([
      'AwsSolutions-ECS2 ticklake-dev-binance-live/Task',
      'AwsSolutions-IAM5[Resource::*] ticklake-dev-binance-live/Task/ExecutionRole',
    ]);
  });
});
