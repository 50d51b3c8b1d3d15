/**
 * Compaction of closed hour partitions, and the protocol that lets readers run
 * during it without ever counting a row twice or missing one (docs/lake.md).
 * Pure: decisions over listings and manifests; the adapters do the I/O.
 *
 * Layout of one partition:
 *
 * ```
 * <zone>/<table>/dt=…/hour=HH/<stream or backfill file>.parquet      written by the transform and the backfill
 * <zone>/<table>/dt=…/hour=HH/_compacted/<generation>.parquet        a compacted file (one per partition and run)
 * _compaction/<zone>/<table>/dt=…/hour=HH/<generation>.json          its manifest: the files it replaces
 * ```
 *
 * A compaction run, per partition: (1) write the manifest naming the new file
 * and the files it replaces; (2) write the new file, deduplicated by the
 * table's natural key (this single object appearing is the commit); (3) after
 * a grace period, delete the replaced files; a later run deletes manifests
 * whose replaced files are all gone.
 *
 * Readers that list a partition folder and read no manifest themselves
 * (Athena over the Glue tables) read through a view that reads the manifests'
 * contents instead ({@link snapshotAt}, `src/sql/exact-read.ts`): a run
 * *publishes* (docs/lake.md): it writes the manifest, copies the compacted file
 * into the partition folder itself (`compacted-<generation>.parquet`), then
 * re-writes the manifest with the time it becomes visible ({@link CompactionManifest.visibleFromMs},
 * a margin after the copy). A reader that started after that time sees the new
 * file and not the files it replaces; one that started before sees the
 * replaced files and not the new one. The replaced files are deleted a grace
 * period (longer than any query) after that time.
 *
 * A reader takes a snapshot: it reads the manifests first, then lists the
 * files. A compacted file is live only when its manifest was read and the file
 * was listed; then the files it replaces are not. So a commit that happens
 * during the read is either wholly seen or wholly unseen, a crash leaves at
 * worst a manifest without its file (ignored) or replaced files not yet
 * deleted (hidden), and a retried run writes a new generation that replaces
 * the previous one's file as well.
 */
import type { HourPartition } from '../core/time.js';
import { partitionPath } from '../core/time.js';
import { type TableRef, tablePrefix } from './layout.js';

/** Sub-folder of a partition that holds its compacted files (Hive and Athena skip `_` folders). */
export const COMPACTED_DIR = '_compacted';
/** Name prefix of a compacted file published into the partition folder itself (for readers that do not read manifests). */
export const PUBLISHED_PREFIX = 'compacted-';
/** Where the manifests live, outside every table location. */
export const COMPACTION_MANIFEST_PREFIX = '_compaction/';

/** One committed (or half-written) compaction of one partition. */
export interface CompactionManifest {
  readonly table: string;
  /** `dt=…/hour=HH`. */
  readonly partition: string;
  /** The compacted file, relative to the partition: `_compacted/<generation>.parquet`. */
  readonly compacted: string;
  /** The files it replaces, relative to the partition (stream files, earlier compacted files). */
  readonly replaced: readonly string[];
  /**
   * Further files of the same generation, written before `compacted` (an engine
   * that writes in parallel, such as Athena's UNLOAD, may produce several).
   */
  readonly parts?: readonly string[];
  /** Lake key prefix of the staged output a publication copies from (kept until it is done; see {@link PartitionPlan.resume}). */
  readonly staged?: string;
  /** For a table compaction recomputes from another (bar_partials from trades): the source generation's file it was computed from. */
  readonly derivedFrom?: string;
  /**
   * For a table another is derived from: every batch whose rows the generation holds (stream batches by
   * name, a backfill's by its file), also through the generations it replaced, so a derivation knows
   * which derived files it stands for after their manifests are gone.
   */
  readonly covers?: readonly string[];
  /**
   * The publication (the backfill's run id, from its marker) of each backfilled file whose objects the
   * generation merged, also through the generations it replaced: when a file is backfilled again, its
   * objects come back under the names this generation replaces, and the next run merges them again.
   */
  readonly backfillRuns?: Readonly<Record<string, string>>;
  /** When the run wrote the manifest, ms since epoch (the grace period runs from here). */
  readonly createdAtMs: number;
  /** Rows written, when the engine reports them. */
  readonly rows?: number;
  /** Rows dropped as duplicates of a natural key, when the engine reports them. */
  readonly duplicates?: number;
  /**
   * A published generation: from when readers that read through the exact-read
   * view see it (ms since epoch; absent while its files are being put in place).
   */
  readonly visibleFromMs?: number;
  /** A published generation: when the files it replaces were found deleted (its manifest is dropped a grace period later, once its own file is gone too). */
  readonly replacedGoneAtMs?: number;
}

