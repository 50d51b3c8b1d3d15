/** {@link BlobStore} on the local file system: the model store of the local runtime (`<data dir>/models`). */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { BlobStore } from '../../ml/steps/model-store.js';

/** Objects as files under a root directory; keys use `/` whatever the platform. */
export class FileBlobStore implements BlobStore {
  readonly location: string;
  private readonly root: string;
  private tmpCounter = 0;

  /** @param root directory that plays the bucket prefix, e.g. `.ticklake/models` */
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
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    // Write then rename: readers never see half an object, as with S3 PutObject.
    const tmp = `${path}.${process.pid}.${this.tmpCounter++}.tmp`;
    await writeFile(tmp, body);
    await rename(tmp, path);
  }

  async list(prefix: string): Promise<string[]> {
    const dir = prefix.endsWith('/') ? this.path(prefix.slice(0, -1)) : dirname(this.path(prefix));
    if (!existsSync(dir)) return [];
    const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile() && !d.name.endsWith('.tmp'));
    const keys = files.map((d) => join(d.parentPath, d.name).slice(this.root.length + 1).split(sep).join('/'));
    return keys.filter((k) => k.startsWith(prefix)).sort();
  }
}
