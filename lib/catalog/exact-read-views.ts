/**
 * Exact Athena reads of compacted tables (docs/lake.md, "What readers see in
 * the cloud"). Athena lists a partition folder and reads every file in it; it
 * reads no compaction manifest. So each compactable table is catalogued three
 * times:
 *
 * - its files: the Parquet table, in the files database `<database>_files`
 *   (what the compaction's own statements read, with `"$path"`);
 * - its manifests: a JSON table `<table>_manifests` in the files database over
 *   `_compaction/<zone>/<table>/`, partitioned and projected like the table;
 * - what readers query: a view of the table's name in the main database that
 *   reads the files and honours the manifests (`exactReadSql`), so a query
 *   during a compaction sees each row once.
 */
import type * as glue from 'aws-cdk-lib/aws-glue';
import type { TableSchema } from '../../src/lake/table-schema.js';
import { ATHENA_QUERY_START_MS, exactReadSql } from '../../src/sql/exact-read.js';
import { sqlIdent } from '../../src/sql/dialect.js';
import { manifestLocation, projectionParameters } from '../lake-layout.js';
import { athenaViewTableInput } from './athena-view.js';

/** The Glue database of the physical tables behind the exact-read views of `databaseName`. */
export function filesDatabaseName(databaseName: string): string {
  return `${databaseName}_files`;
}

/** Name of a table's manifest table (in the files database). */
export function manifestTableName(table: Pick<TableSchema, 'name'>): string {
  return `${table.name}_manifests`;
}

/** The SELECT of a table's exact-read view in `databaseName`: its files and manifests from the files database, as of the query's start. */
export function exactReadViewSql(table: TableSchema, databaseName: string): string {
  const files = sqlIdent(filesDatabaseName(databaseName));
  return exactReadSql(table, {
    files: `${files}.${sqlIdent(table.name)}`,
    pathColumn: '"$path"',
    manifests: `${files}.${sqlIdent(manifestTableName(table))}`,
    asOfMs: ATHENA_QUERY_START_MS,
  });
}

/** The Glue view a compactable table is read through, named after the table, in the main database. */
export function exactReadViewInput(table: TableSchema, databaseName: string): glue.CfnTable.TableInputProperty {
  return athenaViewTableInput({
    name: table.name,
    description: `${table.description} (Exact-read view: the files of ${filesDatabaseName(databaseName)}.${table.name} its compaction manifests let through.)`,
    databaseName,
    sql: exactReadViewSql(table, databaseName),
    columns: [...table.columns, ...table.partitionKeys],
  });
}

/** The OpenX JSON SerDe over text files: one manifest (one line of JSON) per object. */
export const MANIFEST_JSON_SERDE = {
  inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
  serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
} as const;

/** The manifest fields the view reads (other keys of a manifest are ignored by the SerDe). */
export const MANIFEST_COLUMNS: readonly glue.CfnTable.ColumnProperty[] = [
  { name: 'compacted', type: 'string', comment: 'The compacted file of the generation, relative to its partition folder' },
  { name: 'parts', type: 'array<string>', comment: 'The files the generation was published as (absent: the compacted file alone)' },
  { name: 'replaced', type: 'array<string>', comment: 'The files of the partition folder the generation replaces' },
  { name: 'visiblefromms', type: 'bigint', comment: 'When the generation is in place (ms since the epoch); absent until then' },
];

/** The Glue table input of a compactable table's manifests: JSON under `_compaction/<zone>/<table>/`, projected like the table. */
export function manifestTableInput(bucketName: string, table: TableSchema): glue.CfnTable.TableInputProperty {
  const location = manifestLocation(bucketName, table);
  return {
    name: manifestTableName(table),
    description: `Compaction manifests of ${table.name}: one JSON object per generation and partition (read by its exact-read view)`,
    tableType: 'EXTERNAL_TABLE',
    parameters: { EXTERNAL: 'TRUE', classification: 'json', ...projectionParameters(location, table) },
    partitionKeys: table.partitionKeys.map((c) => ({ name: c.name, type: c.type })),
    storageDescriptor: {
      location,
      inputFormat: MANIFEST_JSON_SERDE.inputFormat,
      outputFormat: MANIFEST_JSON_SERDE.outputFormat,
      // Keys match case-insensitively (the SerDe's default, stated): the manifests write `visibleFromMs`.
      serdeInfo: { serializationLibrary: MANIFEST_JSON_SERDE.serializationLibrary, parameters: { 'case.insensitive': 'TRUE' } },
      compressed: false,
      storedAsSubDirectories: false,
      columns: [...MANIFEST_COLUMNS],
    },
  };
}
