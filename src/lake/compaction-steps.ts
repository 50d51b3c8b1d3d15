/**
 * The steps of the compaction state machine (`src/adapters/workflows/compaction-workflow.ts`),
 * one code path for S3 (Lambda) and the local lake, through the
 * {@link ObjectStore} port (keys relative to the lake root):
 *
 * ```
 * ListClosedPartitions  partitions with work (a merge, deletes, a publication to finish), oldest first
 * PlanPartition         one partition: manifests, then its listing; the files to merge and the statement
 * CompactPartition      the engine runs the statement into _compaction/runs/<run>/<n>/ (Athena, DuckDB)
 * CommitPartition       the manifest, then the staged output into place (the commit)
 * DeleteReplaced        what earlier runs replaced, once the grace period is over; spent manifests
 * ```
 *
 * Two ways to put a compacted file in place ({@link CompactionRun.publish}):
 * locally the file goes to `_compacted/<generation>.parquet` and every reader
 * reads manifests (the exact protocol of `compaction.ts`); in the cloud Athena
 * lists partition folders and reads through the exact-read views
 * (`src/sql/exact-read.ts`), so the run copies the file into the partition
 * folder as `compacted-<generation>.parquet` and then makes its manifest
 * visible from a time just after the copy (docs/lake.md).
 */
import { partitionPath } from '../core/time.js';
import type { SqlDialect } from '../sql/dialect.js';
import { compactionStatement, type DerivedTable, derivedStatement } from '../sql/compaction.js';
import {
  COMPACTED_DIR,
  type CompactionManifest,
  generationFiles,
  generationName,
  isCompacted,
  liveFilesOf,
  manifestKey,
  manifestTablePrefix,
  PUBLISHED_PREFIX,
  type PartitionPlan,
  partitionEndMs,
  planPartition,
  VISIBILITY_MARGIN_MS,
} from './compaction.js';
import { backfillDerivedNames, batchesOf, batchOf } from './compaction-batches.js';
import { listed, mergeLists, type Planned, stash } from './compaction-lists.js';
import { tablePrefix } from './layout.js';
import type { ObjectStore } from './object-store.js';
import type { TableSchema } from './table-schema.js';

/** CommitPartition's reading of a plan's list, for callers that report on a merge. */
export { replacedFiles } from './compaction-lists.js';

/** Key prefix of everything a run stages (outside every table location). */
export const COMPACTION_RUNS_PREFIX = '_compaction/runs/';

/**
 * Files one partition merges per run, at most (the rest is merged by the next run): an hour of the
 * deployed defaults' ~960 stream batches in one run. Fewer when the plan would outgrow {@link MAX_PLAN_BYTES}.
 */
export const MAX_FILES_PER_MERGE = 1_000;

/**
 * The most a partition's plan may take in the state between its steps: Step Functions passes at most
 * 256 KiB from state to state, and the plan travels with the run, the item and the steps' results. The
 * lists of replaced files stay out of it (in the run's staging area, {@link replacedFiles}); its size is
 * the statement's file names, so only a partition of very long names merges fewer files per run.
 */
export const MAX_PLAN_BYTES = 200 * 1024;

/** Partitions one run takes on: keeps the execution's history inside Step Functions' 25,000 events (the rest is left to the next run). */
export const MAX_PARTITIONS_PER_RUN = 400;

/** What a compaction is asked to do (the state machine's input; every field optional). */
export interface CompactionRequest {
  /** Only these tables (default: every compactable table). */
  readonly tables?: readonly string[];
  /** A partition is compacted once its hour ended this long ago (default 1 h). */
  readonly olderThanMs?: number;
  /** Replaced files are deleted this long after the compaction that replaced them (default 10 min). */
  readonly graceMs?: number;
  /** The run's clock (ISO 8601; default the execution's start, or `scheduledTime` from a schedule). */
  readonly processingTime?: string;
  /** EventBridge Scheduler's `<aws.scheduler.scheduled-time>`. */
  readonly scheduledTime?: string;
  /** Only partitions of the last this many days (default: every partition; the schedule passes 2). */
  readonly lookbackDays?: number;
}

