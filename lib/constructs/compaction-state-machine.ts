/**
 * The cloud compaction: four functions (list, plan, commit, delete) and the
 * state machine of `src/adapters/workflows/compaction-workflow.ts`, which runs
 * each partition's UNLOAD on the project workgroup, started by an EventBridge
 * Scheduler schedule (`compactionSchedule`, hourly by default) over the last
 * two days of partitions.
 *
 * Grants are exact and made here, not by the Step Functions constructs (whose
 * Athena task would grant S3 on every bucket and Glue writes on the whole
 * database): the state machine's role is handed to the state machine without
 * policy updates, and gets only
 *
 * - lambda:InvokeFunction on the four functions;
 * - athena:StartQueryExecution/GetQueryExecution/StopQueryExecution on the workgroup;
 * - Glue: read the catalog, the files database and the physical compactable
 *   tables in it (nothing else): the statements run there, on the tables
 *   themselves, not on the exact-read views of the main database;
 * - S3, which Athena uses with the caller's credentials: read the compactable
 *   tables' objects, write the staging prefix `_compaction/runs/`, and the
 *   workgroup's result prefix of the results bucket;
 * - log delivery and X-Ray (no resource-level permissions exist for those).
 *
 * The list and plan functions only list the lake and read manifests (the plan
 * function also reads backfill publication markers and writes its lists of
 * replaced files to the staging prefix); the
 * commit function writes manifests, copies staged files into the compactable
 * tables and deletes what they replace; the delete function deletes, and puts
 * a table's manifest again when its replaced files are gone.
 *
 * The schedule passes `graceMs` (`compactionGraceMinutes`): replaced files are
 * deleted only when no Athena query that listed them before their generation
 * became visible can still run.
 */
import { Duration, TimeZone } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { COMPACTION_COMMENT, COMPACTION_TIMEOUT, compactionDefinition } from '../../src/adapters/workflows/compaction-workflow.js';
import { compactableTables } from '../../src/catalog.js';
import { COMPACTION_MANIFEST_PREFIX, manifestTablePrefix } from '../../src/lake/compaction.js';
import { COMPACTION_RUNS_PREFIX } from '../../src/lake/compaction-steps.js';
import { BACKFILL_MARKERS_PREFIX } from '../../src/lake/layout.js';
import { filesDatabaseName } from '../catalog/exact-read-views.js';
import { grantLakeRead } from '../catalog/lake-read-grants.js';
import { namePrefix, type TicklakeConfig } from '../config.js';
import { tablePrefix } from '../lake-layout.js';
import { COMPACTION_ENTRIES } from '../paths.js';
import { athenaStateMachine, athenaWorkflowRole, grantBucketLevel, grantObjects } from './athena-workflow.js';
import { TicklakeFunction } from './ticklake-function.js';

/** Partitions the state machine compacts at once (Athena's default active DML quota is 25 per account and region). */
export const COMPACTION_MAX_CONCURRENCY = 4;

/** Days of partitions a scheduled run looks at (a manual run without `lookbackDays` looks at all). */
export const SCHEDULED_LOOKBACK_DAYS = 2;

export interface CompactionStateMachineProps {
  readonly config: TicklakeConfig;
  readonly lakeBucket: s3.IBucket;
  readonly athenaResultsBucket: s3.IBucket;
  /** The workgroup's enforced result prefix in the results bucket. */
  readonly athenaResultsPrefix: string;
  readonly databaseName: string;
  readonly workGroupName: string;
  /** The schedule's group and dead-letter queue (shared with the other schedules). */
  readonly scheduleGroup: scheduler.IScheduleGroup;
  readonly deadLetterQueue: sqs.IQueue;
}

const NO_DLQ =
  'Invoked only synchronously by a Step Functions Task state of the compaction, which records every failure in the execution history (and the next run plans the partition again); an asynchronous dead-letter queue would never receive anything';

