/**
 * Lambda entry point of the backfill's `PublishOutputs` state: moves each
 * file's staged Parquet into the lake tables under deterministic names,
 * replacing what an earlier backfill of the same file published, then clears
 * the run's staging prefix. Environment: `LAKE_BUCKET`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import type { PublishInput, PublishOutput } from '../../src/backfill/plan.js';
import { publishBackfill } from '../../src/backfill/publish.js';
import { S3ObjectStore } from '../../src/adapters/aws/s3-object-store.js';

const logger = new Logger({ serviceName: 'ticklake-backfill' });
const s3 = new S3Client({});

/** Step Functions invokes the function with the state's Parameters as the event. */
export async function handler(event: PublishInput): Promise<PublishOutput> {
  const bucket = process.env.LAKE_BUCKET;
  if (!bucket) throw new Error('LAKE_BUCKET is not set');
  const out = await publishBackfill(new S3ObjectStore(s3, bucket), event);
  logger.info('published', { runId: event.run.runId, published: out.published, failedFiles: out.failedFiles });
  return out;
}