/** Input of ListClosedPartitions: the first (Pass) state's output. */
export interface ListInput {
  readonly request: CompactionRequest;
  /** The execution name. */
  readonly runId: string;
  /** `$$.Execution.StartTime`. */
  readonly startedAt: string;
}

/** Run-wide values every step gets. */
export interface CompactionRun {
  readonly runId: string;
  readonly nowMs: number;
  readonly olderThanMs: number;
  readonly graceMs: number;
  /** The lake root the statements address: `s3://<lake bucket>/`, or a local directory with a trailing separator. */
  readonly lakeRoot: string;
  /** Partitions compacted at once (Map MaxConcurrencyPath). */
  readonly maxConcurrency: number;
  /** Put compacted files into the partition folder for readers that read no manifest (see the file comment). */
  readonly publish: boolean;
  /** The tables this run compacts. */
  readonly tables: readonly string[];
}

/** One partition of the run. */
export interface PartitionItem {
  readonly index: number;
  readonly table: string;
  readonly partition: string;
}

/** Output of ListClosedPartitions. */
export interface ListedPartitions {
  readonly run: CompactionRun;
  readonly partitions: readonly PartitionItem[];
  /** Partitions with work left for the next run (beyond {@link MAX_PARTITIONS_PER_RUN}). */
  readonly remaining: number;
}

/** A merge of one partition: what CompactPartition runs and CommitPartition puts in place. */
export interface MergeWork {
  readonly action: 'merge';
  /** The new generation's file, relative to the partition. */
  readonly compacted: string;
  /** How many files it replaces. */
  readonly replacing: number;
  /**
   * The object listing the files it replaces, relative to the partition (for a derived table: also
   * files of the merged batches still to come), written by PlanPartition: such lists outgrow the state.
   * Named by their content, so a retried plan never pairs a statement with another plan's list.
   */
  readonly replacedKey: string;
  /** Live files left for the next run (beyond {@link MAX_FILES_PER_MERGE}). */
  readonly leftOver: number;
  /** Lake key prefix the statement writes to. */
  readonly staged: string;
  readonly sql: { readonly compact: string };
  /** For a derived table's generation: the source generation's file it is computed from. */
  readonly derivedFrom?: string;
  /** The derived table's partition recomputed from this generation, once it is committed (CompactDerived, CommitDerived). */
  readonly derived?: MergeWork & { readonly table: string };
}

/** Output of PlanPartition. */
export type PartitionWork =
  /** Nothing now; `waiting` says why a partition with work waits for a later run. */
  | { readonly action: 'none'; readonly waiting?: string }
  | MergeWork
  | { readonly action: 'resume'; readonly manifestKey: string }
  /** The source partition is one generation, but its derived partition was not recomputed from it (a failed or interrupted run). */
  | { readonly action: 'derive'; readonly derived: MergeWork & { readonly table: string } };

/** Output of CommitPartition. */
export interface CommittedPartition {
  readonly compacted: string;
  readonly files: number;
  readonly replaced: number;
}

/** A partition's outcome in the Map: its steps ran (ok) or one failed (error). */
export interface PartitionOutcome {
  readonly table: string;
  readonly partition: string;
  readonly ok: boolean;
  readonly error?: { readonly Error?: string; readonly Cause?: string };
}

/** Output of DeleteReplaced. */
export interface DeletedReplaced {
  readonly deleted: number;
  readonly manifestsDropped: number;
  readonly failedPartitions: number;
  /** One line naming the failed partitions and their errors ('' when none failed). */
  readonly failureSummary: string;
}

