/**
 * The exact-read view (`src/sql/exact-read.ts`) on DuckDB over a published
 * local lake: the same SQL text Athena runs, over the partition folders' files
 * (with their paths) and the manifests' JSON, as a reader that started at `asOfMs`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { manifestTablePrefix } from '../../src/lake/compaction.js';
import { tablePrefix } from '../../src/lake/layout.js';
import type { TableSchema } from '../../src/lake/table-schema.js';
import { DUCKDB_TYPES, sqlString } from '../../src/sql/dialect.js';
import { exactReadSql } from '../../src/sql/exact-read.js';

const hiveTypes = (t: TableSchema) => `{${t.partitionKeys.map((k) => `${sqlString(k.name)}: ${DUCKDB_TYPES[k.type]}`).join(', ')}}`;

/** Whether any file under `dir` ends with `ext` (DuckDB's globs fail on no match). */
function anyFile(dir: string, ext: string): boolean {
  return existsSync(dir) && (readdirSync(dir, { recursive: true }) as string[]).some((f) => f.endsWith(ext));
}

/** The SELECT of the exact-read view of `table` on DuckDB, as of `asOfMs`. */
export function exactReadDuckDb(lake: string, table: TableSchema, asOfMs: number): string {
  const files = `read_parquet(${sqlString(join(lake, tablePrefix(table), '*', '*', '*.parquet'))}, hive_partitioning = true, hive_types = ${hiveTypes(table)}, filename = true)`;
  const mdir = join(lake, manifestTablePrefix(table));
  const keys = table.partitionKeys.map((k) => `CAST(NULL AS ${DUCKDB_TYPES[k.type]}) AS ${k.name}`).join(', ');
  const manifests = anyFile(mdir, '.json')
    ? `read_json(${sqlString(join(mdir, '*', '*', '*.json'))}, hive_partitioning = true, hive_types = ${hiveTypes(table)}, columns = {compacted: 'VARCHAR', parts: 'VARCHAR[]', replaced: 'VARCHAR[]', visibleFromMs: 'BIGINT'})`
    : `(SELECT ${keys}, CAST(NULL AS VARCHAR) AS compacted, CAST(NULL AS VARCHAR[]) AS parts, CAST(NULL AS VARCHAR[]) AS replaced, CAST(NULL AS BIGINT) AS visiblefromms WHERE false)`;
  return exactReadSql(table, { files, pathColumn: 'filename', manifests, asOfMs: String(asOfMs) });
}

/** Rows and distinct natural keys `(symbol, trade_id)` of trades through the view, as of `asOfMs`. */
export async function exactTrades(lake: string, table: TableSchema, asOfMs: number): Promise<{ rows: number; keys: number }> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const r = await c.runAndReadAll(`SELECT count(*), count(DISTINCT (symbol, trade_id)) FROM (${exactReadDuckDb(lake, table, asOfMs)})`);
    const [rows, keys] = r.getRows()[0]!.map(Number) as [number, number];
    return { rows, keys };
  } finally {
    c.closeSync();
    db.closeSync();
  }
}
