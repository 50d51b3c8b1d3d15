/**
 * Which batches a table's files hold, for a table derived from it
 * (`bar_partials` from `trades`): stream batches name their objects alike in
 * every table, a backfilled file its objects `backfill-<file>-<n>` (listed in
 * its publication marker), and a compacted generation records the batches it
 * covers in its manifest.
 */
import { type BackfillMarker, readBackfillMarker } from './backfill-marker.js';
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

/** A publication marker per backfilled file, read once per plan (every decision of a plan sees the same marker). */
export type MarkerReader = (fileKey: string) => Promise<BackfillMarker | undefined>;

/** Reads each backfilled file's publication marker at most once. */
export function markerReader(store: ObjectStore): MarkerReader {
  const read = new Map<string, Promise<BackfillMarker | undefined>>();
  return (fileKey) => {
    const known = read.get(fileKey);
    if (known) return known;
    const p = readBackfillMarker(store, backfillMarkerKey(fileKey));
    read.set(fileKey, p);
    return p;
  };
}

/**
 * For the backfilled files among a source hour's live files: the names of their derived objects in the hour, from
 * their publication markers (read after the listing). The file to wait for while one is publishing, or when its live
 * objects are not those its marker lists (the listing was made during a publication): the hour waits for a later run.
 */
export async function backfillDerivedNames(
  markers: MarkerReader,
  partition: string,
  source: TableSchema,
  derived: TableSchema,
  live: readonly string[],
): Promise<{ readonly names: readonly string[] } | { readonly waitingFor: string }> {
  const [sourceFolder, derivedFolder] = [source, derived].map((t) => `${tablePrefix(t)}${partition}/`) as [string, string];
  const files = live.filter((f) => f.startsWith('backfill-'));
  const names: string[] = [];
  for (const b of new Set(files.map(batchOf))) {
    const marker = await markers(b.slice('backfill-'.length));
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

/** The backfilled file (its marker's key) an object `backfill-<file>-<n>.parquet` belongs to; undefined for any other file. */
const backfillFileOf = (file: string): string | undefined => {
  const b = batchOf(file);
  return b.startsWith('backfill-') && b !== file.replace(/\.parquet$/, '') ? b.slice('backfill-'.length) : undefined;
};

/**
 * Backfilled files written again since a generation merged them (the file backfilled again after its hour was
 * compacted): their objects come back under names that generation replaces, so readers skip them. `merge`: those
 * whose new publication is done, to merge again with the partition's live files (each natural key once: the new
 * content joins what the hour holds); `keep`: those still publishing. Neither is ever deleted as replaced. A
 * generation records the publication it merged of each file ({@link CompactionManifest.backfillRuns}); one that
 * records none (written before it did) is left as it is.
 */
export async function rewrittenBackfills(
  markers: MarkerReader,
  folder: string,
  listing: readonly string[],
  manifests: readonly CompactionManifest[],
  live: readonly string[],
): Promise<{ readonly merge: readonly string[]; readonly keep: readonly string[] }> {
  const shown = new Set(live);
  const merge: string[] = [];
  const keep: string[] = [];
  for (const f of listing) {
    const fileKey = backfillFileOf(f);
    if (fileKey === undefined || shown.has(f)) continue;
    const by = manifests.filter((m) => m.backfillRuns !== undefined && m.replaced.includes(f));
    if (by.length === 0) continue;
    const marker = await markers(fileKey);
    if (!marker || !(marker.objects ?? []).includes(`${folder}${f}`)) continue;
    if (marker.pending === true) keep.push(f);
    else if (by.every((m) => m.backfillRuns?.[fileKey] !== marker.runId)) merge.push(f);
  }
  return { merge, keep };
}

/** The publication each backfilled file among `files` has now (its marker's run; undefined while it is publishing or has no marker). */
export async function backfillPublications(markers: MarkerReader, files: readonly string[]): Promise<ReadonlyMap<string, string | undefined>> {
  const out = new Map<string, string | undefined>();
  for (const k of new Set(files.map(backfillFileOf).filter((x) => x !== undefined))) {
    const marker = await markers(k);
    out.set(k, marker && marker.pending !== true ? marker.runId : undefined);
  }
  return out;
}

/**
 * The publication of each backfilled file a merge holds ({@link CompactionManifest.backfillRuns}): its marker's
 * (read after the listing: the statement reads the objects later, so a newer publication than the one recorded
 * can only cause one more merge), else carried from the generations it merges. A file still publishing records
 * none, so whatever it writes is merged again once it is done. Undefined when the merge holds no backfill.
 */
export function backfillRunsOf(
  merged: readonly string[],
  manifests: readonly CompactionManifest[],
  publications: ReadonlyMap<string, string | undefined>,
): Readonly<Record<string, string>> | undefined {
  const byFile = new Map(manifests.flatMap((m) => generationFiles(m).map((f) => [f, m] as const)));
  const runs = new Map<string, string>();
  let any = false;
  for (const f of merged.filter(isCompacted)) {
    const carried = byFile.get(f)?.backfillRuns;
    if (carried === undefined) continue;
    any = true;
    for (const [k, run] of Object.entries(carried)) runs.set(k, run);
  }
  for (const k of new Set(merged.map(backfillFileOf).filter((x) => x !== undefined))) {
    any = true;
    const run = publications.get(k);
    if (run === undefined) runs.delete(k);
    else runs.set(k, run);
  }
  return any ? Object.fromEntries([...runs].sort(([a], [b]) => a.localeCompare(b))) : undefined;
}
