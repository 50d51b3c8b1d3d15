/**
 * The lake-writer port: where Parquet objects go. Implemented by S3 (cloud) and
 * local files (embedded runtime); the transform code only sees this interface.
 */
import type { HourPartition } from '../core/time.js';
import { partitionPath } from '../core/time.js';
import type { TableSchema } from './table-schema.js';

/** Stores immutable objects under lake-relative keys (`curated/trades/dt=.../x.parquet`). */
export interface LakeWriter {
  /** Writes (or atomically replaces) the object at `key`. */
  put(key: string, body: Uint8Array): Promise<void>;
  /** Reads an object, or undefined when it does not exist. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Removes objects; missing keys are not an error. */
  delete(keys: readonly string[]): Promise<void>;
  /** Human-readable location of the lake root (for messages). */
  readonly location: string;
}

/** Table root relative to the lake root: `<zone>/<table>/`. */
export function tablePrefix(table: Pick<TableSchema, 'zone' | 'name'>): string {
  return `${table.zone}/${table.name}/`;
}

/** Lake key of one file: `<zone>/<table>/dt=yyyy-MM-dd/hour=HH/<fileName>`. */
export function lakeKey(table: TableSchema, partition: HourPartition, fileName: string): string {
  return `${tablePrefix(table)}${partitionPath(partition)}/${fileName}`;
}
