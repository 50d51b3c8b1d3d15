/**
 * Observability: one CloudWatch dashboard for the pipeline and the alarms that
 * page someone, all notifying an SNS topic (encrypted with a customer managed
 * key CloudWatch may use) with the configured e-mail subscribed.
 *
 * Dashboard: incoming records and bytes, iterator age, function errors,
 * throttles and duration, dead-letter queue depth, quarantined vs curated
 * records, lake objects written, time-series writer, points published and
 * refused, model workflows, backfill runs, lake compaction runs.
 * Alarms: iterator age (or Kafka offset lag), function errors, throttles,
 * dead letters (stream and schedules), producer throttling, failed model runs,
 * failed or timed-out backfill and compaction runs; with a time-series store also points the
 * store refused and errors of the points function; with the Binance live
 * connector its heartbeat (age of the newest trade put, or no heartbeat at all).
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { namePrefix, type TicklakeConfig } from '../config.js';
import { METRICS_NAMESPACE } from '../constructs/ticklake-function.js';
import { TIMESERIES_POINTS_SERVICE } from '../constructs/time-series-points.js';
import { acknowledge } from '../nag.js';
import { BACKFILL_TIMEOUT } from '../../src/adapters/workflows/backfill-workflow.js';
import { COMPACTION_TIMEOUT } from '../../src/adapters/workflows/compaction-workflow.js';
import { HEARTBEAT_METRICS } from '../../src/cli/binance-live-service.js';
import { BINANCE_LIVE_SERVICE, binanceLiveNames } from './binance-live-stack.js';
import type { MskIngestion } from './ingestion-stack.js';
import { PREDICT_REJECTION_METRICS, PREDICT_SERVICE } from './orchestration-stack.js';
import { STREAM_TRANSFORM_SERVICE } from './processing-stack.js';
import { SOURCE_METRICS, STREAM_TRANSFORM_METRICS } from '../../src/ingest/stream-transform.js';
import { SOURCES } from '../../src/sources/index.js';
import { TIME_SERIES_REJECTED_METRIC, TIMESERIES_WRITER_SERVICE } from './time-series-stack.js';

/** Custom metrics the stream-transform handler publishes (Powertools, EMF): per invocation, and per source. */
export { SOURCE_METRICS, STREAM_TRANSFORM_METRICS };

export interface ObservedConsumer {
  readonly label: string;
  readonly function: lambda.IFunction;
  readonly deadLetterQueue: sqs.IQueue;
  /** The on-failure destination of its mapping on the enriched stream, when it consumes that too. */
  readonly enrichedDeadLetterQueue?: sqs.IQueue;
}

export interface ObservabilityStackProps extends StackProps {
  readonly config: TicklakeConfig;
  readonly stream?: kinesis.IStream;
  readonly msk?: MskIngestion;
  readonly transform: ObservedConsumer;
  readonly timeSeriesWriter?: ObservedConsumer;
  readonly trainingStateMachine: sfn.IStateMachine;
  readonly evaluationStateMachine: sfn.IStateMachine;
  /** The backfill state machine (started by hand: no runs is no data, not an alarm). */
  readonly backfillStateMachine: sfn.IStateMachine;
  /** The lake compaction state machine (scheduled; a failed or timed-out run alarms). */
  readonly compactionStateMachine: sfn.IStateMachine;
  /** The time-series points function (with a time-series store): the predict function writes bars and predictions through it. */
  readonly timeSeriesPoints?: lambda.IFunction;
  /** Alarm on failed model runs only once the ML functions are wired (they fail by design until then). */
  readonly modelsConfigured: boolean;
  readonly schedulerDeadLetterQueue: sqs.IQueue;
}