/** How long after its files are in place a published generation becomes visible: more than any clock skew between the writer and the query engine. */
export const VISIBILITY_MARGIN_MS = 5_000;

/** Every file of a manifest's generation. */
export const generationFiles = (m: CompactionManifest): readonly string[] => [m.compacted, ...(m.parts ?? [])];

/** Generation name: sortable by time, unique per run. */
export function generationName(nowMs: number, runId: string): string {
  return `${String(nowMs).padStart(15, '0')}-${runId.replace(/[^A-Za-z0-9]/g, '')}`;
}

/** Lake key of a partition folder: `<zone>/<table>/dt=…/hour=HH/`. */
export function partitionPrefix(table: TableRef, partition: HourPartition): string {
  return `${tablePrefix(table)}${partitionPath(partition)}/`;
}

/** Lake key prefix of a table's manifests. */
export function manifestTablePrefix(table: TableRef): string {
  return `${COMPACTION_MANIFEST_PREFIX}${tablePrefix(table)}`;
}

/** Lake key of the manifest of a compacted file. */
export function manifestKey(table: TableRef, partition: string, compacted: string): string {
  const name = compacted.slice(compacted.lastIndexOf('/') + 1).replace(/\.parquet$/, '.json');
  return `${manifestTablePrefix(table)}${partition}/${name}`;
}

/** Whether a file (relative to its partition) is a compacted file: in `_compacted/`, or published as `compacted-…`. */
export const isCompacted = (file: string): boolean => file.startsWith(`${COMPACTED_DIR}/`) || file.startsWith(PUBLISHED_PREFIX);

/** What a reader sees of one partition. */
export interface PartitionSnapshot {
  /** Files to read, relative to the partition. */
  readonly live: readonly string[];
  /** Listed files the reader must skip: replaced by a live compacted file, or compacted files not yet committed for it. */
  readonly hidden: readonly string[];
}

/**
 * The live files of a partition, from the manifests read first and the listing
 * made after them (file names relative to the partition).
 */
export function snapshotOf(listing: readonly string[], manifests: readonly CompactionManifest[]): PartitionSnapshot {
  const listed = new Set(listing);
  const committed = manifests.filter((m) => listed.has(m.compacted));
  // A generation's parts count only once its primary file (written last) is listed.
  const known = new Set(committed.flatMap(generationFiles));
  const replaced = new Set(committed.flatMap((m) => m.replaced));
  const live: string[] = [];
  const hidden: string[] = [];
  for (const f of listing) {
    const visible = isCompacted(f) ? known.has(f) && !replaced.has(f) : !replaced.has(f);
    (visible ? live : hidden).push(f);
  }
  return { live, hidden };
}

/**
 * What a reader that started at `asOfMs` sees of a published partition through
 * the exact-read view (`src/sql/exact-read.ts`, the same rule in SQL): manifests
 * visible at `asOfMs` hide the files they replace and show their own; any other
 * compacted file is hidden. The listing and the manifests may have been read in
 * any order, at any time after `asOfMs`.
 */
export function snapshotAt(listing: readonly string[], manifests: readonly CompactionManifest[], asOfMs: number): PartitionSnapshot {
  const visible = manifests.filter((m) => m.visibleFromMs !== undefined && m.visibleFromMs <= asOfMs);
  const shown = new Set(visible.flatMap(generationFiles));
  const replaced = new Set(visible.flatMap((m) => m.replaced));
  const live: string[] = [];
  const hidden: string[] = [];
  for (const f of listing) (!replaced.has(f) && (!isCompacted(f) || shown.has(f)) ? live : hidden).push(f);
  return { live, hidden };
}

/** A partition's live files for a run: the published view's at the run's clock, else the manifest-reading snapshot's. */
export function liveFilesOf(
  listing: readonly string[],
  manifests: readonly CompactionManifest[],
  o: { readonly publish?: boolean; readonly nowMs: number },
): readonly string[] {
  return (o.publish ? snapshotAt(listing, manifests, o.nowMs) : snapshotOf(listing, manifests)).live;
}