export const DEFAULT_OLDER_THAN_MS = 3_600_000;
export const DEFAULT_GRACE_MS = 10 * 60_000;
const DAY_MS = 86_400_000;

/** The run's clock: the request's, else the schedule's, else the execution start. */
export function runClockMs(request: CompactionRequest, startedAt: string): number {
  const iso = request.processingTime ?? request.scheduledTime ?? startedAt;
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new Error(`processingTime ${JSON.stringify(iso)} is not an ISO 8601 time`);
  return ms;
}

function tableNamed(tables: readonly TableSchema[], name: string): TableSchema {
  const t = tables.find((x) => x.name === name);
  if (!t) throw new Error(`${name} is not a compactable table (${tables.map((x) => x.name).join(', ')})`);
  return t;
}

/** The `dt=…/hour=HH` of a key under a table prefix, and the rest of the key; undefined for anything else. */
function splitKey(prefix: string, key: string): [string, string] | undefined {
  const m = /^(dt=\d{4}-\d{2}-\d{2}\/hour=\d{2})\/(.+)$/.exec(key.slice(prefix.length));
  return m ? [m[1]!, m[2]!] : undefined;
}

/** Keys under each of `prefixes`, grouped by partition. */
async function byPartition(store: ObjectStore, base: string, prefixes: readonly string[]): Promise<Map<string, string[]>> {
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
function dayPrefixes(root: string, nowMs: number, lookbackDays: number | undefined): string[] {
  if (lookbackDays === undefined) return [root];
  const days: string[] = [];
  for (let d = 0; d <= lookbackDays; d++)
    days.push(`${root}${partitionPath({ dt: new Date(nowMs - d * DAY_MS).toISOString().slice(0, 10), hour: 0 }).split('/')[0]}/`);
  return days.reverse();
}

/** The Parquet files of a partition listing, relative to the partition: its own and its compacted ones (no temporaries). */
const partitionFiles = (names: readonly string[]) =>
  names.filter((f) => f.endsWith('.parquet') && (!f.includes('/') || (f.startsWith(`${COMPACTED_DIR}/`) && f.split('/').length === 2)));

async function readManifests(store: ObjectStore, keys: readonly string[]): Promise<CompactionManifest[]> {
  const out: CompactionManifest[] = [];
  for (const k of keys.filter((x) => x.endsWith('.json'))) {
    const body = await store.get(k);
    if (body) out.push(JSON.parse(Buffer.from(body).toString('utf8')) as CompactionManifest);
  }
  return out;
}

/** A partition as a reader sees it at the run's clock: its manifests first, then its listing (the reader's order), and its live files. */
interface PartitionNow {
  readonly manifests: readonly CompactionManifest[];
  readonly listing: readonly string[];
  readonly live: readonly string[];
}

async function partitionNow(store: ObjectStore, table: TableSchema, partition: string, run: CompactionRun): Promise<PartitionNow> {
  const manifests = await readManifests(store, await store.list(`${manifestTablePrefix(table)}${partition}/`));
  const listing = await listingOf(store, table, partition);
  return { manifests, listing, live: liveFilesOf(listing, manifests, run) };
}

/** The partition's plan now. */
async function planOf(store: ObjectStore, table: TableSchema, partition: string, run: CompactionRun): Promise<{ plan: PartitionPlan; now: PartitionNow }> {
  const now = await partitionNow(store, table, partition, run);
  return { plan: planPartition(partition, now.listing, now.manifests, run), now };
}

/** A partition's files, relative to it. */
async function listingOf(store: ObjectStore, table: TableSchema, partition: string): Promise<string[]> {
  const prefix = `${tablePrefix(table)}${partition}/`;
  return partitionFiles((await store.list(prefix)).map((k) => k.slice(prefix.length)));
}

/** ListClosedPartitions: every partition of the selected tables with work to do, oldest first. */
export async function listClosedPartitions(
  store: ObjectStore,
  tables: readonly TableSchema[],
  input: ListInput,
  env: {
    readonly lakeRoot: string;
    readonly maxConcurrency: number;
    readonly publish: boolean;
    /** The grace period of a run whose request sets none (default {@link DEFAULT_GRACE_MS}). */
    readonly defaultGraceMs?: number;
  },
  derivations: readonly DerivedTable[] = [],
): Promise<ListedPartitions> {
  const { request } = input;
  const run: CompactionRun = {
    runId: input.runId,
    nowMs: runClockMs(request, input.startedAt),
    olderThanMs: request.olderThanMs ?? DEFAULT_OLDER_THAN_MS,
    graceMs: request.graceMs ?? env.defaultGraceMs ?? DEFAULT_GRACE_MS,
    lakeRoot: env.lakeRoot,
    maxConcurrency: env.maxConcurrency,
    publish: env.publish,
    tables: (request.tables ? request.tables.map((n) => tableNamed(tables, n)) : tables).map((t) => t.name),
  };
  const selected = run.tables.map((n) => tableNamed(tables, n));
  const work: { table: string; partition: string }[] = [];
  for (const table of selected) {
    const root = tablePrefix(table);
    const mroot = manifestTablePrefix(table);
    const files = await byPartition(store, root, dayPrefixes(root, run.nowMs, request.lookbackDays));
    const manifests = await byPartition(store, mroot, dayPrefixes(mroot, run.nowMs, request.lookbackDays));
    for (const partition of [...new Set([...files.keys(), ...manifests.keys()])].sort()) {
      const ms = await readManifests(
        store,
        (manifests.get(partition) ?? []).map((f) => `${mroot}${partition}/${f}`),
      );
      const p = planPartition(partition, partitionFiles(files.get(partition) ?? []), ms, run);
      const derivation = derivations.find((x) => x.source === table.name);
      const stale = async () => derivation !== undefined && (await staleDerivation(store, tables, table, derivation, partition, run)) !== undefined;
      if (p.merge.length > 0 || p.delete.length > 0 || p.dropManifests.length > 0 || p.resume || p.retire || (await stale()))
        work.push({ table: table.name, partition });
    }
  }
  // Oldest partitions first, whatever their table.
  work.sort((a, b) => a.partition.localeCompare(b.partition) || a.table.localeCompare(b.table));
  const taken = work.slice(0, MAX_PARTITIONS_PER_RUN).map((w, index) => ({ index, ...w }));
  return { run, partitions: taken, remaining: work.length - taken.length };
}

/** The staging prefix of one partition of a run. */
export function stagingPrefix(runId: string, index: number): string {
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(runId))
    throw new Error(`run id ${JSON.stringify(runId)}: expected 1-80 of A-Z a-z 0-9 - _ (a Step Functions execution name)`);
  return `${COMPACTION_RUNS_PREFIX}${runId}/${index}/`;
}

