/**
 * The backfill state machine, defined once with the CDK's Step Functions
 * constructs: the orchestration stack deploys it with the backfill functions
 * and the project's Athena workgroup, and the local runtime
 * (`src/local/backfill.ts`) runs the very same document
 * ({@link localBackfillDefinition}) with `aws-local-stepfunctions`, every Task
 * overridden by state name (the Athena tasks then run the DuckDB rendering of
 * the same statements).
 *
 * ```
 * StartBackfill → StageUploads → BackfillFiles (Map over the staged files, MaxConcurrencyPath:
 *     RenderStatements → CreateLinesTable → UnloadTrades → UnloadQuarantine → UnloadBarPartials
 *       → DropLinesTable → FileLoaded
 *     any error after the table exists → DropLinesTableAfterFailure → FileFailed;
 *     a rendering error → FileFailed)
 *   → PublishOutputs → AllFilesLoaded? ─ yes → BackfillSucceeded
 *                                       └ no  → SomeFilesFailed (Fail)
 * StageUploads, BackfillFiles or PublishOutputs failing → BackfillFailed (Fail)
 * ```
 *
 * Athena tasks run to completion (`.sync`), on the project workgroup (which
 * enforces the result location), in the project database. Every task retries
 * throttling with backoff; the lines-table DDL (idempotent: IF NOT EXISTS /
 * IF EXISTS) also retries failures. The UNLOADs do not retry a failed query:
 * Athena leaves a failed statement's partial output behind, so the file ends
 * as failed and a rerun (a new execution, a new staging prefix) redoes it.
 */
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { AslDefinition } from '../../orchestration/asl.js';
import { endOfRun, lambdaStep, renderLocalDefinition, startOfRun } from './local-definition.js';

/** State names (the local runtime overrides Task states by these names). */
export const BACKFILL_STATES = {
  start: 'StartBackfill',
  stage: 'StageUploads',
  files: 'BackfillFiles',
  render: 'RenderStatements',
  createLines: 'CreateLinesTable',
  trades: 'UnloadTrades',
  quarantine: 'UnloadQuarantine',
  barPartials: 'UnloadBarPartials',
  dropLines: 'DropLinesTable',
  fileLoaded: 'FileLoaded',
  dropAfterFailure: 'DropLinesTableAfterFailure',
  fileFailed: 'FileFailed',
  publish: 'PublishOutputs',
  allLoaded: 'AllFilesLoaded',
  succeeded: 'BackfillSucceeded',
  filesFailed: 'SomeFilesFailed',
  failed: 'BackfillFailed',
} as const;

/** The Athena states, each running one statement of `$.sql` (see `BackfillStatements`). */
export const BACKFILL_ATHENA_STATES = {
  [BACKFILL_STATES.createLines]: 'createLines',
  [BACKFILL_STATES.trades]: 'trades',
  [BACKFILL_STATES.quarantine]: 'quarantine',
  [BACKFILL_STATES.barPartials]: 'barPartials',
  [BACKFILL_STATES.dropLines]: 'dropLines',
  [BACKFILL_STATES.dropAfterFailure]: 'dropLines',
} as const;

/** Error names a failed run ends with. */
export const BACKFILL_ERRORS = {
  failed: 'ticklake.BackfillFailed',
  filesFailed: 'ticklake.BackfillFilesFailed',
} as const;

export const BACKFILL_COMMENT =
  'ticklake backfill: Binance trade files uploaded under raw/backfill/ -> trades, quarantine and bar_partials via Athena, published idempotently per file';

/** A run's time limit. */
export const BACKFILL_TIMEOUT = Duration.hours(6);

export interface BackfillTargets {
  /** `lambdas/backfill/stage.ts` */
  readonly stage: lambda.IFunction;
  /** `lambdas/backfill/render.ts` */
  readonly render: lambda.IFunction;
  /** `lambdas/backfill/publish.ts` */
  readonly publish: lambda.IFunction;
  readonly workGroup: string;
  readonly database: string;
}

const THROTTLED = ['Athena.TooManyRequestsException'];

