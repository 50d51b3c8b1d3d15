/** The lake bucket a Lambda function is given in its environment (`LAKE_BUCKET`). */
import type { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from './s3-object-store.js';

/** The lake bucket's name and the lake as an object store; throws when `LAKE_BUCKET` is not set. */
export function lakeFromEnv(s3: S3Client): { readonly bucket: string; readonly store: S3ObjectStore } {
  const bucket = process.env.LAKE_BUCKET;
  if (!bucket) throw new Error('LAKE_BUCKET is not set');
  return { bucket, store: new S3ObjectStore(s3, bucket) };
}
