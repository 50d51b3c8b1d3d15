/**
 * A compaction run: what it is asked (the state machine's input), what travels between its steps
 * (the run, a partition's work, the steps' results), its limits and defaults.
 */
import type { TableSchema } from './table-schema.js';

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

/** Why a partition failed: its step's error cause, else the error's name. */
export const partitionError = (r: PartitionOutcome): string => r.error?.Cause ?? r.error?.Error ?? 'failed';

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

/** The run's clock: the request's, else the schedule's, else the execution start. */
export function runClockMs(request: CompactionRequest, startedAt: string): number {
  const iso = request.processingTime ?? request.scheduledTime ?? startedAt;
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new Error(`processingTime ${JSON.stringify(iso)} is not an ISO 8601 time`);
  return ms;
}

/** The compactable table named `name` (throws naming the others). */
export function tableNamed(tables: readonly TableSchema[], name: string): TableSchema {
  const t = tables.find((x) => x.name === name);
  if (!t) throw new Error(`${name} is not a compactable table (${tables.map((x) => x.name).join(', ')})`);
  return t;
}

/** The staging prefix of one partition of a run. */
export function stagingPrefix(runId: string, index: number): string {
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(runId))
    throw new Error(`run id ${JSON.stringify(runId)}: expected 1-80 of A-Z a-z 0-9 - _ (a Step Functions execution name)`);
  return `${COMPACTION_RUNS_PREFIX}${runId}/${index}/`;
}

/** The file a staged statement writes when the engine names it (DuckDB); Athena names its own under the prefix. */
export const STAGED_FILE = 'data.parquet';
