/** {@link BlobStore} on Amazon S3 with the AWS SDK v3: the cloud model store's storage. */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getObjectBytes, listObjects } from '../s3-lake-writer.js';
import type { BlobStore } from '../../../ml/steps/model-store.js';

/** Objects under `s3://<bucket>/<prefix>`. */
export class S3BlobStore implements BlobStore {
  readonly location: string;

  /**
   * @param s3 configured client
   * @param bucket bucket name (e.g. the lake bucket, or a dedicated model bucket)
   * @param prefix key prefix, ending with `/` (default `model-store/`)
   */
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly prefix = 'model-store/',
  ) {
    if (!bucket) throw new Error('S3BlobStore: bucket name is required (set MODEL_BUCKET)');
    if (prefix !== '' && !prefix.endsWith('/')) throw new Error(`S3BlobStore: prefix must end with "/", got ${prefix}`);
    this.location = `s3://${bucket}/${prefix}`;
  }

  uri(key: string): string {
    return `s3://${this.bucket}/${this.prefix}${key}`;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return getObjectBytes(this.s3, this.bucket, this.prefix + key);
  }

  async put(key: string, body: Uint8Array, contentType: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, Body: body, ContentType: contentType }));
  }

  async list(prefix: string): Promise<string[]> {
    return (await listObjects(this.s3, this.bucket, this.prefix + prefix)).map((o) => o.key.slice(this.prefix.length)).sort();
  }
}
