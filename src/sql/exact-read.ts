/**
 * The exact-read view of a compacted table, for readers that list partition
 * folders and read no manifest themselves (Athena over Glue tables; docs/lake.md).
 *
 * Each published manifest becomes *visible* at `visibleFromMs`, written after
 * its generation's files are in place, a margin past the end of the copy. The
 * view reads the table's files with their names and the manifests' contents,
 * and keeps a file when
 *
 * - no visible manifest replaces it, and
 * - it is not a compacted file, or a visible manifest names it.
 *
 * `asOfMs` is the query's start (Athena: `current_timestamp`, constant within a
 * statement). A reader that treats a manifest as visible started after the copy,
 * so its listing holds the new files, and still holds the replaced ones: those
 * are deleted only a grace period (longer than any query) after `visibleFromMs`.
 * A reader that does not treat it as visible reads the replaced files and skips
 * the new ones. Either way each row once, with any order between the two listings.
 *
 * Written in the common subset of DuckDB and Athena/Trino: the same text runs on
 * both, so a DuckDB test checks what Athena runs.
 */
import type { TableSchema } from '../lake/table-schema.js';
import { PUBLISHED_PREFIX } from '../lake/compaction.js';
import { sqlIdent, sqlString } from './dialect.js';

/** Where the view reads from. */
export interface ExactReadSources {
  /** The table's files: a relation with the table's columns, its partition keys and {@link pathColumn}. */
  readonly files: string;
  /** The column of {@link files} holding each row's object path (Athena `"$path"`, DuckDB `filename`). */
  readonly pathColumn: string;
  /**
   * The table's manifests: a relation with the partition keys and the manifest
   * fields `compacted`, `parts`, `replaced` and `visiblefromms` (JSON keys match
   * case-insensitively in both engines).
   */
  readonly manifests: string;
  /** SQL for the reader's clock in ms since the epoch (BIGINT). */
  readonly asOfMs: string;
}

/** Athena's clock for {@link ExactReadSources.asOfMs}: the query's start, in ms. */
export const ATHENA_QUERY_START_MS = 'CAST(floor(to_unixtime(current_timestamp) * 1000) AS bigint)';

/** The SELECT behind a table's exact-read view: its columns and partition keys, each row of the reader's snapshot once. */
export function exactReadSql(table: TableSchema, s: ExactReadSources): string {
  const keys = table.partitionKeys.map((k) => sqlIdent(k.name));
  const on = (alias: string) => [...keys.map((k) => `${alias}.${k} = f.${k}`), `${alias}.name = f.file_name`].join(' AND ');
  const mKeys = keys.map((k) => `m.${k}`).join(', ');
  const columns = [...table.columns, ...table.partitionKeys].map((c) => `f.${sqlIdent(c.name)}`).join(', ');
  return [
    'WITH visible AS (',
    `  SELECT ${keys.join(', ')}, compacted, parts, replaced FROM ${s.manifests} WHERE visiblefromms <= ${s.asOfMs}`,
    '), shown AS (',
    `  SELECT DISTINCT ${mKeys}, u.name FROM visible m CROSS JOIN UNNEST(concat(ARRAY[m.compacted], coalesce(m.parts, ARRAY[m.compacted]))) AS u(name)`,
    '), hidden AS (',
    `  SELECT DISTINCT ${mKeys}, u.name FROM visible m CROSS JOIN UNNEST(m.replaced) AS u(name)`,
    '), f AS (',
    `  SELECT *, regexp_extract(${s.pathColumn}, '[^/]+$') AS file_name FROM ${s.files}`,
    ')',
    `SELECT ${columns}`,
    'FROM f',
    `LEFT JOIN hidden h ON ${on('h')}`,
    `LEFT JOIN shown s ON ${on('s')}`,
    `WHERE h.name IS NULL AND (s.name IS NOT NULL OR NOT starts_with(f.file_name, ${sqlString(PUBLISHED_PREFIX)}))`,
  ].join('\n');
}
