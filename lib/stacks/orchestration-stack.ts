/**
 * Orchestration: the forecasting functions (`lambdas/ml`), the weekly training
 * and daily evaluation state machines (definitions from
 * {@link weeklyTrainingDefinition} / {@link dailyEvaluationDefinition}, the
 * same documents the local runtime runs) and an EventBridge Scheduler schedule
 * for each, with retries and a dead-letter queue for start failures.
 *
 * Each function gets only what its step needs (see {@link ML_FUNCTIONS}): the
 * model store prefix of the model-artifact bucket, `PutObject` on the prefixes
 * of the lake tables it writes, and, for the steps that read bars, Athena on the
 * ticklake workgroup, Glue read of `bars_1m` / `bar_partials`, read of the
 * `bar_partials` files and read/write of the Athena results prefix. Each state
 * machine may invoke exactly the functions of its own workflow.
 *
 * It also holds the backfill state machine ({@link BackfillStateMachine}): Athena
 * over Binance files uploaded to the lake's raw zone, and, with `sourcePollers`,
 * each polled source's schedule and poller function ({@link SourcePoller}), and,
 * with `simulators`, the simulated producers' generator ({@link SimulatedProducers}),
 * and, with `enrichedPublisher`, the enriched publisher ({@link EnrichedPublisher}).
 */
import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, TimeZone } from 'aws-cdk-lib';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { TableSchema } from '../../src/lake/table-schema.js';
import { BAR_PARTIALS, BARS_1M } from '../../src/sources/binance-trades/tables.js';
import { CHAMPION_CHANGES, MODEL_EVALUATIONS, MODELS, PREDICTIONS } from '../../src/ml/table-schemas.js';
import type { EnrichedResultSource } from '../../src/enriched/lake-queries.js';
import type { AslDefinition } from '../../src/orchestration/asl.js';
import { namePrefix, type TicklakeConfig } from '../config.js';
import { grantLakeRead } from '../catalog/lake-read-grants.js';
import { BackfillStateMachine } from '../constructs/backfill-state-machine.js';
import { CompactionStateMachine } from '../constructs/compaction-state-machine.js';
import { EnrichedPublisher } from '../constructs/enriched-publisher.js';
import { SimulatedProducers } from '../constructs/simulated-producers.js';
import { SourcePoller } from '../constructs/source-poller.js';
import { TicklakeFunction } from '../constructs/ticklake-function.js';
import { grantTimeSeriesPoints, timeSeriesPointsClientEnvironment } from '../constructs/time-series-points.js';
import { tablePrefix } from '../lake-layout.js';
import { acknowledge, grantObjectKeys, wildcardResourceFinding } from '../nag.js';
import { dailyEvaluationDefinition, weeklyTrainingDefinition } from '../../src/adapters/workflows/ml-workflows.js';
import { ML_ENTRIES } from '../paths.js';
import { ATHENA_RESULTS_PREFIX } from './catalog-stack.js';
import { streamNameOf } from './ingestion-stack.js';
import { sourceById } from '../../src/sources/index.js';

/** Key prefix of the model store inside the model-artifact bucket (`MODEL_PREFIX`). */
export const MODEL_STORE_PREFIX = 'model-store/';

/** The lake tables the steps read bars from through Athena (`bars_1m` is a view over `bar_partials`). */
export const BAR_TABLES: readonly TableSchema[] = [BARS_1M, BAR_PARTIALS];

/** A forecasting function: its entry, size and grants. */
export interface MlFunctionSpec {
  /** Function name suffix: `ticklake-<stage>-ml-<name>`. */
  readonly name: string;
  readonly entry: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  /** Access to the model store: none, read (get + list) or read/write (get, put, list). */
  readonly modelStore?: 'read' | 'readWrite';
  /** Queries `bars_1m` with Athena. */
  readonly athena: boolean;
  /** Lake tables it writes rows to (PutObject under each table prefix). */
  readonly writesTables: readonly TableSchema[];
}

