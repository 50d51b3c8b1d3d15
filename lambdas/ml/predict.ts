/**
 * Lambda entry point of the live predictions: invoked with closed bars
 * (`{ bars: [...] }`) or by a one-minute schedule (`{ time }`), see
 * `src/ml/steps/predict-handler.ts`. Forecasts with each symbol's
 * champion (pointers cached for a minute, models once per container), writes
 * `predictions` rows to the lake and `prediction` points to the time-series
 * store configured by `TIME_SERIES_ENGINE` (none by default; in the deployed
 * app through the time-series points function, `TIME_SERIES_POINTS_FUNCTION`).
 *
 * With a time-series store, each schedule tick first publishes the closed
 * minute bars (`src/timeseries/cloud-bar-publisher.ts`): onto the enriched
 * stream named by `ENRICHED_STREAM_NAME`, which the time-series writer
 * consumes into the store (without it, straight to the store; settings
 * `BAR_ALLOWED_LATENESS_SECONDS`, `BAR_CORRECTION_HORIZON_MINUTES`,
 * `BAR_MAX_CATCH_UP_MINUTES`). `{ "time": ..., "republishBarsFrom": ISO }`
 * re-publishes the bars from that instant on. Refused points are logged with
 * their reason and counted (BarPointsRejected, PredictionPointsRejected). A
 * tick whose bar publishing failed still makes its predictions, then fails,
 * so the schedule retries it and its dead-letter queue (and alarm) sees it;
 * the state of the bar publisher is saved only after a successful write, so
 * the next tick publishes what this one could not.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { KinesisStreamProducer } from '../../src/adapters/aws/kinesis-stream-producer.js';
import { cloudAthenaBars, cloudBarSource, cloudModelStore } from '../../src/adapters/aws/ml/cloud.js';
import { PredictionService } from '../../src/ml/steps/live-predictions.js';
import { createPredictHandler, type PredictEvent, type PredictResult } from '../../src/ml/steps/predict-handler.js';
import { createCloudBarPublisher, withBarPublishing, type BarTickResult } from '../../src/timeseries/cloud-bar-publisher.js';
import { cloudConfigFromEnv, createCloudSink } from '../../src/adapters/aws/timeseries/cloud-sink.js';
import { logRejected, reportingSink } from '../../src/timeseries/rejections.js';
import { S3ObjectStore } from '../../src/adapters/aws/s3-object-store.js';

const logger = new Logger({ serviceName: 'ticklake-ml-predict' });
const metrics = new Metrics({ namespace: 'ticklake', serviceName: 'ml-predict' });
const s3 = new S3Client({});
const store = cloudModelStore(process.env, s3);
const bars = cloudBarSource(process.env);
const sink = createCloudSink(cloudConfigFromEnv(process.env));

/** A whole number from the environment, or undefined. */
function envInt(name: string): number | undefined {
  const v = process.env[name]?.trim();
  if (!v) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number (got "${v}")`);
  return n;
}

let run: ((event: PredictEvent & { readonly republishBarsFrom?: string }) => Promise<PredictResult>) | undefined;
let service: PredictionService | undefined;

function recordBarTick(r: BarTickResult): void {
  metrics.addMetric('BarsPublished', MetricUnit.Count, r.fresh);
  metrics.addMetric('BarCorrectionsPublished', MetricUnit.Count, r.corrections);
  metrics.addMetric('BarPointsRejected', MetricUnit.Count, r.rejected.length);
  metrics.addMetric('BarPublishBacklogMinutes', MetricUnit.Count, r.backlogMinutes);
  logRejected(logger, 'bar', r.rejected);
  logger.info('bars published', { ...r, rejected: r.rejected.length });
}

function recordPredictions(result: PredictResult): PredictResult {
  const s = service!.stats();
  metrics.addMetric('BarsFed', MetricUnit.Count, result.bars);
  metrics.addMetric('PredictionsMade', MetricUnit.Count, result.predictions);
  metrics.addMetric('PredictionRowsWritten', MetricUnit.Count, result.rows);
  metrics.addMetric('PredictionPointsRejected', MetricUnit.Count, result.rejectedPoints);
  metrics.addMetric('PredictMsPerBar', MetricUnit.Milliseconds, s.predictMsPerBar);
  logger.info('predictions', { ...result, predictMsPerBar: s.predictMsPerBar, championReads: s.championReads, modelLoads: s.modelLoads });
  return result;
}

async function createRun(): Promise<NonNullable<typeof run>> {
  const timeSeries = await sink;
  service = new PredictionService({
    store,
    lake: new S3ObjectStore(s3, process.env.LAKE_BUCKET ?? ''),
    // Predictions are lake rows first: a store outage is logged and counted, it does not stop them.
    timeSeries: reportingSink(timeSeries, logger, 'prediction', { unavailableAsRejected: true }),
    history: bars,
    filePrefix: `predict-${Date.now()}`,
  });
  const handle = createPredictHandler({ service, store, bars });
  const predict = async (event: PredictEvent) => recordPredictions(await handle(event));
  if (timeSeries.kind === 'none') return predict;
  const enrichedStream = process.env.ENRICHED_STREAM_NAME?.trim();
  const publish = createCloudBarPublisher({
    lake: cloudAthenaBars(process.env),
    sink: timeSeries,
    // Bounded requests: a PutRecords call never hangs past the function's timeout.
    ...(enrichedStream
      ? {
          enriched: new KinesisStreamProducer(new KinesisClient({ requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 } }), {
            streamName: enrichedStream,
          }),
        }
      : {}),
    state: store,
    allowedLatenessSeconds: envInt('BAR_ALLOWED_LATENESS_SECONDS'),
    correctionHorizonMinutes: envInt('BAR_CORRECTION_HORIZON_MINUTES'),
    maxCatchUpMinutes: envInt('BAR_MAX_CATCH_UP_MINUTES'),
  });
  return withBarPublishing(predict, publish, {
    onTick: recordBarTick,
    onError: (e) => {
      metrics.addMetric('BarPublishFailures', MetricUnit.Count, 1);
      logger.error('publishing closed bars failed; the next tick publishes them', e as Error);
    },
  });
}

/** Closed bars or a schedule tick in, a summary out. */
export const handler = async (event: PredictEvent & { readonly republishBarsFrom?: string }): Promise<PredictResult> => {
  run ??= await createRun();
  try {
    return await run(event);
  } finally {
    metrics.publishStoredMetrics();
  }
};