/** Builds the definition's states in `scope` (state names are construct ids, so one definition per scope). */
export function backfillDefinition(scope: Construct, t: BackfillTargets): sfn.IChainable {
  const s = BACKFILL_STATES;
  const J = sfn.JsonPath;

  const athena = (id: keyof typeof BACKFILL_ATHENA_STATES, comment: string) => {
    const ddl = id === s.createLines || id === s.dropLines || id === s.dropAfterFailure;
    const task = new tasks.AthenaStartQueryExecution(scope, id, {
      comment,
      queryString: J.stringAt(`$.sql.${BACKFILL_ATHENA_STATES[id]}`),
      queryExecutionContext: { databaseName: t.database },
      workGroup: t.workGroup,
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      resultPath: J.DISCARD,
      taskTimeout: sfn.Timeout.duration(Duration.minutes(ddl ? 5 : 30)),
    });
    task.addRetry({ errors: THROTTLED, interval: Duration.seconds(5), maxAttempts: 6, backoffRate: 2 });
    if (ddl) task.addRetry({ errors: [sfn.Errors.TASKS_FAILED], interval: Duration.seconds(5), maxAttempts: 3, backoffRate: 2 });
    return task;
  };
  const invoke = (id: string, fn: lambda.IFunction, comment: string, timeout: Duration, resultPath: string, payload?: sfn.TaskInput) =>
    lambdaStep(scope, id, { fn, comment, timeout, resultPath, ...(payload ? { payload } : {}) });

  const start = startOfRun(scope, s.start, 'Keeps the request ({uploadPrefix, symbol?, processingTime?}) with the execution name (the run id) and start time');
  const stage = invoke(
    s.stage,
    t.stage,
    'Plans the files under uploadPrefix and stages their lines where Athena reads them (zips streamed to gzip)',
    Duration.minutes(15),
    '$.staged',
  );

  // One file.
  const render = invoke(
    s.render,
    t.render,
    "The file's statements, rendered with the Athena dialect from the shared definitions",
    Duration.minutes(1),
    '$.sql',
  );
  const create = athena(s.createLines, "Creates the run's external table over the file's staged lines");
  const trades = athena(s.trades, 'Writes the valid trades as Parquet partitioned by dt/hour (hour zero-padded) to the staging prefix');
  const quarantine = athena(s.quarantine, 'Writes the invalid lines with their reason codes to the staging prefix');
  const partials = athena(s.barPartials, 'Writes the minute-bar partials of the valid trades to the staging prefix');
  const drop = athena(s.dropLines, "Drops the run's lines table");
  const dropAfterFailure = athena(s.dropAfterFailure, "Drops the run's lines table after a failed statement");
  const outcome = (ok: boolean) => ({ index: J.numberAt('$.file.index'), key: J.stringAt('$.file.key'), ok, ...(ok ? {} : { error: J.objectAt('$.error') }) });
  const fileLoaded = new sfn.Pass(scope, s.fileLoaded, { parameters: outcome(true) });
  const fileFailed = new sfn.Pass(scope, s.fileFailed, {
    comment: 'Reports the failed file; the publish step leaves its earlier publication as it was',
    parameters: outcome(false),
  });
  render.addCatch(fileFailed, { resultPath: '$.error' });
  for (const step of [create, trades, quarantine, partials]) step.addCatch(dropAfterFailure, { resultPath: '$.error' });
  dropAfterFailure.next(fileFailed);

  const files = new sfn.Map(scope, s.files, {
    comment: 'One iteration per staged file; a failed file is reported, not thrown, so every iteration drops its own table',
    itemsPath: '$.staged.files',
    itemSelector: { file: J.objectAt('$$.Map.Item.Value'), run: J.objectAt('$.staged.run') },
    maxConcurrencyPath: J.stringAt('$.staged.run.maxConcurrency'),
    resultPath: '$.results',
  });
  files.itemProcessor(render.next(create).next(trades).next(quarantine).next(partials).next(drop).next(fileLoaded));

  const publish = invoke(
    s.publish,
    t.publish,
    'Moves the staged Parquet of the loaded files into the tables under deterministic names, replacing their earlier publication, and clears the staging prefix',
    Duration.minutes(15),
    '$.published',
    sfn.TaskInput.fromObject({ run: J.objectAt('$.staged.run'), files: J.listAt('$.staged.files'), results: J.listAt('$.results') }),
  );
  const allLoaded = endOfRun(scope, {
    steps: [stage, files, publish],
    failed: { id: s.failed, error: BACKFILL_ERRORS.failed },
    check: s.allLoaded,
    someFailed: { id: s.filesFailed, error: BACKFILL_ERRORS.filesFailed, comment: 'The other files were published' },
    failedCountPath: '$.published.failedFiles',
    failureSummaryPath: '$.published.failureSummary',
    succeeded: s.succeeded,
  });

  return start.next(stage).next(files).next(publish).next(allLoaded);
}

/** Placeholder function ARN of the local definition (every Task is overridden; nothing is invoked). */
export const localFunctionArn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:ticklake-local-backfill-${name}`;

/**
 * The definition as the local runtime runs it: the same states, rendered in a
 * throwaway stack with placeholder function ARNs, workgroup `ticklake-local`
 * and database `ticklake_local` (the Athena tasks are overridden, so neither
 * is used).
 */
export function localBackfillDefinition(): AslDefinition {
  return renderLocalDefinition('TicklakeLocalBackfill', BACKFILL_COMMENT, BACKFILL_TIMEOUT, (stack) => {
    const fn = (name: string) => lambda.Function.fromFunctionArn(stack, name, localFunctionArn(name));
    return backfillDefinition(stack, {
      stage: fn('stage'),
      render: fn('render'),
      publish: fn('publish'),
      workGroup: 'ticklake-local',
      database: 'ticklake_local',
    });
  });
}
