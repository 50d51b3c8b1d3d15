/**
 * Lambda entry point of a polled source's poller (EventBridge Scheduler,
 * `{ scheduledTime, scheduleExecutionId }` every poll interval): one poll of
 * the scheduled slot, its records put on the Kinesis stream. Thin by design:
 * wires Powertools logger and metrics and a Kinesis producer into
 * `src/adapters/http/scheduled-poll.ts`, where the slot, the deadline and
 * which failures throw (so Lambda retries the invocation and then sends it to
 * the schedule dead-letter queue) are decided and documented.
 *
 * Environment: `SOURCE_ID` (default crypto-quotes; any registry source with a
 * `poller`), `POLL_URL` (default the source's URL), `STREAM_NAME` or
 * `STREAM_ARN` (the Kinesis stream).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Context } from 'aws-lambda';
import { KinesisStreamProducer, kinesisStreamTargetFromEnv } from '../../src/adapters/aws/kinesis-stream-producer.js';
import { createScheduledPoll, pollTargetFromEnv, type ScheduledPollEvent, type ScheduledPollSummary } from '../../src/adapters/http/scheduled-poll.js';

// Service name from POWERTOOLS_SERVICE_NAME (set by the orchestration stack); the source is a metrics dimension.
const logger = new Logger();
const metrics = new Metrics({ namespace: 'ticklake' });

function create(): ReturnType<typeof createScheduledPoll> {
  const target = pollTargetFromEnv(process.env);
  metrics.setDefaultDimensions({ source: target.name });
  logger.appendKeys({ source: target.name });
  // Bounded requests: a PutRecords call never hangs past the function's timeout (the SDK retries 3 times).
  const kinesis = new KinesisClient({ requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 } });
  return createScheduledPoll({
    target,
    producer: new KinesisStreamProducer(kinesis, kinesisStreamTargetFromEnv(process.env)),
    logger,
    metrics: { count: (name, value) => metrics.addMetric(name, MetricUnit.Count, value) },
  });
}

let poll: ReturnType<typeof createScheduledPoll> | undefined;

export const handler = async (event: ScheduledPollEvent, context: Context): Promise<ScheduledPollSummary> => {
  try {
    poll ??= create();
    return await poll(event, context);
  } finally {
    metrics.publishStoredMetrics();
  }
};