/** The steps of both workflows. */
export const ML_FUNCTIONS = {
  planTraining: {
    name: 'plan-training',
    entry: ML_ENTRIES.planTraining,
    description: 'Weekly training: resolves the training window, model kinds, target and version',
    memorySize: 512,
    timeout: Duration.minutes(2),
    modelStore: 'read',
    athena: true,
    writesTables: [],
  },
  train: {
    name: 'train',
    entry: ML_ENTRIES.train,
    description: 'Weekly training: fits one model kind on the window and stores its artifact',
    memorySize: 3008,
    timeout: Duration.minutes(15),
    modelStore: 'readWrite',
    athena: true,
    writesTables: [],
  },
  register: {
    name: 'register',
    entry: ML_ENTRIES.register,
    description: 'Weekly training: writes the models row and the registry entry of one trained model',
    memorySize: 512,
    timeout: Duration.minutes(2),
    modelStore: 'readWrite',
    athena: false,
    writesTables: [MODELS],
  },
  activate: {
    name: 'activate',
    entry: ML_ENTRIES.activate,
    description: "Weekly training: makes the run's models the active set",
    memorySize: 256,
    timeout: Duration.minutes(1),
    modelStore: 'readWrite',
    athena: false,
    writesTables: [],
  },
  planEvaluation: {
    name: 'plan-evaluation',
    entry: ML_ENTRIES.planEvaluation,
    description: 'Daily evaluation: resolves the day, the symbols and the candidate models',
    memorySize: 512,
    timeout: Duration.minutes(2),
    modelStore: 'read',
    athena: true,
    writesTables: [],
  },
  evaluate: {
    name: 'evaluate',
    entry: ML_ENTRIES.evaluate,
    description: 'Daily evaluation: scores one model per symbol on the day, with the persistence comparison; keeps its per-minute errors',
    memorySize: 1769,
    timeout: Duration.minutes(10),
    modelStore: 'readWrite',
    athena: true,
    writesTables: [],
  },
  chooseChampion: {
    name: 'choose-champion',
    entry: ML_ENTRIES.chooseChampion,
    description: 'Daily evaluation: applies the promotion rule per symbol (Diebold-Mariano tests over the window of per-minute errors)',
    memorySize: 512,
    timeout: Duration.minutes(2),
    modelStore: 'read',
    athena: false,
    writesTables: [],
  },
  publish: {
    name: 'publish',
    entry: ML_ENTRIES.publish,
    description: 'Daily evaluation: writes model_evaluations and champion_changes, then moves the champion pointers',
    memorySize: 512,
    timeout: Duration.minutes(2),
    modelStore: 'readWrite',
    athena: false,
    writesTables: [MODEL_EVALUATIONS, CHAMPION_CHANGES],
  },
} as const satisfies Record<string, MlFunctionSpec>;

export type MlFunctionKey = keyof typeof ML_FUNCTIONS;

/**
 * Live predictions: every minute a schedule invokes it with the scheduled time;
 * it forecasts the next minute for each bar closed since its last run (catching
 * up to an hour of missed runs) and writes `predictions` rows.
 */
export const PREDICT_FUNCTION: MlFunctionSpec = {
  name: 'predict',
  entry: ML_ENTRIES.predict,
  description: "Live predictions: each symbol's champion forecasts the next minute as bars close; writes predictions rows",
  memorySize: 1024,
  timeout: Duration.minutes(1),
  modelStore: 'readWrite',
  athena: true,
  writesTables: [PREDICTIONS],
};

/** Powertools service name of the predict function (metrics dimension `service`; `lambdas/ml/predict.ts` sets the same). */
export const PREDICT_SERVICE = `ml-${PREDICT_FUNCTION.name}`;

/** Points the predict function counts as refused by the time-series store (namespace `ticklake`, service {@link PREDICT_SERVICE}). */
export const PREDICT_REJECTION_METRICS = ['BarPointsRejected', 'PredictionPointsRejected'] as const;

/** Which functions each state machine invokes. */
export const TRAINING_FUNCTIONS = ['planTraining', 'train', 'register', 'activate'] as const satisfies readonly MlFunctionKey[];
export const EVALUATION_FUNCTIONS = ['planEvaluation', 'evaluate', 'chooseChampion', 'publish'] as const satisfies readonly MlFunctionKey[];

