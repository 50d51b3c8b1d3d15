/**
 * ListClosedPartitions and PlanPartition: which partitions have work, and for one partition the
 * files to merge, the statement for the engine and, for a table others are derived from
 * (`bar_partials` from `trades`), the derived table's recomputation.
 */
import type { SqlDialect } from '../sql/dialect.js';
import { compactionStatement, type DerivedTable, derivedStatement } from '../sql/compaction.js';
import {
  COMPACTED_DIR,
  type CompactionManifest,
  generationFiles,
  generationName,
  isCompacted,
  manifestKey,
  manifestTablePrefix,
  PUBLISHED_PREFIX,
  partitionEndMs,
} from './compaction.js';
import { backfillDerivedNames, backfillPublications, backfillRunsOf, batchesOf, batchOf, markerReader } from './compaction-batches.js';
import { listed, type Planned, stash } from './compaction-lists.js';
import { byPartition, dayPrefixes, type PartitionNow, partitionFiles, partitionNow, planFrom, planOf, readManifests } from './compaction-partition.js';
import {
  COMPACTION_RUNS_PREFIX,
  type CompactionRun,
  DEFAULT_GRACE_MS,
  DEFAULT_OLDER_THAN_MS,
  type ListedPartitions,
  type ListInput,
  MAX_FILES_PER_MERGE,
  MAX_PARTITIONS_PER_RUN,
  MAX_PLAN_BYTES,
  type MergeWork,
  type PartitionItem,
  type PartitionWork,
  runClockMs,
  STAGED_FILE,
  stagingPrefix,
  tableNamed,
} from './compaction-run.js';
import { tablePrefix } from './layout.js';
import type { ObjectStore } from './object-store.js';
import type { TableSchema } from './table-schema.js';

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
  const markers = markerReader(store);
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
      const p = await planFrom(markers, table, partition, partitionFiles(files.get(partition) ?? []), ms, run);
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
  const markers = markerReader(store);
  const { plan, now: sourceNow } = await planOf(store, table, item.partition, run, markers);
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
  const backfilled = derivation ? await backfillDerivedNames(markers, item.partition, table, tableNamed(tables, derivation.table), plan.merge) : { names: [] };
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
  // The publication of each backfilled file merged, so that one backfilled again is merged again (rewrittenBackfills).
  const publications = await backfillPublications(markers, plan.merge);
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
    const own = listed(staged, replaced, {
      ...(derivation ? { covers: [...batchesOf(replaced, manifests)].sort() } : {}),
      backfillRuns: backfillRunsOf(replaced, manifests, publications),
    });
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
