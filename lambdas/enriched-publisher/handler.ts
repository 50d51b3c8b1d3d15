/**
 * Lambda entry point of the enriched publisher: invoked every minute by its
 * schedule (`{ scheduledTime, scheduleExecutionId }`), it puts the closed
 * short-video category minutes (`engagement_1m`) and the closed TV views
 * (`view_interval`) on the enriched stream, reading bounded Athena windows
 * and keeping its state in one S3 object (src/enriched/closed-results.ts: the
 * rule, the same `ticklake up` runs; src/adapters/aws/enriched-results.ts: the
 * environment). Thin by design: Powertools logger and metrics, clients, one
 * tick per invocation. `{ "republishFrom": ISO }` puts everything from that
 * time on again.
 *
 * A kind that fails (Athena, the stream) does not stop the other, whose
 * progress is saved; the invocation then fails, so Lambda retries it and,
 * when the retries are spent, the schedule dead-letter queue (alarmed) holds
 * it; the next tick catches up from the saved state either way.
 *
 * Metrics (namespace `ticklake`, dimension `kind`): `ClosedResultsPut`,
 * `ClosedResultCorrectionsPut`, `ClosedResultsBacklogMinutes`, `ClosedResultsPublishFailures`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { AthenaClient } from '@aws-sdk/client-athena';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { cloudEnrichedPublisher, EnrichedPublishError, type EnrichedPublisherEvent, tickOfEvent } from '../../src/adapters/aws/enriched-results.js';
import type { ClosedResultsTickResult, KindTickResult } from '../../src/enriched/closed-results.js';

// Service name from POWERTOOLS_SERVICE_NAME (set by the construct).
const logger = new Logger();
const metrics = new Metrics({ namespace: 'ticklake' });

let publish: ReturnType<typeof cloudEnrichedPublisher> | undefined;

function count(kind: string, name: string, value: number): void {
  const m = metrics.singleMetric();
  m.addDimension('kind', kind);
  m.addMetric(name, MetricUnit.Count, value);
}

function record(r: KindTickResult, executionId: string | undefined): void {
  count(r.kind, 'ClosedResultsPut', r.fresh);
  count(r.kind, 'ClosedResultCorrectionsPut', r.corrections);
  count(r.kind, 'ClosedResultsBacklogMinutes', r.backlogMinutes);
  logger.info('closed results published', { ...r, ...(executionId ? { scheduleExecutionId: executionId } : {}) });
}

/** A schedule tick (or a manual republish) in, what each kind did out. */
export const handler = async (event: EnrichedPublisherEvent): Promise<ClosedResultsTickResult['results']> => {
  try {
    // Bounded requests: a call never hangs past the function's timeout (the SDK retries 3 times).
    const requestHandler = { connectionTimeout: 2_000, requestTimeout: 10_000 };
    publish ??= cloudEnrichedPublisher(process.env, {
      athena: new AthenaClient({ requestHandler }),
      s3: new S3Client({ requestHandler }),
      kinesis: new KinesisClient({ requestHandler }),
    });
    const r = await publish(tickOfEvent(event, Date.now()));
    for (const k of r.results) record(k, event?.scheduleExecutionId);
    for (const f of r.failures) {
      count(f.kind, 'ClosedResultsPublishFailures', 1);
      logger.error('publishing closed results failed; the next tick catches up', { kind: f.kind, error: f.error as Error });
    }
    if (r.failures.length > 0) throw new EnrichedPublishError(r.failures);
    return r.results;
  } finally {
    metrics.publishStoredMetrics();
  }
};
