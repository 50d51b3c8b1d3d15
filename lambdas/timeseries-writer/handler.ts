/**
 * Lambda entry point of the time-series writer (a second stream consumer).
 * The store (Timestream for LiveAnalytics or Timestream for InfluxDB) comes from
 * the environment the time-series stack sets (TIME_SERIES_ENGINE, ...).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, MSKEvent } from 'aws-lambda';
import { isMskEvent, mskToKinesisEvents } from '../../src/ingest/msk-event.js';
import { cloudConfigFromEnv, createCloudSink } from '../../src/adapters/aws/timeseries/cloud-sink.js';
import { createTimeSeriesWriter } from '../../src/timeseries/timeseries-writer.js';

const logger = new Logger();
const metrics = new Metrics({ namespace: 'ticklake', serviceName: 'timeseries-writer' });
// Created once per container; configuration errors surface at the first invocation.
const writer = createCloudSink(cloudConfigFromEnv()).then((sink) =>
  createTimeSeriesWriter({
    sink,
    logger,
    onBatch: (s) => {
      metrics.addMetric('TimeSeriesPointsWritten', MetricUnit.Count, s.written);
      metrics.addMetric('TimeSeriesPointsRejected', MetricUnit.Count, s.rejected.length);
    },
  }),
);

export const handler = async (event: KinesisStreamEvent | MSKEvent): Promise<KinesisStreamBatchResponse | undefined> => {
  const write = await writer;
  try {
    if (!isMskEvent(event)) return await write(event);
    for (const partition of mskToKinesisEvents(event)) await write(partition);
  } finally {
    metrics.publishStoredMetrics();
  }
};
