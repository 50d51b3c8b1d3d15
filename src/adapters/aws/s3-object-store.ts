/** {@link ObjectStore} on Amazon S3 with the AWS SDK v3: the lake bucket, and the model store under its prefix. */
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { type ObjectStore, PARQUET_CONTENT_TYPE } from '../../lake/object-store.js';

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

/** CopySource: bucket and URL-encoded key (`encodeURI` keeps the `/` and `=` of partition paths, as S3 and s3rver both accept). */
export const copySource = (bucket: string, key: string) => `${bucket}/${encodeURI(key)}`;

/** Objects under `s3://<bucket>/<prefix>`. */
export class S3ObjectStore implements ObjectStore {
  readonly location: string;
  /**
   * @param s3 configured client (region, endpoint for emulators)
   * @param bucket bucket name (the lake bucket, or the model bucket)
   * @param prefix key prefix inside the bucket, empty or ending with `/` (no leading slash)
   */
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly prefix = '',
  ) {
    if (!bucket) throw new Error('S3ObjectStore: bucket name is required (set LAKE_BUCKET, or MODEL_BUCKET for the model store)');
    if (prefix !== '' && !prefix.endsWith('/')) throw new Error(`S3ObjectStore: prefix must end with "/", got ${prefix}`);
    this.location = `s3://${bucket}/${prefix}`;
  }

  uri(key: string): string {
    return `s3://${this.bucket}/${this.prefix}${key}`;
  }

  /** Undefined when there is no such key (needs s3:ListBucket to tell, else S3 answers 403). */
  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      return res.Body ? await res.Body.transformToByteArray() : new Uint8Array();
    } catch (e) {
      if (e instanceof NoSuchKey || (e as { name?: string }).name === 'NoSuchKey') return undefined;
      throw e;
    }
  }

  async put(key: string, body: Uint8Array, contentType = PARQUET_CONTENT_TYPE): Promise<void> {
    // PutObject replaces atomically: a retried batch overwrites its own object.
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, Body: body, ContentType: contentType }));
  }

  async copy(from: string, to: string, contentType = PARQUET_CONTENT_TYPE): Promise<void> {
    // Server-side; the source stays, so a retried copy (e.g. a retried publish step) finds it again.
    await this.s3.send(
      new CopyObjectCommand({
        Bucket: this.bucket,
        Key: this.prefix + to,
        CopySource: copySource(this.bucket, this.prefix + from),
        ContentType: contentType,
        MetadataDirective: 'REPLACE',
      }),
    );
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = keys.slice(i, i + 1000);
      if (chunk.length === 0) continue;
      await this.s3.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: chunk.map((k) => ({ Key: this.prefix + k })), Quiet: true } }));
    }
  }

  async list(prefix: string): Promise<string[]> {
    return (await listObjects(this.s3, this.bucket, this.prefix + prefix)).map((o) => o.key.slice(this.prefix.length)).sort();
  }
}
