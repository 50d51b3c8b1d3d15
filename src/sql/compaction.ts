/**
 * The statement that rewrites one hour partition of a table into compacted
 * Parquet, written once for both engines (docs/lake.md):
 *
 * - Athena: `UNLOAD` of the partition's listed files (by `"$path"`, so files
 *   that land during the run are left for the next one), each natural key
 *   once (the first ingested copy), sorted by the natural key, Snappy Parquet,
 *   into a staging prefix outside every table.
 * - DuckDB: `COPY` of the same files, sorted by the natural key, into one
 *   staged file. Duplicates are rare (a re-put record), so the local task
 *   checks the one sorted file for them and rewrites it only when it has some
 *   ({@link dedupeStatement}), which is much faster than a window over every row.
 */
import type { TableSchema } from '../lake/table-schema.js';
import { DUCKDB_TYPES, type SqlDialect, sqlIdent, sqlString } from './dialect.js';

/**
 * How DuckDB writes compacted files: Snappy (ZSTD is about a third smaller here, but compacting
 * with it ran at 480,000 rows/s against 750,000, and a day's aggregate read 28 ms against 20),
 * row groups of DuckDB's default 122,880 rows with min/max statistics: DuckDB writes row groups in
 * parallel, and against one group of a million rows this compacted the bench's lake 1.4× faster
 * (raw_events, with its long payloads, 1.7×) at an equal query time.
 */
export const DUCKDB_PARQUET_OUT = 'FORMAT PARQUET, COMPRESSION SNAPPY, ROW_GROUP_SIZE 122880';

/** What one partition's statement reads and where it writes. */
export interface CompactionTarget {
  readonly table: TableSchema;
  /** `dt=yyyy-MM-dd/hour=HH`. */
  readonly partition: string;
  /** The partition's folder as the engine addresses it (`s3://…/` or an absolute path), ending in its separator. */
  readonly folder: string;
  /** The files to merge, relative to {@link folder}. */
  readonly names: readonly string[];
  /** The staging location: a prefix ending in `/` (Athena) or a file path (DuckDB). */
  readonly output: string;
}

/** The natural key columns of a table, quoted, in key order. */
export function naturalKeyColumns(t: TableSchema): string[] {
  return t.naturalKey.filter((k) => t.columns.some((c) => c.name === k)).map(sqlIdent);
}

/** Which copy of a duplicated key is kept: the first ingested (copies differ at most in when they were ingested). */
function keepOrder(t: TableSchema): string {
  return t.columns.some((c) => c.name === 'ingest_time') ? 'ingest_time' : naturalKeyColumns(t).join(', ');
}

/** The partition's dt and hour. */
export function partitionValues(partition: string): { dt: string; hour: number } {
  const m = /^dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})$/.exec(partition);
  if (!m) throw new Error(`not an hour partition: ${partition}`);
  return { dt: m[1]!, hour: Number(m[2]) };
}

/**
 * Whether a row's file (`path`: Athena's `"$path"`) is one of `names` in `folder`. The names are
 * compared without the folder, so a statement of an hour's ~1,000 stream files stays well inside
 * Athena's 256 KB query string and Step Functions' 256 KB state (with the folder, each file took
 * about 100 bytes more).
 */
export function listedFilesPredicate(path: string, folder: string, names: readonly string[]): string {
  // substr only (Presto's and Trino's alike, and DuckDB's): 1-based, in characters.
  return `substr(${path}, 1, ${folder.length}) = ${sqlString(folder)} AND substr(${path}, ${folder.length + 1}) IN (${names.map(sqlString).join(', ')})`;
}

