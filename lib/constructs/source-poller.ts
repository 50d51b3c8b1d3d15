/**
 * The cloud side of a polled source (`sourcePollers`): an EventBridge
 * Scheduler schedule, at the source's poll interval, invokes a poller function
 * (`lambdas/source-poller/handler.ts`, the same poller code `ticklake up`
 * runs) that fetches the source's API once for the scheduled slot and puts
 * the records on the Kinesis stream.
 *
 * Failures, retries and grants: see {@link addScheduledStreamFunction}. A
 * poll that fails for a reason worth retrying throws
 * (src/adapters/http/scheduled-poll.ts), so Lambda retries it with the same
 * slot and dead-letters it when the retries are spent.
 */
import { Duration } from 'aws-cdk-lib';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { SourceDefinition } from '../../src/sources/contract.js';
import type { TicklakeConfig } from '../config.js';
import { SOURCE_POLLER_ENTRY } from '../paths.js';
import { addScheduledStreamFunction, intervalScheduleExpression, SCHEDULED_RETRY_ATTEMPTS } from './scheduled-stream-function.js';
import type { TicklakeFunction } from './ticklake-function.js';

/** Powertools service name of every poller function (the source is a metrics dimension). */
export const SOURCE_POLLER_SERVICE = 'source-poller';

/** Retries of a failed poll by Lambda (asynchronous invocation: 0-2) and of a failed delivery by the scheduler. */
export const POLL_RETRY_ATTEMPTS = SCHEDULED_RETRY_ATTEMPTS;

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
export const pollScheduleExpression = intervalScheduleExpression;

export class SourcePoller extends Construct {
  readonly function: TicklakeFunction;
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: SourcePollerProps) {
    super(scope, id);
    const { config, source } = props;
    const api = source.poller;
    if (!api) throw new Error(`source ${source.id} has no poller`);
    const made = addScheduledStreamFunction(this, {
      config,
      name: `poll-${source.id}`,
      entry: props.entry ?? SOURCE_POLLER_ENTRY,
      description: `Polls ${source.title} (${source.id}) once per scheduled slot and puts its records on the stream`,
      serviceName: SOURCE_POLLER_SERVICE,
      memorySize: 256,
      // Room for the in-invocation retries (and a Retry-After of up to ~45 s) within one invocation.
      timeout: Duration.minutes(1),
      environment: { SOURCE_ID: source.id, POLL_URL: api.defaultUrl },
      noDeadLetterQueueReason:
        "Invoked asynchronously by its schedule only; failed invocations go to the asynchronous invocation config's on-failure destination (the schedule dead-letter queue), which records the request and the error, so a DeadLetterConfig would duplicate it",
      intervalMs: api.intervalMs,
      scheduleDescription: `Polls ${source.id} every ${Duration.millis(api.intervalMs).toHumanString()}`,
      scheduleLabel: `the ${source.id} poll schedule`,
      streamName: props.streamName,
      scheduleGroup: props.scheduleGroup,
      deadLetterQueue: props.deadLetterQueue,
    });
    this.function = made.function;
    this.schedule = made.schedule;
  }
}
