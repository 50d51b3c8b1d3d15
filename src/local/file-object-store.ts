/** {@link ObjectStore} on the local file system: the embedded stand-in for the S3 lake bucket and the model store. */
import { existsSync } from 'node:fs';
import { copyFile, link, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { ObjectStore } from '../lake/object-store.js';

/** Objects as files under a root directory; keys use `/` whatever the platform. */
export class FileObjectStore implements ObjectStore {
  readonly location: string;
  private readonly root: string;
  private readonly dirs = new Set<string>();
  private tmpCounter = 0;

  /** @param root directory that plays the bucket (prefix), e.g. `.ticklake/lake` or `.ticklake/models` */
  constructor(root: string) {
    this.root = resolve(root);
    this.location = this.root;
  }

  private path(key: string): string {
    if (key.split('/').some((p) => p === '..' || p === '')) throw new Error(`invalid key ${key}`);
    return join(this.root, ...key.split('/'));
  }

  uri(key: string): string {
    return this.path(key);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return await readFile(this.path(key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    // Write to a temporary name, then rename: readers (and a crash) never see half a file,
    // and a retried batch atomically replaces its own object, as S3 PutObject does.
    await this.replace(this.path(key), (tmp) => writeFile(tmp, body));
  }

  async copy(from: string, to: string): Promise<void> {
    const source = this.path(from);
    // A hard link shares the bytes at no cost: objects are never changed in place (put renames a new file over them).
    await this.replace(this.path(to), (tmp) =>
      link(source, tmp).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') throw e;
        return copyFile(source, tmp);
      }),
    );
  }

  async delete(keys: readonly string[]): Promise<void> {
    await Promise.all(keys.map((k) => rm(this.path(k), { force: true })));
  }

  async list(prefix: string): Promise<string[]> {
    const dir = prefix === '' ? this.root : prefix.endsWith('/') ? this.path(prefix.slice(0, -1)) : dirname(this.path(prefix));
    if (!existsSync(dir)) return [];
    const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile() && !d.name.endsWith('.tmp'));
    const keys = files.map((d) =>
      join(d.parentPath, d.name)
        .slice(this.root.length + 1)
        .split(sep)
        .join('/'),
    );
    return keys.filter((k) => k.startsWith(prefix)).sort();
  }

  /** Makes `path` the file `write` creates at a temporary name (in a directory made once per store). */
  private async replace(path: string, write: (tmp: string) => Promise<void>): Promise<void> {
    const dir = dirname(path);
    if (!this.dirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.dirs.add(dir);
    }
    const tmp = `${path}.${process.pid}.${this.tmpCounter++}.tmp`;
    try {
      await write(tmp);
    } catch (e) {
      // The directory was removed since (e.g. a cleared staging prefix): make it again, once.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || existsSync(dir)) throw e;
      await mkdir(dir, { recursive: true });
      await write(tmp);
    }
    await rename(tmp, path);
  }
}
