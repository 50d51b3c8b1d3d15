/**
 * The steps of the compaction state machine (`src/adapters/workflows/compaction-workflow.ts`),
 * one code path for S3 (Lambda) and the local lake, through the
 * `ObjectStore` port (keys relative to the lake root):
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
export * from './compaction-run.js';
export { listClosedPartitions, planBytes, planCompaction } from './compaction-plan.js';
export { commitPartition, deleteReplaced } from './compaction-commit.js';
/** CommitPartition's reading of a plan's list, for callers that report on a merge. */
export { replacedFiles } from './compaction-lists.js';
