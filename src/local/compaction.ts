/**
 * Compaction of the local lake: runs the compaction state machine the CDK
 * deploys (`src/adapters/workflows/compaction-workflow.ts`) with
 * `aws-local-stepfunctions`, each Task overridden by state name:
 *
 * | state | in the cloud | here |
 * |---|---|---|
 * | ListClosedPartitions, PlanPartition, CommitPartition, DeleteReplaced | the steps of `src/lake/compaction-steps.ts` on S3 | the same steps on the lake directory |
 * | CompactPartition | Athena runs the UNLOAD | DuckDB runs the COPY of the same definition (`src/sql/compaction.ts`), then removes duplicates when the written file has any |
 *
 * Each closed hour partition of each partitioned table becomes one Parquet
 * file in `_compacted/`, deduplicated by the table's natural key and sorted by
 * it, with row-group statistics; the protocol (src/lake/compaction.ts,
 * docs/lake.md) keeps every reader exact meanwhile.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { COMPACTION_ERRORS, COMPACTION_STATES as S, localCompactionDefinition } from '../adapters/workflows/compaction-workflow.js';
import { COMPACTION_DERIVATIONS, compactableTables, TABLES } from '../catalog.js';
import { COMPACTED_DIR, type CompactionManifest, isCompacted, manifestTablePrefix } from '../lake/compaction.js';
import {
  COMPACTION_RUNS_PREFIX,
  commitPartition,
  type CompactionRequest,
  type CompactionRun,
  DEFAULT_GRACE_MS,
  DEFAULT_OLDER_THAN_MS,
  deleteReplaced,
  type ListInput,
  type ListedPartitions,
  type PartitionOutcome,
  partitionError,
  listClosedPartitions,
  type PartitionItem,
  type PartitionWork,
  planCompaction,
  replacedFiles,
  STAGED_FILE,
} from '../lake/compaction-steps.js';
import { tablePrefix } from '../lake/layout.js';
import type { ObjectStore } from '../lake/object-store.js';
import type { TableSchema } from '../lake/table-schema.js';
import { countKeysStatement, dedupeStatement } from '../sql/compaction.js';
import { DUCKDB, sqlString } from '../sql/dialect.js';
import { FileObjectStore } from './file-object-store.js';
import { explainLakeError } from './lake-errors.js';
import { LocalExecutionError, type LocalTask, LocalWorkflow } from './ml/executor.js';

export { DEFAULT_GRACE_MS, DEFAULT_OLDER_THAN_MS };

/** Options of {@link compactLake}. */
export interface CompactOptions {
  readonly lakeRoot: string;
  /** Only these tables (default: every partitioned file table). */
  readonly tables?: readonly string[];
  /** A partition is compacted once its hour ended this long ago (default 1 h). */
  readonly olderThanMs?: number;
  /** Replaced files are deleted this long after the compaction that replaced them (default 10 min: longer than any local query). */
  readonly graceMs?: number;
  readonly nowMs?: number;
  /** Called after each partition. */
  readonly onPartition?: (r: PartitionResult) => void;
  /** Test hook: runs between writing a partition's manifest and its compacted file. */
  readonly afterManifest?: (table: string, partition: string) => void | Promise<void>;
  /**
   * Put compacted files into the partition folders and make their manifests
   * visible after the copy, as the cloud does for Athena's exact-read views
   * (default false: `_compacted/`, exact for every local reader).
   */
  readonly publish?: boolean;
  /** The clock publication times are taken from (default the system clock; tests move it). */
  readonly clock?: () => number;
  /** The lake as an object store (default: the files under `lakeRoot`); tests wrap it to watch every step. */
  readonly store?: ObjectStore;
}

/** What happened to one partition. */
export interface PartitionResult {
  readonly table: string;
  readonly partition: string;
  readonly filesIn: number;
  readonly rows: number;
  readonly duplicates: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly deleted: number;
}

