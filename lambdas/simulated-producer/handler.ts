/**
 * Lambda entry point of the simulated producers (`simulators`, for demos):
 * invoked by its schedule (EventBridge Scheduler, `{ scheduledTime,
 * scheduleExecutionId }` every 5 minutes), it puts the chosen sources'
 * simulated records of the last whole interval on the Kinesis stream. Thin by
 * design: wires Powertools logger and metrics and a Kinesis producer into
 * `src/ingest/simulated-producer.ts`, where the window, determinism (a retried
 * invocation puts the same records) and the puts are decided and documented.
 *
 * Environment: `SIMULATED_SOURCES` (comma-separated registry sources with a
 * simulator), `SIMULATION_SEED` (default 42), `STREAM_NAME` or `STREAM_ARN`
 * (the Kinesis stream).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisStreamProducer, kinesisStreamTargetFromEnv } from '../../src/adapters/aws/kinesis-stream-producer.js';
import { type ScheduledPollEvent, slotOfEvent } from '../../src/adapters/http/scheduled-poll.js';
import {
  DEFAULT_SIMULATION_SEED,
  putSimulatedWindow,
  SIMULATION_INTERVAL_MS,
  type SimulatedProducerDeps,
  type SimulatedWindowSummary,
  simulatedSourcesOf,
} from '../../src/ingest/simulated-producer.js';

// Service name from POWERTOOLS_SERVICE_NAME (set by the orchestration stack).
const logger = new Logger();
const metrics = new Metrics({ namespace: 'ticklake' });

function create(): SimulatedProducerDeps {
  const seedText = process.env.SIMULATION_SEED?.trim();
  const seed = seedText ? Number(seedText) : DEFAULT_SIMULATION_SEED;
  if (!Number.isSafeInteger(seed)) throw new Error(`SIMULATION_SEED: not an integer (${JSON.stringify(seedText)})`);
  // Bounded requests: a PutRecords call never hangs past the function's timeout (the SDK retries 3 times).
  const kinesis = new KinesisClient({ requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 } });
  return {
    sources: simulatedSourcesOf(process.env.SIMULATED_SOURCES ?? ''),
    producer: new KinesisStreamProducer(kinesis, kinesisStreamTargetFromEnv(process.env)),
    seed,
  };
}

let deps: SimulatedProducerDeps | undefined;

export const handler = async (event: ScheduledPollEvent): Promise<SimulatedWindowSummary> => {
  try {
    deps ??= create();
    const summary = await putSimulatedWindow(deps, slotOfEvent(event, Date.now(), SIMULATION_INTERVAL_MS));
    for (const [source, n] of Object.entries(summary.records)) {
      const m = metrics.singleMetric();
      m.addDimension('source', source);
      m.addMetric('RecordsPut', MetricUnit.Count, n);
    }
    logger.info('simulated window put', { ...summary, ...(event?.scheduleExecutionId ? { scheduleExecutionId: event.scheduleExecutionId } : {}) });
    return summary;
  } finally {
    metrics.publishStoredMetrics();
  }
};
