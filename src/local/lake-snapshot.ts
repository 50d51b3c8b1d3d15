/**
 * What a reader of the local lake reads of one table, by the compaction
 * protocol (src/lake/compaction.ts): manifests first, then the listing.
 *
 * A table no compaction has touched (no manifest folder) is read by a glob
 * that matches the partitions' own files only, never `_compacted/`; once a
 * compaction has run, by the explicit list of live files.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { type CompactionManifest, manifestTablePrefix, snapshotOf } from '../lake/compaction.js';
import { tablePrefix } from '../lake/layout.js';
import type { TableSchema } from '../lake/table-schema.js';
import { listPartition, readManifests, tablePartitions } from './compaction.js';

/** How to read a table now. */
export type TableSnapshot =
  | { readonly mode: 'glob'; readonly glob: string }
  | { readonly mode: 'files'; readonly files: readonly string[]; readonly hidden: number };

/** The glob of a partitioned table's own files (`dt=*` / `hour=*` / `*.parquet`), or of an unpartitioned one's. */
export function ownFilesGlob(lakeRoot: string, t: TableSchema): string {
  return join(lakeRoot, tablePrefix(t), ...t.partitionKeys.map(() => '*'), '*.parquet');
}

/** Per partition: the listing state it was computed from, and its live files. */
interface CachedPartition {
  readonly stamp: string;
  readonly live: readonly string[];
  readonly hidden: number;
}

const mtime = (p: string) => (existsSync(p) ? statSync(p).mtimeMs : -1);

/** Snapshots of the tables of one lake, re-listing only partitions whose folders changed. */
export class LakeSnapshots {
  private readonly cache = new Map<string, CachedPartition>();

  constructor(readonly lakeRoot: string) {}

  /** The table's snapshot now. */
  of(t: TableSchema): TableSnapshot {
    const manifestRoot = join(this.lakeRoot, manifestTablePrefix(t));
    if (t.partitionKeys.length === 0 || !existsSync(manifestRoot)) return { mode: 'glob', glob: ownFilesGlob(this.lakeRoot, t) };
    const files: string[] = [];
    let hidden = 0;
    for (const partition of tablePartitions(this.lakeRoot, t)) {
      const dir = join(this.lakeRoot, tablePrefix(t), partition);
      const mdir = join(manifestRoot, partition);
      // Directory mtimes change when an entry is added, renamed or removed: unchanged stamps, unchanged snapshot.
      const stamp = `${mtime(mdir)}:${mtime(dir)}:${mtime(join(dir, '_compacted'))}`;
      const key = `${t.name}/${partition}`;
      let cached = this.cache.get(key);
      if (cached?.stamp !== stamp) {
        const manifests: CompactionManifest[] = readManifests(this.lakeRoot, t, partition);
        const s = snapshotOf(listPartition(dir), manifests);
        cached = { stamp, live: s.live, hidden: s.hidden.length };
        this.cache.set(key, cached);
      }
      for (const f of cached.live) files.push(join(dir, f));
      hidden += cached.hidden;
    }
    return { mode: 'files', files, hidden };
  }
}

/** Live files and their bytes per partition of a table (`` for an unpartitioned one), as a reader sees them now. */
export function partitionStats(
  lakeRoot: string,
  t: TableSchema,
  snapshots = new LakeSnapshots(lakeRoot),
): { partition: string; files: number; bytes: number }[] {
  const root = join(lakeRoot, tablePrefix(t));
  const snap = snapshots.of(t);
  const files =
    snap.mode === 'files'
      ? snap.files
      : existsSync(root)
        ? (readdirSync(root, { recursive: true }) as string[])
            .filter((f) => f.endsWith('.parquet') && f.split(sep).length === t.partitionKeys.length + 1)
            .map((f) => join(root, f))
        : [];
  const by = new Map<string, { files: number; bytes: number }>();
  for (const f of files) {
    const rel = relative(root, f).split(sep);
    const partition = rel.slice(0, t.partitionKeys.length).join('/');
    const e = by.get(partition) ?? { files: 0, bytes: 0 };
    e.files++;
    e.bytes += statSync(f).size;
    by.set(partition, e);
  }
  return [...by].map(([partition, e]) => ({ partition, ...e })).sort((a, b) => a.partition.localeCompare(b.partition));
}
