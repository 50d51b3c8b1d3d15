/** {@link LakeWriter} on the local file system: the embedded stand-in for the S3 lake bucket. */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { LakeWriter } from '../lake/lake-writer.js';

export class FileLakeWriter implements LakeWriter {
  readonly location: string;
  private readonly dirs = new Set<string>();
  private tmpCounter = 0;

  /** @param root directory that plays the bucket (e.g. `.ticklake/lake`) */
  constructor(readonly root: string) {
    this.location = root;
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    const path = join(this.root, key);
    const dir = dirname(path);
    if (!this.dirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.dirs.add(dir);
    }
    // Write to a temporary name, then rename: readers (and a crash) never see half a file,
    // and a retried batch atomically replaces its own object, as S3 PutObject does.
    const tmp = `${path}.${process.pid}.${this.tmpCounter++}.tmp`;
    await writeFile(tmp, body);
    await rename(tmp, path);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return await readFile(join(this.root, key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    await Promise.all(keys.map((k) => rm(join(this.root, k), { force: true })));
  }
}
