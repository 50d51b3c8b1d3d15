/**
 * Processing: the stream-transform function (validate, enrich, write Parquet
 * into the lake's raw / curated / quarantine zones) and its event source with
 * the safety settings of {@link StreamSubscription}.
 *
 * The function may only put and delete objects under the prefixes of the three
 * tables it writes; it cannot read or list the lake.
 */
import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { TableSchema } from '../../src/lake/table-schema.js';
import { STREAM_TRANSFORM_TABLES as WRITTEN_TABLES } from '../../src/catalog.js';
import { BATCH_MARKER_PREFIX } from '../../src/lake/layout.js';
import { namePrefix, type TicklakeConfig } from '../config.js';
import { MSK_WILDCARD_REASON, StreamSubscription, type StreamSafetySettings, streamSourceFor } from '../constructs/stream-subscription.js';
import { TicklakeFunction } from '../constructs/ticklake-function.js';
import { tablePrefix } from '../lake-layout.js';
import { grantObjectKeys } from '../nag.js';
import { STREAM_TRANSFORM_ENTRY } from '../paths.js';
import type { MskIngestion } from './ingestion-stack.js';

/**
 * The lake tables the stream transform writes (and nothing else), as the
 * transform itself declares them; test/infra/ingestion-processing.test.ts runs
 * the transform and compares what it touches with these grants.
 */
export const STREAM_TRANSFORM_TABLES: readonly TableSchema[] = WRITTEN_TABLES;

/** Powertools service name of the stream transform (metrics dimension `service`). */
export const STREAM_TRANSFORM_SERVICE = 'stream-transform';

export interface ProcessingStackProps extends StackProps {
  readonly config: TicklakeConfig;
  /** Name of the lake bucket (see lakeBucketName); addressed by name, not by export. */
  readonly lakeBucketName: string;
  readonly stream?: kinesis.IStream;
  readonly msk?: MskIngestion;
  /** Override the handler entry (tests); defaults to lambdas/stream-transform/handler.ts. */
  readonly entry?: string;
}

export class ProcessingStack extends Stack {
  readonly transform: TicklakeFunction;
  readonly deadLetterQueue: sqs.IQueue;
  readonly eventSource: StreamSafetySettings;

  constructor(scope: Construct, id: string, props: ProcessingStackProps) {
    super(scope, id, props);
    const { config } = props;
    const prefix = namePrefix(config);
    const functionName = `${prefix}-stream-transform`;

    this.transform = new TicklakeFunction(this, 'StreamTransform', {
      config,
      entry: props.entry ?? STREAM_TRANSFORM_ENTRY,
      functionName,
      description: 'Validates and enriches stream records and writes them to the lake as Parquet (raw, curated, quarantine)',
      serviceName: STREAM_TRANSFORM_SERVICE,
      memorySize: config.transformMemoryMb,
      timeout: Duration.seconds(config.transformTimeoutSeconds),
      environment: { LAKE_BUCKET: props.lakeBucketName },
      wildcardResourceReason: config.ingestion === 'msk' ? MSK_WILDCARD_REASON : undefined,
    });

    const lake = s3.Bucket.fromBucketName(this, 'LakeBucket', props.lakeBucketName);
    for (const table of STREAM_TRANSFORM_TABLES) {
      // PutObject writes a batch's files; DeleteObject removes the files of a superseded or half-written attempt.
      grantObjectKeys(
        this.transform.role,
        lake,
        `${tablePrefix(table)}*`,
        ['s3:PutObject', 's3:DeleteObject'],
        `Object-level S3 permissions need a key pattern: PutObject/DeleteObject are limited to the ${table.name} table prefix (${tablePrefix(table)}) of the lake bucket; no read of table data, no other prefixes`,
      );
    }
    // Batch markers: read the previous attempt's marker, write this attempt's.
    grantObjectKeys(
      this.transform.role,
      lake,
      `${BATCH_MARKER_PREFIX}*`,
      ['s3:GetObject', 's3:PutObject'],
      `Object-level S3 permissions need a key pattern: the transform reads and writes only its small per-batch marker files under ${BATCH_MARKER_PREFIX}, never table data`,
    );
    // Without ListBucket, GetObject of a marker that does not exist yet answers 403
    // instead of 404 (NoSuchKey), and every first attempt at a batch would fail.
    iam.Grant.addToPrincipal({ grantee: this.transform.role, actions: ['s3:ListBucket'], resourceArns: [lake.bucketArn] });

    const subscription = new StreamSubscription(this, 'Source', {
      config,
      function: this.transform.function,
      source: streamSourceFor(config, functionName, props),
      deadLetterQueueName: `${functionName}-dead-letters`,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.deadLetterQueue = subscription.deadLetterQueue;
    this.eventSource = subscription.settings;
  }
}
