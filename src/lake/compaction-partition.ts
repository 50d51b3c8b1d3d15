/**
 * Reading a partition as the compaction steps see it: its manifests first, then its listing (a
 * reader's order), its live files and its plan at the run's clock; and a table's partitions by listing.
 */
import { partitionPath } from '../core/time.js';
import { COMPACTED_DIR, type CompactionManifest, liveFilesOf, manifestTablePrefix, type PartitionPlan, planPartition } from './compaction.js';
import { type MarkerReader, markerReader, rewrittenBackfills } from './compaction-batches.js';
import type { CompactionRun } from './compaction-run.js';
import { tablePrefix } from './layout.js';
import type { ObjectStore } from './object-store.js';
import type { TableSchema } from './table-schema.js';

const DAY_MS = 86_400_000;

/** The `dt=…/hour=HH` of a key under a table prefix, and the rest of the key; undefined for anything else. */
function splitKey(prefix: string, key: string): [string, string] | undefined {
  const m = /^(dt=\d{4}-\d{2}-\d{2}\/hour=\d{2})\/(.+)$/.exec(key.slice(prefix.length));
  return m ? [m[1]!, m[2]!] : undefined;
}

/** Keys under each of `prefixes`, grouped by partition. */
export async function byPartition(store: ObjectStore, base: string, prefixes: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const p of prefixes) {
    for (const key of await store.list(p)) {
      const split = splitKey(base, key);
      if (split) out.set(split[0], [...(out.get(split[0]) ?? []), split[1]]);
    }
  }
  return out;
}

/** The prefixes to list under a table or manifest root: the whole root, or one per day of the lookback. */
export function dayPrefixes(root: string, nowMs: number, lookbackDays: number | undefined): string[] {
  if (lookbackDays === undefined) return [root];
  const days: string[] = [];
  for (let d = 0; d <= lookbackDays; d++)
    days.push(`${root}${partitionPath({ dt: new Date(nowMs - d * DAY_MS).toISOString().slice(0, 10), hour: 0 }).split('/')[0]}/`);
  return days.reverse();
}

/** The Parquet files of a partition listing, relative to the partition: its own and its compacted ones (no temporaries). */
export const partitionFiles = (names: readonly string[]) =>
  names.filter((f) => f.endsWith('.parquet') && (!f.includes('/') || (f.startsWith(`${COMPACTED_DIR}/`) && f.split('/').length === 2)));

export async function readManifests(store: ObjectStore, keys: readonly string[]): Promise<CompactionManifest[]> {
  const out: CompactionManifest[] = [];
  for (const k of keys.filter((x) => x.endsWith('.json'))) {
    const body = await store.get(k);
    if (body) out.push(JSON.parse(Buffer.from(body).toString('utf8')) as CompactionManifest);
  }
  return out;
}

/** A partition as a reader sees it at the run's clock: its manifests first, then its listing (the reader's order), and its live files. */
export interface PartitionNow {
  readonly manifests: readonly CompactionManifest[];
  readonly listing: readonly string[];
  readonly live: readonly string[];
}

export async function partitionNow(store: ObjectStore, table: TableSchema, partition: string, run: CompactionRun): Promise<PartitionNow> {
  const manifests = await readManifests(store, await store.list(`${manifestTablePrefix(table)}${partition}/`));
  const listing = await listingOf(store, table, partition);
  return { manifests, listing, live: liveFilesOf(listing, manifests, run) };
}

/** A partition's plan: the protocol's ({@link planPartition}), with the backfilled files written again since a generation merged them. */
export async function planFrom(
  markers: MarkerReader,
  table: TableSchema,
  partition: string,
  listing: readonly string[],
  manifests: readonly CompactionManifest[],
  run: CompactionRun,
): Promise<PartitionPlan> {
  const live = liveFilesOf(listing, manifests, run);
  // Only generations readers see (or will, without another merge) say which publication a file's rows are held from:
  // one a killed run left without its file, or an unpublished one, holds nothing yet.
  const listed = new Set(listing);
  const held = manifests.filter((m) => (run.publish ? m.visibleFromMs !== undefined : listed.has(m.compacted)));
  const rewritten = await rewrittenBackfills(markers, `${tablePrefix(table)}${partition}/`, listing, held, live);
  return planPartition(partition, listing, manifests, { ...run, rewritten: rewritten.merge, keep: rewritten.keep });
}

/** The partition's plan now. */
export async function planOf(
  store: ObjectStore,
  table: TableSchema,
  partition: string,
  run: CompactionRun,
  markers: MarkerReader = markerReader(store),
): Promise<{ plan: PartitionPlan; now: PartitionNow }> {
  const now = await partitionNow(store, table, partition, run);
  return { plan: await planFrom(markers, table, partition, now.listing, now.manifests, run), now };
}

/** A partition's files, relative to it. */
export async function listingOf(store: ObjectStore, table: TableSchema, partition: string): Promise<string[]> {
  const prefix = `${tablePrefix(table)}${partition}/`;
  return partitionFiles((await store.list(prefix)).map((k) => k.slice(prefix.length)));
}
