/**
 * The publish step of the backfill state machine: moves what each file's
 * statements wrote to the run's staging prefix into the lake tables, under
 * deterministic names, and replaces what an earlier backfill of the same file
 * published. One code path for S3 (Lambda) and the local lake, through the
 * {@link ObjectStore} port (keys relative to the lake root).
 *
 * Idempotency (a retried step, a rerun of the state machine, the same file
 * backfilled again later): a file's objects, from all its day pieces, are named
 * `<zone>/<table>/dt=…/hour=…/backfill-<fileKey>-<n>.parquet`, and its marker
 * `_backfill/published/<fileKey>.json` lists what it published last. The
 * marker first grows to cover the old and the new objects, then the new
 * objects are written, the old ones that are not among them deleted, and the
 * marker shrinks to the new set: a crash at any point leaves every object
 * that may exist listed, so the next attempt removes it.
 */
import { BACKFILL_TABLES } from '../sources/binance-trades/index.js';
import { tablePrefix } from '../lake/layout.js';
import { type BackfillMarker, readBackfillMarker } from '../lake/backfill-marker.js';
import type { ObjectStore } from '../lake/object-store.js';
import { type BackfillFile, type FileOutcome, markerKey, outputPrefix, type PublishInput, type PublishOutput, runPrefix } from './plan.js';

async function readMarker(store: ObjectStore, key: string): Promise<readonly string[]> {
  return (await readBackfillMarker(store, key))?.objects ?? [];
}

const writeMarker = (store: ObjectStore, key: string, m: BackfillMarker) => store.put(key, Buffer.from(JSON.stringify(m)));

/** Staged data objects (not directories, not hidden or underscore files such as `_SUCCESS`). */
function isDataObject(key: string): boolean {
  const name = key.slice(key.lastIndexOf('/') + 1);
  return name !== '' && !name.startsWith('.') && !name.startsWith('_');
}

/**
 * Where each staged object of a file's pieces goes: `staged key -> table key`,
 * numbered per partition in (piece, name) order. The day pieces of a file
 * share its quarantine partition (the processing hour), hence one numbering
 * across them.
 */
async function destinations(store: ObjectStore, runId: string, key: string, pieces: readonly BackfillFile[]): Promise<Map<string, string>> {
  const moves = new Map<string, string>();
  for (const table of BACKFILL_TABLES) {
    const byPartition = new Map<string, string[]>();
    for (const piece of [...pieces].sort((a, b) => a.index - b.index)) {
      const from = outputPrefix(runId, piece.index, table);
      for (const staged of (await store.list(from)).filter(isDataObject).sort()) {
        const rel = staged.slice(from.length);
        const partition = rel.slice(0, rel.lastIndexOf('/') + 1);
        if (!/^dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/$/.test(partition))
          throw new Error(`unexpected staged object ${staged}: expected <table>/dt=yyyy-MM-dd/hour=HH/<name>`);
        byPartition.set(partition, [...(byPartition.get(partition) ?? []), staged]);
      }
    }
    for (const [partition, keys] of byPartition) {
      for (const [n, k] of keys.entries()) moves.set(k, `${tablePrefix(table)}${partition}backfill-${key}-${n}.parquet`);
    }
  }
  return moves;
}

/**
 * Publishes one file's staged outputs (all its pieces: `file` alone when it
 * was not split); returns the number of objects now published and superseded.
 */
export async function publishFile(
  store: ObjectStore,
  runId: string,
  file: BackfillFile,
  pieces: readonly BackfillFile[] = [file],
): Promise<{ objects: number; superseded: number }> {
  const marker = markerKey(file.key);
  const previous = await readMarker(store, marker);
  const moves = await destinations(store, runId, file.key, pieces);
  const next = [...moves.values()];
  await writeMarker(store, marker, { objects: [...new Set([...previous, ...next])], runId, pending: true });
  // A copy keeps the staged object, so a retried step publishes the same objects again.
  for (const [from, to] of moves) await store.copy(from, to);
  const kept = new Set(next);
  const stale = previous.filter((k) => !kept.has(k));
  await store.delete(stale);
  await writeMarker(store, marker, { objects: next, runId });
  return { objects: next.length, superseded: stale.length };
}

function describeFailure(r: FileOutcome, files: readonly BackfillFile[]): string {
  const piece = files.find((f) => f.index === r.index);
  const name = piece ? `${piece.sourceName}${piece.day && !piece.sourceName.includes(piece.day) ? ` (${piece.day})` : ''}` : r.key;
  return `${name}: ${r.error?.Error ?? 'failed'}${r.error?.Cause ? ` (${r.error.Cause.slice(0, 300)})` : ''}`;
}

/**
 * The publish step: publishes every file all of whose pieces' statements
 * succeeded, reports the others (a file with a failed piece keeps its earlier
 * publication whole), then clears the run's staging prefix.
 */
export async function publishBackfill(store: ObjectStore, input: PublishInput): Promise<PublishOutput> {
  const { run, files, results } = input;
  const ok = new Set(results.filter((r) => r.ok).map((r) => r.index));
  const byFile = new Map<string, BackfillFile[]>();
  for (const f of files) byFile.set(f.key, [...(byFile.get(f.key) ?? []), f]);
  const published: { key: string; objects: number; superseded: number }[] = [];
  for (const [key, pieces] of byFile) {
    if (!pieces.every((p) => ok.has(p.index))) continue;
    published.push({ key, ...(await publishFile(store, run.runId, pieces[0]!, pieces)) });
  }
  await store.delete(await store.list(runPrefix(run.runId)));
  const failed = results.filter((r) => !r.ok);
  return {
    published,
    failedFiles: new Set(failed.map((r) => r.key)).size,
    failureSummary: failed.map((r) => describeFailure(r, files)).join('; '),
  };
}
