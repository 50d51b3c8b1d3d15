/**
 * Lambda entry point of the compaction's `ListClosedPartitions` state: the
 * partitions of the lake's tables (and their manifests) with work to do.
 * Environment: `LAKE_BUCKET`, `COMPACTION_MAX_CONCURRENCY` (partitions
 * compacted at once, default 4), `COMPACTION_GRACE_MS` (the grace period of a
 * run whose input sets none: longer than any Athena query).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import { lakeFromEnv } from '../../src/adapters/aws/lake-env.js';
import { COMPACTION_DERIVATIONS, compactableTables } from '../../src/catalog.js';
import { type ListedPartitions, type ListInput, listClosedPartitions } from '../../src/lake/compaction-steps.js';

const logger = new Logger({ serviceName: 'ticklake-compaction' });
const s3 = new S3Client({});

/** Step Functions invokes the function with the state's input as the event. */
export async function handler(event: ListInput): Promise<ListedPartitions> {
  const { bucket, store } = lakeFromEnv(s3);
  const listed = await listClosedPartitions(
    store,
    compactableTables(),
    event,
    {
      lakeRoot: `s3://${bucket}/`,
      maxConcurrency: Number(process.env.COMPACTION_MAX_CONCURRENCY ?? 4),
      publish: true,
      ...(process.env.COMPACTION_GRACE_MS ? { defaultGraceMs: Number(process.env.COMPACTION_GRACE_MS) } : {}),
    },
    COMPACTION_DERIVATIONS,
  );
  logger.info('listed', { runId: listed.run.runId, partitions: listed.partitions.length, remaining: listed.remaining });
  return listed;
}
