import { GetObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { S3LakeWriter } from '../src/adapters/aws/s3-lake-writer.js';
import { createStreamTransform } from '../src/ingest/stream-transform.js';
import { kinesisEvent, tradeMessage } from './helpers/kinesis-events.js';
import { useS3rver } from './helpers/s3rver.js';

// s3rver is a real S3-compatible HTTP server: the real SDK v3 client talks to it over HTTP.
const BUCKET = 'ticklake-lake-test';
const local = useS3rver(BUCKET);

describe('S3 lake writer (AWS SDK v3 against s3rver over HTTP)', () => {
  it('puts, gets and deletes objects', async () => {
    // Prepare
    const lake = new S3LakeWriter(local.s3, BUCKET, 'p/');
    // Act
    await lake.put('a/b.parquet', new Uint8Array([1, 2, 3]));
    const got = await lake.get('a/b.parquet');
    const missing = await lake.get('a/none.parquet');
    await lake.delete(['a/b.parquet', 'a/never-existed.parquet']);
    // Assess
    expect([...got!]).toEqual([1, 2, 3]);
    expect(missing).toBeUndefined();
    expect(await local.keys('p/')).toEqual([]);
  });

  it('the stream handler writes its Parquet objects and batch marker to the bucket, idempotently', async () => {
    // Prepare
    const handler = createStreamTransform({ lake: new S3LakeWriter(local.s3, BUCKET), clock: () => Date.UTC(2026, 10, 2, 12) });
    const event = kinesisEvent([tradeMessage({ t: 1, T: Date.UTC(2026, 10, 2, 9) }), 'oops']);
    // Act
    await handler(event);
    const first = await local.keys();
    await handler(event);
    // Assess
    expect(await local.keys()).toEqual(first);
    expect(first.filter((k) => k.startsWith('curated/trades/dt=2026-11-02/hour=09/'))).toHaveLength(1);
    expect(first.filter((k) => k.startsWith('quarantine/quarantine/'))).toHaveLength(1);
    expect(first.filter((k) => k.startsWith('raw/raw_events/'))).toHaveLength(1);
    const marker = first.find((k) => k.startsWith('_batches/ticklake-events/shardId-000000000000/'))!;
    const body = await (await local.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: marker }))).Body!.transformToString();
    expect(JSON.parse(body).objects).toHaveLength(4);
    expect(first.filter((k) => k.startsWith('aggregate/bar_partials/dt=2026-11-02/hour=09/'))).toHaveLength(1);
    const head = await local.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: first.find((k) => k.startsWith('curated/'))! }));
    const bytes = await head.Body!.transformToByteArray();
    expect(Buffer.from(bytes.subarray(0, 4)).toString()).toBe('PAR1');
  });
});