/** Options of {@link planPartition}. */
export interface PlanOptions {
  readonly nowMs: number;
  /** A partition is closed once its hour ended this long ago. */
  readonly olderThanMs: number;
  /** Replaced files are deleted this long after their compaction's manifest was written (published: after it became visible). */
  readonly graceMs: number;
  /** The run publishes for readers that read through the exact-read view ({@link snapshotAt}). */
  readonly publish?: boolean;
  /**
   * Listed files a generation replaces that were written again since (a file backfilled again): still hidden
   * from readers, merged with the partition's live files (a closed partition) and never deleted as replaced.
   */
  readonly rewritten?: readonly string[];
  /** Listed files a generation replaces that are being written again (a backfill still publishing): never deleted as replaced. */
  readonly keep?: readonly string[];
}

/** What one run does to one partition. */
export interface PartitionPlan {
  /** Live files to merge into one new compacted file (empty: nothing to compact). */
  readonly merge: readonly string[];
  /**
   * Files to delete now: those a committed compaction replaced more than the
   * grace period ago, and compacted files older than that which no manifest names
   * (a run that crashed after writing its file but lost its manifest cannot
   * happen, since the manifest is written first; this covers a manifest removed by hand).
   */
  readonly delete: readonly string[];
  /** Manifests to remove: their compacted file is gone (or was never written) and the grace period is over. */
  readonly dropManifests: readonly CompactionManifest[];
  /**
   * A publication that is not visible yet (a crash or a failed step after its
   * manifest): finished before anything else is merged, so that no second
   * generation of the same files is ever visible beside it.
   */
  readonly resume?: CompactionManifest;
  /** Published generations whose replaced files are all gone after this plan's deletes: their manifests record when ({@link CompactionManifest.replacedGoneAtMs}). */
  readonly retire?: readonly CompactionManifest[];
}

/** The hour a partition path names, as ms since epoch of its end; undefined for another layout. */
export function partitionEndMs(partition: string): number | undefined {
  const m = /^dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})$/.exec(partition);
  if (!m) return undefined;
  const start = Date.parse(`${m[1]}T${m[2]}:00:00Z`);
  return Number.isFinite(start) ? start + 3_600_000 : undefined;
}

/** When a generation was named (its leading milliseconds), or undefined. */
export function generationTimeMs(compacted: string): number | undefined {
  const m = /(?:^|\/|compacted-)(\d{15})-[A-Za-z0-9]*(?:-\d+)?\.parquet$/.exec(compacted);
  return m ? Number(m[1]) : undefined;
}

/** Of {@link PlanOptions.rewritten} and `keep`: the listed hidden files to merge again, and every file never to delete as replaced. */
function rewrittenOf(o: PlanOptions, listed: ReadonlySet<string>, live: readonly string[]): { rewritten: string[]; kept: Set<string> } {
  return {
    rewritten: (o.rewritten ?? []).filter((f) => listed.has(f) && !live.includes(f)),
    kept: new Set([...(o.rewritten ?? []), ...(o.keep ?? [])]),
  };
}

/**
 * The plan for one partition: merge its live files when it is closed and holds
 * more than one live file (or any file that is not compacted, e.g. a lone
 * stream file that may hold re-put duplicates); delete what earlier runs replaced.
 */
