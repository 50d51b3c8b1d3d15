/**
 * The lake's key layout, defined once for the writers (stream transform,
 * backfill, forecasting tables), the catalog (CDK) and the IAM grants. Pure:
 * no AWS SDK, no file system.
 *
 * ```
 * <zone>/<table>/dt=yyyy-MM-dd/hour=HH/<file>.parquet   table data
 * _batches/<stream>/<shardId>/<firstSeq>.json           per-batch markers of the stream transform
 * ```
 */
import type { HourPartition } from '../core/time.js';
import { partitionPath } from '../core/time.js';

/** Zones that hold lake tables, each a top-level prefix of the lake (a table schema's `zone`). */
export const LAKE_ZONES = ['raw', 'curated', 'quarantine', 'aggregate', 'models'] as const;
export type LakeZone = (typeof LAKE_ZONES)[number];

/** What the key layout needs of a table schema (no import of the schema module: it imports the zone list from here). */
export interface TableRef {
  readonly zone: LakeZone;
  readonly name: string;
}

/** Table root relative to the lake root: `<zone>/<table>/`. */
export function tablePrefix(table: TableRef): string {
  return `${table.zone}/${table.name}/`;
}

/** Lake key of one file: `<zone>/<table>/dt=yyyy-MM-dd/hour=HH/<fileName>`. */
export function lakeKey(table: TableRef, partition: HourPartition, fileName: string): string {
  return `${tablePrefix(table)}${partitionPath(partition)}/${fileName}`;
}

/** Where the stream transform keeps its per-batch markers (outside every table location). */
export const BATCH_MARKER_PREFIX = '_batches/';

/** Lake key of the marker of the batch starting at `firstSeq`. */
export function batchMarkerKey(stream: string, shardId: string, firstSeq: string): string {
  return `${BATCH_MARKER_PREFIX}${stream}/${shardId}/${firstSeq}.json`;
}

/** Where the backfill keeps one publication marker per backfilled file (outside every table location). */
export const BACKFILL_MARKERS_PREFIX = '_backfill/published/';

/** Lake key of the publication marker of a backfilled file (its objects are named `backfill-<fileKey>-<n>.parquet`). */
export function backfillMarkerKey(fileKey: string): string {
  return `${BACKFILL_MARKERS_PREFIX}${fileKey}.json`;
}
