/**
 * The cloud backfill: three functions (stage, render, publish) and the state
 * machine of `src/adapters/workflows/backfill-workflow.ts`, which runs the Athena
 * statements on the project workgroup.
 *
 * Grants are exact and made here, not by the Step Functions constructs (whose
 * Athena task would grant S3 on every bucket and Glue writes on the whole
 * database): the state machine's role is handed to the state machine without
 * policy updates, and gets only
 *
 * - lambda:InvokeFunction on the three functions;
 * - athena:StartQueryExecution/GetQueryExecution/StopQueryExecution on the workgroup;
 * - Glue: read the catalog and the database, create/read/delete the per-run
 *   `backfill_lines_*` tables (nothing else);
 * - S3, which Athena uses with the caller's credentials: read and write the
 *   staging prefix `_backfill/runs/` of the lake bucket, and the workgroup's
 *   result prefix of the results bucket;
 * - log delivery and X-Ray (no resource-level permissions exist for those).
 */
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { BACKFILL_MARKERS_PREFIX, BACKFILL_RUNS_PREFIX, BACKFILL_UPLOAD_PREFIX } from '../../src/backfill/plan.js';
import { BACKFILL_TABLES } from '../../src/sources/binance-trades/backfill-job.js';
import { namePrefix, type TicklakeConfig } from '../config.js';
import { tablePrefix } from '../lake-layout.js';
import { acknowledge, wildcardResourceFinding } from '../nag.js';
import { BACKFILL_COMMENT, BACKFILL_TIMEOUT, backfillDefinition } from '../../src/adapters/workflows/backfill-workflow.js';
import { BACKFILL_ENTRIES } from '../paths.js';
import { athenaStateMachine, athenaWorkflowRole, grantBucketLevel, grantObjects } from './athena-workflow.js';
import { TicklakeFunction } from './ticklake-function.js';

/** Prefix of the per-run lines tables in the Glue database. */
export const BACKFILL_TABLE_PREFIX = 'backfill_lines_';

/** Files the state machine processes at once (Athena's default active DML quota is 25 per account and region). */
export const BACKFILL_MAX_CONCURRENCY = 4;

export interface BackfillStateMachineProps {
  readonly config: TicklakeConfig;
  readonly lakeBucket: s3.IBucket;
  readonly athenaResultsBucket: s3.IBucket;
  /** The workgroup's enforced result prefix in the results bucket. */
  readonly athenaResultsPrefix: string;
  readonly databaseName: string;
  readonly workGroupName: string;
}

const NO_DLQ =
  'Invoked only synchronously by a Step Functions Task state of the backfill, which retries transient Lambda errors and records every failure in the execution history; an asynchronous dead-letter queue would never receive anything';

