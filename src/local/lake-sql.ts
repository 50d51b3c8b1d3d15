/**
 * SQL over the local lake with DuckDB: one view per table in `glue-schemas/`,
 * named after the table, reading its Hive-partitioned Parquet files. This is the
 * embedded stand-in for Athena; the views' columns and types come from the same
 * schema files as the Glue tables.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, sep } from 'node:path';
import { explainLakeError } from './lake-errors.js';
import { LakeSnapshots, type TableSnapshot } from './lake-snapshot.js';
import { DuckDBInstance, DuckDBTypeId, timestampValue, type DuckDBConnection, type DuckDBResultReader } from '@duckdb/node-api';
import type { SqlValue } from '../sql/panel.js';
import type { GlueType, TableSchema } from '../lake/table-schema.js';
import { TABLES } from '../catalog.js';
import { fileURLToPath } from 'node:url';
import { DUCKDB_ATHENA_FUNCTIONS, DUCKDB_TYPES, sqlIdent, sqlString } from '../sql/dialect.js';
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

/** Number of Parquet files a reader of the table reads now (live files: compacted files replace the ones they merged). */
export function parquetFileCount(lakeRoot: string, t: TableSchema): number {
  const snap = new LakeSnapshots(lakeRoot).of(t);
  return snap.mode === 'files' ? snap.files.length : globFiles(lakeRoot, t).length;
}

/** The files the glob of a table no compaction has touched matches (its partitions' own files). */
function globFiles(lakeRoot: string, t: TableSchema): string[] {
  const dir = tableDir(lakeRoot, t);
  if (!existsSync(dir)) return [];
  const depth = t.partitionKeys.length;
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.parquet') && f.split(sep).length === depth + 1);
}

/** Lake tables stored as files (not views over other tables, not shipped dimensions). */
const isFileTable = (t: TableSchema) => !DERIVED_TABLES[t.name];

/** The CREATE VIEW statement for a table: a typed empty view without files, else its snapshot (src/local/lake-snapshot.ts). */
export function viewSql(lakeRoot: string, t: TableSchema, snapshot: TableSnapshot = new LakeSnapshots(lakeRoot).of(t)): string {
  const select = [...t.columns, ...t.partitionKeys].map((c) => `CAST(${sqlIdent(c.name)} AS ${DUCKDB_TYPE[c.type]}) AS ${sqlIdent(c.name)}`).join(', ');
  const derived = DERIVED_TABLES[t.name];
  if (derived) return `CREATE OR REPLACE VIEW ${sqlIdent(t.name)} AS SELECT ${select} FROM (${derived()})`;
  const empty = snapshot.mode === 'files' ? snapshot.files.length === 0 : globFiles(lakeRoot, t).length === 0;
  if (empty) return `CREATE OR REPLACE VIEW ${sqlIdent(t.name)} AS SELECT ${nullColumns(t)} WHERE false`;
  const from = snapshot.mode === 'files' ? `[${snapshot.files.map(sqlString).join(', ')}]` : sqlString(snapshot.glob);
  const hiveTypes = t.partitionKeys.map((p) => `${sqlString(p.name)}: ${DUCKDB_TYPE[p.type]}`).join(', ');
  const hive = t.partitionKeys.length > 0 ? `hive_partitioning = true, hive_types = {${hiveTypes}}` : 'hive_partitioning = false';
  return `CREATE OR REPLACE VIEW ${sqlIdent(t.name)} AS SELECT ${select} FROM read_parquet(${from}, ${hive})`;
}

/** The table's columns and partition keys as typed NULLs: the select list of a view that reads no file. */
function nullColumns(t: TableSchema): string {
  return [...t.columns, ...t.partitionKeys].map((c) => `CAST(NULL AS ${DUCKDB_TYPE[c.type]}) AS ${sqlIdent(c.name)}`).join(', ');
}

