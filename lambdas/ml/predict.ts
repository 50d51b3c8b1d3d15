/**
 * Lambda entry point of the live predictions: invoked with closed bars
 * (`{ bars: [...] }`) or by a one-minute schedule (`{ time }`), see
 * `lambdas/shared/ml/predict-handler.ts`. Forecasts with each symbol's
 * champion (pointers cached for a minute, models once per container), writes
 * `predictions` rows to the lake and `prediction` points to the time-series
 * store configured by `TIME_SERIES_ENGINE` (none by default).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { S3Client } from '@aws-sdk/client-s3';
import { S3LakeWriter } from '../shared/s3-lake-writer.js';
import { cloudBarSource, cloudModelStore } from '../shared/ml/cloud.js';
import { PredictionService } from '../shared/ml/live-predictions.js';
import { createPredictHandler, type PredictEvent, type PredictResult } from '../shared/ml/predict-handler.js';
import { cloudConfigFromEnv, createCloudSink } from '../shared/timeseries/cloud-sink.js';

const logger = new Logger({ serviceName: 'ticklake-ml-predict' });
const metrics = new Metrics({ namespace: 'ticklake', serviceName: 'ml-predict' });
const s3 = new S3Client({});
const store = cloudModelStore(process.env, s3);
const bars = cloudBarSource(process.env);
const sink = createCloudSink(cloudConfigFromEnv(process.env));

let run: ((event: PredictEvent) => Promise<PredictResult>) | undefined;
let service: PredictionService | undefined;

/** Closed bars or a schedule tick in, a summary out. */
export const handler = async (event: PredictEvent): Promise<PredictResult> => {
  if (run === undefined) {
    service = new PredictionService({ store, lake: new S3LakeWriter(s3, process.env.LAKE_BUCKET ?? ''), timeSeries: await sink, history: bars, filePrefix: `predict-${Date.now()}` });
    run = createPredictHandler({ service, store, bars });
  }
  try {
    const result = await run(event);
    const s = service!.stats();
    metrics.addMetric('BarsFed', MetricUnit.Count, result.bars);
    metrics.addMetric('PredictionsMade', MetricUnit.Count, result.predictions);
    metrics.addMetric('PredictionRowsWritten', MetricUnit.Count, result.rows);
    metrics.addMetric('PredictionPointsRejected', MetricUnit.Count, result.rejectedPoints);
    metrics.addMetric('PredictMsPerBar', MetricUnit.Milliseconds, s.predictMsPerBar);
    logger.info('predictions', { ...result, predictMsPerBar: s.predictMsPerBar, championReads: s.championReads, modelLoads: s.modelLoads });
    return result;
  } finally {
    metrics.publishStoredMetrics();
  }
};
