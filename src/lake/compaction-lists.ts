/**
 * The lists a compaction plan keeps out of the Step Functions state: per merge,
 * the files it replaces (and, for a table others derive from, the batches its
 * generation covers), written by PlanPartition to the run's staging area and
 * read by CommitPartition. An hour of ~1,000 stream batches would otherwise
 * take most of the 256 KiB a state may pass.
 */
import { createHash } from 'node:crypto';
import type { ObjectStore } from './object-store.js';

/** What a merge names of its lists: their object and how many files it replaces. */
export interface ListedMerge {
  readonly replacedKey: string;
  readonly replacing: number;
}

/** What a merge's list object holds: the files it replaces and, for a table others derive from, the batches it covers. */
export interface MergeLists {
  readonly replaced: readonly string[];
  readonly covers?: readonly string[];
  /** The publication of each backfilled file it merges (a manifest's `backfillRuns`). */
  readonly backfillRuns?: Readonly<Record<string, string>>;
}

/** A plan for the state, and the lists it names (written to the store before the plan is returned). */
export interface Planned<W> {
  readonly work: W;
  readonly lists: readonly { readonly key: string; readonly body: MergeLists }[];
}

/** A merge's lists and their key: under the run's staging area (outside every table and UNLOAD location), named by their content. */
export function listed(staged: string, replaced: readonly string[], more: Pick<MergeLists, 'covers' | 'backfillRuns'> = {}): { key: string; body: MergeLists } {
  const m = /^(.*\/)([^/]+)\/$/.exec(staged);
  if (!m) throw new Error(`not a staging prefix: ${staged}`);
  const body: MergeLists = {
    replaced,
    ...(more.covers ? { covers: more.covers } : {}),
    ...(more.backfillRuns ? { backfillRuns: more.backfillRuns } : {}),
  };
  const digest = createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 20);
  return { key: `${m[1]}replaced/${m[2]}-${digest}.json`, body };
}

/** Writes a plan's lists, then gives the plan for the state (the lists exist before any step reads the plan). */
export async function stash<W>(store: ObjectStore, planned: Planned<W>): Promise<W> {
  for (const l of planned.lists) await store.put(l.key, Buffer.from(JSON.stringify(l.body)), 'application/json');
  return planned.work;
}

/** A merge's lists, as PlanPartition wrote them. */
export async function mergeLists(store: ObjectStore, work: ListedMerge): Promise<MergeLists> {
  const body = await store.get(work.replacedKey);
  if (!body) throw new Error(`${work.replacedKey} is gone: the plan's list of replaced files (plan the partition again)`);
  const lists = JSON.parse(Buffer.from(body).toString('utf8')) as MergeLists;
  if (!Array.isArray(lists.replaced) || lists.replaced.length !== work.replacing)
    throw new Error(`${work.replacedKey}: ${Array.isArray(lists.replaced) ? lists.replaced.length : 'no'} files for a merge replacing ${work.replacing}`);
  return lists;
}

/** The files a merge replaces, relative to its partition (the list PlanPartition wrote). */
export async function replacedFiles(store: ObjectStore, work: ListedMerge): Promise<readonly string[]> {
  return (await mergeLists(store, work)).replaced;
}