/** A view of the table's columns that fails with `message` when read (and only then: other views may be built on it). */
function failingViewSql(t: TableSchema, message: string): string {
  return `CREATE OR REPLACE VIEW ${sqlIdent(t.name)} AS SELECT ${nullColumns(t)} WHERE error(${sqlString(`${t.name}: ${message}`)})`;
}

/** The file tables a view or query reads, directly or through other views (by the names in its SQL). */
function fileTablesOf(text: string, seen = new Set<string>()): TableSchema[] {
  const out: TableSchema[] = [];
  for (const word of new Set(text.toLowerCase().match(/[a-z_][a-z0-9_]*/g) ?? [])) {
    if (seen.has(word)) continue;
    seen.add(word);
    const t = TABLES[word];
    if (t && isFileTable(t)) out.push(t);
    const view = DERIVED_TABLES[word] ?? NAMED_VIEWS[word];
    if (view) out.push(...fileTablesOf(view(), seen));
  }
  return out;
}

/** An embedded SQL session over the lake. */
export class LakeSql {
  private readonly snapshots: LakeSnapshots;
  /** What each file table's view reads now: `empty`, `glob`, or its list of files. */
  private readonly reads = new Map<string, string>();

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    readonly lakeRoot: string,
  ) {
    this.snapshots = new LakeSnapshots(lakeRoot);
  }

  /** Opens DuckDB in memory and creates one view per lake table. */
  static async open(lakeRoot: string, tables: Readonly<Record<string, TableSchema>> = TABLES): Promise<LakeSql> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const sql = new LakeSql(instance, connection, lakeRoot);
    for (const statement of DUCKDB_ATHENA_FUNCTIONS) await connection.run(statement);
    for (const t of Object.values(tables)) {
      if (isFileTable(t)) await sql.refreshView(t);
      else await connection.run(viewSql(lakeRoot, t));
    }
    for (const [name, q] of Object.entries(NAMED_VIEWS)) await connection.run(`CREATE OR REPLACE VIEW ${sqlIdent(name)} AS ${q()}`);
    return sql;
  }

  /** Re-creates a file table's view when what it should read changed (files appeared, a compaction committed). */
  private async refreshView(t: TableSchema): Promise<void> {
    const snap = this.snapshots.of(t);
    const before = this.reads.get(t.name);
    let reads: string;
    if (snap.mode === 'files') reads = snap.files.length === 0 ? 'empty' : snap.files.join('\n');
    else reads = before === 'glob' || globFiles(this.lakeRoot, t).length > 0 ? 'glob' : 'empty';
    if (reads === before) return;
    try {
      await this.connection.run(viewSql(this.lakeRoot, t, snap));
    } catch (e) {
      // The engine reads a file's schema when it binds the view: an unreadable file must not take the session (and every
      // other table) down. The table's view fails with why when read; the next statement tries again.
      const why = ((e as Error).message.split('\n')[0] ?? '').replace(/^Invalid Input Error: /, '');
      await this.connection.run(failingViewSql(t, explainLakeError(why)));
      this.reads.delete(t.name);
      return;
    }
    this.reads.set(t.name, reads);
  }

  /**
   * Brings the views of the file tables a statement reads up to date (all of
   * them without a statement): a snapshot per statement, so a session that
   * outlives writes and compactions (the dashboard, `up`) reads each row once.
   */
  async refreshViews(text?: string): Promise<void> {
    const tables = text === undefined ? Object.values(TABLES).filter(isFileTable) : fileTablesOf(text);
    for (const t of tables) await this.refreshView(t);
  }

  /** Runs one SQL statement and returns all rows as JSON-safe values (BIGINTs as numbers when exact). */
  async query(text: string): Promise<QueryResult> {
    await this.refreshViews(text);
    return resultOf(await this.connection.runAndReadAll(text));
  }

  /** Runs one statement with `?` placeholders bound to typed values (never spliced into the text). */
  async queryBound(text: string, params: readonly SqlValue[]): Promise<QueryResult> {
    await this.refreshViews(text);
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
