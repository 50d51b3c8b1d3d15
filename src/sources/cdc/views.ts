/**
 * The current state of each captured table, merged on read from `cdc_changes`:
 * per row key the latest change (by commit position, then position in the
 * transaction), dropped when it is a delete, its after image as typed columns.
 * One SQL text for DuckDB and Athena (`json_extract_scalar` is Athena's; the
 * local runtime defines it for DuckDB, see src/sql/dialect.ts). A change that
 * landed twice (put again after a restart) is the same row twice, so whichever
 * copy ranks first gives the same state.
 */
import { sqlString } from '../../sql/dialect.js';
import { CAPTURED_TABLES, type ColumnKind } from './change.js';
import { CDC_CHANGES } from './tables.js';

const SQL_TYPE: Readonly<Record<ColumnKind, string>> = { id: 'bigint', number: 'double', text: 'varchar', time: 'timestamp' };

/** The name of a captured table's current-state view. */
export const currentViewName = (table: string): string => `${table}_current`;

/** The current-state view of one captured table. */
export function currentStateSql(table: string, changes = CDC_CHANGES.name): string {
  const t = CAPTURED_TABLES[table];
  if (!t) throw new Error(`${table} is not a captured table`);
  const columns = Object.entries(t.columns).map(
    ([name, kind]) => `  CAST(json_extract_scalar(after_json, ${sqlString(`$.${name}`)}) AS ${SQL_TYPE[kind]}) AS ${name},`,
  );
  return `SELECT
${columns.join('\n')}
  lsn AS last_lsn,
  commit_time AS last_commit_time
FROM (
  SELECT after_json, op, lsn, commit_time,
    row_number() OVER (PARTITION BY row_key ORDER BY commit_order DESC, seq DESC) AS rn
  FROM ${changes}
  WHERE table_name = ${sqlString(table)}
) latest
WHERE rn = 1 AND op <> 'delete'`;
}
