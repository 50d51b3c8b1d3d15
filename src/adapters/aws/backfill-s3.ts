/**
 * The backfill's stage step on Amazon S3 (AWS SDK v3): staging the uploaded
 * trade files where Athena can read them (the publish step runs on the lake's
 * {@link S3ObjectStore}).
 *
 * Athena reads text and gzipped text but not `.zip`, which is what Binance
 * publishes. The stage step streams the CSV entry of each zip through gzip
 * into a multipart upload (ranged GETs feed the unzipper; nothing is held in
 * memory or on disk beyond one part), and copies `.csv` and `.gz` uploads as
 * they are. Each file gets its own prefix, the location of its lines table.
 */
import { PassThrough, Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import yauzl from 'yauzl';
import { copySource, listObjects, S3ObjectStore } from './s3-object-store.js';
import {
  BACKFILL_UPLOAD_PREFIX,
  backfillInputs,
  type BackfillRequest,
  linesPrefix,
  planFiles,
  processingTimeUs,
  runPrefix,
  type StagedBackfill,
  type StageInput,
} from '../../backfill/plan.js';

/** yauzl's random access over an S3 object: each read is a ranged GET. */
class S3RangeReader extends yauzl.RandomAccessReader {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly key: string,
  ) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    if (end <= start) return Readable.from([]);
    const out = new PassThrough();
    this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key, Range: `bytes=${start}-${end - 1}` })).then(
      (res) => {
        const body = res.Body as Readable;
        body.on('error', (e) => out.destroy(e));
        body.pipe(out);
      },
      (e: Error) => out.destroy(e),
    );
    return out;
  }
}

/** The first `.csv` entry of a zip object, streamed. */
async function zipCsvEntry(s3: S3Client, bucket: string, key: string, size: number): Promise<Readable> {
  const zip = await yauzl.fromRandomAccessReaderPromise(new S3RangeReader(s3, bucket, key), size, { lazyEntries: true, autoClose: true });
  return new Promise((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => reject(new Error(`s3://${bucket}/${key}: no .csv entry in the zip`)));
    zip.on('entry', (entry: yauzl.Entry) => {
      if (entry.fileName.endsWith('/') || !/\.csv$/i.test(entry.fileName)) return zip.readEntry();
      zip.openReadStream(entry, (e, stream) => (e || !stream ? reject(e ?? new Error(`cannot read ${entry.fileName}`)) : resolve(stream)));
    });
    zip.readEntry();
  });
}

/** Default multipart part size: 16 MiB (S3 allows 5 MiB-5 GiB parts, at most 10,000). */
export const PART_SIZE = 16 * 1024 * 1024;

/** Streams `body` into one object with a multipart upload (aborted on failure); returns the bytes written. */
export async function uploadStream(s3: S3Client, bucket: string, key: string, body: AsyncIterable<Buffer>, partSize = PART_SIZE): Promise<number> {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: 'text/csv', ContentEncoding: 'gzip' }));
  const parts: { ETag: string | undefined; PartNumber: number }[] = [];
  let chunks: Buffer[] = [];
  let pending = 0;
  let total = 0;
  const flush = async () => {
    const PartNumber = parts.length + 1;
    const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber, Body: Buffer.concat(chunks) }));
    parts.push({ ETag: r.ETag, PartNumber });
    chunks = [];
    pending = 0;
  };
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      pending += chunk.length;
      total += chunk.length;
      if (pending >= partSize) await flush();
    }
    if (pending > 0 || parts.length === 0) await flush();
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
    return total;
  } catch (e) {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId })).catch(() => undefined);
    throw e;
  }
}

export interface StageOptions {
  /** Files the state machine processes at once. */
  readonly maxConcurrency: number;
  readonly partSize?: number;
}

/** The upload prefix of a request: under `raw/backfill/`, ending in `/`. */
export function uploadPrefixOf(request: BackfillRequest): string {
  const p = request.uploadPrefix;
  if (!p) throw new Error(`the input needs "uploadPrefix": the S3 prefix of the uploaded files, under ${BACKFILL_UPLOAD_PREFIX}`);
  const prefix = p.endsWith('/') ? p : `${p}/`;
  if (!prefix.startsWith(BACKFILL_UPLOAD_PREFIX) || prefix.split('/').includes('..')) {
    throw new Error(`uploadPrefix ${JSON.stringify(p)} must be under ${BACKFILL_UPLOAD_PREFIX} in the lake bucket`);
  }
  return prefix;
}

/**
 * The stage step: plans the run's files from the uploads, clears the run's
 * staging prefix (a retried step starts clean) and stages each file's lines.
 */
export async function stageUploads(s3: S3Client, bucket: string, input: StageInput, options: StageOptions): Promise<StagedBackfill> {
  const prefix = uploadPrefixOf(input.request);
  const nowUs = processingTimeUs(input.request, input.startedAt);
  const uploads = await listObjects(s3, bucket, prefix);
  const files = planFiles(
    uploads.map((u) => u.key),
    input.request.symbol,
    (_name, index) => `s3://${bucket}/${linesPrefix(input.runId, index)}`,
  );
  if (files.length === 0) throw new Error(`no .csv, .zip or .gz trade files under s3://${bucket}/${prefix}`);
  const staging = new S3ObjectStore(s3, bucket);
  await staging.delete(await staging.list(runPrefix(input.runId)));

  const sizes = new Map(uploads.map((u) => [u.key, u.size]));
  const sources = backfillInputs(uploads.map((u) => u.key));
  for (const file of files) {
    const source = sources[file.index]!;
    const lines = linesPrefix(input.runId, file.index);
    if (/\.zip$/i.test(source)) {
      const entry = await zipCsvEntry(s3, bucket, source, sizes.get(source)!);
      const gzip = createGzip({ level: 1 });
      entry.on('error', (e) => gzip.destroy(e));
      entry.pipe(gzip);
      await uploadStream(s3, bucket, `${lines}${file.key}.csv.gz`, gzip, options.partSize);
    } else {
      const name = /\.gz$/i.test(source) ? `${file.key}.csv.gz` : `${file.key}.csv`;
      await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: `${lines}${name}`, CopySource: copySource(bucket, source) }));
    }
  }
  return {
    run: { runId: input.runId, processingTimeUs: nowUs, lakeRoot: `s3://${bucket}/`, maxConcurrency: options.maxConcurrency },
    files,
  };
}