export function planPartition(partition: string, listing: readonly string[], manifests: readonly CompactionManifest[], o: PlanOptions): PartitionPlan {
  if (o.publish) return planPublished(partition, listing, manifests, o);
  const { live } = snapshotOf(listing, manifests);
  const end = partitionEndMs(partition);
  const closed = end !== undefined && end <= o.nowMs - o.olderThanMs;
  const listed = new Set(listing);
  const generationOf = new Map(manifests.flatMap((m) => generationFiles(m).map((f) => [f, m.compacted] as const)));
  const generations = new Set(live.map((f) => generationOf.get(f) ?? f));
  const { rewritten, kept } = rewrittenOf(o, listed, live);
  const needsMerge = closed && (generations.size > 1 || live.some((f) => !isCompacted(f)) || rewritten.length > 0);
  const graceOver = (ms: number | undefined) => ms !== undefined && ms <= o.nowMs - o.graceMs;
  const ripe = manifests.filter((m) => listed.has(m.compacted) && graceOver(m.createdAtMs));
  const byCompacted = new Map(manifests.map((m) => [m.compacted, m]));
  // A replaced compacted file goes only once the files it replaced are gone:
  // deleting it first would make them visible again, beside its replacement.
  const partOf = new Map(manifests.flatMap((m) => (m.parts ?? []).map((f) => [f, m] as const)));
  const stillCovering = (f: string) => ((byCompacted.get(f) ?? partOf.get(f))?.replaced ?? []).some((r) => listed.has(r));
  const replaced = [...new Set(ripe.flatMap((m) => m.replaced))].filter((f) => listed.has(f) && !stillCovering(f) && !kept.has(f));
  const named = new Set(manifests.flatMap(generationFiles));
  const orphans = listing.filter((f) => isCompacted(f) && !named.has(f) && graceOver(generationTimeMs(f)));
  const del = [...new Set([...replaced, ...orphans])].sort();
  const deleted = new Set(del);
  const dropManifests = manifests.filter((m) => (!listed.has(m.compacted) || deleted.has(m.compacted)) && graceOver(m.createdAtMs));
  return { merge: needsMerge ? [...live, ...rewritten].sort() : [], delete: del, dropManifests };
}

/**
 * {@link planPartition} for a published lake, read through the exact-read view
 * ({@link snapshotAt}): a generation not yet visible is finished first, and none
 * is merged while one is about to become visible (a second generation of the
 * same files would show their rows twice); replaced files go a grace period
 * after their generation became visible, and a manifest a grace period after
 * the files it replaced are gone, once its own files are gone too.
 */
function planPublished(partition: string, listing: readonly string[], manifests: readonly CompactionManifest[], o: PlanOptions): PartitionPlan {
  const end = partitionEndMs(partition);
  const closed = end !== undefined && end <= o.nowMs - o.olderThanMs;
  const listed = new Set(listing);
  const graceOver = (ms: number | undefined) => ms !== undefined && ms <= o.nowMs - o.graceMs;
  const resume = manifests.find((m) => m.visibleFromMs === undefined);
  const visible = manifests.filter((m) => m.visibleFromMs !== undefined && m.visibleFromMs <= o.nowMs);
  const settling = manifests.some((m) => m.visibleFromMs !== undefined && m.visibleFromMs > o.nowMs);
  const { live } = snapshotAt(listing, manifests, o.nowMs);
  const generationOf = new Map(manifests.flatMap((m) => generationFiles(m).map((f) => [f, m.compacted] as const)));
  const generations = new Set(live.map((f) => generationOf.get(f) ?? f));
  const { rewritten, kept } = rewrittenOf(o, listed, live);
  const needsMerge = closed && resume === undefined && !settling && (generations.size > 1 || live.some((f) => !isCompacted(f)) || rewritten.length > 0);
  const ripe = visible.filter((m) => graceOver(m.visibleFromMs));
  const owner = new Map(manifests.flatMap((m) => generationFiles(m).map((f) => [f, m] as const)));
  // A replaced compacted file goes only once the files it replaced are gone (see planPartition).
  const stillCovering = (f: string) => (owner.get(f)?.replaced ?? []).some((r) => listed.has(r));
  const replaced = [...new Set(ripe.flatMap((m) => m.replaced))].filter((f) => listed.has(f) && !stillCovering(f) && !kept.has(f));
  const named = new Set(manifests.flatMap(generationFiles));
  const orphans = listing.filter((f) => isCompacted(f) && !named.has(f) && graceOver(generationTimeMs(f)));
  const del = [...new Set([...replaced, ...orphans])].sort();
  const gone = (f: string) => !listed.has(f) || del.includes(f);
  const retire = visible.filter((m) => m.replacedGoneAtMs === undefined && m.replaced.every(gone));
  const dropManifests = visible.filter((m) => generationFiles(m).every(gone) && graceOver(m.replacedGoneAtMs));
  return {
    merge: needsMerge ? [...live, ...rewritten].sort() : [],
    delete: del,
    dropManifests,
    ...(resume ? { resume } : {}),
    ...(retire.length > 0 ? { retire } : {}),
  };
}
