/**
 * s3rver, a real S3-compatible HTTP server, on a free loopback port with one
 * bucket, and the real AWS SDK v3 client pointed at it (path-style, fixed
 * credentials). Stop it with `close()`, or let `useS3rver` start one before a
 * test file's tests and stop it after them.
 */
import type { AddressInfo } from 'node:net';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll } from 'vitest';
import { tempDir } from './lake-files.js';

export interface LocalS3 {
  readonly s3: S3Client;
  /** The bucket's keys under a prefix, sorted. */
  keys(prefix?: string): Promise<string[]>;
  close(): Promise<void>;
}

export async function startS3rver(bucket: string): Promise<LocalS3> {
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: tempDir('s3rver-'), configureBuckets: [{ name: bucket, configs: [] }] });
  const addr = (await server.run()) as AddressInfo;
  const s3 = new S3Client({
    region: 'eu-west-1',
    endpoint: `http://127.0.0.1:${addr.port}`,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  return {
    s3,
    async keys(prefix = '') {
      const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return (r.Contents ?? []).map((o) => o.Key!).sort();
    },
    async close() {
      s3.destroy();
      await server.close();
    },
  };
}

/**
 * One s3rver for the calling test file: started in its `beforeAll`, closed in
 * its `afterAll`. The returned handle is usable inside tests and hooks.
 */
export function useS3rver(bucket: string): LocalS3 {
  let local: LocalS3 | undefined;
  beforeAll(async () => {
    local = await startS3rver(bucket);
  });
  afterAll(() => local?.close());
  const started = (): LocalS3 => {
    if (!local) throw new Error('s3rver is not started yet: use it inside a test or hook');
    return local;
  };
  return {
    get s3() {
      return started().s3;
    },
    keys: (prefix) => started().keys(prefix),
    close: () => started().close(),
  };
}
