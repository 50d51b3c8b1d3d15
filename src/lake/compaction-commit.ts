/**
 * CommitPartition and DeleteReplaced: a merge's manifest, then its staged output put in place (in
 * the cloud: then made visible), or a publication a crash interrupted finished; and what the grace
 * period has freed deleted, then spent manifests.
 */
import { type CompactionManifest, generationFiles, manifestKey, VISIBILITY_MARGIN_MS } from './compaction.js';
import { mergeLists } from './compaction-lists.js';
import { listingOf, planOf } from './compaction-partition.js';
import {
  type CommittedPartition,
  type CompactionRun,
  type DeletedReplaced,
  type MergeWork,
  type PartitionItem,
  type PartitionOutcome,
  type PartitionWork,
  partitionError,
  tableNamed,
} from './compaction-run.js';
import { tablePrefix } from './layout.js';
import type { ObjectStore } from './object-store.js';
import type { TableSchema } from './table-schema.js';

/** Staged data objects (not Athena's `_`-files or hidden ones), sorted. */
const stagedData = (keys: readonly string[]) =>
  keys
    .filter((k) => {
      const name = k.slice(k.lastIndexOf('/') + 1);
      return name !== '' && !name.startsWith('_') && !name.startsWith('.');
    })
    .sort();

/** The lake's clock for publication times: never behind the run's clock (a run may be dated ahead, e.g. in tests). */
const publicationTime = (run: CompactionRun, clock: () => number) => Math.max(run.nowMs, clock());

/** Writes a manifest (one line of JSON: the view's JSON table reads it). */
async function putManifest(store: ObjectStore, table: TableSchema, m: CompactionManifest): Promise<void> {
  await store.put(manifestKey(table, m.partition, m.compacted), Buffer.from(JSON.stringify(m)), 'application/json');
}

/**
 * Puts a manifest's generation in place from its staged copy: parts first, its
 * file last (locally, its file appearing is the commit); a publication then
 * makes the manifest visible, a margin after the copy.
 */
async function putInPlace(
  store: ObjectStore,
  table: TableSchema,
  m: CompactionManifest,
  stagedKeys: readonly string[],
  publish: { readonly run: CompactionRun; readonly clock: () => number } | undefined,
): Promise<void> {
  const dir = `${tablePrefix(table)}${m.partition}/`;
  const files = [...(m.parts ?? []), m.compacted];
  if (stagedKeys.length !== files.length)
    throw new Error(`${table.name} ${m.partition}: ${stagedKeys.length} staged files for a generation of ${files.length}`);
  for (const [i, f] of files.entries()) await store.copy(stagedKeys[(i + 1) % files.length]!, `${dir}${f}`);
  if (publish) await putManifest(store, table, { ...m, visibleFromMs: publicationTime(publish.run, publish.clock) + VISIBILITY_MARGIN_MS });
  await store.delete(stagedKeys);
}

/**
 * Finishes a publication that is not visible yet (a crash, or a failed step,
 * after its manifest): from its staged copy; without one (expired), it is made
 * visible when all its files are in place, else abandoned (its files were never
 * visible, the files it replaces never stopped being read).
 */
async function resumePublication(store: ObjectStore, table: TableSchema, key: string, run: CompactionRun, clock: () => number): Promise<CommittedPartition> {
  const body = await store.get(key);
  if (!body) throw new Error(`${key} is gone: nothing to resume`);
  const m = JSON.parse(Buffer.from(body).toString('utf8')) as CompactionManifest;
  const staged = m.staged === undefined ? [] : stagedData(await store.list(m.staged));
  if (staged.length > 0) {
    await putInPlace(store, table, m, staged, { run, clock });
    return { compacted: m.compacted, files: staged.length, replaced: m.replaced.length };
  }
  const dir = `${tablePrefix(table)}${m.partition}/`;
  const listed = new Set(await listingOf(store, table, m.partition));
  if (generationFiles(m).every((f) => listed.has(f))) {
    await putManifest(store, table, { ...m, visibleFromMs: publicationTime(run, clock) + VISIBILITY_MARGIN_MS });
    return { compacted: m.compacted, files: generationFiles(m).length, replaced: m.replaced.length };
  }
  await store.delete(
    generationFiles(m)
      .filter((f) => listed.has(f))
      .map((f) => `${dir}${f}`),
  );
  await store.delete([key]);
  return { compacted: m.compacted, files: 0, replaced: 0 };
}

