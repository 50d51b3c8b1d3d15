/**
 * The few things DuckDB (local) and Athena/Trino (cloud) spell differently,
 * kept in one place. Everything else in src/sql is written in their common subset.
 * That includes the statements that read and write files, which differ per
 * engine: a table of raw text lines (DuckDB `read_csv` into a temporary table;
 * Athena an external table over an S3 prefix) and partitioned Parquet output
 * (DuckDB `COPY ... PARTITION_BY`; Athena `UNLOAD ... partitioned_by`).
 */
import type { GlueType } from '../lake/table-schema.js';

export interface SqlDialect {
  readonly name: 'duckdb' | 'athena';
  /** True when the whole of `expr` matches the (RE2) `pattern`. */
  fullMatch(expr: string, pattern: string): string;
  /** A `timestamp` (no time zone) from integer microseconds since the epoch. */
  timestampFromMicros(expr: string): string;
  /** ISO day of week, 1 = Monday ... 7 = Sunday. */
  isoDayOfWeek(ts: string): string;
  /** Milliseconds since the epoch (BIGINT) of a `timestamp`: chart x values. */
  epochMillis(ts: string): string;
  /** A timestamp literal from microseconds (computed in TypeScript). */
  timestampLiteral(us: number): string;
  /** `text` split on `sep` into an array. */
  split(text: string, sep: string): string;
  /** Number of elements of an array. */
  length(list: string): string;
  /** Element `i` (1-based) of an array, NULL when out of range. */
  item(list: string, i: number): string;
  /**
   * A key ordering trades by (trade time, trade id), for min_by/max_by (open and
   * close with ties broken by id). Athena: a ROW. DuckDB: one HUGEINT,
   * time_us * 10^17 + id, exact because ids are below 10^16 (16 digits at most,
   * validated) and times are positive; about twice as fast as a struct key.
   */
  tradeOrderKey(time: string, id: string): string;
  /** Line number of a row of a table of raw lines (1-based, file order). */
  readonly lineNumber: string;
  /** The engine's SQL type for a Glue column type. */
  columnType(glueType: GlueType): string;
  /**
   * Whether intermediate results can be kept in temporary tables between
   * statements (DuckDB). Athena has none: each statement recomputes its
   * inputs, and its line numbers are only stable within one statement.
   */
  readonly hasTempTables: boolean;
  /**
   * Statement making `name` a relation of the raw text lines `(line)` at
   * `location`: for DuckDB a view over a local file (read once, by the statement
   * that checks the lines), for Athena an external table over an S3 prefix.
   */
  linesTable(name: string, location: string): string;
  /** Statement writing `select` as Parquet under `location`, Hive-partitioned by `partitionBy` (the select's last columns). */
  writeParquet(select: string, location: string, partitionBy: readonly string[]): string;
}

/** A SQL string literal (single quotes doubled); the same in both engines. */
export const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;
/** A quoted SQL identifier (double quotes doubled); the same in both engines. */
export const sqlIdent = (s: string) => `"${s.replaceAll('"', '""')}"`;

/** `yyyy-MM-dd HH:mm:ss.SSSSSS` (UTC) of a time in µs since the epoch: the text of a timestamp literal in both engines. */
export function isoMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  const rest = String(((us % 1000) + 1000) % 1000).padStart(3, '0');
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '') + rest;
}

/** DuckDB type of each Glue type. */
export const DUCKDB_TYPES: Readonly<Record<GlueType, string>> = {
  string: 'VARCHAR',
  bigint: 'BIGINT',
  int: 'INTEGER',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP',
  date: 'DATE',
};

const ATHENA_TYPES: Record<GlueType, string> = {
  string: 'varchar',
  bigint: 'bigint',
  int: 'integer',
  double: 'double',
  boolean: 'boolean',
  // Plain `timestamp` is timestamp(3) in Trino: keep the microseconds.
  timestamp: 'timestamp(6)',
  date: 'date',
};

/**
 * Statements run once per DuckDB session so that SQL written for both engines
 * can use the few Athena functions DuckDB spells differently (views shared with
 * Athena, e.g. the change source's current-state views, call them by Athena's name).
 */