export class BackfillStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly role: iam.Role;
  readonly functions: { readonly stage: TicklakeFunction; readonly render: TicklakeFunction; readonly publish: TicklakeFunction };

  constructor(scope: Construct, id: string, props: BackfillStateMachineProps) {
    super(scope, id);
    const { config, lakeBucket: lake } = props;
    const prefix = namePrefix(config);
    const stack = Stack.of(this);
    const fn = (name: string, description: string, memorySize: number, timeout: Duration, environment: Record<string, string>) =>
      new TicklakeFunction(this, name, {
        config,
        entry: BACKFILL_ENTRIES[name.toLowerCase() as keyof typeof BACKFILL_ENTRIES],
        functionName: `${prefix}-backfill-${name.toLowerCase()}`,
        description,
        serviceName: `backfill-${name.toLowerCase()}`,
        memorySize,
        timeout,
        environment,
        noDeadLetterQueueReason: NO_DLQ,
      });
    this.functions = {
      stage: fn('Stage', 'Backfill: stages the uploaded Binance trade files for Athena (zip streamed to gzip)', 1769, Duration.minutes(15), {
        LAKE_BUCKET: lake.bucketName,
        BACKFILL_MAX_CONCURRENCY: String(BACKFILL_MAX_CONCURRENCY),
      }),
      render: fn('Render', "Backfill: renders one file's Athena statements from the shared SQL definitions", 256, Duration.minutes(1), {}),
      publish: fn('Publish', 'Backfill: publishes the staged Parquet into the lake tables, idempotently per file', 512, Duration.minutes(15), {
        LAKE_BUCKET: lake.bucketName,
      }),
    };

    const objects = grantObjects;
    const bucketLevel = grantBucketLevel;
    const runs = `${BACKFILL_RUNS_PREFIX}*`;

    const stageRole = this.functions.stage.role;
    bucketLevel(stageRole, lake, ['s3:ListBucket']);
    objects(stageRole, lake, `${BACKFILL_UPLOAD_PREFIX}*`, ['s3:GetObject'], 'lake bucket: the uploaded trade files, read (and copied) as they are');
    objects(
      stageRole,
      lake,
      runs,
      ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
      "lake bucket: the run's staging prefix, cleared and refilled by each attempt",
    );

    const publishRole = this.functions.publish.role;
    bucketLevel(publishRole, lake, ['s3:ListBucket']);
    objects(publishRole, lake, runs, ['s3:GetObject', 's3:DeleteObject'], 'lake bucket: the staged Parquet, copied into the tables, then deleted');
    objects(publishRole, lake, `${BACKFILL_MARKERS_PREFIX}*`, ['s3:GetObject', 's3:PutObject'], 'lake bucket: one publication marker per backfilled file');
    for (const table of BACKFILL_TABLES) {
      objects(
        publishRole,
        lake,
        `${tablePrefix(table)}*/backfill-*`,
        ['s3:PutObject', 's3:DeleteObject'],
        `lake bucket: the ${table.name} objects a backfill publishes (named backfill-<file>-<n>.parquet in any dt=/hour= partition), nothing the stream writes`,
      );
    }

    // The state machine's role: exact grants only (see the file comment).
    this.role = athenaWorkflowRole(this, 'Role', {
      description: `Execution role of ${prefix}-backfill: invokes the backfill functions, runs Athena on the ${props.workGroupName} workgroup over the staging prefix`,
      functions: Object.values(this.functions).map((f) => f.function),
      workGroupName: props.workGroupName,
      lakeBucket: lake,
      athenaResultsBucket: props.athenaResultsBucket,
      athenaResultsPrefix: props.athenaResultsPrefix,
    });
    const role = this.role;
    const linesTables = stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${props.databaseName}/${BACKFILL_TABLE_PREFIX}*` });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['glue:GetDatabase'],
        resources: [
          stack.formatArn({ service: 'glue', resource: 'catalog', arnFormat: ArnFormat.NO_RESOURCE_NAME }),
          stack.formatArn({ service: 'glue', resource: 'database', resourceName: props.databaseName }),
        ],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['glue:CreateTable', 'glue:GetTable', 'glue:DeleteTable', 'glue:GetPartitions'],
        resources: [
          stack.formatArn({ service: 'glue', resource: 'catalog', arnFormat: ArnFormat.NO_RESOURCE_NAME }),
          stack.formatArn({ service: 'glue', resource: 'database', resourceName: props.databaseName }),
          linesTables,
        ],
      }),
    );
    acknowledge(
      role,
      wildcardResourceFinding(this, linesTables),
      `Glue create/read/delete of the per-run lines tables only (${BACKFILL_TABLE_PREFIX}<run>_<file>), whose names carry the execution name`,
    );
    objects(
      role,
      lake,
      runs,
      ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      'lake bucket: Athena reads the staged lines and writes the UNLOAD output there with the caller credentials',
    );

    const name = `${prefix}-backfill`;
    const definition = backfillDefinition(this, {
      stage: this.functions.stage.function,
      render: this.functions.render.function,
      publish: this.functions.publish.function,
      workGroup: props.workGroupName,
      database: props.databaseName,
    });
    this.stateMachine = athenaStateMachine(this, { config, name, comment: BACKFILL_COMMENT, definition, timeout: BACKFILL_TIMEOUT, role });
  }
}
