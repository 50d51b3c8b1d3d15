/**
 * Lambda entry point of the stream transform (Kinesis event source).
 * Thin by design: wires the S3 lake writer, Powertools logger and metrics into
 * the shared transform that the local runtime also runs.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { S3Client } from '@aws-sdk/client-s3';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, MSKEvent } from 'aws-lambda';
import { isMskEvent, mskToKinesisEvents } from '../../src/ingest/msk-event.js';
import { batchMetrics, createStreamTransform } from '../../src/ingest/stream-transform.js';
import { S3ObjectStore } from '../../src/adapters/aws/s3-object-store.js';

// Service name from POWERTOOLS_SERVICE_NAME (set by the processing stack), as the metrics dimension.
const logger = new Logger();
const metrics = new Metrics({ namespace: 'ticklake', serviceName: 'stream-transform' });

const transform = createStreamTransform({
  lake: new S3ObjectStore(new S3Client({}), process.env.LAKE_BUCKET ?? ''),
  logger,
  onBatch: (s) => {
    for (const m of batchMetrics(s)) {
      if (m.source === undefined) {
        metrics.addMetric(m.name, MetricUnit[m.unit], m.value);
      } else {
        // A per-source series: its own EMF blob with the extra dimension (the others keep only `service`).
        const one = metrics.singleMetric();
        one.addDimension('source', m.source);
        one.addMetric(m.name, MetricUnit[m.unit], m.value);
      }
    }
    logger.info('batch processed', { ...s });
  },
});

/**
 * Kinesis events get a partial batch response. MSK events are processed per
 * topic-partition; the Kafka event source has no partial batch response, so any
 * record failure fails the invocation and the batch is retried (deterministic
 * keys and batch markers keep the retry from doubling rows).
 */
export const handler = async (event: KinesisStreamEvent | MSKEvent): Promise<KinesisStreamBatchResponse | undefined> => {
  try {
    if (!isMskEvent(event)) return await transform(event);
    for (const partition of mskToKinesisEvents(event)) {
      const res = await transform(partition);
      if (res.batchItemFailures.length > 0) {
        throw new Error(`${res.batchItemFailures.length} record(s) of ${partition.Records[0]?.eventID.split(':')[0]} failed; retrying the batch`);
      }
    }
  } finally {
    metrics.publishStoredMetrics();
  }
};
