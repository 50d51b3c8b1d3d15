/**
 * The cloud side of a polled source (`sourcePollers`): an EventBridge
 * Scheduler schedule, at the source's poll interval, invokes a poller function
 * (`lambdas/source-poller/handler.ts`, the same poller code `ticklake up`
 * runs) that fetches the source's API once for the scheduled slot and puts
 * the records on the Kinesis stream.
 *
 * Failures: EventBridge Scheduler invokes Lambda asynchronously, so the
 * schedule's own retry policy and dead-letter queue cover only the delivery
 * of the invocation. A poll that fails for a reason worth retrying throws
 * (src/adapters/http/scheduled-poll.ts); Lambda's asynchronous invocation
 * config then retries it (same event, same slot, same natural keys) and
 * sends it to the on-failure destination when the retries are spent or the
 * event is older than one poll interval. Both go to the orchestration stack's
 * schedule dead-letter queue, whose depth is alarmed.
 *
 * Grants: `kinesis:PutRecords` on the one stream (encrypted with the AWS
 * managed key `aws/kinesis`, which needs no KMS permission), sending to the
 * dead-letter queue (the on-failure destination uses the function's role),
 * its logs and traces.
 */
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { SourceDefinition } from '../../src/sources/contract.js';
import { namePrefix, type TicklakeConfig } from '../config.js';
import { acknowledge, wildcardResourceFinding } from '../nag.js';
import { SOURCE_POLLER_ENTRY } from '../paths.js';
import { TicklakeFunction } from './ticklake-function.js';

/** Powertools service name of every poller function (the source is a metrics dimension). */
export const SOURCE_POLLER_SERVICE = 'source-poller';

/** Retries of a failed poll by Lambda (asynchronous invocation: 0-2) and of a failed delivery by the scheduler. */
export const POLL_RETRY_ATTEMPTS = 2;

export interface SourcePollerProps {
  readonly config: TicklakeConfig;
  /** A registry source with a `poller`. */
  readonly source: SourceDefinition;
  /** The Kinesis stream the records are put on, by name (it lives in the ingestion stack). */
  readonly streamName: string;
  readonly scheduleGroup: scheduler.IScheduleGroup;
  /** Where failed deliveries and failed polls end (the schedule dead-letter queue). */
  readonly deadLetterQueue: sqs.IQueue;
  /** Entry override (tests). */
  readonly entry?: string;
}

/** The schedule of a poll interval: `rate(5 minutes)` for 5 minutes; whole minutes only (the scheduler's resolution). */
export function pollScheduleExpression(intervalMs: number): scheduler.ScheduleExpression {
  if (!Number.isInteger(intervalMs / 60_000) || intervalMs < 60_000) {
    throw new Error(`a poll interval of ${intervalMs} ms cannot be scheduled: EventBridge Scheduler rates are whole minutes`);
  }
  return scheduler.ScheduleExpression.rate(Duration.millis(intervalMs));
}

export class SourcePoller extends Construct {
  readonly function: TicklakeFunction;
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: SourcePollerProps) {
    super(scope, id);
    const { config, source } = props;
    const api = source.poller;
    if (!api) throw new Error(`source ${source.id} has no poller`);
    const prefix = namePrefix(config);
    const stack = Stack.of(this);
    const interval = Duration.millis(api.intervalMs);
    // Older than one interval, a poll would label a later table with its slot: the function refuses it anyway.
    const maxEventAge = Duration.seconds(Math.min(21_600, Math.max(60, interval.toSeconds())));

    this.function = new TicklakeFunction(this, 'Function', {
      config,
      entry: props.entry ?? SOURCE_POLLER_ENTRY,
      functionName: `${prefix}-poll-${source.id}`,
      description: `Polls ${source.title} (${source.id}) once per scheduled slot and puts its records on the stream`,
      serviceName: SOURCE_POLLER_SERVICE,
      memorySize: 256,
      // Room for the in-invocation retries (and a Retry-After of up to ~45 s) within one invocation.
      timeout: Duration.minutes(1),
      environment: {
        SOURCE_ID: source.id,
        POLL_URL: api.defaultUrl,
        STREAM_NAME: props.streamName,
      },
      noDeadLetterQueueReason:
        "Invoked asynchronously by its schedule only; failed invocations go to the asynchronous invocation config's on-failure destination (the schedule dead-letter queue), which records the request and the error, so a DeadLetterConfig would duplicate it",
    });
    const fn = this.function.function;

    const streamArn = stack.formatArn({ service: 'kinesis', resource: 'stream', resourceName: props.streamName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    iam.Grant.addToPrincipal({ grantee: this.function.role, actions: ['kinesis:PutRecords'], resourceArns: [streamArn] });

    fn.configureAsyncInvoke({
      retryAttempts: POLL_RETRY_ATTEMPTS,
      maxEventAge,
      onFailure: new destinations.SqsDestination(props.deadLetterQueue),
    });

    const invoker = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
      description: `Lets the ${source.id} poll schedule invoke its poller function`,
    });
    acknowledge(
      invoker,
      wildcardResourceFinding(this, `${fn.functionArn}:*`),
      `lambda:InvokeFunction on the versions and aliases of the ${source.id} poller function only (the "<arn>:*" form the Lambda target grant adds)`,
    );
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      scheduleName: `${prefix}-poll-${source.id}`,
      scheduleGroup: props.scheduleGroup,
      description: `Polls ${source.id} every ${interval.toHumanString()}`,
      schedule: pollScheduleExpression(api.intervalMs),
      enabled: config.schedulesEnabled,
      timeWindow: scheduler.TimeWindow.off(),
      target: new targets.LambdaInvoke(fn, {
        role: invoker,
        input: scheduler.ScheduleTargetInput.fromObject({
          scheduledTime: scheduler.ContextAttribute.scheduledTime,
          scheduleExecutionId: scheduler.ContextAttribute.executionId,
        }),
        deadLetterQueue: props.deadLetterQueue,
        retryAttempts: POLL_RETRY_ATTEMPTS,
        maxEventAge,
      }),
    });
  }
}