/**
 * CommitPartition: writes the manifest (the new generation and the files it
 * replaces), then puts the staged output in place (and, publishing, makes the
 * manifest visible); or finishes a publication a crash interrupted.
 */
export async function commitPartition(
  store: ObjectStore,
  tables: readonly TableSchema[],
  input: { readonly run: CompactionRun; readonly item: PartitionItem; readonly plan: PartitionWork | MergeWork },
  options: {
    /** The engine's counts, when it reports them. */
    readonly counts?: { readonly rows?: number; readonly duplicates?: number };
    /** Test hook: runs between the manifest and the commit. */
    readonly afterManifest?: () => void | Promise<void>;
    /** The clock publication times are taken from (default the system clock). */
    readonly clock?: () => number;
  } = {},
): Promise<CommittedPartition> {
  const { run, item, plan } = input;
  const table = tableNamed(tables, item.table);
  const clock = options.clock ?? Date.now;
  if (plan.action === 'none' || plan.action === 'derive') throw new Error('nothing to commit: CommitDerived commits the derived work');
  if (plan.action === 'resume') return resumePublication(store, table, plan.manifestKey, run, clock);
  const staged = stagedData(await store.list(plan.staged));
  if (staged.length === 0) throw new Error(`${table.name} ${item.partition}: the statement wrote nothing under ${plan.staged}`);
  // The first staged file is the generation's file (put in place last); any others are its parts.
  const base = plan.compacted.replace(/\.parquet$/, '');
  const manifest: CompactionManifest = {
    table: table.name,
    partition: item.partition,
    compacted: plan.compacted,
    ...(await mergeLists(store, plan)),
    ...(staged.length > 1 ? { parts: staged.slice(1).map((_, i) => `${base}-${i + 1}.parquet`) } : {}),
    ...(run.publish ? { staged: plan.staged } : {}),
    ...(plan.derivedFrom ? { derivedFrom: plan.derivedFrom } : {}),
    createdAtMs: run.nowMs,
    ...options.counts,
  };
  await putManifest(store, table, manifest);
  await options.afterManifest?.();
  await putInPlace(store, table, manifest, staged, run.publish ? { run, clock } : undefined);
  return { compacted: plan.compacted, files: staged.length, replaced: plan.replacing };
}

/** DeleteReplaced: per partition of the run, what the grace period has freed, then spent manifests; the run's failures. */
export async function deleteReplaced(
  store: ObjectStore,
  tables: readonly TableSchema[],
  input: { readonly run: CompactionRun; readonly partitions: readonly PartitionItem[]; readonly results: readonly PartitionOutcome[] },
  onPartition?: (item: PartitionItem, deleted: number) => void,
  clock: () => number = Date.now,
): Promise<DeletedReplaced> {
  let deleted = 0;
  let manifestsDropped = 0;
  for (const item of input.partitions) {
    const table = tableNamed(tables, item.table);
    const { plan } = await planOf(store, table, item.partition, input.run);
    const dir = `${tablePrefix(table)}${item.partition}/`;
    await store.delete(plan.delete.map((f) => `${dir}${f}`));
    await store.delete(plan.dropManifests.map((m) => manifestKey(table, item.partition, m.compacted)));
    // Published generations whose replaced files are now all gone: their manifests go a grace period from now.
    const goneAt = publicationTime(input.run, clock);
    for (const m of plan.retire ?? []) if (!plan.dropManifests.includes(m)) await putManifest(store, table, { ...m, replacedGoneAtMs: goneAt });
    deleted += plan.delete.length;
    manifestsDropped += plan.dropManifests.length;
    onPartition?.(item, plan.delete.length);
  }
  const failed = input.results.filter((r) => !r.ok);
  return {
    deleted,
    manifestsDropped,
    failedPartitions: failed.length,
    failureSummary: failed.map((r) => `${r.table} ${r.partition}: ${partitionError(r)}`).join('; '),
  };
}
