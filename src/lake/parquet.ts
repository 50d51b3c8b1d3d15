/**
 * Parquet encoding driven by the table schemas in `glue-schemas/`: the column
 * order, physical types and logical types written here are derived from the same
 * JSON the Glue tables are, so the files and the catalog cannot drift apart.
 * The byte-level writer is `./parquet/file-writer.ts` (why it is our own is
 * explained there).
 */
import type { ColumnDef, GlueType, TableSchema } from './table-schema.js';
import { CONVERTED, type PhysicalType, writeParquetFile } from './parquet/file-writer.js';
import type { PlainByteArrays } from './parquet/plain-byte-arrays.js';

/** Column values as produced by the row builders: plain JS values, timestamps in microseconds. */
export type ColumnValues = readonly (string | number | boolean | Uint8Array | null)[];

/** What a column can be given as: values, or a string column already in PLAIN layout (raw payloads). */
export type ColumnInput = ColumnValues | PlainByteArrays;

/** Physical + converted Parquet type for each Glue type. */
const PARQUET_TYPE: Record<GlueType, { type: PhysicalType; convertedType?: number }> = {
  string: { type: 'BYTE_ARRAY', convertedType: CONVERTED.UTF8 },
  bigint: { type: 'INT64' },
  int: { type: 'INT32' },
  double: { type: 'DOUBLE' },
  boolean: { type: 'BOOLEAN' },
  // Microseconds, not UTC-adjusted: Athena/Glue `timestamp` and DuckDB `TIMESTAMP` (no time zone).
  timestamp: { type: 'INT64', convertedType: CONVERTED.TIMESTAMP_MICROS },
  date: { type: 'INT32', convertedType: CONVERTED.DATE },
};

/** The Parquet physical type a Glue column is written as. */
export function parquetTypeOf(col: ColumnDef): { type: PhysicalType; convertedType?: number } {
  return PARQUET_TYPE[col.type];
}

/**
 * Strings repeat (symbols, sources, shard ids) and are dictionary-encoded
 * unless the schema says PLAIN (unique values: payloads, sequence numbers);
 * numbers are PLAIN (GZIP takes care of runs and steady increments).
 */
function useDictionary(col: ColumnDef): boolean {
  if (col.parquet?.encoding) return col.parquet.encoding === 'RLE_DICTIONARY';
  return col.type === 'string';
}

/**
 * Encodes one Parquet file for `table` from column arrays keyed by column name.
 * Throws if a declared column is missing or lengths differ (a programming error,
 * not bad input: callers validate records before building columns).
 */
export function encodeParquet(table: TableSchema, columns: Readonly<Record<string, ColumnInput>>): Uint8Array {
  let rows = -1;
  const input = table.columns.map((c) => {
    const values = columns[c.name];
    if (!values) throw new Error(`table ${table.name}: no values for column ${c.name}`);
    if (rows === -1) rows = values.length;
    else if (values.length !== rows) throw new Error(`table ${table.name}: column ${c.name} has ${values.length} values, expected ${rows}`);
    return {
      name: c.name,
      ...PARQUET_TYPE[c.type],
      optional: c.nullable === true,
      dictionary: useDictionary(c),
      // Min/max statistics are kept where queries filter (declared per column in
      // glue-schemas: symbols, ids, times), not everywhere.
      statistics: c.parquet?.statistics ?? false,
      compress: c.parquet?.compression !== 'UNCOMPRESSED',
      values,
    };
  });
  // One row group per file: lake files are written per batch and compacted later.
  return writeParquetFile({ columns: input, keyValueMetadata: [{ key: 'ticklake.table', value: table.name }], createdBy: 'ticklake' });
}