/** The file a staged statement writes when the engine names it (DuckDB); Athena names its own under the prefix. */
export const STAGED_FILE = 'data.parquet';

/**
 * PlanPartition: the partition's plan now (manifests, then the listing) and,
 * when it merges, the statement for the engine.
 */
export async function planCompaction(
  store: ObjectStore,
  tables: readonly TableSchema[],
  dialect: SqlDialect,
  input: { readonly run: CompactionRun; readonly item: PartitionItem },
  derivations: readonly DerivedTable[] = [],
): Promise<PartitionWork> {
  const { run, item } = input;
  const table = tableNamed(tables, item.table);
  const { plan, now: sourceNow } = await planOf(store, table, item.partition, run);
  const { manifests } = sourceNow;
  if (plan.resume) return { action: 'resume', manifestKey: manifestKey(table, item.partition, plan.resume.compacted) };
  // A derived table is recomputed with its source's partition (never merged beside it: the two would replace the same files).
  const derivedOnly = derivations.some((x) => x.table === table.name && run.tables.includes(x.source));
  const derivation = derivations.find((x) => x.source === table.name);
  // The derived partition, read once for every check and plan below.
  const derivedNow = derivation ? await partitionNow(store, tableNamed(tables, derivation.table), item.partition, run) : undefined;
  // Its derived partition is finishing a publication (resumed by that partition's own item) or about to see one:
  // a derivation planned now would be a second generation of the same files, visible beside it.
  if (derivedNow && run.publish && publicationPending(derivedNow.manifests, run))
    return { action: 'none', waiting: `its ${derivation?.table} generation is still being published` };
  if (plan.merge.length === 0 && derivation && derivedNow) {
    const stale = await staleDerivation(store, tables, table, derivation, item.partition, run, { source: sourceNow, derived: derivedNow });
    if (stale) {
      const derived = planDerived(tables, dialect, {
        run,
        item,
        source: table,
        derivation,
        now: derivedNow,
        compacted: stale.compacted,
        sourceManifests: stale.manifests,
        merged: stale.files,
        leftOver: [],
      });
      return stash(store, { work: { action: 'derive', derived: derived.work }, lists: derived.lists });
    }
  }
  if (plan.merge.length === 0 || derivedOnly) return { action: 'none' };
  // A backfill puts a file's objects one by one (trades first) under names that differ between the tables: its
  // marker tells when it is done and which derived objects it has in the hour (replaced even if not listed yet).
  const backfilled = derivation ? await backfillDerivedNames(store, item.partition, table, tableNamed(tables, derivation.table), plan.merge) : { names: [] };
  if ('waitingFor' in backfilled)
    return {
      action: 'none',
      waiting: `the backfill of ${backfilled.waitingFor} is still publishing into it (if it was interrupted, backfill that file again)`,
    };
  // Over several runs, small files first: each run then writes its own new rows, and only the last one rewrites the earlier generations.
  const ordered = [...plan.merge.filter((f) => !isCompacted(f)), ...plan.merge.filter(isCompacted)];
  /** The first n files, less any batch with a file beyond them (a derivation holds whole batches). */
  const take = (n: number): string[] => {
    const first = ordered.slice(0, n);
    const rest = new Set(
      ordered
        .slice(n)
        .filter((f) => !isCompacted(f))
        .map(batchOf),
    );
    const whole = first.filter((f) => isCompacted(f) || !rest.has(batchOf(f)));
    return whole.length > 0 ? whole : first;
  };
  const generation = generationName(run.nowMs, run.runId.slice(-24));
  const compacted = run.publish ? `${PUBLISHED_PREFIX}${generation}.parquet` : `${COMPACTED_DIR}/${generation}.parquet`;
  const staged = stagingPrefix(run.runId, item.index);
  const prefix = `${run.lakeRoot}${tablePrefix(table)}${item.partition}/`;
  const mergeOf = (n: number): Planned<MergeWork> => {
    const replaced = take(n).sort();
    const taken = new Set(replaced);
    const compact = compactionStatement(dialect, {
      table,
      partition: item.partition,
      folder: prefix,
      names: replaced,
      output: dialect.name === 'duckdb' ? `${run.lakeRoot}${staged}${STAGED_FILE}` : `${run.lakeRoot}${staged}`,
    });
    const derived =
      derivation && derivedNow
        ? planDerived(tables, dialect, {
            run,
            item,
            source: table,
            derivation,
            now: derivedNow,
            compacted,
            sourceManifests: manifests,
            merged: replaced,
            leftOver: ordered.filter((f) => !taken.has(f)),
            backfilled: backfilled.names,
          })
        : undefined;
    // A table others derive from records the batches each generation holds (see planDerived).
    const own = listed(staged, replaced, derivation ? [...batchesOf(replaced, manifests)].sort() : undefined);
    return {
      work: {
        action: 'merge',
        compacted,
        replacing: replaced.length,
        replacedKey: own.key,
        leftOver: ordered.length - replaced.length,
        staged,
        sql: { compact },
        ...(derived ? { derived: derived.work } : {}),
      },
      lists: [own, ...(derived?.lists ?? [])],
    };
  };
  let n = Math.min(ordered.length, MAX_FILES_PER_MERGE);
  let planned = mergeOf(n);
  // Very long names: as many files as the state holds, the rest next run.
  for (let bytes = planBytes(planned.work); bytes > MAX_PLAN_BYTES && n > 1; bytes = planBytes(planned.work)) {
    n = Math.max(1, Math.min(n - 1, Math.floor((n * MAX_PLAN_BYTES) / bytes)));
    planned = mergeOf(n);
  }
  return stash(store, planned);
}

