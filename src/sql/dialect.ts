/**
 * The few things DuckDB (local) and Athena/Trino (cloud) spell differently,
 * kept in one place. Everything else in src/sql is written in their common subset.
 */

export interface SqlDialect {
  readonly name: 'duckdb' | 'athena';
  /** True when the whole of `expr` matches the (RE2) `pattern`. */
  fullMatch(expr: string, pattern: string): string;
  /** A `timestamp` (no time zone) from integer microseconds since the epoch. */
  timestampFromMicros(expr: string): string;
  /** ISO day of week, 1 = Monday ... 7 = Sunday. */
  isoDayOfWeek(ts: string): string;
  /** A timestamp literal from microseconds (computed in TypeScript). */
  timestampLiteral(us: number): string;
  /** `text` split on `sep` into an array. */
  split(text: string, sep: string): string;
  /** Number of elements of an array. */
  length(list: string): string;
  /** Element `i` (1-based) of an array, NULL when out of range. */
  item(list: string, i: number): string;
  /** Line number of a row of a table of raw lines (1-based, file order). */
  readonly lineNumber: string;
}

const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;

function isoMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  const rest = String(((us % 1000) + 1000) % 1000).padStart(3, '0');
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '') + rest;
}

export const DUCKDB: SqlDialect = {
  name: 'duckdb',
  fullMatch: (e, p) => `regexp_full_match(${e}, ${lit(p)})`,
  timestampFromMicros: (e) => `make_timestamp(${e})`,
  isoDayOfWeek: (ts) => `CAST(isodow(${ts}) AS INTEGER)`,
  timestampLiteral: (us) => `TIMESTAMP ${lit(isoMicros(us))}`,
  split: (t, sep) => `string_split(${t}, ${lit(sep)})`,
  item: (l, i) => `${l}[${i}]`,
  length: (l) => `len(${l})`,
  // Lines are loaded into a table in file order; rowid follows it.
  lineNumber: 'rowid + 1',
};

export const ATHENA: SqlDialect = {
  name: 'athena',
  fullMatch: (e, p) => `regexp_like(${e}, ${lit(`^(?:${p})$`)})`,
  // from_unixtime_nanos keeps microseconds; drop the UTC zone to get Glue's `timestamp`.
  timestampFromMicros: (e) => `CAST(from_unixtime_nanos(${e} * 1000) AT TIME ZONE 'UTC' AS timestamp(6))`,
  isoDayOfWeek: (ts) => `CAST(day_of_week(${ts}) AS INTEGER)`,
  timestampLiteral: (us) => `TIMESTAMP ${lit(isoMicros(us))}`,
  split: (t, sep) => `split(${t}, ${lit(sep)})`,
  item: (l, i) => `element_at(${l}, ${i})`,
  length: (l) => `cardinality(${l})`,
  // Athena has no physical line number; the position within the scan stands in.
  lineNumber: 'row_number() OVER ()',
};
