/**
 * The Binance live connector in the cloud (`-c binanceLive=true`): the process
 * of bin/binance-live.ts as one long-running ECS Fargate task, putting
 * Binance's trade stream onto the Kinesis stream with PutRecords.
 *
 * - **Exactly one task.** `desiredCount` 1, and a deployment stops the old task
 *   before it starts the new one (minimum healthy 0 %, maximum 100 %): two
 *   connectors would each put every trade, so every trade would be on the stream
 *   twice (the lake dedupes nothing across producers). The price is a gap of
 *   about a minute per deployment, which the connector logs and counts as a
 *   trade-id gap when it reconnects.
 * - **Network.** Its own VPC with public subnets only and no NAT gateway: the
 *   task gets a public IP for outbound connections (Binance, Kinesis, ECR,
 *   CloudWatch Logs); its security group allows no inbound traffic and outbound
 *   only HTTPS and the Binance endpoint's port. VPC flow logs go to CloudWatch.
 * - **Permissions.** The task role may only `kinesis:PutRecords` on the stream
 *   (the stream is encrypted with the AWS-managed key `aws/kinesis`, which needs
 *   no KMS permission; a customer-managed key would get `kms:GenerateDataKey`).
 *   The execution role (image pull, log delivery) is the CDK's.
 * - **Image.** Built from the repository's Dockerfile by `cdk deploy` (linux/arm64,
 *   Graviton); `cdk synth` only hashes the build context .dockerignore lets through.
 * - **Health.** The process writes an EMF heartbeat every minute; the
 *   observability stack alarms on its `LastTradeAgeSeconds`, missing data
 *   included (a stopped or crashed task sends none).
 */
