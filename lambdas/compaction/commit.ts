/**
 * Lambda entry point of the compaction's `CommitPartition` state: writes the
 * manifest (with the plan's list of replaced files), copies the staged output
 * into the partition folder, then makes the manifest visible (or finishes such
 * a publication a crash interrupted). The replaced files are deleted later, by
 * `DeleteReplaced`. Environment: `LAKE_BUCKET`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import { lakeFromEnv } from '../../src/adapters/aws/lake-env.js';
import { compactableTables } from '../../src/catalog.js';
import { type CommittedPartition, type CompactionRun, commitPartition, type PartitionItem, type PartitionWork } from '../../src/lake/compaction-steps.js';

const logger = new Logger({ serviceName: 'ticklake-compaction' });
const s3 = new S3Client({});

/** Step Functions invokes the function with {run, item, plan} as the event. */
export async function handler(event: { run: CompactionRun; item: PartitionItem; plan: PartitionWork }): Promise<CommittedPartition> {
  const out = await commitPartition(lakeFromEnv(s3).store, compactableTables(), event);
  logger.info('committed', { table: event.item.table, partition: event.item.partition, ...out });
  return out;
}
