/**
 * Which batches a table's files hold, for a table derived from it
 * (`bar_partials` from `trades`): stream batches name their objects alike in
 * every table, a backfilled file its objects `backfill-<file>-<n>` (listed in
 * its publication marker), and a compacted generation records the batches it
 * covers in its manifest.
 */
import { readBackfillMarker } from './backfill-marker.js';
import { type CompactionManifest, generationFiles, isCompacted } from './compaction.js';
import { backfillMarkerKey, tablePrefix } from './layout.js';
import type { ObjectStore } from './object-store.js';
import type { TableSchema } from './table-schema.js';

/**
 * The batches source files hold: a stream (or backfill) file its own, a compacted file those its
 * generation covers (recorded in its manifest; for a generation written before manifests recorded
 * it, followed through the files it replaced, as far as their manifests are still there).
 */
export function batchesOf(files: readonly string[], manifests: readonly CompactionManifest[]): Set<string> {
  const byFile = new Map(manifests.flatMap((m) => generationFiles(m).map((f) => [f, m] as const)));
  const out = new Set<string>();
  const seen = new Set<string>();
  const visit = (f: string) => {
    if (seen.has(f)) return;
    seen.add(f);
    if (!isCompacted(f)) out.add(batchOf(f));
    else {
      const m = byFile.get(f);
      if (m?.covers) for (const b of m.covers) out.add(b);
      else for (const r of m?.replaced ?? []) visit(r);
    }
  };
  for (const f of files) visit(f);
  return out;
}

/** The batch a file of a partition belongs to: stream files are named by their batch, a backfill's `backfill-<file>-<n>` by its file. */
export function batchOf(file: string): string {
  return /^(backfill-.+)-\d+\.parquet$/.exec(file)?.[1] ?? file.replace(/\.parquet$/, '');
}

/**
 * For the backfilled files among a source hour's live files: the names of their derived objects in the hour, from
 * their publication markers (read after the listing). The file to wait for while one is publishing, or when its live
 * objects are not those its marker lists (the listing was made during a publication): the hour waits for a later run.
 */
export async function backfillDerivedNames(
  store: ObjectStore,
  partition: string,
  source: TableSchema,
  derived: TableSchema,
  live: readonly string[],
): Promise<{ readonly names: readonly string[] } | { readonly waitingFor: string }> {
  const [sourceFolder, derivedFolder] = [source, derived].map((t) => `${tablePrefix(t)}${partition}/`) as [string, string];
  const files = live.filter((f) => f.startsWith('backfill-'));
  const names: string[] = [];
  for (const b of new Set(files.map(batchOf))) {
    const marker = await readBackfillMarker(store, backfillMarkerKey(b.slice('backfill-'.length)));
    if (!marker) continue; // published before markers existed: nothing to compare with
    const waiting = { waitingFor: b.slice('backfill-'.length) };
    if (marker.pending === true) return waiting;
    const objects = marker.objects ?? [];
    const expected = objects.filter((k) => k.startsWith(sourceFolder)).map((k) => k.slice(sourceFolder.length));
    const seen = new Set(files.filter((f) => batchOf(f) === b));
    if (expected.length !== seen.size || expected.some((f) => !seen.has(f))) return waiting;
    names.push(...objects.filter((k) => k.startsWith(derivedFolder)).map((k) => k.slice(derivedFolder.length)));
  }
  return { names };
}
