/**
 * The enriched publisher in the cloud (`enrichedPublisher`, off by default):
 * a one-minute EventBridge Scheduler schedule invokes one function
 * (`lambdas/enriched-publisher/handler.ts`) that puts the chosen sources'
 * closed results (closed category minutes, closed TV views) on the enriched
 * stream, by the rule `ticklake up` runs locally (src/enriched/closed-results.ts).
 *
 * Schedule, retries, asynchronous-invocation limits, dead-letter queue and
 * `kinesis:PutRecords` on the one stream (here the enriched stream) are those
 * of every scheduled stream function ({@link addScheduledStreamFunction}); one
 * tick runs at a time (reserved concurrency 1: one writer of the state).
 *
 * Grants, nothing else of the data: Athena on the ticklake workgroup; what
 * an Athena reader of the tables the chosen sources' queries read needs
 * ({@link grantLakeRead}: Glue reads of them and of what their exact-read
 * views read, `GetObject` under their prefixes and their manifests'); the
 * workgroup's result prefix; `GetObject` and
 * `PutObject` on the one state object and `ListBucket` of that key only (so a
 * first tick reads "no state" as 404, not 403).
 */
import { join } from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENRICHED_RESULT_SOURCES, type EnrichedResultSource } from '../../src/enriched/lake-queries.js';
import { grantLakeRead } from '../catalog/lake-read-grants.js';
import type { TicklakeConfig } from '../config.js';
import { PROJECT_ROOT } from '../paths.js';
import { grantBucketLevel, grantObjects } from './athena-workflow.js';
import { addScheduledStreamFunction } from './scheduled-stream-function.js';
import type { TicklakeFunction } from './ticklake-function.js';

/** The function's entry. */
export const ENRICHED_PUBLISHER_ENTRY = join(PROJECT_ROOT, 'lambdas', 'enriched-publisher', 'handler.ts');

/** Powertools service name of the function (metrics dimension `service`). */
export const ENRICHED_PUBLISHER_SERVICE = 'enriched-publisher';

/** Key of the publisher's one state object in the model-artifact bucket. */
export const ENRICHED_PUBLISHER_STATE_KEY = 'enriched-publisher/state.json';

export interface EnrichedPublisherProps {
  readonly config: TicklakeConfig;
  /** The sources whose closed results are put (at least one). */
  readonly sources: readonly EnrichedResultSource[];
  /** The enriched stream, by name (it lives in the ingestion stack). */
  readonly streamName: string;
  readonly lakeBucket: s3.IBucket;
  readonly athenaResultsBucket: s3.IBucket;
  /** The workgroup's enforced result prefix in the results bucket. */
  readonly athenaResultsPrefix: string;
  /** Where the state object lives (the model-artifact bucket). */
  readonly stateBucket: s3.IBucket;
  readonly databaseName: string;
  readonly workGroupName: string;
  readonly scheduleGroup: scheduler.IScheduleGroup;
  /** Where failed deliveries and failed invocations end (the schedule dead-letter queue). */
  readonly deadLetterQueue: sqs.IQueue;
  /** Entry override (tests). */
  readonly entry?: string;
}

export class EnrichedPublisher extends Construct {
  readonly function: TicklakeFunction;
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: EnrichedPublisherProps) {
    super(scope, id);
    const sources = [...new Set(props.sources)];
    if (sources.length === 0) throw new Error('the enriched publisher needs at least one source (engagement, viewing)');
    const tables = [...new Set(sources.flatMap((s) => ENRICHED_RESULT_SOURCES[s].reads))];
    const kinds = sources.map((s) => ENRICHED_RESULT_SOURCES[s].kind);
    const made = addScheduledStreamFunction(this, {
      config: props.config,
      name: 'enriched-publisher',
      entry: props.entry ?? ENRICHED_PUBLISHER_ENTRY,
      description: `Puts the closed ${kinds.join(', ')} results of the lake on the enriched stream every minute`,
      serviceName: ENRICHED_PUBLISHER_SERVICE,
      memorySize: 512,
      // A tick is a few Athena queries; inside its minute, so ticks do not pile up.
      timeout: Duration.seconds(55),
      environment: {
        ENRICHED_SOURCES: sources.join(','),
        GLUE_DATABASE: props.databaseName,
        ATHENA_WORKGROUP: props.workGroupName,
        STATE_BUCKET: props.stateBucket.bucketName,
        STATE_KEY: ENRICHED_PUBLISHER_STATE_KEY,
      },
      noDeadLetterQueueReason:
        "Invoked asynchronously by its schedule only; failed ticks go to the asynchronous invocation config's on-failure destination (the schedule dead-letter queue), and the next tick catches up from the saved state",
      intervalMs: 60_000,
      scheduleDescription: `Puts the closed ${kinds.join(', ')} results on the enriched stream every minute`,
      scheduleLabel: 'the enriched publisher schedule',
      streamName: props.streamName,
      scheduleGroup: props.scheduleGroup,
      deadLetterQueue: props.deadLetterQueue,
    });
    this.function = made.function;
    this.schedule = made.schedule;
    // One writer of the state document at a time (a late tick waits in Lambda's queue).
    (made.function.function.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions = 1;

    const role = made.function.role;
    const stack = Stack.of(this);
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults'],
      resourceArns: [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: props.workGroupName })],
    });
    grantLakeRead(role, {
      databaseName: props.databaseName,
      lakeBucket: props.lakeBucket,
      relations: tables,
      reader: "the enriched publisher's closed-result queries",
    });
    grantObjects(
      role,
      props.athenaResultsBucket,
      `${props.athenaResultsPrefix}*`,
      ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      "Athena results bucket: the workgroup's enforced result prefix, one object per query id (Athena writes and reads the results with the caller's credentials)",
    );
    grantBucketLevel(role, props.athenaResultsBucket, ['s3:ListBucket', 's3:GetBucketLocation', 's3:ListBucketMultipartUploads']);
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['s3:GetObject', 's3:PutObject'],
      resourceArns: [props.stateBucket.arnForObjects(ENRICHED_PUBLISHER_STATE_KEY)],
    });
    // Listing only its own key: all a HEAD/GET of a missing object needs to answer 404.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [props.stateBucket.bucketArn],
        conditions: { StringEquals: { 's3:prefix': [ENRICHED_PUBLISHER_STATE_KEY] } },
      }),
    );
  }
}
