/**
 * The compaction state machine, defined once with the CDK's Step Functions
 * constructs: the orchestration stack deploys it with its functions, the
 * project's Athena workgroup and an EventBridge Scheduler schedule, and the
 * local runtime (`src/local/compaction.ts`: `ticklake compact`, and `ticklake up`
 * every few minutes) runs the very same document ({@link localCompactionDefinition})
 * with every Task overridden by state name (CompactPartition then runs the
 * DuckDB rendering of the statement).
 *
 * ```
 * StartCompaction → ListClosedPartitions → CompactPartitions (Map over the partitions, MaxConcurrencyPath:
 *     PlanPartition → WhatToDo? ─ merge  → CompactPartition (Athena UNLOAD │ DuckDB COPY) → CommitPartition
 *                                          → HasDerivedTable? ─ yes → CompactDerived → CommitDerived → PartitionDone
 *                                                             └ no  → PartitionDone
 *                               ├ resume → CommitPartition (a publication a crash interrupted) → PartitionDone
 *                               ├ derive → CompactDerived → CommitDerived (a derived partition a failed run left behind)
 *                               └ none   → PartitionDone
 *     any error → PartitionFailed)
 *   → DeleteReplaced → AllCompacted? ─ yes → CompactionSucceeded
 *                                    └ no  → SomePartitionsFailed (Fail)
 * ListClosedPartitions, CompactPartitions or DeleteReplaced failing → CompactionFailed (Fail)
 * ```
 *
 * The steps are `src/lake/compaction-steps.ts`; every one is idempotent, and a
 * failed one is left to the next run (which plans again, and finishes an
 * interrupted publication first) rather than retried here. The Athena statement does not
 * retry a failed query (Athena leaves a failed statement's partial output
 * behind, and UNLOAD wants an empty location): the partition ends as failed
 * and the next run plans it again under a new staging prefix.
 */
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { AslDefinition } from '../../orchestration/asl.js';
import { endOfRun, lambdaStep, renderLocalDefinition, startOfRun } from './local-definition.js';

/** State names (the local runtime overrides Task states by these names). */
export const COMPACTION_STATES = {
  start: 'StartCompaction',
  list: 'ListClosedPartitions',
  partitions: 'CompactPartitions',
  plan: 'PlanPartition',
  whatToDo: 'WhatToDo',
  compact: 'CompactPartition',
  commit: 'CommitPartition',
  hasDerived: 'HasDerivedTable',
  compactDerived: 'CompactDerived',
  commitDerived: 'CommitDerived',
  done: 'PartitionDone',
  partitionFailed: 'PartitionFailed',
  deleteReplaced: 'DeleteReplaced',
  allCompacted: 'AllCompacted',
  succeeded: 'CompactionSucceeded',
  partitionsFailed: 'SomePartitionsFailed',
  failed: 'CompactionFailed',
} as const;

/** Error names a failed run ends with. */
export const COMPACTION_ERRORS = {
  failed: 'ticklake.CompactionFailed',
  partitionsFailed: 'ticklake.CompactionPartitionsFailed',
} as const;

export const COMPACTION_COMMENT =
  'ticklake compaction: each closed hour partition of each table rewritten into one Parquet file, each natural key once, sorted by it; replaced files deleted after the grace period';

/** A run's time limit. */
export const COMPACTION_TIMEOUT = Duration.hours(2);

export interface CompactionTargets {
  /** `lambdas/compaction/list.ts` */
  readonly list: lambda.IFunction;
  /** `lambdas/compaction/plan.ts` */
  readonly plan: lambda.IFunction;
  /** `lambdas/compaction/commit.ts` */
  readonly commit: lambda.IFunction;
  /** `lambdas/compaction/delete.ts` */
  readonly deleteReplaced: lambda.IFunction;
  readonly workGroup: string;
  readonly database: string;
}

const THROTTLED = ['Athena.TooManyRequestsException'];

