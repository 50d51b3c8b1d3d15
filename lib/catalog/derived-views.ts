/**
 * What the local runtime defines as SQL rather than files (src/sql/views.ts, the
 * same definitions the DuckDB views use), and how each maps to Athena:
 *
 * - lake tables that are views over other tables (`bars_1m`): no Glue table at a
 *   location nothing writes to; a saved query `create-view-<name>` creates the
 *   Athena view from the very SQL the local DuckDB view uses (the DuckDB/Athena
 *   common subset, src/sql);
 * - dimensions shipped with the project as data (`company_profile`): a normal
 *   (unpartitioned) Glue table, its Parquet file written into the lake by
 *   `npm run seed:dimensions` after deploying;
 * - views that are not lake tables (`volume_today`, `volume_by_day`): saved
 *   `create-view-<name>` queries.
 */
import { join } from 'node:path';
import { NAMED_VIEWS, SHIPPED_DIMENSIONS as DIMENSION_FILES, VIEW_TABLES } from '../../src/catalog.js';
import { PROJECT_ROOT } from '../paths.js';

export { NAMED_VIEWS };
export const DERIVED_VIEWS: Readonly<Record<string, () => string>> = VIEW_TABLES;

/** Shipped dimension files (absolute paths), by table name: from the source registry. */
export const SHIPPED_DIMENSIONS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(DIMENSION_FILES).map(([t, f]) => [t, join(PROJECT_ROOT, f)]),
);
