import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { S3LakeStats } from '../../src/adapters/aws/s3-lake-stats.js';
import { TABLES } from '../../src/catalog.js';
import { tablePrefix } from '../../src/lake/layout.js';
import { useS3rver } from '../helpers/s3rver.js';

const BUCKET = 'ticklake-test-lake';
const local = useS3rver(BUCKET);

async function put(key: string, bytes: number): Promise<void> {
  await local.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Buffer.alloc(bytes, 1) }));
}

describe('S3LakeStats on an S3 server', () => {
  it('counts Parquet files and bytes per table partition, under each catalog table prefix only', async () => {
    // Prepare
    const trades = tablePrefix(TABLES.trades!);
    const profile = tablePrefix(TABLES.company_profile!);
    await put(`${trades}dt=2026-11-02/hour=09/shardId-0-1-5.parquet`, 100);
    await put(`${trades}dt=2026-11-02/hour=09/shardId-1-1-5.parquet`, 50);
    await put(`${trades}dt=2026-11-02/hour=10/shardId-0-6-9.parquet`, 30);
    await put(`${trades}dt=2026-11-02/hour=10/_tmp.json`, 999);
    await put(`${profile}company_profile.parquet`, 10);
    await put('_batches/stream/shardId-0/1.json', 5);

    // Act
    const parts = await new S3LakeStats(local.s3, { bucket: BUCKET }).partitionFiles();

    // Assess
    const sorted = [...parts].sort((a, b) => a.table.localeCompare(b.table) || a.partition.localeCompare(b.partition));
    expect(sorted).toEqual([
      { table: 'company_profile', partition: '', files: 1, bytes: 10 },
      { table: 'trades', partition: 'dt=2026-11-02/hour=09', files: 2, bytes: 150 },
      { table: 'trades', partition: 'dt=2026-11-02/hour=10', files: 1, bytes: 30 },
    ]);
  });

  it('reads at most maxPagesPerTable listing pages per table, following continuation tokens', async () => {
    // Prepare: a mocked client (s3rver's paging is not S3's), every table endlessly truncated.
    const client = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const s3 = mockClient(client);
    let n = 0;
    s3.on(ListObjectsV2Command).callsFake((input: { Prefix: string }) => ({
      Contents: [{ Key: `${input.Prefix}dt=2026-11-03/hour=00/f-${n++}.parquet`, Size: 1 }],
      IsTruncated: true,
      NextContinuationToken: `t-${n}`,
    }));

    // Act
    const parts = await new S3LakeStats(client, { bucket: BUCKET, maxPagesPerTable: 3 }).partitionFiles();

    // Assess
    const tables = Object.keys(TABLES).length;
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(3 * tables);
    expect(parts.find((p) => p.table === 'crypto_quotes')).toEqual({ table: 'crypto_quotes', partition: 'dt=2026-11-03/hour=00', files: 3, bytes: 3 });
    const tokens = s3.commandCalls(ListObjectsV2Command, { Prefix: tablePrefix(TABLES.trades!) }).map((c) => c.args[0].input.ContinuationToken);
    expect(tokens[0]).toBeUndefined();
    expect(tokens.slice(1)).toEqual([expect.stringMatching(/^t-/), expect.stringMatching(/^t-/)]);
    client.destroy();
  });

  it('reports no dead letters (the SQS queue is not read in the cloud yet)', async () => {
    // Prepare
    const stats = new S3LakeStats(local.s3, { bucket: BUCKET });

    // Act
    const d = await stats.deadLetters();

    // Assess
    expect(d).toEqual({ batches: 0, records: 0 });
  });
});