/** Builds the definition's states in `scope` (state names are construct ids, so one definition per scope). */
export function compactionDefinition(scope: Construct, t: CompactionTargets): sfn.IChainable {
  const s = COMPACTION_STATES;
  const J = sfn.JsonPath;
  const invoke = (id: string, fn: lambda.IFunction, comment: string, timeout: Duration, resultPath: string, payload?: sfn.TaskInput) =>
    lambdaStep(scope, id, { fn, comment, timeout, resultPath, ...(payload ? { payload } : {}) });

  const start = startOfRun(
    scope,
    s.start,
    'Keeps the request ({tables?, olderThanMs?, graceMs?, lookbackDays?, processingTime? or scheduledTime?}) with the execution name (the run id) and start time',
  );
  const list = invoke(
    s.list,
    t.list,
    'Lists the partitions of the selected tables and their manifests; keeps those with a merge, deletes or a publication to finish, oldest first',
    Duration.minutes(10),
    '$.listed',
  );

  // One partition.
  const plan = invoke(s.plan, t.plan, "Reads the partition's manifests, then lists it; the files to merge and the statement", Duration.minutes(2), '$.plan');
  const athena = (id: string, comment: string, query: string) => {
    const task = new tasks.AthenaStartQueryExecution(scope, id, {
      comment,
      queryString: J.stringAt(query),
      queryExecutionContext: { databaseName: t.database },
      workGroup: t.workGroup,
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      resultPath: J.DISCARD,
      taskTimeout: sfn.Timeout.duration(Duration.minutes(30)),
    });
    task.addRetry({ errors: THROTTLED, interval: Duration.seconds(5), maxAttempts: 6, backoffRate: 2 });
    return task;
  };
  const compact = athena(
    s.compact,
    "Writes the partition's files, each natural key once and sorted by it, as Parquet to the run's staging prefix",
    '$.plan.sql.compact',
  );
  const commit = invoke(
    s.commit,
    t.commit,
    "Writes the manifest (with the files it replaces, from the plan's list), then puts the staged file in place (in the cloud: then makes the manifest visible)",
    Duration.minutes(5),
    '$.committed',
    sfn.TaskInput.fromObject({ run: J.objectAt('$.run'), item: J.objectAt('$.item'), plan: J.objectAt('$.plan') }),
  );
  const outcome = (ok: boolean) => ({
    table: J.stringAt('$.item.table'),
    partition: J.stringAt('$.item.partition'),
    ok,
    ...(ok ? {} : { error: J.objectAt('$.error') }),
  });
  const done = new sfn.Pass(scope, s.done, { parameters: outcome(true) });
  const partitionFailed = new sfn.Pass(scope, s.partitionFailed, {
    comment: 'Reports the failed partition; readers still see it exactly (the protocol), and the next run plans it again',
    parameters: outcome(false),
  });
  const compactDerived = athena(
    s.compactDerived,
    "Recomputes the derived table's partition (bar_partials) from the new generation: a record put twice is counted once",
    '$.plan.derived.sql.compact',
  );
  const commitDerived = invoke(
    s.commitDerived,
    t.commit,
    "Writes the derived partition's manifest, then puts its staged file in place",
    Duration.minutes(5),
    '$.committedDerived',
    sfn.TaskInput.fromObject({
      run: J.objectAt('$.run'),
      item: { index: J.numberAt('$.item.index'), table: J.stringAt('$.plan.derived.table'), partition: J.stringAt('$.item.partition') },
      plan: J.objectAt('$.plan.derived'),
    }),
  );
  for (const step of [plan, compact, commit, compactDerived, commitDerived]) step.addCatch(partitionFailed, { resultPath: '$.error' });
  compact.next(commit);
  commit.next(new sfn.Choice(scope, s.hasDerived).when(sfn.Condition.isPresent('$.plan.derived'), compactDerived).otherwise(done));
  compactDerived.next(commitDerived);
  commitDerived.next(done);
  const whatToDo = new sfn.Choice(scope, s.whatToDo)
    .when(sfn.Condition.stringEquals('$.plan.action', 'merge'), compact)
    .when(sfn.Condition.stringEquals('$.plan.action', 'resume'), commit)
    .when(sfn.Condition.stringEquals('$.plan.action', 'derive'), compactDerived)
    .otherwise(done);

  const partitions = new sfn.Map(scope, s.partitions, {
    comment: 'One iteration per partition; a failed partition is reported, not thrown, so the others go on',
    itemsPath: '$.listed.partitions',
    itemSelector: { item: J.objectAt('$$.Map.Item.Value'), run: J.objectAt('$.listed.run') },
    maxConcurrencyPath: J.stringAt('$.listed.run.maxConcurrency'),
    resultPath: '$.results',
  });
  partitions.itemProcessor(plan.next(whatToDo));

  const deleteReplaced = invoke(
    s.deleteReplaced,
    t.deleteReplaced,
    'Deletes what earlier runs replaced once the grace period is over, then their spent manifests; counts the failed partitions',
    Duration.minutes(10),
    '$.deleted',
    sfn.TaskInput.fromObject({ run: J.objectAt('$.listed.run'), partitions: J.listAt('$.listed.partitions'), results: J.listAt('$.results') }),
  );
  const allCompacted = endOfRun(scope, {
    steps: [list, partitions, deleteReplaced],
    failed: { id: s.failed, error: COMPACTION_ERRORS.failed },
    check: s.allCompacted,
    someFailed: { id: s.partitionsFailed, error: COMPACTION_ERRORS.partitionsFailed, comment: 'The other partitions were compacted' },
    failedCountPath: '$.deleted.failedPartitions',
    failureSummaryPath: '$.deleted.failureSummary',
    succeeded: s.succeeded,
  });

  return start.next(list).next(partitions).next(deleteReplaced).next(allCompacted);
}

/** Placeholder function ARN of the local definition (every Task is overridden; nothing is invoked). */
const localFunctionArn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:ticklake-local-compaction-${name}`;

/** The definition as the local runtime runs it (placeholder ARNs, workgroup and database: every Task is overridden). */
export function localCompactionDefinition(): AslDefinition {
  return renderLocalDefinition('TicklakeLocalCompaction', COMPACTION_COMMENT, COMPACTION_TIMEOUT, (stack) => {
    const fn = (name: string) => lambda.Function.fromFunctionArn(stack, name, localFunctionArn(name));
    return compactionDefinition(stack, {
      list: fn('list'),
      plan: fn('plan'),
      commit: fn('commit'),
      deleteReplaced: fn('delete'),
      workGroup: 'ticklake-local',
      database: 'ticklake_local',
    });
  });
}
