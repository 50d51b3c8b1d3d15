/**
 * Lambda entry point of the compaction's `DeleteReplaced` state: per partition
 * of the run, what earlier runs replaced once the grace period is over, then
 * spent manifests; reports the failed partitions. Environment: `LAKE_BUCKET`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import { lakeFromEnv } from '../../src/adapters/aws/lake-env.js';
import { compactableTables } from '../../src/catalog.js';
import { type DeletedReplaced, deleteReplaced } from '../../src/lake/compaction-steps.js';

const logger = new Logger({ serviceName: 'ticklake-compaction' });
const s3 = new S3Client({});

/** Step Functions invokes the function with {run, partitions, results} as the event. */
export async function handler(event: Parameters<typeof deleteReplaced>[2]): Promise<DeletedReplaced> {
  const out = await deleteReplaced(lakeFromEnv(s3).store, compactableTables(), event);
  logger.info('deleted', { runId: event.run.runId, ...out });
  return out;
}
