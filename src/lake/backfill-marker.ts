/**
 * A backfilled file's publication marker (`_backfill/published/<fileKey>.json`):
 * written by the backfill's publish step, read by it and by compaction (an hour
 * a file is still publishing into waits).
 */
import type { ObjectStore } from './object-store.js';

export interface BackfillMarker {
  /** Lake keys of the file's objects (while pending: the old and the new ones). */
  readonly objects: readonly string[];
  readonly runId: string;
  /** True while a publication is under way. */
  readonly pending?: boolean;
}

/** The marker at `key`, or undefined when the file was never published. */
export async function readBackfillMarker(store: ObjectStore, key: string): Promise<BackfillMarker | undefined> {
  const body = await store.get(key);
  return body ? (JSON.parse(Buffer.from(body).toString('utf8')) as BackfillMarker) : undefined;
}