/** A plan's size in the state (UTF-8 JSON). */
export function planBytes(work: PartitionWork): number {
  return Buffer.byteLength(JSON.stringify(work));
}

/** Whether a partition of a published lake has a generation not visible yet at the run's clock (pending or settling). */
function publicationPending(manifests: readonly CompactionManifest[], run: CompactionRun): boolean {
  return manifests.some((m) => m.visibleFromMs === undefined || m.visibleFromMs > run.nowMs);
}

/** The generation a compacted file belongs to (`<ms>-<run>`), or undefined. */
function generationOf(file: string): string | undefined {
  return /^(?:_compacted\/|compacted-)(\d{15}-[A-Za-z0-9]*?)(?:-\d+)?\.parquet$/.exec(file)?.[1];
}

/**
 * When a closed source partition is one generation and its derived partition
 * is not that generation's derivation: the generation and its file.
 */
async function staleDerivation(
  store: ObjectStore,
  tables: readonly TableSchema[],
  source: TableSchema,
  derivation: DerivedTable,
  partition: string,
  run: CompactionRun,
  /** The two partitions, when the caller has read them already. */
  read?: { readonly source: PartitionNow; readonly derived: PartitionNow },
): Promise<{ generation: string; compacted: string; files: readonly string[]; manifests: readonly CompactionManifest[] } | undefined> {
  const end = partitionEndMs(partition);
  if (end === undefined || end > run.nowMs - run.olderThanMs || !run.tables.includes(derivation.table)) return undefined;
  const { live: sourceLive, manifests: sourceManifests } = read?.source ?? (await partitionNow(store, source, partition, run));
  const generations = new Set(sourceLive.map(generationOf));
  const [generation] = generations;
  if (generations.size !== 1 || generation === undefined) return undefined;
  // The generation's own file (its parts end in -<n>).
  const compacted = sourceLive.find((f) => f.endsWith(`${generation}.parquet`));
  const { manifests, live: derivedLive } = read?.derived ?? (await partitionNow(store, tableNamed(tables, derivation.table), partition, run));
  const from = new Map(manifests.flatMap((m) => generationFiles(m).map((f) => [f, m.derivedFrom] as const)));
  // Derived files of batches the generation does not hold (their source rows not landed yet) are no sign of staleness.
  const covered = batchesOf(sourceLive, sourceManifests);
  const relevant = derivedLive.filter((f) => isCompacted(f) || covered.has(batchOf(f)));
  if (relevant.length > 0 && relevant.every((f) => compacted !== undefined && from.get(f) === compacted)) return undefined;
  return compacted ? { generation, compacted, files: sourceLive, manifests: sourceManifests } : undefined;
}