export interface OrchestrationStackProps extends StackProps {
  readonly config: TicklakeConfig;
  /** Name of the lake bucket (see lakeBucketName); addressed by name, not by export. */
  readonly lakeBucketName: string;
  /** The model-artifact bucket (the model store, `MODEL_BUCKET`). */
  readonly modelArtifactsBucket: s3.IBucket;
  /** The Athena query-results bucket the workgroup writes to. */
  readonly athenaResultsBucket: s3.IBucket;
  /** Glue database holding `bars_1m` (`GLUE_DATABASE`). */
  readonly databaseName: string;
  /** Athena workgroup the steps query with (`ATHENA_WORKGROUP`). */
  readonly workGroupName: string;
  /** The enriched stream, by name: the predict function puts closed bars there (when the time-series writer consumes it). */
  readonly enrichedStreamName?: string;
  /** The enriched publisher (`enrichedPublisher`): the sources whose closed results it puts on the enriched stream, named here. */
  readonly enrichedPublisher?: { readonly streamName: string; readonly sources: readonly EnrichedResultSource[] };
}

export class OrchestrationStack extends Stack {
  readonly functions: Record<MlFunctionKey, TicklakeFunction>;
  readonly trainingStateMachine: sfn.StateMachine;
  readonly evaluationStateMachine: sfn.StateMachine;
  readonly trainingSchedule: scheduler.Schedule;
  readonly evaluationSchedule: scheduler.Schedule;
  readonly schedulerDeadLetterQueue: sqs.Queue;
  readonly predictFunction: TicklakeFunction;
  readonly predictionSchedule: scheduler.Schedule;
  /** The cloud backfill: Binance files uploaded under raw/backfill/ into the lake via Athena. */
  readonly backfill: BackfillStateMachine;
  /** Compaction of the lake's closed hour partitions, on its schedule (docs/lake.md). */
  readonly compaction: CompactionStateMachine;
  /** One per source of `sourcePollers`: its schedule and poller function (none by default). */
  readonly sourcePollers: readonly SourcePoller[];
  /** With `simulators`: the generator function and its schedule (none by default). */
  readonly simulatedProducers: SimulatedProducers | undefined;
  /** With `enrichedPublisher`: the function putting closed results on the enriched stream, and its schedule (none by default). */
  readonly enrichedPublisher: EnrichedPublisher | undefined;
  /** The state machines run the ML functions (alarms on failed runs make sense). */
  readonly modelsConfigured = true;