export const DUCKDB_ATHENA_FUNCTIONS: readonly string[] = ['CREATE OR REPLACE MACRO json_extract_scalar(j, p) AS json_extract_string(j, p)'];

export const DUCKDB: SqlDialect = {
  name: 'duckdb',
  fullMatch: (e, p) => `regexp_full_match(${e}, ${sqlString(p)})`,
  timestampFromMicros: (e) => `make_timestamp(${e})`,
  isoDayOfWeek: (ts) => `CAST(isodow(${ts}) AS INTEGER)`,
  epochMillis: (ts) => `epoch_ms(${ts})`,
  timestampLiteral: (us) => `TIMESTAMP ${sqlString(isoMicros(us))}`,
  split: (t, sep) => `string_split(${t}, ${sqlString(sep)})`,
  item: (l, i) => `${l}[${i}]`,
  length: (l) => `len(${l})`,
  tradeOrderKey: (time, id) => `CAST(epoch_us(${time}) AS HUGEINT) * 100000000000000000 + ${id}`,
  // Lines are loaded into a table in file order; rowid follows it.
  lineNumber: 'rowid + 1',
  columnType: (t) => DUCKDB_TYPES[t],
  hasTempTables: true,
  // One column per line: a delimiter that never occurs, no quoting, no type detection.
  linesTable: (name, location) =>
    `CREATE OR REPLACE TEMP VIEW ${name} AS SELECT coalesce(line, '') AS line FROM read_csv(${sqlString(location)}, columns = {'line': 'VARCHAR'}, header = false, delim = '\\x1f', quote = '', escape = '', auto_detect = false, strict_mode = false)`,
  writeParquet: (select, location, partitionBy) =>
    `COPY (${select}) TO ${sqlString(location)} (FORMAT PARQUET, PARTITION_BY (${partitionBy.join(', ')}), OVERWRITE_OR_IGNORE true)`,
};

export const ATHENA: SqlDialect = {
  name: 'athena',
  fullMatch: (e, p) => `regexp_like(${e}, ${sqlString(`^(?:${p})$`)})`,
  // from_unixtime_nanos keeps microseconds; drop the UTC zone to get Glue's `timestamp`.
  timestampFromMicros: (e) => `CAST(from_unixtime_nanos(${e} * 1000) AT TIME ZONE 'UTC' AS timestamp(6))`,
  isoDayOfWeek: (ts) => `CAST(day_of_week(${ts}) AS INTEGER)`,
  epochMillis: (ts) => `CAST(floor(to_unixtime(${ts}) * 1000) AS bigint)`,
  timestampLiteral: (us) => `TIMESTAMP ${sqlString(isoMicros(us))}`,
  split: (t, sep) => `split(${t}, ${sqlString(sep)})`,
  item: (l, i) => `element_at(${l}, ${i})`,
  length: (l) => `cardinality(${l})`,
  tradeOrderKey: (time, id) => `ROW(${time}, ${id})`,
  // Athena has no physical line number; the position within the scan stands in.
  lineNumber: 'row_number() OVER ()',
  columnType: (t) => ATHENA_TYPES[t],
  hasTempTables: false,
  // Whole lines: LazySimpleSerDe with a field delimiter (\001, Ctrl-A) that never occurs in a
  // trade file, no escaping; an empty line reads as NULL (callers coalesce to '').
  linesTable: (name, location) =>
    `CREATE EXTERNAL TABLE IF NOT EXISTS ${name} (line string) ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\001' STORED AS TEXTFILE LOCATION ${sqlString(location)} TBLPROPERTIES ('serialization.null.format' = '')`,
  // The partition columns must be the last of the select list; at most 100 partitions per statement.
  writeParquet: (select, location, partitionBy) =>
    `UNLOAD (${select}) TO ${sqlString(location)} WITH (format = 'PARQUET', compression = 'GZIP', partitioned_by = ARRAY[${partitionBy.map(sqlString).join(', ')}])`,
};