/** The statement writing the partition's compacted Parquet for an engine. */
export function compactionStatement(d: SqlDialect, o: CompactionTarget): string {
  const keys = naturalKeyColumns(o.table).join(', ');
  if (d.name === 'duckdb') {
    const select = o.table.columns.map((c) => `CAST(${sqlIdent(c.name)} AS ${DUCKDB_TYPES[c.type]}) AS ${sqlIdent(c.name)}`).join(', ');
    const list = `[${o.names.map((n) => sqlString(`${o.folder}${n}`)).join(', ')}]`;
    return `COPY (SELECT ${select} FROM read_parquet(${list}, hive_partitioning = false) ORDER BY ${keys}) TO ${sqlString(o.output)} (${DUCKDB_PARQUET_OUT})`;
  }
  const { dt, hour } = partitionValues(o.partition);
  const cols = o.table.columns.map((c) => sqlIdent(c.name)).join(', ');
  return [
    `UNLOAD (SELECT ${cols} FROM (`,
    `SELECT ${cols}, row_number() OVER (PARTITION BY ${keys} ORDER BY ${keepOrder(o.table)}) AS copy_no FROM ${sqlIdent(o.table.name)}`,
    `WHERE dt = ${sqlString(dt)} AND hour = ${hour} AND ${listedFilesPredicate('"$path"', o.folder, o.names)}`,
    `) WHERE copy_no = 1 ORDER BY ${keys}) TO ${sqlString(o.output)} WITH (format = 'PARQUET', compression = 'SNAPPY')`,
  ].join('\n');
}

/**
 * DuckDB: the rows of a written file and the distinct hashes of their natural keys. Hashing the key
 * makes the check about 3× faster on wide keys; a collision can only make the count lower, so it
 * can cause a needless rewrite ({@link dedupeStatement}), never hide a duplicate.
 */
export function countKeysStatement(t: TableSchema, file: string): string {
  return `SELECT count(*), count(DISTINCT hash(${naturalKeyColumns(t).join(', ')})) FROM read_parquet(${sqlString(file)})`;
}

/** DuckDB: `file` rewritten to `to` with each natural key once (the first ingested copy), still sorted. */
export function dedupeStatement(t: TableSchema, file: string, to: string): string {
  const keys = naturalKeyColumns(t).join(', ');
  return `COPY (SELECT * EXCLUDE (copy_no) FROM (SELECT *, row_number() OVER (PARTITION BY ${keys} ORDER BY ${keepOrder(t)}) AS copy_no FROM read_parquet(${sqlString(file)})) WHERE copy_no = 1 ORDER BY ${keys}) TO ${sqlString(to)} (${DUCKDB_PARQUET_OUT})`;
}

/**
 * A table of partial aggregates recomputed, when its source table's hour is
 * compacted, from the source's new (deduplicated) generation: so a record put
 * twice, which lands in two stream batches and so in two batches' partials,
 * is counted once once its hour is compacted (`bar_partials` from `trades`).
 */
export interface DerivedTable {
  readonly source: string;
  readonly table: string;
  /** The derived rows (at least the table's columns) from a relation of source rows, with `batchId` as their batch. */
  select(d: SqlDialect, relation: string, batchId: string): string;
}

/** The statement writing a derived table's compacted Parquet from the source partition's generation `generationFiles` (a path glob locally, a `"$path" LIKE` pattern on Athena). */
export function derivedStatement(
  d: SqlDialect,
  o: { derived: DerivedTable; table: TableSchema; source: TableSchema; partition: string; generation: string; batchId: string; output: string },
): string {
  const keys = naturalKeyColumns(o.table).join(', ');
  if (d.name === 'duckdb') {
    const select = o.table.columns.map((c) => `CAST(${sqlIdent(c.name)} AS ${DUCKDB_TYPES[c.type]}) AS ${sqlIdent(c.name)}`).join(', ');
    const relation = `read_parquet(${sqlString(o.generation)}, hive_partitioning = false)`;
    return `COPY (SELECT ${select} FROM (${o.derived.select(d, relation, o.batchId)}) AS derived ORDER BY ${keys}) TO ${sqlString(o.output)} (${DUCKDB_PARQUET_OUT})`;
  }
  const { dt, hour } = partitionValues(o.partition);
  const cols = o.table.columns.map((c) => sqlIdent(c.name)).join(', ');
  const relation = `(SELECT * FROM ${sqlIdent(o.source.name)} WHERE dt = ${sqlString(dt)} AND hour = ${hour} AND "$path" LIKE ${sqlString(o.generation)})`;
  return `UNLOAD (SELECT ${cols} FROM (${o.derived.select(d, relation, o.batchId)}) AS derived ORDER BY ${keys}) TO ${sqlString(o.output)} WITH (format = 'PARQUET', compression = 'SNAPPY')`;
}
