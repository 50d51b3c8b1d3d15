/**
 * The forecasting lake tables (`models`, `model_evaluations`, `predictions`,
 * `champion_changes`; schemas in `glue-schemas/`): row types, column builders
 * and deterministic object keys, written through the {@link ObjectStore} port
 * with the schema-driven Parquet encoder. Object names derive from the
 * content's identity (model id, evaluation day, symbol, minute range), so a
 * retried step overwrites its own objects instead of adding rows.
 *
 * Value conventions: `timestamp` columns are µs since epoch; `date` columns are
 * `yyyy-MM-dd` strings in the row types, written as day numbers (Parquet DATE).
 */
import type { HourPartition } from '../../core/time.js';
import { dateOfDay, dayNumber, hourPartition } from '../../core/time.js';
import type { ModelRecord } from '../registry.js';
import type { TableSchema } from '../../lake/table-schema.js';
import { CHAMPION_CHANGES, MODEL_EVALUATIONS, MODELS, PREDICTIONS } from '../table-schemas.js';
import { lakeKey, tablePrefix } from '../../lake/layout.js';
import { hourIndex } from '../../lake/rows.js';
import { encodeParquet, type ColumnValues } from '../../lake/parquet.js';
import type { ObjectStore } from '../../lake/object-store.js';
import { getOrCreate } from '../../core/collections.js';

/** One row of `model_evaluations`: a model scored on one symbol and day. */
export interface ModelEvaluationRow {
  readonly model_id: string;
  readonly kind: string;
  readonly symbol: string;
  /** yyyy-MM-dd. */
  readonly eval_date: string;
  readonly rmse: number;
  readonly mae: number;
  readonly r2: number;
  readonly skill_vs_baseline: number;
  readonly baseline_rmse: number;
  readonly n: number;
  readonly rank: number;
  readonly is_champion: boolean;
  /** The model that served the day's live forecasts (the champion after the previous evaluation). */
  readonly served: boolean;
}

/** One row of `predictions`. */
export interface PredictionRow {
  readonly symbol: string;
  /** Forecast minute, µs. */
  readonly minute_start: number;
  readonly model_id: string;
  readonly model_kind: string;
  /** `close` or `avg_price`. */
  readonly price_field: string;
  readonly horizon: number;
  /** Minute whose bar triggered the forecast, µs. */
  readonly feature_minute: number;
  readonly base_price: number;
  readonly predicted: number;
  /** Null when the forecast minute had no trade. */
  readonly actual: number | null;
  /** When the forecast was made, µs. */
  readonly predicted_at: number;
}

/** One row of `champion_changes`. */
export interface ChampionChangeRow {
  readonly symbol: string;
  /** yyyy-MM-dd. */
  readonly eval_date: string;
  readonly previous_model_id: string | null;
  readonly model_id: string;
  readonly model_kind: string;
  readonly reason: string;
  readonly rmse: number;
  readonly baseline_rmse: number;
  readonly skill_vs_baseline: number;
  /** µs. */
  readonly changed_at: number;
}

/** Day number (days since 1970-01-01) of a `yyyy-MM-dd` date: the Parquet DATE value. */
export function dateToDayNumber(date: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error(`date must be yyyy-MM-dd, got ${date}`);
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(ms)) throw new Error(`not a date: ${date}`);
  return ms / 86_400_000;
}

/** Column arrays of rows, in the table's column order; `date` columns converted to day numbers. */
export function columnsOf(table: TableSchema, rows: readonly object[]): Record<string, ColumnValues> {
  const out: Record<string, ColumnValues> = {};
  for (const c of table.columns) {
    out[c.name] = rows.map((r) => {
      const v = (r as Record<string, unknown>)[c.name];
      if (v === undefined) throw new Error(`table ${table.name}: a row has no ${c.name}`);
      if (c.type === 'date' && typeof v === 'string') return dateToDayNumber(v);
      return v as ColumnValues[number];
    });
  }
  return out;
}

/** Key of a file of an unpartitioned table: `<zone>/<table>/<fileName>`. */
export function unpartitionedKey(table: TableSchema, fileName: string): string {
  if (table.partitionKeys.length > 0) throw new Error(`table ${table.name} is partitioned`);
  return `${tablePrefix(table)}${fileName}`;
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');

/** Writes the `models` row of one model (`models/models/<model_id>.parquet`). Returns the key. */
export async function writeModelRow(lake: ObjectStore, record: ModelRecord): Promise<string> {
  const key = unpartitionedKey(MODELS, `${safe(record.model_id)}.parquet`);
  await lake.put(key, encodeParquet(MODELS, columnsOf(MODELS, [record])));
  return key;
}

/** Writes the evaluation rows of one day (`models/model_evaluations/<eval_date>.parquet`, replaced on re-evaluation). */
export async function writeEvaluationRows(lake: ObjectStore, evalDate: string, rows: readonly ModelEvaluationRow[]): Promise<string | undefined> {
  if (rows.length === 0) return undefined;
  if (rows.some((r) => r.eval_date !== evalDate)) throw new Error(`evaluation rows of another day than ${evalDate}`);
  const key = unpartitionedKey(MODEL_EVALUATIONS, `${evalDate}.parquet`);
  await lake.put(key, encodeParquet(MODEL_EVALUATIONS, columnsOf(MODEL_EVALUATIONS, rows)));
  return key;
}

/** Writes one champion change (`models/champion_changes/<eval_date>-<symbol>.parquet`). */
export async function writeChampionChangeRow(lake: ObjectStore, row: ChampionChangeRow): Promise<string> {
  const key = unpartitionedKey(CHAMPION_CHANGES, `${row.eval_date}-${safe(row.symbol)}.parquet`);
  await lake.put(key, encodeParquet(CHAMPION_CHANGES, columnsOf(CHAMPION_CHANGES, [row])));
  return key;
}

/**
 * Writes prediction rows, one object per hour partition of the forecast
 * minute, named after the partition's first and last forecast minute and the
 * row count. Returns the keys written.
 */
export async function writePredictionRows(lake: ObjectStore, rows: readonly PredictionRow[], prefix = 'pred'): Promise<string[]> {
  const byHour = new Map<number, PredictionRow[]>();
  for (const r of rows) {
    const h = hourIndex(r.minute_start);
    const list = getOrCreate(byHour, h, () => []);
    list.push(r);
  }
  const keys: string[] = [];
  for (const list of byHour.values()) {
    list.sort((a, b) => a.minute_start - b.minute_start || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
    const partition: HourPartition = hourPartition(list[0]!.minute_start);
    const name = `${safe(prefix)}-${list[0]!.minute_start}-${list[list.length - 1]!.minute_start}-${list.length}.parquet`;
    const key = lakeKey(PREDICTIONS, partition, name);
    await lake.put(key, encodeParquet(PREDICTIONS, columnsOf(PREDICTIONS, list)));
    keys.push(key);
  }
  return keys;
}

/** `yyyy-MM-dd` of a µs timestamp (UTC). */
export function dateOfUs(us: number): string {
  return dateOfDay(dayNumber(us));
}
