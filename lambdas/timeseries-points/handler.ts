/**
 * Lambda entry point of the time-series points function: writes the points it
 * is invoked with (`{ points, versions? }`, see
 * `src/timeseries/points-function.ts`) to the store the time-series
 * stack configures (TIME_SERIES_ENGINE, ...) and answers with the per-point
 * verdicts. Refused points are logged with their reason and counted here too.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { cloudConfigFromEnv, createCloudSink } from '../../src/adapters/aws/timeseries/cloud-sink.js';
import { logRejected } from '../../src/timeseries/rejections.js';
import { createPointsHandler, type PointsRequest, type PointsResponse } from '../../src/timeseries/points-function.js';

const logger = new Logger();
const metrics = new Metrics({ namespace: 'ticklake', serviceName: 'timeseries-points' });
const config = cloudConfigFromEnv();
// This function is where points end: it never writes through another points function.
if ('pointsFunction' in config) throw new Error('TIME_SERIES_POINTS_FUNCTION must not be set on the time-series points function itself');
// Created once per container.
const write = createCloudSink(config).then((sink) =>
  createPointsHandler({
    sink,
    onResult: (r) => {
      metrics.addMetric('TimeSeriesPointsWritten', MetricUnit.Count, r.written);
      metrics.addMetric('TimeSeriesPointsRejected', MetricUnit.Count, r.rejected.length);
      logRejected(logger, 'requested', r.rejected);
    },
  }),
);

export const handler = async (event: PointsRequest): Promise<PointsResponse> => {
  try {
    return await (await write)(event);
  } finally {
    metrics.publishStoredMetrics();
  }
};
