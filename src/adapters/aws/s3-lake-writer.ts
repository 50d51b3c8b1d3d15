/** {@link LakeWriter} on Amazon S3 with the AWS SDK v3. */
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { LakeWriter } from '../../lake/lake-writer.js';

/** The bytes of an object, or undefined when there is no such key (needs s3:ListBucket to tell, else S3 answers 403). */
export async function getObjectBytes(s3: S3Client, bucket: string, key: string): Promise<Uint8Array | undefined> {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return res.Body ? await res.Body.transformToByteArray() : new Uint8Array();
  } catch (e) {
    if (e instanceof NoSuchKey || (e as { name?: string }).name === 'NoSuchKey') return undefined;
    throw e;
  }
}

/** Every object under a prefix: key and size. */
export async function listObjects(s3: S3Client, bucket: string, prefix: string): Promise<{ key: string; size: number }[]> {
  const out: { key: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of r.Contents ?? []) if (o.Key) out.push({ key: o.Key, size: o.Size ?? 0 });
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return out;
}

export class S3LakeWriter implements LakeWriter {
  readonly location: string;
  /**
   * @param s3 configured client (region, endpoint for emulators)
   * @param bucket lake bucket name
   * @param prefix optional key prefix inside the bucket (no leading slash)
   */
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly prefix = '',
  ) {
    if (!bucket) throw new Error('S3LakeWriter: bucket name is required (set LAKE_BUCKET)');
    this.location = `s3://${bucket}/${prefix}`;
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    // PutObject replaces atomically: a retried batch overwrites its own object.
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, Body: body, ContentType: 'application/vnd.apache.parquet' }),
    );
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return getObjectBytes(this.s3, this.bucket, this.prefix + key);
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = keys.slice(i, i + 1000);
      if (chunk.length === 0) continue;
      await this.s3.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: chunk.map((k) => ({ Key: this.prefix + k })), Quiet: true } }),
      );
    }
  }
}
