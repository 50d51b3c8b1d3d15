/**
 * One `ticklake up` per data directory: a lock file holding the owner's pid,
 * created exclusively. A lock whose process is gone (killed with -9) is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The data directory is held by another live process. */
export class DataDirBusyError extends Error {}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the lock of `dataDir` for this process; returns its release function.
 * @param file the lock's name: `up.lock` for the pipeline, another for a job that may run beside it (compaction)
 */
export function lockDataDir(dataDir: string, what = 'ticklake up', file = 'up.lock'): () => void {
  const path = join(dataDir, file);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, what, since: new Date().toISOString() }));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner: { pid?: number; what?: string; since?: string } = {};
      try {
        owner = JSON.parse(readFileSync(path, 'utf8')) as typeof owner;
      } catch {
        // half-written by a process killed mid-write: treat as stale
      }
      if (owner.pid !== undefined && owner.pid !== process.pid && alive(owner.pid)) {
        throw new DataDirBusyError(
          `data directory ${dataDir} is busy: ${owner.what ?? 'another process'} (pid ${owner.pid}) has held it since ${owner.since ?? '?'}`,
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new DataDirBusyError(`could not lock data directory ${dataDir}`);
}
