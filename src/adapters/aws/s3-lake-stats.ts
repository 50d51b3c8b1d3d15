/**
 * The dashboard's {@link LakeStats} in the cloud: Parquet files and bytes per
 * partition from S3 listings under each catalog table's prefix.
 *
 * Dead letters: the stream's on-failure destination is an SQS queue, and its
 * depth needs `sqs:GetQueueAttributes` through an SQS client the project does
 * not ship; until it does, the cloud panel reports none (the observability
 * stack's dead-letter alarm watches that queue meanwhile).
 */
import { ListObjectsV2Command, type ListObjectsV2CommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { TABLES } from '../../catalog.js';
import type { DeadLetters, LakeStats, PartitionFiles } from '../../dashboard/panels.js';
import { tablePrefix } from '../../lake/layout.js';

export interface S3LakeStatsOptions {
  /** The lake bucket. */
  readonly bucket: string;
  /**
   * Listing pages read per table at most, so a table of many small files
   * costs a bounded number of requests (its counts are then a lower bound).
   * Default 10 (10,000 keys).
   */
  readonly maxPagesPerTable?: number;
}

/** Files per partition from S3 ListObjectsV2, table by table. */
export class S3LakeStats implements LakeStats {
  constructor(
    private readonly s3: S3Client,
    private readonly options: S3LakeStatsOptions,
  ) {}

  async partitionFiles(): Promise<readonly PartitionFiles[]> {
    const perTable = await Promise.all(Object.values(TABLES).map((t) => this.tableFiles(t.name, tablePrefix(t))));
    return perTable.flat();
  }

  private async tableFiles(table: string, prefix: string): Promise<PartitionFiles[]> {
    const byPartition = new Map<string, { files: number; bytes: number }>();
    const maxPages = this.options.maxPagesPerTable ?? 10;
    let token: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const r: ListObjectsV2CommandOutput = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.options.bucket,
          Prefix: prefix,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const o of r.Contents ?? []) {
        if (!o.Key?.endsWith('.parquet')) continue;
        // `<zone>/<table>/dt=…/hour=…/<file>` → `dt=…/hour=…`; `` for an unpartitioned table.
        const partition = o.Key.slice(prefix.length).split('/').slice(0, -1).join('/');
        const entry = byPartition.get(partition) ?? { files: 0, bytes: 0 };
        entry.files++;
        entry.bytes += o.Size ?? 0;
        byPartition.set(partition, entry);
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
      if (!token) break;
    }
    return [...byPartition].map(([partition, e]) => ({ table, partition, ...e }));
  }

  async deadLetters(): Promise<DeadLetters> {
    // Unknown in the cloud without an SQS client (see the module comment): reported as none.
    return { batches: 0, records: 0 };
  }
}
