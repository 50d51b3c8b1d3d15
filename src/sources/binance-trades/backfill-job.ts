/**
 * The statements of one backfill job (one Binance trade file): load its raw
 * lines, write `trades`, `quarantine` and `bar_partials` as Hive-partitioned
 * Parquet, drop what was loaded. Built from the shared definitions
 * (`backfill.ts`, `bars.ts`) for either engine; what differs per engine comes
 * from the dialect:
 *
 * - DuckDB reads the file through a view, keeps the checked lines (one row per
 *   line, text only for the bad ones) and the classified bad lines in temporary
 *   tables and the valid trades in a view over them: one scan of the file, and
 *   only the lines that fail the one-pass check get the detailed classification;
 * - Athena has no temporary tables and numbers lines per scan, so each output
 *   statement reads the lines table itself and the quarantine statement
 *   classifies every line in one pass (valid lines classify as NULL).
 *
 * Every output selects the table's columns cast to its Glue types, then `dt`
 * and `hour` zero-padded to two digits (`hour=05`, as the lake layout and the
 * partition projection want), the partition columns last.
 */
import { QUARANTINE, type TableSchema } from '../../lake/table-schema.js';
import { BAR_PARTIALS, TRADES } from './tables.js';
import {
  type BackfillContext,
  checkedFileLinesSql,
  checkedLinesSql,
  classifiedLinesSql,
  numberedLinesSql,
  quarantineSql,
  validTradesSql,
} from './backfill-sql.js';
import { partialsFromTradesSql } from '../../sql/bars.js';
import type { SqlDialect } from '../../sql/dialect.js';

/** The lake tables a backfill writes, in the order of its statements. */
export const BACKFILL_TABLES: readonly TableSchema[] = [TRADES, QUARANTINE, BAR_PARTIALS];

/** Partition columns of every backfill output, last in each select list. */
export const PARTITION_COLUMNS = ['dt', 'hour'] as const;

export interface BackfillJob {
  /** Name of the table of raw lines, unique per run and file (lower-case letters, digits, `_`). */
  readonly linesTable: string;
  /** The raw lines: a local file (DuckDB) or an S3 prefix holding one text file (Athena). */
  readonly linesLocation: string;
  /** Where each table's Parquet goes (a directory or an S3 prefix, empty before the job). */
  readonly outputLocation: (table: TableSchema) => string;
  readonly ctx: BackfillContext;
  /** `batch_id` of the bar partials. */
  readonly batchId: string;
}

/** The statements of a job, one per step of the backfill state machine. */
export interface BackfillStatements {
  /** Loads the lines (DuckDB: and the intermediate temporary tables). */
  readonly createLines: string;
  readonly trades: string;
  readonly quarantine: string;
  readonly barPartials: string;
  /** Drops everything `createLines` made. */
  readonly dropLines: string;
}

/** Select list casting a relation's columns to a table's schema, then `dt` and the zero-padded `hour`. */
export function schemaSelect(t: TableSchema, d: SqlDialect): string {
  const cols = t.columns.map((c) => `CAST("${c.name}" AS ${d.columnType(c.type)}) AS "${c.name}"`);
  return [...cols, 'dt', `lpad(CAST(hour AS VARCHAR), 2, '0') AS hour`].join(', ');
}

/** Names of the temporary tables a DuckDB job keeps next to its lines table. */
export function intermediateTables(linesTable: string) {
  return { checked: `${linesTable}_checked`, valid: `${linesTable}_valid`, classified: `${linesTable}_classified` } as const;
}

/** Renders the statements of one job for an engine. */
export function backfillStatements(d: SqlDialect, job: BackfillJob): BackfillStatements {
  const { ctx } = job;
  const write = (t: TableSchema, select: string) => d.writeParquet(`SELECT ${schemaSelect(t, d)} FROM ${select}`, job.outputLocation(t), PARTITION_COLUMNS);
  const partials = (valid: string) => `(${partialsFromTradesSql(valid, job.batchId, d)}) AS partials`;

  if (d.hasTempTables) {
    const tmp = intermediateTables(job.linesTable);
    // The checked table has one row per line in file order (rowid + 1 is the line
    // number), and keeps the text of the lines that are not valid trades only.
    // Only those get the detailed, per-field classification.
    const bad = `(SELECT line, rowid + 1 AS line_no FROM ${tmp.checked} WHERE NOT ok AND NOT is_header) AS bad`;
    return {
      createLines: [
        d.linesTable(job.linesTable, job.linesLocation),
        `CREATE OR REPLACE TEMP TABLE ${tmp.checked} AS ${checkedFileLinesSql(job.linesTable, d, ctx)}`,
        // A view, not a table: computing the valid rows again for the bar partials is
        // cheaper than materialising 10 million of them (~1 s of a 10 s backfill).
        `CREATE OR REPLACE TEMP VIEW ${tmp.valid} AS ${validTradesSql(tmp.checked, d, ctx)}`,
        `CREATE OR REPLACE TEMP TABLE ${tmp.classified} AS ${classifiedLinesSql(bad, d, ctx)}`,
      ].join(';\n'),
      trades: write(TRADES, tmp.valid),
      quarantine: write(QUARANTINE, `(${quarantineSql(tmp.classified, d, ctx)}) AS q`),
      barPartials: write(BAR_PARTIALS, partials(tmp.valid)),
      dropLines: [
        `DROP VIEW IF EXISTS ${tmp.valid}`,
        `DROP VIEW IF EXISTS ${job.linesTable}`,
        ...[tmp.checked, tmp.classified].map((t) => `DROP TABLE IF EXISTS ${t}`),
      ].join(';\n'),
    };
  }

  // Empty lines read as NULL from a text table.
  const numbered = `(${numberedLinesSql(`(SELECT coalesce(line, '') AS line FROM ${job.linesTable}) AS raw_lines`, d)}) AS numbered`;
  const valid = `(${validTradesSql(`(${checkedLinesSql(numbered, d, ctx)}) AS checked`, d, ctx)}) AS valid`;
  return {
    createLines: d.linesTable(job.linesTable, job.linesLocation),
    trades: write(TRADES, valid),
    quarantine: write(QUARANTINE, `(${quarantineSql(`(${classifiedLinesSql(numbered, d, ctx)}) AS classified`, d, ctx)}) AS q`),
    barPartials: write(BAR_PARTIALS, partials(valid)),
    dropLines: `DROP TABLE IF EXISTS ${job.linesTable}`,
  };
}
