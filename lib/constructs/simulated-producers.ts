/**
 * The simulated producers in the cloud (`simulators`, off by default), for
 * demos: an EventBridge Scheduler schedule every 5 minutes invokes one
 * generator function (`lambdas/simulated-producer/handler.ts`) that puts the
 * last 5 minutes of the chosen sources' simulated records on the Kinesis
 * stream (src/ingest/simulated-producer.ts: deterministic per window, so
 * Lambda's retries put the same natural keys again).
 *
 * Schedule, retries, dead-letter queue and grants (PutRecords on the stream
 * only) are those of every scheduled stream function
 * ({@link addScheduledStreamFunction}).
 */
import { Duration } from 'aws-cdk-lib';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SIMULATION_INTERVAL_MS } from '../../src/ingest/simulated-producer.js';
import type { SourceDefinition } from '../../src/sources/contract.js';
import type { TicklakeConfig } from '../config.js';
import { SIMULATED_PRODUCER_ENTRY } from '../paths.js';
import { addScheduledStreamFunction } from './scheduled-stream-function.js';
import type { TicklakeFunction } from './ticklake-function.js';

/** Powertools service name of the generator function (the source is a metrics dimension). */
export const SIMULATED_PRODUCER_SERVICE = 'simulated-producer';

export interface SimulatedProducersProps {
  readonly config: TicklakeConfig;
  /** Registry sources with a simulator. */
  readonly sources: readonly SourceDefinition[];
  /** The Kinesis stream the records are put on, by name (it lives in the ingestion stack). */
  readonly streamName: string;
  readonly scheduleGroup: scheduler.IScheduleGroup;
  /** Where failed deliveries and failed invocations end (the schedule dead-letter queue). */
  readonly deadLetterQueue: sqs.IQueue;
  /** Entry override (tests). */
  readonly entry?: string;
}

export class SimulatedProducers extends Construct {
  readonly function: TicklakeFunction;
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: SimulatedProducersProps) {
    super(scope, id);
    const ids = props.sources.map((s) => s.id);
    const missing = props.sources.filter((s) => !s.simulator).map((s) => s.id);
    if (ids.length === 0 || missing.length > 0) throw new Error(`simulated producers need sources with a simulator (${missing.join(', ') || 'none given'})`);
    const every = Duration.millis(SIMULATION_INTERVAL_MS).toHumanString();
    const made = addScheduledStreamFunction(this, {
      config: props.config,
      name: 'simulate',
      entry: props.entry ?? SIMULATED_PRODUCER_ENTRY,
      description: `Puts the last ${every} of simulated ${ids.join(', ')} records on the stream (demo data)`,
      serviceName: SIMULATED_PRODUCER_SERVICE,
      // A window is a few thousand records (the warm-up simulates 20 minutes for 5): seconds, with room for throttled puts.
      memorySize: 512,
      timeout: Duration.minutes(2),
      environment: { SIMULATED_SOURCES: ids.join(',') },
      noDeadLetterQueueReason:
        "Invoked asynchronously by its schedule only; failed invocations go to the asynchronous invocation config's on-failure destination (the schedule dead-letter queue), which records the request and the error, so a DeadLetterConfig would duplicate it",
      intervalMs: SIMULATION_INTERVAL_MS,
      scheduleDescription: `Simulates ${ids.join(', ')} every ${every}`,
      scheduleLabel: 'the simulated producers schedule',
      streamName: props.streamName,
      scheduleGroup: props.scheduleGroup,
      deadLetterQueue: props.deadLetterQueue,
    });
    this.function = made.function;
    this.schedule = made.schedule;
  }
}
