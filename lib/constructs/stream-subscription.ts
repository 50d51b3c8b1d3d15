/**
 * Connects a function to the ingestion stream with settings chosen so that one
 * bad record can never stall a shard:
 *
 * - partial batch responses (`ReportBatchItemFailures`): only the failed record
 *   and those after it are retried;
 * - `BisectBatchOnFunctionError`: a batch that makes the function throw is
 *   split until the culprit is isolated;
 * - bounded `MaximumRetryAttempts` and `MaximumRecordAgeInSeconds` (the CDK
 *   default is to retry until the record expires);
 * - an SQS on-failure destination that receives the shard, sequence range and
 *   reason of every batch that is given up on, so it can be replayed.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Fn, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { TicklakeConfig } from '../config.js';
import { acknowledge } from '../nag.js';

/** The event source settings that matter, resolved from the configuration. */
export interface StreamSafetySettings {
  readonly batchSize: number;
  readonly maxBatchingWindow: Duration;
  readonly parallelizationFactor: number;
  readonly retryAttempts: number;
  readonly maxRecordAge: Duration;
  readonly bisectBatchOnError: true;
  readonly reportBatchItemFailures: true;
  readonly startingPosition: lambda.StartingPosition;
}

export function streamSafetySettings(config: TicklakeConfig): StreamSafetySettings {
  return {
    batchSize: config.streamBatchSize,
    maxBatchingWindow: Duration.seconds(config.streamBatchingWindowSeconds),
    parallelizationFactor: config.streamParallelizationFactor,
    retryAttempts: config.streamRetryAttempts,
    maxRecordAge: Duration.hours(config.streamMaxRecordAgeHours),
    bisectBatchOnError: true,
    reportBatchItemFailures: true,
    startingPosition: config.streamStartingPosition === 'LATEST' ? lambda.StartingPosition.LATEST : lambda.StartingPosition.TRIM_HORIZON,
  };
}

/** Where the records come from. */
export type StreamSource =
  | { readonly kind: 'kinesis'; readonly stream: kinesis.IStream }
  | {
      readonly kind: 'msk';
      /** MSK Serverless cluster ARN (`arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>`). */
      readonly clusterArn: string;
      readonly topic: string;
      readonly consumerGroupId: string;
    };

/**
 * The source a consumer of the configured ingestion reads: the Kinesis stream,
 * or the MSK topic with the consumer's own group (named after the function).
 */
export function streamSourceFor(
  config: TicklakeConfig,
  consumerName: string,
  from: { readonly stream?: kinesis.IStream; readonly msk?: { readonly clusterArn: string; readonly topic: string } },
): StreamSource {
  if (config.ingestion === 'msk') {
    if (!from.msk) throw new Error(`${consumerName}: ingestion is msk but no MSK cluster was given`);
    return { kind: 'msk', clusterArn: from.msk.clusterArn, topic: from.msk.topic, consumerGroupId: consumerName };
  }
  if (!from.stream) throw new Error(`${consumerName}: ingestion is kinesis but no stream was given`);
  return { kind: 'kinesis', stream: from.stream };
}

export interface StreamSubscriptionProps {
  readonly config: TicklakeConfig;
  readonly function: lambda.IFunction;
  readonly source: StreamSource;
  readonly deadLetterQueueName: string;
  readonly removalPolicy: RemovalPolicy;
}

export class StreamSubscription extends Construct {
  /** Receives one message per batch the event source gave up on (metadata, not the payload). */
  readonly deadLetterQueue: sqs.Queue;
  readonly settings: StreamSafetySettings;

