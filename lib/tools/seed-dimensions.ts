/**
 * Writes the dimensions shipped with the project (data/*.json, e.g.
 * company_profile) into the deployed lake as Parquet, at the location of their
 * (unpartitioned) Glue table, with the same encoder the stream transform uses.
 * Run once after `cdk deploy` and whenever the shipped data changes:
 *
 *   npm run seed:dimensions -- --bucket ticklake-dev-lake-<account>-<region> [--endpoint http://localhost:4566]
 */
import { readFileSync } from 'node:fs';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { encodeParquet, type ColumnValues } from '../../src/lake/parquet.js';
import { TABLES } from '../../src/catalog.js';
import { SHIPPED_DIMENSIONS } from '../catalog/derived-views.js';
import { tablePrefix } from '../lake-layout.js';

/** The Parquet objects to write: one file per shipped dimension. */
export function dimensionObjects(): { key: string; body: Uint8Array; rows: number }[] {
  return Object.entries(SHIPPED_DIMENSIONS).map(([name, file]) => {
    const table = TABLES[name];
    if (!table) throw new Error(`shipped dimension ${name} has no schema in TABLES`);
    const rows = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>[];
    const columns: Record<string, ColumnValues> = Object.fromEntries(
      table.columns.map((c) => [c.name, rows.map((r) => (r[c.name] ?? null) as ColumnValues[number])]),
    );
    return { key: `${tablePrefix(table)}${name}.parquet`, body: encodeParquet(table, columns), rows: rows.length };
  });
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const bucket = arg('bucket');
  if (!bucket) {
    console.error('usage: seed-dimensions --bucket <lake bucket> [--endpoint <url>]');
    process.exit(2);
  }
  const endpoint = arg('endpoint');
  const s3 = new S3Client(endpoint ? { endpoint, forcePathStyle: true } : {});
  for (const o of dimensionObjects()) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: o.key, Body: o.body, ContentType: 'application/vnd.apache.parquet' }));
    console.log(`s3://${bucket}/${o.key}  ${o.rows} rows`);
  }
}
