/**
 * SQL over the local lake with DuckDB: one view per table in `glue-schemas/`,
 * named after the table, reading its Hive-partitioned Parquet files. This is the
 * embedded stand-in for Athena; the views' columns and types come from the same
 * schema files as the Glue tables.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, DuckDBTypeId, type DuckDBConnection } from '@duckdb/node-api';
import type { GlueType, TableSchema } from '../lake/table-schema.js';
import { TABLES } from '../catalog.js';
import { fileURLToPath } from 'node:url';
import { DUCKDB_TYPES, sqlIdent, sqlString } from '../sql/dialect.js';
import { NAMED_VIEWS, SHIPPED_DIMENSIONS, VIEW_TABLES } from '../catalog.js';

export { NAMED_VIEWS };

/** The project root (shipped dimension files are relative to it). */
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Shipped dimension files (absolute paths), by table name. */
export const DIMENSION_FILES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(SHIPPED_DIMENSIONS).map(([t, f]) => [t, join(PROJECT_ROOT, f)]),
);

/** Tables that are views over other tables or shipped data, with their defining query (shared with Athena). */
export const DERIVED_TABLES: Readonly<Record<string, () => string>> = {
  ...VIEW_TABLES,
  // Locally a shipped dimension is read in place; in the cloud it is seeded into its Glue table.
  ...Object.fromEntries(Object.entries(DIMENSION_FILES).map(([t, f]) => [t, () => `SELECT * FROM read_json(${sqlString(f)}, format = 'array')`])),
};

/** DuckDB type for each Glue type. */
export const DUCKDB_TYPE: Readonly<Record<GlueType, string>> = DUCKDB_TYPES;

/** A query result: column names and JSON-safe rows. */
export interface QueryResult {
  readonly columns: readonly string[];
  readonly types: readonly string[];
  readonly rows: readonly (readonly JsonValue[])[];
}
export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

/** Directory of a table under the lake root. */
export function tableDir(lakeRoot: string, t: TableSchema): string {
  return join(lakeRoot, t.zone, t.name);
}

/** Number of Parquet files a table has locally. */
export function parquetFileCount(lakeRoot: string, t: TableSchema): number {
  const dir = tableDir(lakeRoot, t);
  if (!existsSync(dir)) return 0;
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.parquet')).length;
}

/** The CREATE VIEW statement for a table (an empty, typed view when it has no files yet). */
export function viewSql(lakeRoot: string, t: TableSchema): string {
  const cols = [...t.columns, ...t.partitionKeys];
  const derived = DERIVED_TABLES[t.name];
  if (derived) {
    const select = cols.map((c) => `CAST(${sqlIdent(c.name)} AS ${DUCKDB_TYPE[c.type]}) AS ${sqlIdent(c.name)}`).join(', ');
    return `CREATE OR REPLACE VIEW ${sqlIdent(t.name)} AS SELECT ${select} FROM (${derived()})`;
  }
  if (parquetFileCount(lakeRoot, t) === 0) {
    const select = cols.map((c) => `CAST(NULL AS ${DUCKDB_TYPE[c.type]}) AS ${sqlIdent(c.name)}`).join(', ');
    return `CREATE OR REPLACE VIEW ${sqlIdent(t.name)} AS SELECT ${select} WHERE false`;
  }
  const glob = join(tableDir(lakeRoot, t), '**', '*.parquet');
  const hiveTypes = t.partitionKeys.map((p) => `${sqlString(p.name)}: ${DUCKDB_TYPE[p.type]}`).join(', ');
  const select = cols.map((c) => `CAST(${sqlIdent(c.name)} AS ${DUCKDB_TYPE[c.type]}) AS ${sqlIdent(c.name)}`).join(', ');
  const hive = t.partitionKeys.length > 0 ? `hive_partitioning = true, hive_types = {${hiveTypes}}` : 'hive_partitioning = false';
  return `CREATE OR REPLACE VIEW ${sqlIdent(t.name)} AS SELECT ${select} FROM read_parquet(${sqlString(glob)}, ${hive})`;
}

/** An embedded SQL session over the lake. */
export class LakeSql {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    readonly lakeRoot: string,
  ) {}

  /** Opens DuckDB in memory and creates one view per lake table. */
  static async open(lakeRoot: string, tables: Readonly<Record<string, TableSchema>> = TABLES): Promise<LakeSql> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const sql = new LakeSql(instance, connection, lakeRoot);
    for (const t of Object.values(tables)) await connection.run(viewSql(lakeRoot, t));
    for (const [name, q] of Object.entries(NAMED_VIEWS)) await connection.run(`CREATE OR REPLACE VIEW ${sqlIdent(name)} AS ${q()}`);
    return sql;
  }

  /** Runs one SQL statement and returns all rows as JSON-safe values (BIGINTs as numbers when exact). */
  async query(text: string): Promise<QueryResult> {
    const reader = await this.connection.runAndReadAll(text);
    const columns = reader.columnNames();
    const ids = Array.from({ length: reader.columnCount }, (_, i) => reader.columnTypeId(i));
    const types = Array.from({ length: reader.columnCount }, (_, i) => reader.columnType(i).toString());
    const bigCols = ids.map((id) => id === DuckDBTypeId.BIGINT || id === DuckDBTypeId.UBIGINT || id === DuckDBTypeId.HUGEINT || id === DuckDBTypeId.UHUGEINT);
    const rows = reader.getRowsJson().map((row) =>
      row.map((v, i) => {
        if (bigCols[i] && typeof v === 'string') {
          const n = Number(v);
          return Number.isSafeInteger(n) ? n : v;
        }
        return v as JsonValue;
      }),
    );
    return { columns, types, rows };
  }

  /** Row count of a table view. */
  async count(table: string): Promise<number> {
    const r = await this.query(`SELECT count(*) AS n FROM ${sqlIdent(table)}`);
    return Number(r.rows[0]?.[0] ?? 0);
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
