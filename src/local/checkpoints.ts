/** Per-shard consumer checkpoints persisted as small JSON files, replaced atomically. */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where a shard consumer stands. */
export interface ShardCheckpoint {
  /** Last sequence number fully processed ('' before the first). */
  readonly sequenceNumber: string;
  /** Byte offset in the shard log just past that record. */
  readonly offset: number;
  /**
   * The batch being delivered when the checkpoint was written: after a crash it
   * is re-formed exactly (same records, same object keys), so a batch whose lake
   * write landed but whose checkpoint did not is overwritten, never doubled.
   */
  readonly inflight?: { readonly count: number };
}

export class CheckpointStore {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private path(shard: string): string {
    return join(this.dir, `${shard}.json`);
  }

  load(shard: string): ShardCheckpoint {
    const p = this.path(shard);
    if (!existsSync(p)) return { sequenceNumber: '', offset: 0 };
    return JSON.parse(readFileSync(p, 'utf8')) as ShardCheckpoint;
  }

  save(shard: string, cp: ShardCheckpoint): void {
    const p = this.path(shard);
    writeFileSync(`${p}.tmp`, JSON.stringify(cp));
    renameSync(`${p}.tmp`, p);
  }
}
