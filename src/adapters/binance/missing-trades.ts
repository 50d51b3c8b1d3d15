/**
 * The trade ids the live connector is still waiting for, per symbol: the
 * ranges of the gaps being healed. A trade whose id is below the symbol's last
 * id is a duplicate unless it is still missing here; taking it removes it, so
 * whichever copy arrives first (from the REST API or, late, from the socket)
 * is the one put, and never a second. Pure; ranges are kept sorted and
 * disjoint, a handful per symbol (one per gap under way).
 */

/** An inclusive range of trade ids. */
export interface IdRange {
  readonly from: number;
  readonly to: number;
}

export class MissingTrades {
  private readonly ranges = new Map<string, IdRange[]>();
  private count = 0;

  /** Ids missing over all symbols. */
  get size(): number {
    return this.count;
  }

  /** Marks `from..to` (inclusive) of `symbol` missing; ids already missing stay so once. */
  add(symbol: string, from: number, to: number): void {
    if (to < from) return;
    const list = this.ranges.get(symbol) ?? [];
    let lo = from;
    let hi = to;
    const kept: IdRange[] = [];
    for (const r of list) {
      if (r.to < lo - 1 || r.from > hi + 1) kept.push(r);
      else {
        // Overlapping or adjacent: merged into the new range.
        this.count -= r.to - r.from + 1;
        lo = Math.min(lo, r.from);
        hi = Math.max(hi, r.to);
      }
    }
    kept.push({ from: lo, to: hi });
    kept.sort((a, b) => a.from - b.from);
    this.count += hi - lo + 1;
    this.ranges.set(symbol, kept);
  }

  /** True if `id` of `symbol` is missing. */
  has(symbol: string, id: number): boolean {
    return this.ranges.get(symbol)?.some((r) => id >= r.from && id <= r.to) ?? false;
  }

  /** Takes `id` of `symbol` if it is missing: true (and it is no longer missing), else false. */
  take(symbol: string, id: number): boolean {
    const list = this.ranges.get(symbol);
    if (!list) return false;
    const i = list.findIndex((r) => id >= r.from && id <= r.to);
    if (i < 0) return false;
    const r = list[i]!;
    const parts: IdRange[] = [];
    if (r.from < id) parts.push({ from: r.from, to: id - 1 });
    if (id < r.to) parts.push({ from: id + 1, to: r.to });
    list.splice(i, 1, ...parts);
    if (list.length === 0) this.ranges.delete(symbol);
    this.count--;
    return true;
  }

  /** Forgets `from..to` of `symbol` (a heal that has ended) and returns how many of them were still missing. */
  drop(symbol: string, from: number, to: number): number {
    const list = this.ranges.get(symbol);
    if (!list || to < from) return 0;
    let dropped = 0;
    const kept: IdRange[] = [];
    for (const r of list) {
      if (r.to < from || r.from > to) {
        kept.push(r);
        continue;
      }
      dropped += Math.min(r.to, to) - Math.max(r.from, from) + 1;
      if (r.from < from) kept.push({ from: r.from, to: from - 1 });
      if (r.to > to) kept.push({ from: to + 1, to: r.to });
    }
    this.count -= dropped;
    if (kept.length === 0) this.ranges.delete(symbol);
    else this.ranges.set(symbol, kept);
    return dropped;
  }

  /** The missing ranges of `symbol`, in order. */
  of(symbol: string): readonly IdRange[] {
    return this.ranges.get(symbol) ?? [];
  }
}
