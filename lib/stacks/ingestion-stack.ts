/**
 * Ingestion: where events arrive. An encrypted Kinesis data stream (on-demand
 * or provisioned), or, with `ingestion=msk`, an MSK Serverless cluster with IAM
 * authentication in a private VPC. With `iotTopicRule`, an AWS IoT Core topic
 * rule puts the sensors' MQTT telemetry on the stream. With Kinesis, the
 * enriched stream too: processed results (closed minute bars) put back for
 * other consumers, with the events stream's settings.
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as msk from 'aws-cdk-lib/aws-msk';
import type { Construct } from 'constructs';
import { namePrefix, type TicklakeConfig } from '../config.js';
import { IotTopicRule } from '../constructs/iot-topic-rule.js';

/** Port of MSK Serverless brokers with SASL/IAM over TLS. */
export const MSK_IAM_PORT = 9098;

/** Name of the Kinesis stream (ingestion=kinesis): other stacks address it by name. */
export function streamNameOf(config: Pick<TicklakeConfig, 'stage'>): string {
  return `${namePrefix(config)}-events`;
}

/** Name of the enriched stream (processed results, src/enriched/): other stacks address it by name. */
export function enrichedStreamNameOf(config: Pick<TicklakeConfig, 'stage'>): string {
  return `${namePrefix(config)}-enriched`;
}

export interface IngestionStackProps extends StackProps {
  readonly config: TicklakeConfig;
}

export interface MskIngestion {
  readonly clusterArn: string;
  readonly clusterName: string;
  readonly topic: string;
  readonly vpc: ec2.Vpc;
  /** Attach to clients (producers and event source mappings); it may reach the brokers. */
  readonly clientSecurityGroup: ec2.SecurityGroup;
}

export class IngestionStack extends Stack {
  /** The Kinesis stream (ingestion=kinesis). */
  readonly stream?: kinesis.Stream;
  /** The MSK Serverless cluster (ingestion=msk). */
  readonly msk?: MskIngestion;
  /** The enriched stream (a Kinesis stream with either ingestion). */
  readonly enrichedStream: kinesis.Stream;

  constructor(scope: Construct, id: string, props: IngestionStackProps) {
    super(scope, id, props);
    const { config } = props;
    const prefix = namePrefix(config);

    const provisioned = config.kinesisCapacityMode === 'provisioned';
    // The enriched stream and the events stream: the same capacity mode, retention, encryption and removal.
    const stream = (id: string, streamName: string) =>
      new kinesis.Stream(this, id, {
        streamName,
        streamMode: provisioned ? kinesis.StreamMode.PROVISIONED : kinesis.StreamMode.ON_DEMAND,
        shardCount: provisioned ? config.kinesisShardCount : undefined,
        retentionPeriod: Duration.hours(config.streamRetentionHours),
        // AWS-managed key aws/kinesis: encrypted at rest without a key to pay for or manage.
        encryption: kinesis.StreamEncryption.MANAGED,
        removalPolicy: config.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      });

    if (config.ingestion === 'kinesis') this.stream = stream('Events', streamNameOf(config));
    // Processed results for other consumers, a Kinesis stream whichever the ingestion: its producers (the predict and
    // enriched publisher functions) and its consumer (the time-series writer's second mapping) run outside the brokers' VPC.
    this.enrichedStream = stream('Enriched', enrichedStreamNameOf(config));
    new CfnOutput(this, 'EnrichedStreamName', {
      value: this.enrichedStream.streamName,
      description: 'Kinesis stream of processed results (closed minute bars, category minutes, views)',
    });
    if (this.stream) {
      new CfnOutput(this, 'StreamName', { value: this.stream.streamName, description: 'Kinesis stream producers write to' });
      new CfnOutput(this, 'StreamArn', { value: this.stream.streamArn });
      if (config.iotTopicRule) {
        const rule = new IotTopicRule(this, 'IotTelemetry', {
          stream: this.stream,
          ruleName: `${prefix.replace(/[^A-Za-z0-9_]/g, '_')}_iot_telemetry`,
          logRetentionDays: config.logRetentionDays,
          removalPolicy: config.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
        });
        new CfnOutput(this, 'IotTopicRuleName', { value: rule.rule.ref, description: 'AWS IoT Core rule putting devices/+/telemetry on the stream' });
      }
      return;
    }

    const flowLogs = new logs.LogGroup(this, 'VpcFlowLogs', {
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const vpc = new ec2.Vpc(this, 'Vpc', {
      vpcName: `${prefix}-ingestion`,
      maxAzs: 3,
      natGateways: 0,
      subnetConfiguration: [{ name: 'brokers', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.ALL } },
    });
    const clientSecurityGroup = new ec2.SecurityGroup(this, 'KafkaClients', {
      vpc,
      description: 'ticklake MSK Serverless brokers and their clients (SASL/IAM over TLS on 9098)',
      allowAllOutbound: false,
    });
    clientSecurityGroup.addIngressRule(clientSecurityGroup, ec2.Port.tcp(MSK_IAM_PORT), 'Kafka clients in this group reach the brokers');
    clientSecurityGroup.addEgressRule(clientSecurityGroup, ec2.Port.tcp(MSK_IAM_PORT), 'Brokers and clients in this group');
    clientSecurityGroup.addEgressRule(ec2.Peer.ipv4(vpc.vpcCidrBlock), ec2.Port.tcp(443), 'AWS endpoints inside the VPC');

    const cluster = new msk.CfnServerlessCluster(this, 'Kafka', {
      clusterName: prefix,
      clientAuthentication: { sasl: { iam: { enabled: true } } },
      vpcConfigs: [
        {
          subnetIds: vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }).subnetIds,
          securityGroups: [clientSecurityGroup.securityGroupId],
        },
      ],
    });
    cluster.applyRemovalPolicy(config.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN);

    this.msk = { clusterArn: cluster.attrArn, clusterName: prefix, topic: config.mskTopic, vpc, clientSecurityGroup };
    new CfnOutput(this, 'KafkaClusterArn', { value: cluster.attrArn, description: 'aws kafka get-bootstrap-brokers --cluster-arn <this>' });
    new CfnOutput(this, 'KafkaTopic', { value: config.mskTopic, description: 'Create it once with kafka-topics.sh (MSK Serverless has no topic API)' });
    new CfnOutput(this, 'KafkaClientSecurityGroupId', { value: clientSecurityGroup.securityGroupId });
  }
}