  constructor(scope: Construct, id: string, props: StreamSubscriptionProps) {
    super(scope, id);
    const s = streamSafetySettings(props.config);
    this.settings = s;

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      queueName: props.deadLetterQueueName,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    acknowledge(
      this.deadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the terminal dead-letter destination of the event source mapping (on-failure destination); a queue behind it would only move the same records again',
    );
    acknowledge(
      this.deadLetterQueue,
      'Serverless-SQSRedrivePolicy',
      'Terminal on-failure destination of the event source mapping: messages are inspected and replayed by an operator, never consumed by a function that could fail',
    );

    const onFailure = new SqsDlq(this.deadLetterQueue);
    if (props.source.kind === 'kinesis') {
      props.function.addEventSource(
        new KinesisEventSource(props.source.stream, {
          startingPosition: s.startingPosition,
          batchSize: s.batchSize,
          maxBatchingWindow: s.maxBatchingWindow,
          parallelizationFactor: s.parallelizationFactor,
          bisectBatchOnError: s.bisectBatchOnError,
          retryAttempts: s.retryAttempts,
          maxRecordAge: s.maxRecordAge,
          reportBatchItemFailures: s.reportBatchItemFailures,
          onFailure,
        }),
      );
      return;
    }

    // MSK: the retry/bisect/partial-response controls need provisioned pollers.
    const { clusterArn, topic, consumerGroupId } = props.source;
    new lambda.EventSourceMapping(this, 'Mapping', {
      target: props.function,
      eventSourceArn: clusterArn,
      kafkaTopic: topic,
      kafkaConsumerGroupId: consumerGroupId,
      startingPosition: s.startingPosition,
      batchSize: s.batchSize,
      maxBatchingWindow: s.maxBatchingWindow,
      bisectBatchOnError: s.bisectBatchOnError,
      retryAttempts: s.retryAttempts,
      maxRecordAge: s.maxRecordAge,
      reportBatchItemFailures: s.reportBatchItemFailures,
      onFailure,
      provisionedPollerConfig: { minimumPollers: 1, maximumPollers: 2 },
    });
    grantMskConsume(props.function, clusterArn, topic, consumerGroupId);
  }
}

/** Why a function consuming MSK holds EC2 network-interface actions on "*". */
export const MSK_WILDCARD_REASON =
  'the MSK event source mapping creates and describes network interfaces in the cluster subnets through the execution role (ec2:CreateNetworkInterface, Describe*), actions without resource-level permissions; Kafka actions are scoped to the cluster, topic and consumer group';

/**
 * What a Lambda event source mapping needs to read one topic of an MSK
 * Serverless cluster with IAM authentication, scoped to that cluster, topic and
 * consumer group.
 */
export function grantMskConsume(fn: lambda.IFunction, clusterArn: string, topic: string, consumerGroupId: string): void {
  const stack = Stack.of(fn);
  // cluster/<name>/<uuid> -> topic/<name>/<uuid>/<topic>, group/<name>/<uuid>/<group>
  const parts = Fn.split('/', clusterArn);
  const clusterName = Fn.select(1, parts);
  const clusterUuid = Fn.select(2, parts);
  const kafkaArn = (resource: string, name: string) => stack.formatArn({ service: 'kafka', resource, resourceName: `${clusterName}/${clusterUuid}/${name}` });
  iam.Grant.addToPrincipal({
    grantee: fn,
    actions: ['kafka:DescribeClusterV2', 'kafka:GetBootstrapBrokers', 'kafka-cluster:Connect', 'kafka-cluster:DescribeClusterDynamicConfiguration'],
    resourceArns: [clusterArn],
  });
  iam.Grant.addToPrincipal({
    grantee: fn,
    actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
    resourceArns: [kafkaArn('topic', topic)],
  });
  iam.Grant.addToPrincipal({
    grantee: fn,
    actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
    resourceArns: [kafkaArn('group', consumerGroupId)],
  });
  // The event source mapping reaches the cluster through network interfaces in its subnets.
  iam.Grant.addToPrincipal({
    grantee: fn,
    actions: [
      'ec2:CreateNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeVpcs',
      'ec2:DeleteNetworkInterface',
      'ec2:DescribeSubnets',
      'ec2:DescribeSecurityGroups',
    ],
    resourceArns: ['*'],
  });
}
