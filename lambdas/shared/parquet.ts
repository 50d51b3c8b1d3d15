/**
 * Parquet encoding driven by the table schemas in `glue-schemas/`: the column
 * order, physical types and logical types written here are derived from the same
 * JSON the Glue tables are, so the files and the catalog cannot drift apart.
 */
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { ColumnSource } from 'hyparquet-writer';
import type { ColumnDef, GlueType, TableSchema } from '../../src/schema/table-schema.js';

/** Column values as produced by the row builders: plain JS values, timestamps in microseconds. */
export type ColumnValues = readonly (string | number | boolean | Uint8Array | null)[];

type SchemaElement = NonNullable<Parameters<typeof parquetWriteBuffer>[0]['schema']>[number];

/** Physical + logical Parquet type for each Glue type. */
const PARQUET_TYPE: Record<GlueType, Omit<SchemaElement, 'name' | 'repetition_type'>> = {
  string: { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
  bigint: { type: 'INT64' },
  int: { type: 'INT32' },
  double: { type: 'DOUBLE' },
  boolean: { type: 'BOOLEAN' },
  // Microseconds, not UTC-adjusted: Athena/Glue `timestamp` and DuckDB `TIMESTAMP` (no time zone).
  timestamp: { type: 'INT64', converted_type: 'TIMESTAMP_MICROS' },
  date: { type: 'INT32', converted_type: 'DATE' },
};

/** The Parquet schema elements for a table's data columns (partition keys live in the path). */
export function parquetSchema(table: TableSchema): SchemaElement[] {
  return [
    { name: 'root', num_children: table.columns.length },
    ...table.columns.map(
      (c): SchemaElement => ({ name: c.name, ...PARQUET_TYPE[c.type], repetition_type: c.nullable ? 'OPTIONAL' : 'REQUIRED' }),
    ),
  ];
}

function toTyped(col: ColumnDef, values: ColumnValues): ColumnSource['data'] {
  if (col.nullable) {
    if (col.type === 'bigint') return values.map((v) => (v === null ? null : BigInt(v as number)));
    return values as ColumnSource['data'];
  }
  switch (col.type) {
    case 'bigint': {
      const out = new BigInt64Array(values.length);
      for (let i = 0; i < values.length; i++) out[i] = BigInt(values[i] as number);
      return out;
    }
    case 'int':
    case 'date':
      return Int32Array.from(values as number[]);
    case 'double':
      return Float64Array.from(values as number[]);
    case 'string':
      // Unique strings are written PLAIN; Buffer.from is ~2x faster than the
      // writer's TextEncoder on Node 20. Dictionary columns stay strings (few encodes).
      return col.parquet?.encoding === 'PLAIN' ? values.map((v) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v)) : (values as ColumnSource['data']);
    default:
      // timestamp: numbers of microseconds; the writer converts TIMESTAMP_MICROS to INT64 itself.
      return values as ColumnSource['data'];
  }
}

function gzipFast(input: Uint8Array): Uint8Array {
  const out = gzipSync(input, { level: 1 });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Integers that grow steadily (ids, times) compress best as deltas; doubles stay plain. */
function encodingFor(col: ColumnDef): ColumnSource['encoding'] {
  if (col.parquet?.encoding) return col.parquet.encoding;
  if (col.type === 'bigint' || col.type === 'timestamp') return 'DELTA_BINARY_PACKED';
  if (col.type === 'double') return 'PLAIN';
  return undefined;
}

/**
 * Encodes one Parquet file for `table` from column arrays keyed by column name.
 * Throws if a declared column is missing or lengths differ (a programming error,
 * not bad input: callers validate records before building columns).
 */
export function encodeParquet(table: TableSchema, columns: Readonly<Record<string, ColumnValues>>): Uint8Array {
  let rows = -1;
  const columnData: ColumnSource[] = table.columns.map((c) => {
    const values = columns[c.name];
    if (!values) throw new Error(`table ${table.name}: no values for column ${c.name}`);
    if (rows === -1) rows = values.length;
    else if (values.length !== rows) throw new Error(`table ${table.name}: column ${c.name} has ${values.length} values, expected ${rows}`);
    const encoding = encodingFor(c);
    // Min/max statistics cost ~0.3 us per value; they are kept where queries filter
    // (declared per column in glue-schemas: symbols, ids, times), not everywhere.
    const statistics = c.parquet?.statistics ?? false;
    return { name: c.name, data: toTyped(c, values), ...(encoding ? { encoding } : {}), statistics };
  });
  const buf = parquetWriteBuffer({
    schema: parquetSchema(table),
    columnData,
    // One row group per file: lake files are written per batch and compacted later.
    rowGroupSize: 1_000_000,
    // GZIP through Node's native zlib at level 1: faster than the writer's pure-JS
    // Snappy on this path and ~30% smaller; Athena, Glue and DuckDB all read it.
    codec: 'GZIP',
    compressors: { GZIP: gzipFast },
    kvMetadata: [{ key: 'ticklake.table', value: table.name }],
    createdBy: 'ticklake',
  });
  return new Uint8Array(buf);
}