/** A run's totals. */
export interface CompactSummary {
  readonly partitions: number;
  readonly filesIn: number;
  readonly rows: number;
  readonly duplicates: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly deleted: number;
  readonly seconds: number;
  /** Partitions with work that wait for a later run, and why (e.g. a backfill still publishing into them). */
  readonly waiting: readonly { readonly table: string; readonly partition: string; readonly reason: string }[];
  /**
   * Partitions whose steps failed, and why (e.g. a file that is not readable Parquet). They stay as they were, read
   * exactly; the next run plans them again. The others were compacted.
   */
  readonly failed: readonly { readonly table: string; readonly partition: string; readonly reason: string }[];
}

/** Partitions a local run compacts at once. */
const PARALLEL_PARTITIONS = 2;

/** The lock compaction runs hold (beside `up.lock`): two compactions of one lake never interleave. */
export const COMPACT_LOCK = 'compact.lock';

export { compactableTables };

/** Files of one partition folder, relative to it: its own Parquet files and its compacted ones. */
export function listPartition(dir: string): string[] {
  const own = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.parquet')) : [];
  const cdir = join(dir, COMPACTED_DIR);
  const compacted = existsSync(cdir)
    ? readdirSync(cdir)
        .filter((f) => f.endsWith('.parquet'))
        .map((f) => `${COMPACTED_DIR}/${f}`)
    : [];
  return [...own, ...compacted];
}

/** The manifests of one partition. */
export function readManifests(lakeRoot: string, table: TableSchema, partition: string): CompactionManifest[] {
  const dir = join(lakeRoot, manifestTablePrefix(table), partition);
  if (!existsSync(dir)) return [];
  const out: CompactionManifest[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) {
    try {
      out.push(JSON.parse(readFileSync(join(dir, f), 'utf8')) as CompactionManifest);
    } catch {
      // Written by tmp + rename, so never half a file; anything else is not ours.
    }
  }
  return out;
}

/** `dt=…/hour=HH` folders of a table. */
export function tablePartitions(lakeRoot: string, table: TableSchema): string[] {
  const root = join(lakeRoot, tablePrefix(table));
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const dt of readdirSync(root).filter((d) => d.startsWith('dt='))) {
    for (const hour of readdirSync(join(root, dt)).filter((h) => h.startsWith('hour='))) out.push(`${dt}/${hour}`);
  }
  return out.sort();
}

/** The definition, rendered once per process. */
let definition: ReturnType<typeof localCompactionDefinition> | undefined;

/** Stats of one partition gathered across a run's steps. */
type Gathered = { -readonly [K in keyof PartitionResult]: PartitionResult[K] };

/**
 * Compacts every closed partition of the selected tables, by running the
 * compaction state machine locally (again while a run left partitions, or
 * files of a partition, for the next one). The caller holds the lake's compaction lock ({@link COMPACT_LOCK}).
 */
