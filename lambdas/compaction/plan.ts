/**
 * Lambda entry point of the compaction's `PlanPartition` state: one
 * partition's manifests, then its listing; the files to merge and the Athena
 * statement writing them compacted (the list of files each merge replaces is
 * written to the run's staging prefix). Environment: `LAKE_BUCKET`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import { lakeFromEnv } from '../../src/adapters/aws/lake-env.js';
import { COMPACTION_DERIVATIONS, compactableTables } from '../../src/catalog.js';
import { type CompactionRun, type PartitionItem, type PartitionWork, planCompaction } from '../../src/lake/compaction-steps.js';
import { ATHENA } from '../../src/sql/dialect.js';

const logger = new Logger({ serviceName: 'ticklake-compaction' });
const s3 = new S3Client({});

/** Step Functions invokes the function with the iteration's input ({run, item}) as the event. */
export async function handler(event: { run: CompactionRun; item: PartitionItem }): Promise<PartitionWork> {
  const work = await planCompaction(lakeFromEnv(s3).store, compactableTables(), ATHENA, event, COMPACTION_DERIVATIONS);
  if (work.action === 'none' && work.waiting)
    logger.info('waits for a later run', { table: event.item.table, partition: event.item.partition, reason: work.waiting });
  return work;
}
