/**
 * Lambda entry point of the backfill's `StageUploads` state: plans the run's
 * files from the uploads under `uploadPrefix` and stages their lines where
 * Athena reads them (zips streamed to gzip). Environment: `LAKE_BUCKET`,
 * `BACKFILL_MAX_CONCURRENCY` (files processed at once, default 4).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import type { StagedBackfill } from '../../src/backfill/plan.js';
import { stageUploads } from '../../src/adapters/aws/backfill-s3.js';
import type { StageInput } from '../../src/backfill/plan.js';

const logger = new Logger({ serviceName: 'ticklake-backfill' });
const s3 = new S3Client({});

/** Step Functions invokes the function with the state's Parameters as the event. */
export async function handler(event: StageInput): Promise<StagedBackfill> {
  const bucket = process.env.LAKE_BUCKET;
  if (!bucket) throw new Error('LAKE_BUCKET is not set');
  const staged = await stageUploads(s3, bucket, event, { maxConcurrency: Number(process.env.BACKFILL_MAX_CONCURRENCY ?? 4) });
  logger.info('staged', { runId: staged.run.runId, files: staged.files.map((f) => f.sourceName) });
  return staged;
}
