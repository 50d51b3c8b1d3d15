/** The object-store port's two implementations, files and S3 (the AWS SDK v3 against s3rver over HTTP), held to the same contract. */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../src/adapters/aws/s3-object-store.js';
import { createStreamTransform } from '../src/ingest/stream-transform.js';
import type { ObjectStore } from '../src/lake/object-store.js';
import { FileObjectStore } from '../src/local/file-object-store.js';
import { kinesisEvent, tradeMessage } from './helpers/kinesis-events.js';
import { tempDir } from './helpers/lake-files.js';
import { useS3rver } from './helpers/s3rver.js';

// s3rver is a real S3-compatible HTTP server: the real SDK v3 client talks to it over HTTP.
const BUCKET = 'ticklake-lake-test';
const local = useS3rver(BUCKET);

const stores: [string, () => ObjectStore][] = [
  ['files', () => new FileObjectStore(tempDir('ticklake-objects-'))],
  ['S3 (s3rver)', () => new S3ObjectStore(local.s3, BUCKET, `run-${Math.random().toString(36).slice(2)}/p/`)],
];

describe.each(stores)('object store on %s', (_name, make) => {
  it('puts, gets and deletes objects; missing ones are undefined, deleting them is no error', async () => {
    // Prepare
    const store = make();
    // Act
    await store.put('a/b.parquet', new Uint8Array([1, 2, 3]));
    await store.put('a/b.parquet', new Uint8Array([4, 5]));
    const got = await store.get('a/b.parquet');
    const missing = await store.get('a/none.parquet');
    await store.delete(['a/b.parquet', 'a/never-existed.parquet']);
    // Assess
    expect([...got!]).toEqual([4, 5]);
    expect(missing).toBeUndefined();
    expect(await store.get('a/b.parquet')).toBeUndefined();
    expect(await store.list('')).toEqual([]);
  });

  it('lists the keys under a string prefix, sorted, and copies an object without removing the source', async () => {
    // Prepare
    const store = make();
    for (const k of ['t/dt=2026-11-02/hour=05/b', 't/dt=2026-11-02/hour=05/a', 't/dt=2026-11-02/hour=06/a', 'tx/a', 'u/a'])
      await store.put(k, new TextEncoder().encode(k));
    // Act
    await store.copy('t/dt=2026-11-02/hour=05/a', 'v/copied.parquet');
    await store.copy('u/a', 'v/copied.parquet');
    // Assess
    expect(await store.list('t/')).toEqual(['t/dt=2026-11-02/hour=05/a', 't/dt=2026-11-02/hour=05/b', 't/dt=2026-11-02/hour=06/a']);
    expect(await store.list('t')).toEqual(['t/dt=2026-11-02/hour=05/a', 't/dt=2026-11-02/hour=05/b', 't/dt=2026-11-02/hour=06/a', 'tx/a']);
    expect(await store.list('none/')).toEqual([]);
    expect(new TextDecoder().decode(await store.get('v/copied.parquet'))).toBe('u/a');
    expect(await store.get('u/a')).toBeDefined();
    expect(store.uri('v/copied.parquet')).toMatch(/v\/copied\.parquet$/);
    expect(store.uri('v/copied.parquet').startsWith(store.location)).toBe(true);
  });
});

describe('S3 object store (AWS SDK v3 against s3rver over HTTP)', () => {
  it('keeps its objects under its prefix', async () => {
    // Prepare
    const store = new S3ObjectStore(local.s3, BUCKET, 'p/');
    // Act
    await store.put('a/b.parquet', new Uint8Array([1, 2, 3]));
    // Assess
    expect(await local.keys('p/')).toEqual(['p/a/b.parquet']);
    expect(store.uri('a/b.parquet')).toBe(`s3://${BUCKET}/p/a/b.parquet`);
    await store.delete(['a/b.parquet']);
    expect(await local.keys('p/')).toEqual([]);
    expect(() => new S3ObjectStore(local.s3, BUCKET, 'p')).toThrow(/must end with/);
  });

  it('the stream handler writes its Parquet objects and batch marker to the bucket, idempotently', async () => {
    // Prepare
    const handler = createStreamTransform({ lake: new S3ObjectStore(local.s3, BUCKET), clock: () => Date.UTC(2026, 10, 2, 12) });
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
