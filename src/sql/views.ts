/**
 * Views defined as SQL rather than files, shared by the local DuckDB views and
 * the Athena views the catalog stack creates (both engines run this SQL).
 */
import { barsFromPartialsSql } from './bars.js';
import { volumeByDaySql, volumeTodaySql } from './stocks.js';

/** Lake tables that are views over other lake tables. */
export const VIEW_TABLES: Readonly<Record<string, () => string>> = {
  bars_1m: () => barsFromPartialsSql('bar_partials'),
};

/** Views that are not lake tables (saved queries / views in Athena). */
export const NAMED_VIEWS: Readonly<Record<string, () => string>> = {
  volume_today: () => volumeTodaySql(),
  volume_by_day: () => volumeByDaySql(),
};
