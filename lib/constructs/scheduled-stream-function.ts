/**
 * A function that an EventBridge Scheduler schedule invokes every interval
 * and that puts records on the Kinesis stream: the cloud side of the source
 * pollers ({@link SourcePoller}) and of the simulated producers
 * ({@link SimulatedProducers}), built once here.
 *
 * Failures: EventBridge Scheduler invokes Lambda asynchronously, so the
 * schedule's own retry policy and dead-letter queue cover only the delivery
 * of the invocation. An invocation that fails throws; Lambda's asynchronous
 * invocation config then retries it (same event, same scheduled time, so the
 * same natural keys) and sends it to the on-failure destination when the
 * retries are spent or the event is older than one interval. Both go to the
 * orchestration stack's schedule dead-letter queue, whose depth is alarmed.
 *
 * Grants: `kinesis:PutRecords` on the one stream (encrypted with the AWS
 * managed key `aws/kinesis`, which needs no KMS permission), sending to the
 * dead-letter queue (the on-failure destination uses the function's role),
 * its logs and traces.
 *
 * The children are created in the given scope (`Function`, `ScheduleRole`,
 * `Schedule`), so the constructs that use this keep their logical ids.
 */
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { namePrefix, type TicklakeConfig } from '../config.js';
import { acknowledge, wildcardResourceFinding } from '../nag.js';
import { TicklakeFunction } from './ticklake-function.js';

/** Retries of a failed invocation by Lambda (asynchronous invocation: 0-2) and of a failed delivery by the scheduler. */
export const SCHEDULED_RETRY_ATTEMPTS = 2;

/** The schedule of an interval: `rate(5 minutes)` for 5 minutes; whole minutes only (the scheduler's resolution). */
export function intervalScheduleExpression(intervalMs: number): scheduler.ScheduleExpression {
  if (!Number.isInteger(intervalMs / 60_000) || intervalMs < 60_000) {
    throw new Error(`an interval of ${intervalMs} ms cannot be scheduled: EventBridge Scheduler rates are whole minutes`);
  }
  return scheduler.ScheduleExpression.rate(Duration.millis(intervalMs));
}

export interface ScheduledStreamFunctionProps {
  readonly config: TicklakeConfig;
  /** Function and schedule name after the stage prefix, e.g. `poll-weather`: `ticklake-<stage>-poll-weather`. */
  readonly name: string;
  readonly entry: string;
  readonly description: string;
  /** Powertools service name. */
  readonly serviceName: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  /** The function's own settings; `STREAM_NAME` is added. */
  readonly environment: Record<string, string>;
  /** Why it needs no DeadLetterConfig (cdk-nag Serverless-LambdaDLQ). */
  readonly noDeadLetterQueueReason: string;
  /** How often it is invoked (whole minutes). */
  readonly intervalMs: number;
  /** What the schedule does, e.g. `Polls weather every 1 hour`. */
  readonly scheduleDescription: string;
  /** What the schedule's role is for, e.g. `the weather poll schedule`. */
  readonly scheduleLabel: string;
  /** The Kinesis stream the records are put on, by name (it lives in the ingestion stack). */
  readonly streamName: string;
  readonly scheduleGroup: scheduler.IScheduleGroup;
  /** Where failed deliveries and failed invocations end (the schedule dead-letter queue). */
  readonly deadLetterQueue: sqs.IQueue;
}

/** Adds the function, its grants, its asynchronous-invocation limits and its schedule to `scope`. */
export function addScheduledStreamFunction(
  scope: Construct,
  props: ScheduledStreamFunctionProps,
): { readonly function: TicklakeFunction; readonly schedule: scheduler.Schedule } {
  const { config } = props;
  const name = `${namePrefix(config)}-${props.name}`;
  const stack = Stack.of(scope);
  // Older than one interval, an invocation would run into the next one's records: it is dropped then.
  const maxEventAge = Duration.seconds(Math.min(21_600, Math.max(60, Duration.millis(props.intervalMs).toSeconds())));

  const fn = new TicklakeFunction(scope, 'Function', {
    config,
    entry: props.entry,
    functionName: name,
    description: props.description,
    serviceName: props.serviceName,
    memorySize: props.memorySize,
    timeout: props.timeout,
    environment: { ...props.environment, STREAM_NAME: props.streamName },
    noDeadLetterQueueReason: props.noDeadLetterQueueReason,
  });
  const lambdaFn = fn.function;

  const streamArn = stack.formatArn({ service: 'kinesis', resource: 'stream', resourceName: props.streamName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  iam.Grant.addToPrincipal({ grantee: fn.role, actions: ['kinesis:PutRecords'], resourceArns: [streamArn] });

  lambdaFn.configureAsyncInvoke({
    retryAttempts: SCHEDULED_RETRY_ATTEMPTS,
    maxEventAge,
    onFailure: new destinations.SqsDestination(props.deadLetterQueue),
  });

  const invoker = new iam.Role(scope, 'ScheduleRole', {
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
    description: `Lets ${props.scheduleLabel} invoke its function`,
  });
  acknowledge(
    invoker,
    wildcardResourceFinding(scope, `${lambdaFn.functionArn}:*`),
    `lambda:InvokeFunction on the versions and aliases of the function of ${props.scheduleLabel} only (the "<arn>:*" form the Lambda target grant adds)`,
  );
  const schedule = new scheduler.Schedule(scope, 'Schedule', {
    scheduleName: name,
    scheduleGroup: props.scheduleGroup,
    description: props.scheduleDescription,
    schedule: intervalScheduleExpression(props.intervalMs),
    enabled: config.schedulesEnabled,
    timeWindow: scheduler.TimeWindow.off(),
    target: new targets.LambdaInvoke(lambdaFn, {
      role: invoker,
      input: scheduler.ScheduleTargetInput.fromObject({
        scheduledTime: scheduler.ContextAttribute.scheduledTime,
        scheduleExecutionId: scheduler.ContextAttribute.executionId,
      }),
      deadLetterQueue: props.deadLetterQueue,
      retryAttempts: SCHEDULED_RETRY_ATTEMPTS,
      maxEventAge,
    }),
  });
  return { function: fn, schedule };
}
