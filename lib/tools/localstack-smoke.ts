/**
 * Smoke test of a LocalStack deployment (`npm run localstack:deploy` first):
 * puts Binance trade messages and two malformed records on the stream, then
 * waits until the stream transform has landed Parquet files in the lake's
 * raw, curated and quarantine zones and reads the curated rows back.
 *
 *   npm run localstack:smoke            (LOCALSTACK_ENDPOINT defaults to http://localhost:4566)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { parquetReadObjects } from 'hyparquet';
import { PROJECT_ROOT } from '../paths.js';
import { entriesFromLines, putAll } from './put-records.js';

export const OUTPUTS_FILE = join(PROJECT_ROOT, 'cdk.out', 'localstack-outputs.json');

/** Binance trade stream messages with consecutive ids, one per `stepMs`. */
export function smokeMessages(n: number, startMs: number, stepMs = 250): string[] {
  return Array.from({ length: n }, (_, i) => {
    const T = startMs + i * stepMs;
    const price = (97_000 + Math.sin(i / 5) * 50).toFixed(2);
    return JSON.stringify({ e: 'trade', E: T + 2, s: 'BTCUSDT', t: 9_000_000_000 + i, p: `${price}000000`, q: '0.01000000', T, m: i % 2 === 0, M: true });
  });
}

/** Stack outputs written by `cdklocal deploy --outputs-file`. */
export function readOutputs(file = OUTPUTS_FILE): { streamName: string; lakeBucket: string } {
  if (!existsSync(file)) throw new Error(`${file} not found: run npm run localstack:deploy first`);
  const all = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>;
  const find = (key: string) => Object.values(all).find((o) => o[key])?.[key];
  const streamName = find('StreamName');
  const lakeBucket = find('LakeBucketName');
  if (!streamName || !lakeBucket) throw new Error(`${file} lacks StreamName / LakeBucketName outputs`);
  return { streamName, lakeBucket };
}

async function main(): Promise<void> {
  const endpoint = process.env.LOCALSTACK_ENDPOINT ?? 'http://localhost:4566';
  const common = { endpoint, region: process.env.AWS_DEFAULT_REGION ?? 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  const { streamName, lakeBucket } = readOutputs();
  const kinesis = new KinesisClient(common);
  const s3 = new S3Client({ ...common, forcePathStyle: true });

  const lines = [...smokeMessages(50, Date.now() - 60_000), '{"e":"trade","s":"BTCUSDT","p":', 'not json at all'];
  const put = await putAll(kinesis, streamName, entriesFromLines(lines));
  console.log(`put ${put.sent} records on ${streamName}`);

  const prefixes = ['raw/raw_events/', 'curated/trades/', 'quarantine/quarantine/'];
  const found = new Map<string, string[]>();
  const deadline = Date.now() + Number(process.env.SMOKE_TIMEOUT_SECONDS ?? 240) * 1000;
  while (Date.now() < deadline && found.size < prefixes.length) {
    for (const prefix of prefixes) {
      const res = await s3.send(new ListObjectsV2Command({ Bucket: lakeBucket, Prefix: prefix }));
      const keys = (res.Contents ?? []).map((o) => o.Key!).filter((k) => k.endsWith('.parquet'));
      if (keys.length > 0) found.set(prefix, keys);
    }
    if (found.size < prefixes.length) await new Promise((r) => setTimeout(r, 5000));
  }
  for (const p of prefixes) console.log(`${p.padEnd(24)} ${found.get(p)?.length ?? 0} Parquet file(s)`);
  const tradeKeys = found.get('curated/trades/');
  if (!tradeKeys || found.size < prefixes.length) {
    console.error(
      'FAILED: the stream transform did not land every zone in time (see the function logs: awslocal logs tail /aws/lambda/ticklake-local-stream-transform)',
    );
    process.exit(1);
  }
  let rows = 0;
  for (const key of tradeKeys) {
    const obj = await s3.send(new GetObjectCommand({ Bucket: lakeBucket, Key: key }));
    const bytes = await obj.Body!.transformToByteArray();
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    rows += (await parquetReadObjects({ file, compressors: { GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)) } })).length;
  }
  console.log(`curated trades read back: ${rows} rows (50 sent)`);
  if (rows < 50) {
    console.error('FAILED: fewer curated rows than valid messages sent');
    process.exit(1);
  }
  console.log('OK');
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
