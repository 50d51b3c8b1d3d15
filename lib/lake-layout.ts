/**
 * The lake layout as the catalog sees it, derived from the table schemas
 * (`glue-schemas/*.json` via `TABLES`): where each table lives and the Athena
 * partition projection that makes every `dt=/hour=` prefix queryable without a
 * crawler or `MSCK REPAIR TABLE`.
 *
 * Layout: `s3://<lake bucket>/<zone>/<table>/dt=yyyy-MM-dd/hour=HH/<file>.parquet`.
 */
import type { TableSchema } from '../src/lake/table-schema.js';
import { manifestTablePrefix } from '../src/lake/compaction.js';
import { tablePrefix } from '../src/lake/layout.js';

/** Key prefix of a table inside the lake bucket, e.g. `curated/trades/` (the same the writers use), and the zones. */
export { LAKE_ZONES, type LakeZone, tablePrefix } from '../src/lake/layout.js';

/** First day the `dt` projection covers: older than any Binance spot data ticklake replays. */
export const PROJECTION_START_DATE = '2017-01-01';

/**
 * Name of the lake bucket: predictable, so stacks and people can address it
 * without a cross-stack export (`account` / `region` may be CloudFormation
 * pseudo-parameter tokens). At most 58 characters for a 16-character stage.
 */
export function lakeBucketName(stage: string, account: string, region: string): string {
  return `ticklake-${stage}-lake-${account}-${region}`;
}

/** Table location, e.g. `s3://bucket/curated/trades/`. */
export function tableLocation(bucketName: string, table: Pick<TableSchema, 'zone' | 'name'>): string {
  return `s3://${bucketName}/${tablePrefix(table)}`;
}

/** Location of a table's compaction manifests, e.g. `s3://bucket/_compaction/curated/trades/` (partitioned like the table). */
export function manifestLocation(bucketName: string, table: Pick<TableSchema, 'zone' | 'name'>): string {
  return `s3://${bucketName}/${manifestTablePrefix(table)}`;
}

/**
 * Partition projection table properties for the standard `dt` / `hour`
 * partitioning under `location` (a `s3://…/` prefix ending in `/`: the table's
 * own, or its manifests'); none for an unpartitioned table, e.g. a small
 * dimension. Throws when a table is partitioned differently, so a new schema
 * cannot silently get a projection that does not match its paths.
 */
export function projectionParameters(location: string, table: TableSchema): Record<string, string> {
  const keys = table.partitionKeys.map((k) => `${k.name}:${k.type}`).join(',');
  if (keys === '') return {};
  if (keys !== 'dt:string,hour:int') {
    throw new Error(`table ${table.name}: partition keys must be dt:string,hour:int for the lake layout's projection (got ${keys || 'none'})`);
  }
  return {
    'projection.enabled': 'true',
    'projection.dt.type': 'date',
    'projection.dt.format': 'yyyy-MM-dd',
    'projection.dt.range': `${PROJECTION_START_DATE},NOW`,
    'projection.dt.interval': '1',
    'projection.dt.interval.unit': 'DAYS',
    'projection.hour.type': 'integer',
    'projection.hour.range': '0,23',
    'projection.hour.digits': '2',
    'storage.location.template': `${location}dt=\${dt}/hour=\${hour}/`,
  };
}
