/** Test helpers that look at the lake from outside: files on disk, read by DuckDB and by hyparquet. */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { LakeSql } from '../../src/local/lake-sql.js';

export function tempDir(prefix = 'ticklake-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Every Parquet file under `dir` (relative paths, sorted). */
export function parquetFiles(dir: string): string[] {
  try {
    return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.parquet')).sort();
  } catch {
    return [];
  }
}

/** Runs SQL on a throwaway DuckDB and returns row objects (BIGINT as bigint). */
export async function duck(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    return (await c.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/** Opens the lake's DuckDB views (as `ticklake query` sees them), runs `use` on them and closes them. */
export async function withLake<T>(lakeRoot: string, use: (sql: LakeSql) => Promise<T>): Promise<T> {
  const sql = await LakeSql.open(lakeRoot);
  try {
    return await use(sql);
  } finally {
    sql.close();
  }
}

/** Physical row count of all Parquet files of a table directory (no views, no dedupe). */
export async function physicalRows(tableDir: string): Promise<number> {
  if (parquetFiles(tableDir).length === 0) return 0;
  const r = await duck(`SELECT count(*) AS n FROM read_parquet('${tableDir}/**/*.parquet')`);
  return Number(r[0]!.n);
}

const compressors = { GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)) };

/** Reads a Parquet file (a path, or its bytes) with hyparquet, an independent pure-JS reader. */
export async function readWithHyparquet(
  source: string | Uint8Array,
): Promise<{ rows: Record<string, unknown>[]; schema: { name: string; type?: string; converted_type?: string }[] }> {
  const buf = typeof source === 'string' ? readFileSync(source) : source;
  const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  const meta = parquetMetadata(file);
  const rows = (await parquetReadObjects({ file, compressors })) as Record<string, unknown>[];
  return { rows, schema: meta.schema.slice(1).map((s) => ({ name: s.name, type: s.type, converted_type: s.converted_type })) };
}
