/**
 * The catalog: every lake table, view and dimension, derived from the source
 * registry plus the tables every source shares (`raw_events`, `quarantine`) and
 * the forecasting tables. The Glue tables and their projections (CDK), the
 * transform's grants, the DuckDB views and `ticklake tables` all read this.
 */
import { CORE_REASON_CODES } from './core/reasons.js';
import { QUARANTINE, RAW_EVENTS, type TableSchema } from './lake/table-schema.js';
import { ML_TABLES } from './ml/table-schemas.js';
import { SOURCES } from './sources/index.js';
import type { DerivedTable } from './sql/compaction.js';

/** The tables the stream transform writes: the shared two, then each source's. */
export const STREAM_TRANSFORM_TABLES: readonly TableSchema[] = [RAW_EVENTS, QUARANTINE, ...SOURCES.flatMap((s) => s.tables)];

/** Lake tables that are views over other lake tables, with their defining SQL (DuckDB and Athena run it). */
export const VIEW_TABLES: Readonly<Record<string, () => string>> = Object.fromEntries(
  SOURCES.flatMap((s) => (s.viewTables ?? []).map((v) => [v.table.name, v.sql])),
);

/** Views that are not lake tables (saved queries / views in Athena, DuckDB views locally). */
export const NAMED_VIEWS: Readonly<Record<string, () => string>> = Object.assign({}, ...SOURCES.map((s) => s.namedViews ?? {}));

/** Dimensions shipped as data files (project-relative paths), by table name. */
export const SHIPPED_DIMENSIONS: Readonly<Record<string, string>> = Object.fromEntries(
  SOURCES.flatMap((s) => (s.dimensions ?? []).map((d) => [d.table.name, d.file])),
);

/** Every reason code a record can be quarantined with: the core set, then each source's own. */
export const QUARANTINE_REASON_CODES: readonly string[] = [...new Set([...CORE_REASON_CODES, ...SOURCES.flatMap((s) => s.reasonCodes)])];

/** Every value of the quarantine's `source` column (the formats records are read as). */
export const QUARANTINE_FORMATS: readonly string[] = [...new Set(SOURCES.flatMap((s) => s.formats))];

/** The quarantine table, its description listing what the registry can write there (Glue column comments stop at 255 characters). */
const QUARANTINE_CATALOGUED: TableSchema = {
  ...QUARANTINE,
  description: `${QUARANTINE.description} Formats (source column): ${QUARANTINE_FORMATS.join(', ')}. Reason codes: ${QUARANTINE_REASON_CODES.join(', ')}.`,
};

/** Every lake table, by name: shared, per source (written, views, dimensions), forecasting. */
export const TABLES: Readonly<Record<string, TableSchema>> = Object.fromEntries(
  [
    RAW_EVENTS,
    QUARANTINE_CATALOGUED,
    ...SOURCES.flatMap((s) => [...s.tables, ...(s.viewTables ?? []).map((v) => v.table), ...(s.dimensions ?? []).map((d) => d.table)]),
    ...ML_TABLES,
  ].map((t) => [t.name, t]),
);

/** Which part of ticklake writes each table: a source id, `ingest` (every source's raw and quarantine rows) or `forecasting`. */
export const TABLE_OWNERS: Readonly<Record<string, string>> = Object.fromEntries([
  [RAW_EVENTS.name, 'ingest'],
  [QUARANTINE.name, 'ingest'],
  ...SOURCES.flatMap((s) => [...s.tables, ...(s.viewTables ?? []).map((v) => v.table), ...(s.dimensions ?? []).map((d) => d.table)].map((t) => [t.name, s.id])),
  ...ML_TABLES.map((t) => [t.name, 'forecasting']),
]);

/** The tables compaction rewrites: partitioned tables written as files (not views, not shipped dimensions). */
export function compactableTables(): TableSchema[] {
  const views = new Set(SOURCES.flatMap((s) => (s.viewTables ?? []).map((v) => v.table.name)));
  return Object.values(TABLES).filter((t) => t.partitionKeys.length > 0 && !views.has(t.name));
}

/** Tables compaction recomputes from their source's compacted hour (src/sql/compaction.ts `DerivedTable`). */
export const COMPACTION_DERIVATIONS: readonly DerivedTable[] = SOURCES.flatMap((s) => s.compactionDerivations ?? []);
