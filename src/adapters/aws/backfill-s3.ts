/**
 * The backfill's stage step on Amazon S3 (AWS SDK v3): staging the uploaded
 * trade files where Athena can read them (the publish step runs on the lake's
 * {@link S3ObjectStore}).
 *
 * Athena reads text and gzipped text but not `.zip`, which is what Binance
 * publishes, and its `UNLOAD` writes at most 100 partitions per statement,
 * while a monthly archive spans ~744 hours. The stage step streams the text of
 * each upload (a zip's CSV entry through ranged GETs, a `.gz` decompressed)
 * through the day split into one gzipped multipart upload per UTC day: nothing
 * is held in memory or on disk beyond one part. Each piece gets its own
 * prefix, the location of its lines table.
 */
import { PassThrough, Readable } from 'node:stream';
import { once } from 'node:events';
import { createGunzip, createGzip } from 'node:zlib';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import yauzl from 'yauzl';
import { listObjects, S3ObjectStore } from './s3-object-store.js';
import {
  BACKFILL_UPLOAD_PREFIX,
  backfillInputs,
  type BackfillRequest,
  filePieces,
  linesPrefix,
  planFiles,
  processingTimeUs,
  runPrefix,
  type StagedBackfill,
  type StagedFile,
  type StageInput,
} from '../../backfill/plan.js';
import { type PieceSink, splitByDay } from '../../backfill/split.js';

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

/** The text of an upload, streamed: the CSV entry of a zip, a `.gz` decompressed, a `.csv` as it is. */
async function uploadText(s3: S3Client, bucket: string, key: string, size: number): Promise<Readable> {
  if (/\.zip$/i.test(key)) return zipCsvEntry(s3, bucket, key, size);
  const body = (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body as Readable;
  if (!/\.gz$/i.test(key)) return body;
  const gunzip = createGunzip();
  body.on('error', (e) => gunzip.destroy(e));
  return body.pipe(gunzip);
}

/** A piece's sink: its lines through gzip into one multipart upload. */
function gzipUploadSink(s3: S3Client, bucket: string, key: string, partSize: number | undefined): PieceSink {
  const gzip = createGzip({ level: 1 });
  const upload = uploadStream(s3, bucket, key, gzip, partSize);
  // A failed upload stops the writes: a pending write would otherwise wait for a drain that never comes.
  const failed = upload.then(
    () => new Promise<never>(() => undefined),
    (e: unknown) => Promise.reject(e),
  );
  failed.catch(() => undefined);
  return {
    write: async (chunk) => {
      if (!gzip.write(chunk)) await Promise.race([once(gzip, 'drain'), failed]);
    },
    end: async () => {
      gzip.end();
      await upload;
    },
    abort: async () => {
      // The upload sees the error and aborts its multipart upload.
      gzip.destroy(new Error('the input failed'));
      await upload.catch(() => undefined);
    },
  };
}

/**
 * The stage step: plans the run's files from the uploads, clears the run's
 * staging prefix (a retried step starts clean) and stages each file's lines
 * as pieces of one UTC day each (`src/backfill/split.ts`), gzipped, one
 * prefix per piece: no Athena statement then writes more than 24 hour
 * partitions, whatever the file spans.
 */
export async function stageUploads(s3: S3Client, bucket: string, input: StageInput, options: StageOptions): Promise<StagedBackfill> {
  const prefix = uploadPrefixOf(input.request);
  const nowUs = processingTimeUs(input.request, input.startedAt);
  const uploads = await listObjects(s3, bucket, prefix);
  // Each piece gets its own lines location below; a file has none of its own.
  const files = planFiles(
    uploads.map((u) => u.key),
    input.request.symbol,
    () => '',
  );
  if (files.length === 0) throw new Error(`no .csv, .zip or .gz trade files under s3://${bucket}/${prefix}`);
  const staging = new S3ObjectStore(s3, bucket);
  await staging.delete(await staging.list(runPrefix(input.runId)));

  const sizes = new Map(uploads.map((u) => [u.key, u.size]));
  const sources = backfillInputs(uploads.map((u) => u.key));
  const split: StagedFile[] = [];
  let staged = 0;
  for (const file of files) {
    const source = sources[file.index]!;
    try {
      const text = await uploadText(s3, bucket, source, sizes.get(source)!);
      const pieces = await splitByDay(text, nowUs, (piece) =>
        gzipUploadSink(s3, bucket, `${linesPrefix(input.runId, staged + piece)}${file.key}.csv.gz`, options.partSize),
      );
      staged += pieces.length;
      split.push({ file, pieces });
    } catch (e) {
      // An unreadable file fails alone (at RenderStatements); what it staged is cleared with the run.
      split.push({ file, error: (e as Error).message });
      // Its pieces staged so far go: the next file's pieces take their prefixes.
      const lines = `${runPrefix(input.runId)}lines/`;
      await staging.delete((await staging.list(lines)).filter((k) => Number(k.slice(lines.length).split('/')[0]) >= staged));
      staged += 1;
    }
  }
  return {
    run: { runId: input.runId, processingTimeUs: nowUs, lakeRoot: `s3://${bucket}/`, maxConcurrency: options.maxConcurrency },
    files: filePieces(split, (_file, index) => `s3://${bucket}/${linesPrefix(input.runId, index)}`),
  };
}