export class CompactionStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly role: iam.Role;
  readonly schedule: scheduler.Schedule;
  readonly functions: {
    readonly list: TicklakeFunction;
    readonly plan: TicklakeFunction;
    readonly commit: TicklakeFunction;
    readonly delete: TicklakeFunction;
  };

  constructor(scope: Construct, id: string, props: CompactionStateMachineProps) {
    super(scope, id);
    const { config, lakeBucket: lake } = props;
    const prefix = namePrefix(config);
    // The grace period also applies to runs started by hand without `graceMs` (ListClosedPartitions reads it).
    const environment = {
      LAKE_BUCKET: lake.bucketName,
      COMPACTION_MAX_CONCURRENCY: String(COMPACTION_MAX_CONCURRENCY),
      COMPACTION_GRACE_MS: String(config.compactionGraceMinutes * 60_000),
    };
    const fn = (name: keyof typeof COMPACTION_ENTRIES, description: string, timeout: Duration) =>
      new TicklakeFunction(this, name, {
        config,
        entry: COMPACTION_ENTRIES[name],
        functionName: `${prefix}-compaction-${name}`,
        description,
        serviceName: `compaction-${name}`,
        memorySize: 512,
        timeout,
        environment,
        noDeadLetterQueueReason: NO_DLQ,
      });
    this.functions = {
      list: fn('list', 'Compaction: lists the partitions and manifests of the lake tables, keeps those with work to do', Duration.minutes(10)),
      plan: fn('plan', "Compaction: one partition's manifests, then its listing; the files to merge and the Athena statement", Duration.minutes(2)),
      commit: fn('commit', 'Compaction: the manifest, then the replaced files out and the staged file in', Duration.minutes(5)),
      delete: fn('delete', 'Compaction: deletes replaced files after the grace period and spent manifests', Duration.minutes(10)),
    };

    const tables = compactableTables();
    const objects = grantObjects;
    const bucketLevel = grantBucketLevel;
    const manifests = `${COMPACTION_MANIFEST_PREFIX}*`;
    const runs = `${COMPACTION_RUNS_PREFIX}*`;

    for (const f of [this.functions.list, this.functions.plan]) {
      bucketLevel(f.role, lake, ['s3:ListBucket']);
      objects(f.role, lake, manifests, ['s3:GetObject'], 'lake bucket: the compaction manifests, read to plan');
    }
    objects(
      this.functions.plan.role,
      lake,
      runs,
      ['s3:PutObject'],
      "lake bucket: the run's staging area, where a plan's lists of replaced files are kept (they outgrow the state)",
    );
    // Every step that plans a partition reads the backfill publication markers: an hour a backfill is still publishing
    // into waits, and a file backfilled again after its hour was compacted is merged again, never deleted as replaced.
    for (const f of [this.functions.list, this.functions.plan, this.functions.delete])
      objects(
        f.role,
        lake,
        `${BACKFILL_MARKERS_PREFIX}*`,
        ['s3:GetObject'],
        'lake bucket: the backfill publication markers (an hour a backfill is publishing into waits; a file backfilled again is merged again)',
      );
    const commitRole = this.functions.commit.role;
    bucketLevel(commitRole, lake, ['s3:ListBucket']);
    objects(
      commitRole,
      lake,
      manifests,
      ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      'lake bucket: the compaction manifests (written, read to resume) and the staged files (copied into the tables, then deleted)',
    );
    const deleteRole = this.functions.delete.role;
    bucketLevel(deleteRole, lake, ['s3:ListBucket']);
    objects(deleteRole, lake, manifests, ['s3:GetObject', 's3:DeleteObject'], 'lake bucket: the compaction manifests, read and dropped once spent');
    for (const table of tables) {
      const keys = `${tablePrefix(table)}*`;
      objects(
        commitRole,
        lake,
        keys,
        ['s3:PutObject', 's3:DeleteObject'],
        `lake bucket: the ${table.name} table, whose partitions the compacted file replaces (copied in, replaced files deleted)`,
      );
      objects(deleteRole, lake, keys, ['s3:DeleteObject'], `lake bucket: the ${table.name} table, whose replaced files are deleted after the grace period`);
      objects(
        deleteRole,
        lake,
        `${manifestTablePrefix(table)}*`,
        ['s3:PutObject'],
        `lake bucket: the ${table.name} table's compaction manifests, put again to record that a generation's replaced files are gone`,
      );
    }

    // The state machine's role: exact grants only (see the file comment).
    this.role = athenaWorkflowRole(this, 'Role', {
      description: `Execution role of ${prefix}-compaction: invokes the compaction functions, runs Athena on the ${props.workGroupName} workgroup over the lake tables`,
      functions: Object.values(this.functions).map((f) => f.function),
      workGroupName: props.workGroupName,
      lakeBucket: lake,
      athenaResultsBucket: props.athenaResultsBucket,
      athenaResultsPrefix: props.athenaResultsPrefix,
    });
    const role = this.role;
    // Its statements name the physical tables (with "$path"), which only the files database has.
    grantLakeRead(role, {
      databaseName: props.databaseName,
      lakeBucket: lake,
      relations: tables.map((t) => t.name),
      through: 'files',
      reader: "the compaction's statements (the physical tables of the files database)",
    });
    objects(
      role,
      lake,
      runs,
      ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      "lake bucket: Athena writes each partition's UNLOAD output to the run's staging prefix with the caller credentials",
    );

    const name = `${prefix}-compaction`;
    this.stateMachine = athenaStateMachine(this, {
      config,
      name,
      comment: COMPACTION_COMMENT,
      definition: compactionDefinition(this, {
        list: this.functions.list.function,
        plan: this.functions.plan.function,
        commit: this.functions.commit.function,
        deleteReplaced: this.functions.delete.function,
        workGroup: props.workGroupName,
        database: filesDatabaseName(props.databaseName),
      }),
      timeout: COMPACTION_TIMEOUT,
      role,
    });

    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      scheduleName: `${prefix}-compaction`,
      scheduleGroup: props.scheduleGroup,
      description: 'Compacts the closed hour partitions of the last two days',
      schedule: scheduler.ScheduleExpression.expression(config.compactionSchedule, TimeZone.of(config.scheduleTimeZone)),
      enabled: config.schedulesEnabled,
      timeWindow: scheduler.TimeWindow.off(),
      target: new targets.StepFunctionsStartExecution(this.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject({
          trigger: 'compaction',
          scheduledTime: scheduler.ContextAttribute.scheduledTime,
          lookbackDays: SCHEDULED_LOOKBACK_DAYS,
          graceMs: config.compactionGraceMinutes * 60_000,
        }),
        deadLetterQueue: props.deadLetterQueue,
        retryAttempts: 3,
        maxEventAge: Duration.hours(1),
      }),
    });
  }
}
