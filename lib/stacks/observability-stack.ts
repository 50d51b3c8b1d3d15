/**
 * Observability: one CloudWatch dashboard for the pipeline and the alarms that
 * page someone, all notifying an SNS topic (encrypted with a customer managed
 * key CloudWatch may use) with the configured e-mail subscribed.
 *
 * Dashboard: incoming records and bytes, iterator age, function errors,
 * throttles and duration, dead-letter queue depth, quarantined vs curated
 * records, lake objects written, time-series writer, model workflows.
 * Alarms: iterator age (or Kafka offset lag), function errors, throttles,
 * dead letters (stream and schedules), producer throttling, failed model runs.
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
import { acknowledge } from '../nag.js';
import type { MskIngestion } from './ingestion-stack.js';
import { STREAM_TRANSFORM_SERVICE } from './processing-stack.js';

/** Custom metrics the stream-transform handler publishes (Powertools, EMF). */
export const STREAM_TRANSFORM_METRICS = [
  'RecordsProcessed',
  'TradesWritten',
  'QuarantinedRecords',
  'FailedRecords',
  'LakeObjectsWritten',
  'LakeBytesWritten',
] as const;

export interface ObservedConsumer {
  readonly label: string;
  readonly function: lambda.IFunction;
  readonly deadLetterQueue: sqs.IQueue;
}

export interface ObservabilityStackProps extends StackProps {
  readonly config: TicklakeConfig;
  readonly stream?: kinesis.IStream;
  readonly msk?: MskIngestion;
  readonly transform: ObservedConsumer;
  readonly timeSeriesWriter?: ObservedConsumer;
  readonly trainingStateMachine: sfn.IStateMachine;
  readonly evaluationStateMachine: sfn.IStateMachine;
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
      'A scheduled training or evaluation run could not be started',
    );

    const custom = (metricName: string, statistic = 'Sum') =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: STREAM_TRANSFORM_SERVICE },
        statistic,
        period: minute,
      });

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
          title: 'Records: processed, curated, quarantined, failed',
          left: ['RecordsProcessed', 'TradesWritten', 'QuarantinedRecords', 'FailedRecords'].map((m) => custom(m)),
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: 'Lake objects and bytes written',
          left: [custom('LakeObjectsWritten')],
          right: [custom('LakeBytesWritten')],
          width: 12,
        }),
      ],
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
    }

    const sm = (m: sfn.IStateMachine, label: string) => [
      m.metricSucceeded({ statistic: 'Sum', period: Duration.hours(1), label: `${label} succeeded` }),
      m.metricFailed({ statistic: 'Sum', period: Duration.hours(1), label: `${label} failed` }),
    ];
    widgets.push([
      new cloudwatch.GraphWidget({
        title: props.modelsConfigured ? 'Model workflows' : 'Model workflows (not configured: runs fail by design)',
        left: [...sm(props.trainingStateMachine, 'training'), ...sm(props.evaluationStateMachine, 'evaluation')],
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
    widgets[widgets.length - 1]!.push(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 12 }));

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: prefix,
      defaultInterval: Duration.hours(3),
      widgets,
    });

    new CfnOutput(this, 'AlarmTopicArn', { value: this.topic.topicArn });
    new CfnOutput(this, 'DashboardName', { value: prefix });
  }
}
