/**
 * What the local runtime defines as SQL rather than files, and how each maps to
 * Athena (kept equal to src/local/lake-sql.ts by test/infra/storage-catalog.test.ts):
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
import { barsFromPartialsSql } from '../../src/sql/bars.js';
import { volumeByDaySql, volumeTodaySql } from '../../src/sql/stocks.js';
import { PROJECT_ROOT } from '../paths.js';

export const DERIVED_VIEWS: Readonly<Record<string, () => string>> = {
  bars_1m: () => barsFromPartialsSql('bar_partials'),
};

export const SHIPPED_DIMENSIONS: Readonly<Record<string, string>> = {
  company_profile: join(PROJECT_ROOT, 'data', 'company_profile.json'),
};

export const NAMED_VIEWS: Readonly<Record<string, () => string>> = {
  volume_today: () => volumeTodaySql(),
  volume_by_day: () => volumeByDaySql(),
};
