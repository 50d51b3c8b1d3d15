/**
 * The (device_id, seq) keys a bridge has put in this session: a bounded set
 * that forgets the oldest key first. A broker redelivers only what it has not
 * seen acknowledged, which is recent, so a bounded memory catches it; anything
 * older that comes back is left to the lake's compaction (natural key).
 */
export class RecentKeys {
  private readonly keys = new Set<string>();

  /** @param capacity keys kept (default 200,000: about 20 MB) */
  constructor(private readonly capacity = 200_000) {
    if (!(capacity >= 1)) throw new RangeError(`capacity must be >= 1, got ${capacity}`);
  }

  get size(): number {
    return this.keys.size;
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** Adds a key, forgetting the oldest one when full. */
  add(key: string): void {
    if (this.keys.has(key)) return;
    this.keys.add(key);
    if (this.keys.size > this.capacity) {
      // A Set iterates in insertion order: the first key is the oldest.
      const oldest = this.keys.values().next().value as string;
      this.keys.delete(oldest);
    }
  }
}
