/**
 * Lambda entry point of the stream transform (Kinesis event source).
 * Thin by design: wires the S3 lake writer, Powertools logger and metrics into
 * the shared transform that the local runtime also runs.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { S3Client } from '@aws-sdk/client-s3';
import { S3LakeWriter } from '../shared/s3-lake-writer.js';
import { createStreamTransform } from '../shared/stream-transform.js';

const logger = new Logger({ serviceName: 'ticklake-stream-transform' });
const metrics = new Metrics({ namespace: 'ticklake', serviceName: 'stream-transform' });

const transform = createStreamTransform({
  lake: new S3LakeWriter(new S3Client({}), process.env.LAKE_BUCKET ?? ''),
  logger,
  onBatch: (s) => {
    metrics.addMetric('RecordsProcessed', MetricUnit.Count, s.records);
    metrics.addMetric('TradesWritten', MetricUnit.Count, s.trades);
    metrics.addMetric('QuarantinedRecords', MetricUnit.Count, s.quarantined);
    metrics.addMetric('FailedRecords', MetricUnit.Count, s.failed);
    metrics.addMetric('LakeObjectsWritten', MetricUnit.Count, s.objectsWritten);
    metrics.addMetric('LakeBytesWritten', MetricUnit.Bytes, s.bytesWritten);
    logger.info('batch processed', { ...s });
  },
});

export const handler: typeof transform = async (event) => {
  try {
    return await transform(event);
  } finally {
    metrics.publishStoredMetrics();
  }
};