import { CfnOutput, Duration, RemovalPolicy, Size, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { BINANCE_WS_URL } from '../../src/adapters/binance/live-connector.js';
import { namePrefix, type TicklakeConfig } from '../config.js';
import { METRICS_NAMESPACE } from '../constructs/ticklake-function.js';
import { acknowledge } from '../nag.js';
import { PROJECT_ROOT } from '../paths.js';

/** The `service` dimension of the heartbeat metrics and the `service` field of the logs. */
export const BINANCE_LIVE_SERVICE = 'binance-live';

/** Task size: the smallest Fargate size (one WebSocket, batched PutRecords); the dashboard graphs its CPU and memory. */
export const BINANCE_LIVE_TASK = { cpu: 256, memoryLimitMiB: 512 } as const;

/** ECS waits this long after SIGTERM before SIGKILL; the process drains for at most STOP_TIMEOUT_SECONDS of it. */
export const BINANCE_LIVE_STOP_TIMEOUT = Duration.seconds(30);
const DRAIN_SECONDS = 20;

/**
 * The cluster and service names (plain strings, not references: the
 * observability stack graphs and alarms by name, so no export ties it to this
 * stack, which can then be destroyed on its own).
 */
export function binanceLiveNames(config: Pick<TicklakeConfig, 'stage'>): { readonly cluster: string; readonly service: string; readonly logGroup: string } {
  const name = `${namePrefix(config)}-binance-live`;
  return { cluster: name, service: name, logGroup: `/ecs/${name}` };
}

export interface BinanceLiveStackProps extends StackProps {
  readonly config: TicklakeConfig;
  /** The stream to put to (ingestion=kinesis). */
  readonly stream: kinesis.IStream;
}

/** The TCP port of a ws://, wss://, http:// or https:// URL. */
export function webSocketPort(url: string): number {
  const u = new URL(url);
  if (u.port) return Number(u.port);
  return u.protocol === 'ws:' || u.protocol === 'http:' ? 80 : 443;
}

export class BinanceLiveStack extends Stack {
  readonly vpc: ec2.Vpc;
  readonly securityGroup: ec2.SecurityGroup;
  readonly cluster: ecs.Cluster;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly taskRole: iam.Role;
  readonly service: ecs.FargateService;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: BinanceLiveStackProps) {
    super(scope, id, props);
    const { config, stream } = props;
    const names = binanceLiveNames(config);
    const retention = config.logRetentionDays as logs.RetentionDays;
    const wsUrl = config.binanceLiveWsUrl ?? BINANCE_WS_URL;

    const flowLogs = new logs.LogGroup(this, 'VpcFlowLogs', { retention, removalPolicy: RemovalPolicy.DESTROY });
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      vpcName: names.cluster,
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
      flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.ALL } },
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'Connector', {
      vpc: this.vpc,
      description: 'ticklake Binance live connector: no inbound traffic; outbound HTTPS (Kinesis, ECR, CloudWatch Logs) and the Binance endpoint',
      allowAllOutbound: false,
    });
    // The Binance endpoints: the stream, and the REST API gaps are healed from.
    const endpoints = [{ url: wsUrl, what: 'stream endpoint' }, ...(config.binanceLiveRestUrl ? [{ url: config.binanceLiveRestUrl, what: 'REST API' }] : [])];
    const ports = [...new Set([443, ...endpoints.map((e) => webSocketPort(e.url))])];
    for (const port of ports) {
      const on = endpoints.filter((e) => webSocketPort(e.url) === port).map((e) => `${e.what} (${new URL(e.url).host})`);
      this.securityGroup.addEgressRule(
        ec2.Peer.anyIpv4(),
        ec2.Port.tcp(port),
        port === 443 ? 'HTTPS: Kinesis, ECR, CloudWatch Logs (and Binance on 443)' : `The Binance ${on.join(' and ')}`,
      );
    }

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      clusterName: names.cluster,
      vpc: this.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });

    this.taskRole = new iam.Role(this, 'TaskRole', {
      description: `ticklake ${config.stage}: the Binance live connector task; kinesis:PutRecords on the stream and nothing else`,
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': this.account } } }),
    });
    this.taskRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kinesis:PutRecords'], resources: [stream.streamArn] }));
    // aws/kinesis (the ingestion stack's choice) needs no KMS permission; a customer-managed key would.
    stream.encryptionKey?.grant(this.taskRole, 'kms:GenerateDataKey');

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: names.logGroup,
      retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      family: names.service,
      cpu: BINANCE_LIVE_TASK.cpu,
      memoryLimitMiB: BINANCE_LIVE_TASK.memoryLimitMiB,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
      taskRole: this.taskRole,
    });
    const environment: Record<string, string> = {
      STREAM_NAME: stream.streamName,
      BINANCE_SYMBOLS: config.binanceLiveSymbols.join(','),
      ...(config.binanceLiveWsUrl ? { BINANCE_WS_URL: config.binanceLiveWsUrl } : {}),
      ...(config.binanceLiveRestUrl ? { BINANCE_REST_URL: config.binanceLiveRestUrl } : {}),
      METRICS_NAMESPACE,
      SERVICE_NAME: BINANCE_LIVE_SERVICE,
      LOG_LEVEL: config.logLevel,
      STOP_TIMEOUT_SECONDS: String(DRAIN_SECONDS),
    };
    this.taskDefinition.addContainer('Connector', {
      containerName: BINANCE_LIVE_SERVICE,
      image: ecs.ContainerImage.fromAsset(PROJECT_ROOT, { file: 'Dockerfile', platform: Platform.LINUX_ARM64 }),
      environment,
      logging: ecs.LogDrivers.awsLogs({
        logGroup: this.logGroup,
        streamPrefix: BINANCE_LIVE_SERVICE,
        // A slow log delivery must never block stdout (and with it the WebSocket reads).
        mode: ecs.AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(25),
      }),
      stopTimeout: BINANCE_LIVE_STOP_TIMEOUT,
      readonlyRootFilesystem: true,
      essential: true,
    });
    acknowledge(
      this.taskDefinition.obtainExecutionRole(),
      'AwsSolutions-IAM5[Resource::*]',
      'The execution role (the CDK grant for pulling the image asset) needs ecr:GetAuthorizationToken, which has no resource-level permissions; the image pull itself is limited to the bootstrap asset repository and log delivery to the log group',
    );
    acknowledge(
      this.taskDefinition,
      'AwsSolutions-ECS2',
      'The environment holds only non-secret settings (stream name, symbols, Binance endpoint, metric names, log level); the connector has no secret: Binance market streams are public and AWS credentials come from the task role',
    );

    this.service = new ecs.FargateService(this, 'Service', {
      serviceName: names.service,
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      // One connector: two would put every trade twice.
      desiredCount: 1,
      // Stop the old task before starting the new one: never two at once, even during a deployment.
      minHealthyPercent: 0,
      maxHealthyPercent: 100,
      circuitBreaker: { enable: true, rollback: true },
      assignPublicIp: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroups: [this.securityGroup],
      platformVersion: ecs.FargatePlatformVersion.LATEST,
      enableExecuteCommand: false,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });

    new CfnOutput(this, 'ClusterName', { value: this.cluster.clusterName });
    new CfnOutput(this, 'ServiceName', { value: this.service.serviceName });
    new CfnOutput(this, 'LogGroupName', { value: this.logGroup.logGroupName, description: 'JSON logs and EMF heartbeats of the connector' });
  }
}