export class ObservabilityStack extends Stack {
  readonly topic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id, props);
    const { config } = props;
    const prefix = namePrefix(config);
    const minute = Duration.minutes(1);
    const fiveMinutes = Duration.minutes(5);

    const key = new kms.Key(this, 'AlarmTopicKey', {
      alias: `alias/${prefix}-alarms`,
      description: 'Encrypts the ticklake alarm topic; CloudWatch alarms may use it to publish',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    this.topic = new sns.Topic(this, 'Alarms', {
      topicName: `${prefix}-alarms`,
      displayName: `ticklake ${config.stage} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    if (config.alarmEmail) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));
      const sub = this.topic.node.children.find((c) => c.node.id.includes('Subscription') || c.node.id.includes('@'));
      acknowledge(
        sub ?? this.topic,
        'Serverless-SNSRedrivePolicy',
        'E-mail subscription for alarm notifications: an undeliverable e-mail cannot be redelivered from a queue, and every alarm stays visible in the CloudWatch console',
      );
    }
    const alarmAction = new actions.SnsAction(this.topic);
    const alarm = (id: string, metric: cloudwatch.IMetric, a: Omit<cloudwatch.CreateAlarmOptions, 'alarmName'>, description: string) => {
      const created = new cloudwatch.Alarm(this, id, {
        ...a,
        metric,
        alarmName: `${prefix}-${id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`,
        alarmDescription: description,
        treatMissingData: a.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(alarmAction);
      created.addOkAction(alarmAction);
      this.alarms.push(created);
      return created;
    };

    // --- ingestion --------------------------------------------------------
    const fn = props.transform.function;
    const ingressWidgets: cloudwatch.IWidget[] = [];
    let lagMetric: cloudwatch.IMetric;
    if (props.stream) {
      const s = props.stream;
      ingressWidgets.push(
        new cloudwatch.GraphWidget({
          title: 'Incoming records / min',
          left: [s.metricIncomingRecords({ statistic: 'Sum', period: minute })],
          width: 6,
        }),
        new cloudwatch.GraphWidget({
          title: 'Incoming bytes / min',
          left: [s.metricIncomingBytes({ statistic: 'Sum', period: minute })],
          width: 6,
        }),
      );
      lagMetric = fn.metric('IteratorAge', { statistic: 'Maximum', period: minute });
      alarm(
        'StreamWriteThrottled',
        s.metricWriteProvisionedThroughputExceeded({ statistic: 'Sum', period: fiveMinutes }),
        { threshold: 1, evaluationPeriods: 3, datapointsToAlarm: 2, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD },
        'Producers are being throttled by the stream: add shards (provisioned) or check the on-demand limits',
      );
      ingressWidgets.push(
        new cloudwatch.GraphWidget({
          title: 'Iterator age (ms)',
          left: [
            fn.metric('IteratorAge', { statistic: 'Maximum', period: minute, label: 'stream-transform iterator age (ms)' }),
            s.metricGetRecordsIteratorAgeMilliseconds({ statistic: 'Maximum', period: minute, label: 'stream GetRecords iterator age (ms)' }),
          ],
          leftAnnotations: [{ value: config.iteratorAgeAlarmSeconds * 1000, label: 'alarm' }],
          width: 12,
        }),
      );
      alarm(
        'IteratorAge',
        lagMetric,
        {
          threshold: config.iteratorAgeAlarmSeconds * 1000,
          evaluationPeriods: 5,
          datapointsToAlarm: 3,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        },
        `The stream transform is more than ${config.iteratorAgeAlarmSeconds} s behind the stream: it is failing, throttled or too slow (records older than streamMaxRecordAgeHours are skipped to the dead-letter queue)`,
      );
    } else {
      const m = props.msk!;
      const dims = { 'Cluster Name': m.clusterName, Topic: m.topic };
      ingressWidgets.push(
        new cloudwatch.GraphWidget({
          title: 'Incoming messages / s',
          left: [new cloudwatch.Metric({ namespace: 'AWS/Kafka', metricName: 'MessagesInPerSec', dimensionsMap: dims, statistic: 'Average', period: minute })],
          width: 6,
        }),
        new cloudwatch.GraphWidget({
          title: 'Incoming bytes / s',
          left: [new cloudwatch.Metric({ namespace: 'AWS/Kafka', metricName: 'BytesInPerSec', dimensionsMap: dims, statistic: 'Average', period: minute })],
          width: 6,
        }),
      );
      lagMetric = fn.metric('OffsetLag', { statistic: 'Maximum', period: minute });
      ingressWidgets.push(new cloudwatch.GraphWidget({ title: 'Kafka offset lag (records)', left: [lagMetric], width: 12 }));
      alarm(
        'OffsetLag',
        lagMetric,
        {
          threshold: config.iteratorAgeAlarmSeconds * 300,
          evaluationPeriods: 5,
          datapointsToAlarm: 3,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        },
        `The stream transform is more than ~${config.iteratorAgeAlarmSeconds} s (at 300 records/s) behind the topic`,
      );
    }

    // --- the stream transform ----------------------------------------------
    const errors = fn.metricErrors({ statistic: 'Sum', period: fiveMinutes });
    const throttles = fn.metricThrottles({ statistic: 'Sum', period: fiveMinutes });
    alarm(
      'TransformErrors',
      errors,
      { threshold: 1, evaluationPeriods: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD },
      'The stream transform threw (whole batch retried and bisected); bad records alone do not throw, they are quarantined',
    );
    alarm(
      'TransformThrottles',
      throttles,
      { threshold: 1, evaluationPeriods: 3, datapointsToAlarm: 2, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD },
      'The stream transform is throttled: account concurrency is exhausted',
    );
    const dlqDepth = (q: sqs.IQueue, label?: string) =>
      q.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: fiveMinutes, ...(label ? { label } : {}) });
    alarm(
      'TransformDeadLetters',
      dlqDepth(props.transform.deadLetterQueue),
      { threshold: 1, evaluationPeriods: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD },
      'A batch was given up on (retries or record age exhausted): the queue message names the shard and sequence range to replay (docs/deploy.md)',
    );
    alarm(
      'ScheduleDeadLetters',
      dlqDepth(props.schedulerDeadLetterQueue),
      { threshold: 1, evaluationPeriods: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD },
      'A scheduled run failed for good: a training or evaluation that could not be started, or a prediction tick or source poll that failed after its retries (the message says which)',
    );

    /** A Powertools metric: namespace `ticklake`, dimension `service` = the function's service name. */
    const custom = (metricName: string, service = STREAM_TRANSFORM_SERVICE, period = minute) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service },
        statistic: 'Sum',
        period,
      });
    /** Sum ≥ 1 over the metric's period (five minutes for every alarm below that uses it). */
    const atLeastOnce = { threshold: 1, evaluationPeriods: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD };

    const widgets: cloudwatch.IWidget[][] = [
      [
        new cloudwatch.TextWidget({
          markdown: `# ticklake ${config.stage}\nIngestion: **${config.ingestion}**, time series: **${config.timeSeries}**. Runbook: docs/deploy.md`,
          width: 24,
          height: 2,
        }),
      ],
      ingressWidgets,
      [
        new cloudwatch.GraphWidget({
          title: 'Stream transform: invocations, errors, throttles',
          left: [fn.metricInvocations({ statistic: 'Sum', period: minute }), errors, throttles],
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: 'Stream transform: duration (ms)',
          left: ['p50', 'p99', 'Maximum'].map((statistic) => fn.metricDuration({ statistic, period: minute, label: statistic })),
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: 'Dead-letter queue depth',
          left: [
            dlqDepth(props.transform.deadLetterQueue, 'stream-transform'),
            dlqDepth(props.schedulerDeadLetterQueue, 'schedules'),
            ...(props.timeSeriesWriter ? [dlqDepth(props.timeSeriesWriter.deadLetterQueue, 'time-series writer')] : []),
          ],
          width: 8,
        }),
      ],
      [
        new cloudwatch.GraphWidget({
          title: 'Records: processed, quarantined, failed',
          left: ['RecordsProcessed', 'QuarantinedRecords', 'FailedRecords'].map((m) => custom(m)),
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: 'Lake objects and bytes written',
          left: [custom('LakeObjectsWritten')],
          right: [custom('LakeBytesWritten')],
          width: 12,
        }),
      ],
      // One widget per source metric, one line per registry source (derived, never listed by hand).
      SOURCE_METRICS.map(
        (metricName) =>
          new cloudwatch.GraphWidget({
            title: `${metricName.replace('Source', '')} by source`,
            left: SOURCES.map(
              (src) =>
                new cloudwatch.Metric({
                  namespace: METRICS_NAMESPACE,
                  metricName,
                  dimensionsMap: { service: STREAM_TRANSFORM_SERVICE, source: src.id },
                  statistic: 'Sum',
                  period: minute,
                  label: src.title,
                }),
            ),
            width: 8,
          }),
      ),
    ];

    if (props.timeSeriesWriter) {
      const w = props.timeSeriesWriter.function;
      const wErrors = w.metricErrors({ statistic: 'Sum', period: fiveMinutes });
      widgets.push([
        new cloudwatch.GraphWidget({
          title: `${props.timeSeriesWriter.label}: invocations, errors`,
          left: [w.metricInvocations({ statistic: 'Sum', period: minute }), wErrors],
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: `${props.timeSeriesWriter.label}: lag`,
          left: [w.metric(props.stream ? 'IteratorAge' : 'OffsetLag', { statistic: 'Maximum', period: minute })],
          width: 12,
        }),
      ]);
      alarm(
        'WriterErrors',
        wErrors,
        { threshold: 1, evaluationPeriods: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD },
        'The time-series writer threw',
      );
      alarm(
        'WriterDeadLetters',
        dlqDepth(props.timeSeriesWriter.deadLetterQueue),
        { threshold: 1, evaluationPeriods: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD },
        'The time-series writer gave up on a batch',
      );
      if (props.timeSeriesWriter.enrichedDeadLetterQueue)
        alarm(
          'WriterEnrichedDeadLetters',
          dlqDepth(props.timeSeriesWriter.enrichedDeadLetterQueue),
          { threshold: 1, evaluationPeriods: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD },
          'The time-series writer gave up on a batch of the enriched stream (closed minute bars): they are in the lake; republishBarsFrom resends them',
        );
    }

    // --- points to the time-series store ------------------------------------
    // Threshold: any refused point (sum ≥ 1 in 5 minutes). A refusal is never
    // transient: the sinks retry throttling, 5xx and network errors themselves
    // and resend a LiveAnalytics version conflict as an upsert, so a refused
    // point is missing from the store until someone acts (the log line
    // "time-series store refused a … point" has the store's reason).
    if (config.timeSeries !== 'none') {
      const rejected: cloudwatch.IMetric[] = [];
      const graphRefused = (metricName: string, service: string) => rejected.push(custom(metricName, service).with({ label: `${metricName} (${service})` }));
      const refusedAlarm = (id: string, metricName: string, service: string, description: string) => {
        alarm(id, custom(metricName, service, fiveMinutes), atLeastOnce, description);
        graphRefused(metricName, service);
      };
      const [bars, predictions] = PREDICT_REJECTION_METRICS;
      refusedAlarm(
        bars,
        bars,
        PREDICT_SERVICE,
        'The time-series store refused closed minute bars (ml-predict logs each with the reason); later ticks resend them while inside BAR_CORRECTION_HORIZON_MINUTES, after that republishBarsFrom (docs/deploy.md)',
      );
      refusedAlarm(
        predictions,
        predictions,
        PREDICT_SERVICE,
        "The time-series store refused prediction points or was unreachable when they were written (ml-predict logs the reason); they are in the lake's predictions table and are not resent",
      );
      if (props.timeSeriesWriter) {
        refusedAlarm(
          'WriterPointsRejected',
          TIME_SERIES_REJECTED_METRIC,
          TIMESERIES_WRITER_SERVICE,
          'The time-series store refused trade points from the stream (the time-series writer logs each with the reason); they are in the lake, not in the store',
        );
      }
      // The points function counts the same refusals as ml-predict (its only caller): graphed, not alarmed twice.
      graphRefused(TIME_SERIES_REJECTED_METRIC, TIMESERIES_POINTS_SERVICE);
      const row: cloudwatch.IWidget[] = [
        new cloudwatch.GraphWidget({
          title: 'Minute bars to the time-series store (ml-predict)',
          left: ['BarsPublished', 'BarCorrectionsPublished', 'BarPublishFailures'].map((m) => custom(m, PREDICT_SERVICE)),
          width: 8,
        }),
        new cloudwatch.GraphWidget({ title: 'Points refused by the time-series store', left: rejected, width: 8 }),
      ];
      if (props.timeSeriesPoints) {
        const p = props.timeSeriesPoints;
        const pErrors = p.metricErrors({ statistic: 'Sum', period: fiveMinutes });
        row.push(
          new cloudwatch.GraphWidget({
            title: 'Time-series points function: invocations, errors',
            left: [p.metricInvocations({ statistic: 'Sum', period: minute }), pErrors],
            width: 8,
          }),
        );
        alarm(
          'PointsFunctionErrors',
          pErrors,
          atLeastOnce,
          'The time-series points function threw (store unreachable, credentials or configuration): bars are retried by the next predict tick, predictions are counted as refused',
        );
      }
      widgets.push(row);
    }

    const sm = (m: sfn.IStateMachine, label: string) => [
      m.metricSucceeded({ statistic: 'Sum', period: Duration.hours(1), label: `${label} succeeded` }),
      m.metricFailed({ statistic: 'Sum', period: Duration.hours(1), label: `${label} failed` }),
    ];
    const backfill = props.backfillStateMachine;
    widgets.push([
      new cloudwatch.GraphWidget({
        title: props.modelsConfigured ? 'Model workflows' : 'Model workflows (not configured: runs fail by design)',
        left: [...sm(props.trainingStateMachine, 'training'), ...sm(props.evaluationStateMachine, 'evaluation')],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Backfill runs',
        left: [...sm(backfill, 'backfill'), backfill.metricTimedOut({ statistic: 'Sum', period: Duration.hours(1), label: 'backfill timed out' })],
        width: 12,
      }),
    ]);
    const compaction = props.compactionStateMachine;
    widgets.push([
      new cloudwatch.GraphWidget({
        title: 'Lake compaction runs',
        left: [...sm(compaction, 'compaction'), compaction.metricTimedOut({ statistic: 'Sum', period: Duration.hours(1), label: 'compaction timed out' })],
        width: 12,
      }),
    ]);
    if (props.modelsConfigured) {
      for (const [id, m] of [
        ['TrainingFailed', props.trainingStateMachine],
        ['EvaluationFailed', props.evaluationStateMachine],
      ] as const) {
        alarm(
          id,
          m.metricFailed({ statistic: 'Sum', period: fiveMinutes }),
          { threshold: 1, evaluationPeriods: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD },
          `A ${id.startsWith('Training') ? 'training' : 'evaluation'} run failed; the production model is unchanged`,
        );
      }
    }
    /** A scheduled or manual workflow's two alarms: a failed run and a run that hit its time limit. */
    const runAlarms = (name: string, m: sfn.IStateMachine, failed: string, timedOut: string) => {
      alarm(`${name}Failed`, m.metricFailed({ statistic: 'Sum', period: fiveMinutes }), atLeastOnce, failed);
      alarm(`${name}TimedOut`, m.metricTimedOut({ statistic: 'Sum', period: fiveMinutes }), atLeastOnce, timedOut);
    };
    // Both Fail states (BackfillFailed, SomeFilesFailed) end the execution FAILED; the run's time limit ends it TIMED_OUT.
    runAlarms(
      'Backfill',
      backfill,
      'A backfill run failed: a run step (BackfillFailed) or some of its files (SomeFilesFailed, the others were published); the execution error and cause say which, start a new execution to redo them',
      `A backfill run hit the state machine's ${BACKFILL_TIMEOUT.toHours()} h time limit: files it had not published keep their earlier publication; start a new execution (fewer files per run)`,
    );
    // SomePartitionsFailed (the other partitions were committed) and a failed step both end the execution FAILED.
    runAlarms(
      'Compaction',
      compaction,
      'A lake compaction run failed: some partitions (SomePartitionsFailed, the others were committed) or a run step; their small files stay live and readers stay exact, the next scheduled run retries them; the execution error and cause say which',
      `A lake compaction run hit the state machine's ${COMPACTION_TIMEOUT.toHours()} h time limit: committed partitions stay, the next run resumes the rest`,
    );

    // --- the Binance live connector -----------------------------------------
    // Its heartbeat (one EMF line a minute) carries the age of the newest trade it put. No heartbeat
    // is missing data, treated as breaching: a stopped, crashed or wedged task alarms as well.
    if (config.binanceLive) {
      const names = binanceLiveNames(config);
      const ecsMetric = (metricName: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/ECS',
          metricName,
          dimensionsMap: { ClusterName: names.cluster, ServiceName: names.service },
          statistic: 'Average',
          period: minute,
        });
      const heartbeat = (metricName: string, statistic: string) =>
        new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: BINANCE_LIVE_SERVICE }, statistic, period: minute });
      const lastTradeAge = heartbeat(HEARTBEAT_METRICS.lastTradeAge, 'Maximum');
      alarm(
        'BinanceLiveStale',
        lastTradeAge,
        {
          threshold: config.binanceLiveStaleSeconds,
          evaluationPeriods: 3,
          datapointsToAlarm: 3,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        },
        `The Binance live connector has put no trade newer than ${config.binanceLiveStaleSeconds} s, or sent no heartbeat, for 3 minutes: the task is stopped or restarting, disconnected from Binance, or failing to put to the stream (its logs: ${names.logGroup})`,
      );
      widgets.push([
        new cloudwatch.GraphWidget({
          title: 'Binance live: age of the newest trade put (s)',
          left: [lastTradeAge],
          leftAnnotations: [{ value: config.binanceLiveStaleSeconds, label: 'alarm' }],
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: 'Binance live: trades put, gaps, reconnects',
          left: [heartbeat(HEARTBEAT_METRICS.tradesPut, 'Sum')],
          right: [heartbeat(HEARTBEAT_METRICS.gaps, 'Sum'), heartbeat(HEARTBEAT_METRICS.reconnects, 'Sum')],
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: 'Binance live: task CPU and memory (%)',
          left: [ecsMetric('CPUUtilization'), ecsMetric('MemoryUtilization')],
          width: 8,
        }),
      ]);
    }

    widgets.push([new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 })]);

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: prefix,
      defaultInterval: Duration.hours(3),
      widgets,
    });

    new CfnOutput(this, 'AlarmTopicArn', { value: this.topic.topicArn });
    new CfnOutput(this, 'DashboardName', { value: prefix });
  }
}