/**
 * The derived table's partition recomputed from the source's new generation.
 * It replaces exactly the derived files whose rows the generation holds: those
 * of the batches it covers (also those still to arrive: a batch writes its
 * tables' objects in parallel, and stream batches name them alike) and the
 * derived generations of source generations it holds. A derived file of a
 * batch whose source rows are not in it (left for the next run, or not landed
 * when the source was listed) stays as it is.
 */
function planDerived(
  tables: readonly TableSchema[],
  dialect: SqlDialect,
  o: {
    run: CompactionRun;
    item: PartitionItem;
    source: TableSchema;
    derivation: DerivedTable;
    /** The derived table's partition now. */
    now: PartitionNow;
    /** The source's new generation file (relative to its partition). */
    compacted: string;
    /** The source partition's manifests (what its compacted files cover). */
    sourceManifests: readonly CompactionManifest[];
    /** Source files merged into it now (for a derivation of a whole generation: its files). */
    merged: readonly string[];
    /** Live source files it does not hold (left for the next run). */
    leftOver: readonly string[];
    /** The derived objects of the backfilled files among the live source files (from their markers). */
    backfilled?: readonly string[];
  },
): Planned<MergeWork & { readonly table: string }> {
  const table = tableNamed(tables, o.derivation.table);
  const { manifests, live } = o.now;
  // Every derived file stands for the source rows of its batch (a derived generation: of the source generation it
  // was derived from). The new generation holds the rows of the batches the merged files cover, less any batch with a
  // file left for the next run (a backfill's file comes in several).
  const derivedFrom = new Map(manifests.flatMap((m) => generationFiles(m).map((f) => [f, m.derivedFrom] as const)));
  const leftOver = new Set(o.leftOver.map(batchOf));
  const covered = new Set([...batchesOf(o.merged, o.sourceManifests)].filter((b) => !leftOver.has(b)));
  const sourceFiles = new Set(o.sourceManifests.flatMap(generationFiles));
  const held = (f: string) => {
    if (!isCompacted(f)) return covered.has(batchOf(f));
    const from = derivedFrom.get(f);
    // A derived generation of a source generation whose manifest is gone: held unless that generation is left over.
    if (from === undefined || !sourceFiles.has(from)) return !leftOver.has(batchOf(from ?? f));
    return [...batchesOf([from], o.sourceManifests)].every((b) => covered.has(b));
  };
  // Covered stream batches' derived files still to arrive are named alike: replaced too (a late one stays hidden).
  // A backfill's are named apart: its marker lists them.
  const coming = [
    ...[...covered].filter((b) => !b.startsWith('backfill-')).map((b) => `${b}.parquet`),
    ...(o.backfilled ?? []).filter((f) => covered.has(batchOf(f))),
  ];
  const replaced = [...new Set([...live.filter(held), ...coming])].sort();
  const generation = generationName(o.run.nowMs, o.run.runId.slice(-24));
  const compacted = o.run.publish ? `${PUBLISHED_PREFIX}${generation}.parquet` : `${COMPACTED_DIR}/${generation}.parquet`;
  const staged = `${COMPACTION_RUNS_PREFIX}${o.run.runId}/${o.item.index}-${table.name}/`;
  const sourceGeneration = `${o.run.lakeRoot}${tablePrefix(o.source)}${o.item.partition}/${o.compacted.replace(/\.parquet$/, '')}${dialect.name === 'duckdb' ? '*.parquet' : '%'}`;
  const compact = derivedStatement(dialect, {
    derived: o.derivation,
    table,
    source: o.source,
    partition: o.item.partition,
    generation: sourceGeneration,
    batchId: `compacted-${generation}`,
    output: dialect.name === 'duckdb' ? `${o.run.lakeRoot}${staged}${STAGED_FILE}` : `${o.run.lakeRoot}${staged}`,
  });
  const list = listed(staged, replaced);
  return {
    work: {
      action: 'merge',
      table: table.name,
      compacted,
      replacing: replaced.length,
      replacedKey: list.key,
      leftOver: 0,
      staged,
      sql: { compact },
      derivedFrom: o.compacted,
    },
    lists: [list],
  };
}

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
    failureSummary: failed.map((r) => `${r.table} ${r.partition}: ${r.error?.Cause ?? r.error?.Error ?? 'failed'}`).join('; '),
  };
}
