/** An in-memory {@link ObjectStore} for tests and the bench; subclass it to record, fail or drop operations. */
import type { ObjectStore } from '../../src/lake/object-store.js';

export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, Uint8Array>();

  constructor(readonly location = 'memory://lake/') {}

  uri(key: string): string {
    return `${this.location}${key}`;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.objects.get(key);
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    this.objects.set(key, body);
  }

  async copy(from: string, to: string): Promise<void> {
    const body = this.objects.get(from);
    if (body === undefined) throw new Error(`no object ${from}`);
    this.objects.set(to, body);
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const k of keys) this.objects.delete(k);
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}