export async function compactLake(o: CompactOptions): Promise<CompactSummary> {
  const started = performance.now();
  const lakeRoot = resolve(o.lakeRoot);
  const store = o.store ?? new FileObjectStore(lakeRoot);
  const tables = compactableTables();
  // What a crashed run staged is never needed locally unless it was publishing (then the plan resumes from it); the lock makes this run the only one.
  if (!o.publish) rmSync(join(lakeRoot, COMPACTION_RUNS_PREFIX), { recursive: true, force: true });
  const instance = await DuckDBInstance.create(':memory:');
  // Partitions compacted at once (the Map's MaxConcurrency), each on its own connection: small partitions leave cores idle.
  const pool = await Promise.all(Array.from({ length: PARALLEL_PARTITIONS }, () => instance.connect()));
  const free = [...pool];
  const waiting: ((c: DuckDBConnection) => void)[] = [];
  const withConnection = async <T>(f: (c: DuckDBConnection) => Promise<T>): Promise<T> => {
    const c = free.pop() ?? (await new Promise<DuckDBConnection>((res) => waiting.push(res)));
    try {
      return await f(c);
    } finally {
      const next = waiting.shift();
      if (next) next(c);
      else free.push(c);
    }
  };
  const stats = new Map<string, Gathered>();
  const statOf = (table: string, partition: string): Gathered => {
    const key = `${table}/${partition}`;
    const g = stats.get(key) ?? { table, partition, filesIn: 0, rows: 0, duplicates: 0, bytesIn: 0, bytesOut: 0, deleted: 0 };
    stats.set(key, g);
    return g;
  };
  /** What CompactPartition's statement belongs to (its override sees only the statement). */
  const statements = new Map<string, { table: TableSchema; staged: string }>();
  const counts = new Map<string, { rows: number; duplicates: number }>();
  const waits = new Map<string, CompactSummary['waiting'][number]>();
  const failed: CompactSummary['failed'][number][] = [];
  let remaining = 0;
  const size = (path: string) => (existsSync(path) ? statSync(path).size : 0);
  const partitionDir = (item: PartitionItem) => join(lakeRoot, tablePrefix(TABLES[item.table]!), item.partition);

  const tasks: Record<string, LocalTask> = {
    [S.list]: async (i) => {
      const listed = await listClosedPartitions(store, tables, i as ListInput, {
        lakeRoot: `${lakeRoot}${sep}`,
        maxConcurrency: PARALLEL_PARTITIONS,
        publish: o.publish ?? false,
      });
      remaining += listed.remaining;
      return listed;
    },
    [S.plan]: async (i) => {
      const input = i as { run: CompactionRun; item: PartitionItem };
      const work = await planCompaction(store, tables, DUCKDB, input, COMPACTION_DERIVATIONS);
      if (work.action === 'merge' && work.leftOver > 0) remaining++;
      if (work.action === 'none' && work.waiting)
        waits.set(`${input.item.table} ${input.item.partition}`, { table: input.item.table, partition: input.item.partition, reason: work.waiting });
      const merges =
        work.action === 'merge'
          ? [[work, input.item.table] as const, ...(work.derived ? [[work.derived, work.derived.table] as const] : [])]
          : work.action === 'derive'
            ? [[work.derived, work.derived.table] as const]
            : [];
      for (const [m, table] of merges) {
        // DuckDB's COPY makes no directories.
        mkdirSync(join(lakeRoot, m.staged), { recursive: true });
        statements.set(m.sql.compact, { table: TABLES[table]!, staged: join(lakeRoot, m.staged, STAGED_FILE) });
      }
      return work;
    },
    [S.compact]: (i) => runStatement(i),
    [S.compactDerived]: (i) => runStatement(i),
    [S.commit]: (i) => commit(i),
    [S.commitDerived]: (i) => commit(i),
    [S.deleteReplaced]: (i) => {
      for (const r of (i as { results: readonly PartitionOutcome[] }).results.filter((x) => !x.ok))
        failed.push({ table: r.table, partition: r.partition, reason: explainLakeError(partitionError(r)) });
      return deleteReplaced(
        store,
        tables,
        i as Parameters<typeof deleteReplaced>[2],
        (item, deleted) => {
          if (deleted > 0) statOf(item.table, item.partition).deleted += deleted;
        },
        o.clock,
      );
    },
  };
  /** CompactPartition, CompactDerived: the statement on DuckDB. */
  async function runStatement(i: unknown): Promise<unknown> {
    const { QueryString } = i as { QueryString: string };
    const s = statements.get(QueryString);
    if (!s) throw new Error('CompactPartition: a statement no PlanPartition rendered');
    statements.delete(QueryString);
    await withConnection(async (c) => {
      await c.run(QueryString);
      // The one sorted file is checked for duplicates, rare (a re-put record), and rewritten without them if any.
      const [total, distinctHashes] = (await c.runAndReadAll(countKeysStatement(s.table, s.staged))).getRows()[0]!.map(Number) as [number, number];
      let rows = total;
      // Equal keys have equal hashes, so no fewer hashes than rows means no duplicates; fewer (a duplicate, or a hash collision) rewrites and counts exactly.
      if (distinctHashes < total) {
        await c.run(dedupeStatement(s.table, s.staged, `${s.staged}.dedup`));
        renameSync(`${s.staged}.dedup`, s.staged);
        rows = Number((await c.runAndReadAll(`SELECT count(*) FROM read_parquet(${sqlString(s.staged)})`)).getRows()[0]![0]);
      }
      counts.set(s.staged, { rows, duplicates: total - rows });
    });
    return { QueryExecution: { Status: { State: 'SUCCEEDED' } } };
  }
  /** CommitPartition, CommitDerived: the shared step, with the run's figures. */
  async function commit(i: unknown): Promise<unknown> {
    const input = i as { run: CompactionRun; item: PartitionItem; plan: PartitionWork };
    const { item, plan } = input;
    if (plan.action !== 'merge') return commitPartition(store, tables, input, o.clock ? { clock: o.clock } : {});
    const dir = partitionDir(item);
    const staged = join(lakeRoot, plan.staged, STAGED_FILE);
    const n = counts.get(staged) ?? { rows: 0, duplicates: 0 };
    const g = statOf(item.table, item.partition);
    // A partition merged over several runs (more files than one run takes) counts its input files once and its final rows.
    const fresh = (await replacedFiles(store, plan)).filter((f) => !isCompacted(f) && existsSync(join(dir, f)));
    g.filesIn += fresh.length;
    g.rows = n.rows;
    g.duplicates += n.duplicates;
    g.bytesIn += fresh.reduce((a, f) => a + size(join(dir, f)), 0);
    const out = await commitPartition(store, tables, input, {
      counts: n,
      ...(o.clock ? { clock: o.clock } : {}),
      ...(o.afterManifest ? { afterManifest: () => o.afterManifest!(item.table, item.partition) } : {}),
    });
    g.bytesOut = size(join(dir, out.compacted));
    return out;
  }

  const request: CompactionRequest = {
    ...(o.tables ? { tables: o.tables } : {}),
    ...(o.olderThanMs !== undefined ? { olderThanMs: o.olderThanMs } : {}),
    ...(o.graceMs !== undefined ? { graceMs: o.graceMs } : {}),
    processingTime: new Date(o.nowMs ?? Date.now()).toISOString(),
  };
  try {
    definition ??= localCompactionDefinition();
    const workflow = new LocalWorkflow<ListedPartitions>(definition, tasks);
    let run = 0;
    do {
      remaining = 0;
      const runId = `local-${Date.now().toString(36)}-${process.pid}-${run++}`;
      try {
        await workflow.run(request, runId);
      } catch (e) {
        // Some partitions failed (reported in `failed`): the others were compacted and their figures stand.
        if (e instanceof LocalExecutionError && e.error === COMPACTION_ERRORS.partitionsFailed && failed.length > 0) break;
        if (e instanceof LocalExecutionError) throw new Error(`compaction failed: ${e.cause}`);
        throw e;
      }
    } while (remaining > 0);
  } finally {
    for (const c of pool) c.closeSync();
    instance.closeSync();
    if (!o.publish) rmSync(join(lakeRoot, COMPACTION_RUNS_PREFIX), { recursive: true, force: true });
  }
  const totals = { partitions: 0, filesIn: 0, rows: 0, duplicates: 0, bytesIn: 0, bytesOut: 0, deleted: 0 };
  for (const r of [...stats.values()].sort((a, b) => a.table.localeCompare(b.table) || a.partition.localeCompare(b.partition))) {
    totals.partitions += r.filesIn > 0 ? 1 : 0;
    totals.filesIn += r.filesIn;
    totals.rows += r.rows;
    totals.duplicates += r.duplicates;
    totals.bytesIn += r.bytesIn;
    totals.bytesOut += r.bytesOut;
    totals.deleted += r.deleted;
    o.onPartition?.(r);
  }
  return { ...totals, seconds: (performance.now() - started) / 1000, waiting: [...waits.values()], failed };
}
