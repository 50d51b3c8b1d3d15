/**
 * SQL over the local lake with DuckDB: one view per table in `glue-schemas/`,
 * named after the table, reading its Hive-partitioned Parquet files. This is the
 * embedded stand-in for Athena; the views' columns and types come from the same
 * schema files as the Glue tables.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, DuckDBTypeId, timestampValue, type DuckDBConnection, type DuckDBResultReader } from '@duckdb/node-api';
import type { SqlValue } from '../sql/panel.js';
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
  /** Tables whose view was created empty (no files yet): {@link refreshViews} re-creates them once files appear. */
  private readonly emptyTables = new Set<TableSchema>();

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
    for (const t of Object.values(tables)) {
      await connection.run(viewSql(lakeRoot, t));
      if (!DERIVED_TABLES[t.name] && parquetFileCount(lakeRoot, t) === 0) sql.emptyTables.add(t);
    }
    for (const [name, q] of Object.entries(NAMED_VIEWS)) await connection.run(`CREATE OR REPLACE VIEW ${sqlIdent(name)} AS ${q()}`);
    return sql;
  }

  /**
   * Points the views of tables that had no files at open time at their files,
   * once some exist (a view over files globs them at each query, but an empty
   * table's view has no glob). For a session that outlives the writes, e.g. the dashboard.
   */
  async refreshViews(): Promise<void> {
    for (const t of [...this.emptyTables]) {
      if (parquetFileCount(this.lakeRoot, t) === 0) continue;
      await this.connection.run(viewSql(this.lakeRoot, t));
      this.emptyTables.delete(t);
    }
  }

  /** Runs one SQL statement and returns all rows as JSON-safe values (BIGINTs as numbers when exact). */
  async query(text: string): Promise<QueryResult> {
    return resultOf(await this.connection.runAndReadAll(text));
  }

  /** Runs one statement with `?` placeholders bound to typed values (never spliced into the text). */
  async queryBound(text: string, params: readonly SqlValue[]): Promise<QueryResult> {
    const statement = await this.connection.prepare(text);
    params.forEach((p, i) => {
      if (p.type === 'varchar') statement.bindVarchar(i + 1, p.value);
      else if (p.type === 'bigint') statement.bindBigInt(i + 1, BigInt(p.value));
      else statement.bindTimestamp(i + 1, timestampValue(BigInt(p.us)));
    });
    return resultOf(await statement.runAndReadAll());
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

/** All rows of a result as JSON-safe values: BIGINTs as numbers when exact, else their decimal text. */
function resultOf(reader: DuckDBResultReader): QueryResult {
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