  constructor(scope: Construct, id: string, props: OrchestrationStackProps) {
    super(scope, id, props);
    const { config } = props;
    const prefix = namePrefix(config);

    const lake = s3.Bucket.fromBucketName(this, 'LakeBucket', props.lakeBucketName);
    const modelBucket = this.importBucket('ModelArtifactsBucket', props.modelArtifactsBucket);
    const resultsBucket = this.importBucket('AthenaResultsBucket', props.athenaResultsBucket);
    const environment = {
      LAKE_BUCKET: props.lakeBucketName,
      MODEL_BUCKET: modelBucket.bucketName,
      MODEL_PREFIX: MODEL_STORE_PREFIX,
      GLUE_DATABASE: props.databaseName,
      ATHENA_WORKGROUP: props.workGroupName,
    };

    const fns = {} as Record<MlFunctionKey, TicklakeFunction>;
    for (const [key, spec] of Object.entries(ML_FUNCTIONS) as [MlFunctionKey, MlFunctionSpec][]) {
      const fn = new TicklakeFunction(this, `Ml-${spec.name}`, {
        config,
        entry: spec.entry,
        functionName: `${prefix}-ml-${spec.name}`,
        description: spec.description,
        serviceName: `ml-${spec.name}`,
        memorySize: spec.memorySize,
        timeout: spec.timeout,
        environment,
        noDeadLetterQueueReason:
          'Invoked only synchronously by a Step Functions Task state, which retries transient Lambda errors and records every failure in the execution history (and fails the run); an asynchronous dead-letter queue would never receive anything',
      });
      this.grantModelStore(fn, spec, modelBucket);
      for (const table of spec.writesTables) this.grantTableWrite(fn, lake, table);
      if (spec.athena) this.grantAthena(fn, lake, resultsBucket, props);
      fns[key] = fn;
    }
    this.functions = fns;

    const predict = PREDICT_FUNCTION;
    this.predictFunction = new TicklakeFunction(this, `Ml-${predict.name}`, {
      config,
      entry: predict.entry,
      functionName: `${prefix}-ml-${predict.name}`,
      description: predict.description,
      serviceName: PREDICT_SERVICE,
      memorySize: predict.memorySize,
      timeout: predict.timeout,
      // With a time-series store: closed bars onto the enriched stream when the time-series writer consumes it (else, as prediction points, through the points function).
      environment: {
        ...environment,
        ...timeSeriesPointsClientEnvironment(config),
        ...(props.enrichedStreamName ? { ENRICHED_STREAM_NAME: props.enrichedStreamName } : {}),
      },
      // One writer of the predictor's pending-forecast state, bars in order.
      reservedConcurrentExecutions: 1,
      noDeadLetterQueueReason:
        'Invoked every minute by an EventBridge Scheduler target that has its own retries and dead-letter queue; a run that still fails is caught up by the next one, which forecasts every bar closed since the last successful run',
    });
    this.grantModelStore(this.predictFunction, predict, modelBucket);
    for (const table of predict.writesTables) this.grantTableWrite(this.predictFunction, lake, table);
    this.grantAthena(this.predictFunction, lake, resultsBucket, props);
    grantTimeSeriesPoints(this.predictFunction, config);
    if (props.enrichedStreamName) {
      const enrichedArn = this.formatArn({
        service: 'kinesis',
        resource: 'stream',
        resourceName: props.enrichedStreamName,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
      iam.Grant.addToPrincipal({ grantee: this.predictFunction.function.role!, actions: ['kinesis:PutRecords'], resourceArns: [enrichedArn] });
    }

    this.trainingStateMachine = this.stateMachine(
      'Training',
      `${prefix}-train-models`,
      weeklyTrainingDefinition({
        planTraining: fns.planTraining.function.functionArn,
        trainModel: fns.train.function.functionArn,
        registerModel: fns.register.function.functionArn,
        activateModels: fns.activate.function.functionArn,
      }),
      config,
    );
    this.evaluationStateMachine = this.stateMachine(
      'Evaluation',
      `${prefix}-evaluate-models`,
      dailyEvaluationDefinition({
        planEvaluation: fns.planEvaluation.function.functionArn,
        evaluateModel: fns.evaluate.function.functionArn,
        chooseChampion: fns.chooseChampion.function.functionArn,
        publishEvaluation: fns.publish.function.functionArn,
      }),
      config,
    );
    const grantInvoke = (sm: sfn.StateMachine, keys: readonly MlFunctionKey[]) => {
      for (const k of keys) {
        const fn = fns[k].function;
        fn.grantInvoke(sm);
        acknowledge(
          sm.role,
          wildcardResourceFinding(this, `${fn.functionArn}:*`),
          `lambda:InvokeFunction on the versions and aliases of ${fn.node.path.split('/').slice(-2, -1)[0]} (the "<arn>:*" form grantInvoke adds), one of the functions of this workflow only`,
        );
      }
    };
    grantInvoke(this.trainingStateMachine, TRAINING_FUNCTIONS);
    grantInvoke(this.evaluationStateMachine, EVALUATION_FUNCTIONS);

    this.schedulerDeadLetterQueue = new sqs.Queue(this, 'ScheduleDeadLetters', {
      queueName: `${prefix}-schedule-dead-letters`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(
      this.schedulerDeadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the EventBridge Scheduler targets (schedule runs that could not start a state machine or invoke the predict or a poller function) and the on-failure destination of the source pollers (polls that failed after their retries)',
    );
    acknowledge(
      this.schedulerDeadLetterQueue,
      'Serverless-SQSRedrivePolicy',
      'Terminal dead-letter queue of the schedules; an operator inspects it (and an alarm watches its depth), nothing consumes it automatically',
    );

    const group = new scheduler.ScheduleGroup(this, 'ScheduleGroup', { scheduleGroupName: prefix, removalPolicy: RemovalPolicy.DESTROY });
    const timeZone = TimeZone.of(config.scheduleTimeZone);
    const schedule = (id: string, name: string, expr: string, sm: sfn.IStateMachine, trigger: string, description: string) =>
      new scheduler.Schedule(this, id, {
        scheduleName: name,
        scheduleGroup: group,
        description,
        schedule: scheduler.ScheduleExpression.expression(expr, timeZone),
        enabled: config.schedulesEnabled,
        timeWindow: scheduler.TimeWindow.off(),
        target: new targets.StepFunctionsStartExecution(sm, {
          input: scheduler.ScheduleTargetInput.fromObject({
            trigger,
            scheduledTime: scheduler.ContextAttribute.scheduledTime,
            scheduleExecutionId: scheduler.ContextAttribute.executionId,
          }),
          deadLetterQueue: this.schedulerDeadLetterQueue,
          retryAttempts: 3,
          maxEventAge: Duration.hours(2),
        }),
      });
    this.trainingSchedule = schedule(
      'TrainingSchedule',
      `${prefix}-weekly-training`,
      config.trainingSchedule,
      this.trainingStateMachine,
      'weekly-training',
      'Starts the weekly model training',
    );
    this.evaluationSchedule = schedule(
      'EvaluationSchedule',
      `${prefix}-daily-evaluation`,
      config.evaluationSchedule,
      this.evaluationStateMachine,
      'daily-evaluation',
      'Starts the daily model evaluation',
    );

    const predictInvoker = new iam.Role(this, 'PredictionScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
      description: 'Lets the live-predictions schedule invoke the predict function',
    });
    acknowledge(
      predictInvoker,
      wildcardResourceFinding(this, `${this.predictFunction.function.functionArn}:*`),
      'lambda:InvokeFunction on the versions and aliases of the predict function only (the "<arn>:*" form the Lambda target grant adds)',
    );
    // The scheduler invokes asynchronously: its retries and dead-letter queue cover the delivery only. A tick
    // that fails in the function is retried by Lambda, then dead-lettered to the same queue (not dropped).
    this.predictFunction.function.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.minutes(10),
      onFailure: new destinations.SqsDestination(this.schedulerDeadLetterQueue),
    });
    this.predictionSchedule = new scheduler.Schedule(this, 'PredictionSchedule', {
      scheduleName: `${prefix}-live-predictions`,
      scheduleGroup: group,
      description: 'Forecasts the next minute for every bar closed in the last minute',
      schedule: scheduler.ScheduleExpression.rate(Duration.minutes(1)),
      enabled: config.schedulesEnabled,
      timeWindow: scheduler.TimeWindow.off(),
      target: new targets.LambdaInvoke(this.predictFunction.function, {
        role: predictInvoker,
        input: scheduler.ScheduleTargetInput.fromObject({ time: scheduler.ContextAttribute.scheduledTime }),
        deadLetterQueue: this.schedulerDeadLetterQueue,
        retryAttempts: 2,
        maxEventAge: Duration.minutes(10),
      }),
    });

    // The stream lives in the ingestion stack (ingestion=kinesis, enforced by the configuration): addressed by name.
    this.sourcePollers = config.sourcePollers.map(
      (id) =>
        new SourcePoller(this, `Poller-${id}`, {
          config,
          source: sourceById(id),
          streamName: streamNameOf(config),
          scheduleGroup: group,
          deadLetterQueue: this.schedulerDeadLetterQueue,
        }),
    );

    this.simulatedProducers =
      config.simulators.length > 0
        ? new SimulatedProducers(this, 'Simulators', {
            config,
            sources: config.simulators.map(sourceById),
            streamName: streamNameOf(config),
            scheduleGroup: group,
            deadLetterQueue: this.schedulerDeadLetterQueue,
          })
        : undefined;

    this.enrichedPublisher = props.enrichedPublisher
      ? new EnrichedPublisher(this, 'EnrichedPublisher', {
          config,
          sources: props.enrichedPublisher.sources,
          streamName: props.enrichedPublisher.streamName,
          lakeBucket: lake,
          athenaResultsBucket: resultsBucket,
          athenaResultsPrefix: ATHENA_RESULTS_PREFIX,
          stateBucket: modelBucket,
          databaseName: props.databaseName,
          workGroupName: props.workGroupName,
          scheduleGroup: group,
          deadLetterQueue: this.schedulerDeadLetterQueue,
        })
      : undefined;

    const athenaWorkflow = {
      config,
      lakeBucket: lake,
      athenaResultsBucket: resultsBucket,
      athenaResultsPrefix: ATHENA_RESULTS_PREFIX,
      databaseName: props.databaseName,
      workGroupName: props.workGroupName,
    };
    this.backfill = new BackfillStateMachine(this, 'Backfill', athenaWorkflow);

    this.compaction = new CompactionStateMachine(this, 'Compaction', {
      ...athenaWorkflow,
      scheduleGroup: group,
      deadLetterQueue: this.schedulerDeadLetterQueue,
    });
    new CfnOutput(this, 'CompactionStateMachineArn', { value: this.compaction.stateMachine.stateMachineArn });

    new CfnOutput(this, 'BackfillStateMachineArn', { value: this.backfill.stateMachine.stateMachineArn });
    new CfnOutput(this, 'TrainingStateMachineArn', { value: this.trainingStateMachine.stateMachineArn });
    new CfnOutput(this, 'EvaluationStateMachineArn', { value: this.evaluationStateMachine.stateMachineArn });
  }

  /**
   * A bucket of another stack through explicit exports, so its ARN is an
   * import in this stack's templates from the start (and the cdk-nag finding ids
   * of grants on it can be named here).
   */
  private importBucket(id: string, bucket: s3.IBucket): s3.IBucket {
    const producer = Stack.of(bucket);
    if (producer === this) return bucket;
    return s3.Bucket.fromBucketAttributes(this, id, {
      bucketArn: producer.exportValue(bucket.bucketArn),
      bucketName: producer.exportValue(bucket.bucketName),
    });
  }

  /** Model store: GetObject (and PutObject) under the model-store prefix, ListBucket (missing pointers answer 404, not 403). */
  private grantModelStore(fn: TicklakeFunction, spec: MlFunctionSpec, bucket: s3.IBucket): void {
    if (!spec.modelStore) return;
    const keys = `${MODEL_STORE_PREFIX}*`;
    const actions = spec.modelStore === 'readWrite' ? ['s3:GetObject', 's3:PutObject'] : ['s3:GetObject'];
    grantObjectKeys(
      fn.role,
      bucket,
      keys,
      actions,
      `Object-level S3 permissions need a key pattern: ${actions.join('/')} only under the model store prefix (${MODEL_STORE_PREFIX}) of the model-artifact bucket, where artifacts and pointers have run-specific names`,
    );
    iam.Grant.addToPrincipal({ grantee: fn.role, actions: ['s3:ListBucket'], resourceArns: [bucket.bucketArn] });
  }

  /** PutObject under one lake table's prefix (the rows of one step). */
  private grantTableWrite(fn: TicklakeFunction, lake: s3.IBucket, table: TableSchema): void {
    grantObjectKeys(
      fn.role,
      lake,
      `${tablePrefix(table)}*`,
      ['s3:PutObject'],
      `Object-level S3 permissions need a key pattern: PutObject only under the ${table.name} table prefix (${tablePrefix(table)}) of the lake bucket, whose file names carry the run and date; no read, no delete, no other prefix`,
    );
  }

  /**
   * Querying `bars_1m` with Athena as the function: the query API on the one
   * workgroup, Glue read of the two bar tables (with what the `bar_partials`
   * exact-read view reads), the `bar_partials` files and manifests (Athena
   * reads them with the caller's credentials) and the workgroup's result prefix.
   */
  private grantAthena(fn: TicklakeFunction, lake: s3.IBucket, results: s3.IBucket, props: OrchestrationStackProps): void {
    const workGroupArn = this.formatArn({ service: 'athena', resource: 'workgroup', resourceName: props.workGroupName });
    iam.Grant.addToPrincipal({
      grantee: fn.role,
      actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults'],
      resourceArns: [workGroupArn],
    });
    grantLakeRead(fn.role, {
      databaseName: props.databaseName,
      lakeBucket: lake,
      relations: BAR_TABLES.map((t) => t.name),
      reader: `the ${BARS_1M.name} queries (the ${BARS_1M.name} view reads ${BAR_PARTIALS.name})`,
    });

    grantObjectKeys(
      fn.role,
      results,
      `${ATHENA_RESULTS_PREFIX}*`,
      ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      `Athena writes and reads the query results with the caller's credentials under the workgroup's enforced result prefix (${ATHENA_RESULTS_PREFIX}) of the results bucket, one object per query id`,
    );
    iam.Grant.addToPrincipal({
      grantee: fn.role,
      actions: ['s3:ListBucket', 's3:GetBucketLocation', 's3:ListBucketMultipartUploads'],
      resourceArns: [results.bucketArn],
    });
  }

  private stateMachine(id: string, name: string, definition: AslDefinition, config: TicklakeConfig): sfn.StateMachine {
    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      logGroupName: `/aws/vendedlogs/states/${name}`,
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const sm = new sfn.StateMachine(this, id, {
      stateMachineName: name,
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: definition.Comment,
      definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(definition)),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    acknowledge(
      sm.role,
      'AwsSolutions-IAM5[Resource::*]',
      'Step Functions log delivery (logs:CreateLogDelivery, PutResourcePolicy, DescribeLogGroups, ...) and X-Ray tracing actions have no resource-level permissions; the role can do nothing else',
    );
    return sm;
  }
}
