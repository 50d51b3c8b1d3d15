/**
 * The compaction protocol as a model: stream files arrive, compaction runs step
 * by step (manifest, commit, deletes after the grace period), and readers take
 * snapshots (manifests first, listing later) at any point in between. Every
 * reader must see each key exactly once.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CompactionManifest, planPartition, snapshotAt, snapshotOf, VISIBILITY_MARGIN_MS } from '../../src/lake/compaction.js';

const PARTITION = 'dt=2026-11-02/hour=10';
const PARTITION_END_MS = Date.UTC(2026, 10, 2, 11);

/** One partition's files (name -> keys) and manifests, changed one step at a time. */
class Model {
  files = new Map<string, readonly number[]>();
  manifests: CompactionManifest[] = [];
  private nextKey = 0;
  private nextFile = 0;
  private pending: { manifest: CompactionManifest; keys: number[] } | undefined;

  /** Every key written so far, with the step it was written at. */
  written = new Map<number, number>();

  addStreamFile(step: number, n: number): void {
    const keys = Array.from({ length: n }, () => this.nextKey++);
    for (const k of keys) this.written.set(k, step);
    this.files.set(`shard-${String(this.nextFile++).padStart(4, '0')}.parquet`, keys);
  }

  /** First half of a compaction: plan, deletes of earlier runs, and the manifest. */
  startCompaction(step: number, graceSteps: number): void {
    if (this.pending) return;
    const plan = planPartition(PARTITION, [...this.files.keys()], this.manifests, { nowMs: PARTITION_END_MS + step, olderThanMs: 0, graceMs: graceSteps });
    for (const f of plan.delete) this.files.delete(f);
    this.manifests = this.manifests.filter((m) => !plan.dropManifests.includes(m));
    if (plan.merge.length === 0) return;
    const keys = [...new Set(plan.merge.flatMap((f) => this.files.get(f)!))];
    const compacted = `_compacted/${String(PARTITION_END_MS + step).padStart(15, '0')}-t.parquet`;
    const manifest: CompactionManifest = {
      table: 't',
      partition: PARTITION,
      compacted,
      replaced: plan.merge,
      createdAtMs: PARTITION_END_MS + step,
      rows: keys.length,
      duplicates: 0,
    };
    this.manifests.push(manifest);
    this.pending = { manifest, keys };
  }

  /** Second half: the compacted file appears (the commit). */
  commit(): void {
    if (!this.pending) return;
    this.files.set(this.pending.manifest.compacted, this.pending.keys);
    this.pending = undefined;
  }

  /** A crash after the manifest: the run's file never appears. */
  crash(): void {
    this.pending = undefined;
  }
}

type Op = { kind: 'add'; n: number } | { kind: 'start' } | { kind: 'commit' } | { kind: 'crash' } | { kind: 'read'; span: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 4 }).map((n) => ({ kind: 'add' as const, n })) },
  { weight: 2, arbitrary: fc.constant({ kind: 'start' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'commit' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'crash' as const }) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 4 }).map((span) => ({ kind: 'read' as const, span })) },
);

describe('compaction protocol', () => {
  it('gives every reader each key exactly once, whatever happens between its two looks', () => {
    // The grace period (in steps) exceeds every reader's span: what a run deletes was replaced before any open reader looked.
    const GRACE = 6;
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 60, size: 'max' }), (ops) => {
        // Prepare
        const m = new Model();
        const readers: { manifests: CompactionManifest[]; at: number; listAt: number }[] = [];
        const results: { keys: number[]; at: number }[] = [];
        // Act
        ops.forEach((op, step) => {
          for (const r of readers.filter((x) => x.listAt === step)) {
            const listing = [...m.files.keys()];
            const snap = snapshotOf(listing, r.manifests);
            results.push({ keys: snap.live.flatMap((f) => [...m.files.get(f)!]), at: r.at });
          }
          if (op.kind === 'add') m.addStreamFile(step, op.n);
          else if (op.kind === 'start') m.startCompaction(step, GRACE);
          else if (op.kind === 'commit') m.commit();
          else if (op.kind === 'crash') m.crash();
          else readers.push({ manifests: [...m.manifests], at: step, listAt: step + op.span });
        });
        // Assess
        for (const r of results) {
          expect(new Set(r.keys).size).toBe(r.keys.length); // never twice
          for (const [k, writtenAt] of m.written) if (writtenAt < r.at) expect(r.keys).toContain(k); // never missing
        }
      }),
      { numRuns: 500 },
    );
  });

  it('merges only closed partitions, and a lone compacted file stays as it is', () => {
    // Prepare
    const o = { nowMs: PARTITION_END_MS + 10, olderThanMs: 3_600_000, graceMs: 0 };
    // Act
    const open = planPartition(PARTITION, ['a.parquet', 'b.parquet'], [], o);
    const closed = planPartition(PARTITION, ['a.parquet', 'b.parquet'], [], { ...o, olderThanMs: 0 });
    const done = planPartition(
      PARTITION,
      ['_compacted/000000000000001-x.parquet'],
      [{ table: 't', partition: PARTITION, compacted: '_compacted/000000000000001-x.parquet', replaced: [], createdAtMs: 1, rows: 1, duplicates: 0 }],
      { ...o, olderThanMs: 0 },
    );
    // Assess
    expect(open.merge).toEqual([]);
    expect(closed.merge).toEqual(['a.parquet', 'b.parquet']);
    expect(done.merge).toEqual([]);
  });

  it('deletes a replaced compacted file only after the files it replaced are gone', () => {
    // Prepare: g1 replaced a and b; g2 replaced g1 and c; all past the grace period
    const g1: CompactionManifest = {
      table: 't',
      partition: PARTITION,
      compacted: '_compacted/000000000000001-a.parquet',
      replaced: ['a.parquet', 'b.parquet'],
      createdAtMs: 1,
      rows: 2,
      duplicates: 0,
    };
    const g2: CompactionManifest = {
      table: 't',
      partition: PARTITION,
      compacted: '_compacted/000000000000002-a.parquet',
      replaced: [g1.compacted, 'c.parquet'],
      createdAtMs: 2,
      rows: 3,
      duplicates: 0,
    };
    const o = { nowMs: PARTITION_END_MS + 100, olderThanMs: 0, graceMs: 10 };
    // Act
    const first = planPartition(PARTITION, ['a.parquet', 'b.parquet', 'c.parquet', g1.compacted, g2.compacted], [g1, g2], o);
    const second = planPartition(PARTITION, [g1.compacted, g2.compacted], [g1, g2], o);
    // Assess
    expect(first.delete).toEqual(['a.parquet', 'b.parquet', 'c.parquet']);
    expect(first.dropManifests).toEqual([]);
    expect(second.delete).toEqual([g1.compacted]);
    expect(second.dropManifests).toEqual([g1]);
  });

  it('counts a generation of several files only once its own file is listed, and does not merge it again', () => {
    // Prepare: Athena wrote two files; the part is put in place before the generation's file
    const g: CompactionManifest = {
      table: 't',
      partition: PARTITION,
      compacted: 'compacted-000000000000005-r.parquet',
      parts: ['compacted-000000000000005-r-1.parquet'],
      replaced: ['a.parquet', 'b.parquet'],
      createdAtMs: 5,
    };
    const o = { nowMs: PARTITION_END_MS + 100, olderThanMs: 0, graceMs: 10 };
    // Act
    const halfway = snapshotOf(['a.parquet', 'b.parquet', g.parts![0]!], [g]);
    const committed = snapshotOf(['a.parquet', 'b.parquet', g.parts![0]!, g.compacted], [g]);
    const after = planPartition(PARTITION, [g.parts![0]!, g.compacted], [g], o);
    // Assess
    expect(halfway.live).toEqual(['a.parquet', 'b.parquet']);
    expect(committed.live).toEqual([g.parts![0], g.compacted]);
    expect(after).toEqual({ merge: [], delete: [], dropManifests: [] });
  });

  it('finishes a publication that is not visible yet before merging anything else', () => {
    // Prepare: the generation's manifest was written, its file copied, but it was never made visible; c.parquet arrived since
    const g: CompactionManifest = {
      table: 't',
      partition: PARTITION,
      compacted: 'compacted-000000000000005-r.parquet',
      replaced: ['a.parquet', 'b.parquet'],
      staged: '_compaction/runs/r/0/',
      createdAtMs: 5,
    };
    const o = { nowMs: PARTITION_END_MS + 100, olderThanMs: 0, graceMs: 10, publish: true };
    // Act
    const interrupted = planPartition(PARTITION, ['a.parquet', 'b.parquet', 'c.parquet', g.compacted], [g], o);
    const seen = snapshotAt(['a.parquet', 'b.parquet', 'c.parquet', g.compacted], [g], o.nowMs);
    const settling = planPartition(PARTITION, ['a.parquet', 'b.parquet', 'c.parquet', g.compacted], [{ ...g, visibleFromMs: o.nowMs + 1 }], o);
    // Assess
    expect(interrupted.resume).toBe(g);
    expect(interrupted.merge).toEqual([]);
    expect(seen.live).toEqual(['a.parquet', 'b.parquet', 'c.parquet']); // not visible: the replaced files are read, the new one is not
    expect(settling.merge).toEqual([]); // about to become visible: merging a, b again would show their rows twice
  });
});

/**
 * The published protocol as a model: Athena-like readers start at some time,
 * then read the manifests and list the folder in either order, each at any time
 * within their span, and see the partition through the exact-read view rule
 * ({@link snapshotAt}) at their start.
 */
class PublishedModel {
  files = new Map<string, readonly number[]>();
  manifests: CompactionManifest[] = [];
  written = new Map<number, number>();
  private staged = new Map<string, readonly number[]>();
  private pending: { compacted: string; copied: boolean } | undefined;
  private nextKey = 0;
  private nextFile = 0;

  constructor(
    private readonly graceMs: number,
    private readonly stepMs: number,
  ) {}

  addStreamFile(step: number, n: number): void {
    const keys = Array.from({ length: n }, () => this.nextKey++);
    for (const k of keys) this.written.set(k, step);
    this.files.set(`shard-${String(this.nextFile++).padStart(4, '0')}.parquet`, keys);
  }

  /** A run's plan: deletes and manifest drops, then a resume, or a merge's manifest (not visible yet). */
  start(step: number): void {
    if (this.pending) return;
    const nowMs = PARTITION_END_MS + step * this.stepMs;
    const plan = planPartition(PARTITION, [...this.files.keys()], this.manifests, { nowMs, olderThanMs: 0, graceMs: this.graceMs, publish: true });
    for (const f of plan.delete) this.files.delete(f);
    this.manifests = this.manifests
      .filter((m) => !plan.dropManifests.includes(m))
      .map((m) => (plan.retire?.includes(m) ? { ...m, replacedGoneAtMs: nowMs } : m));
    if (plan.resume) {
      this.pending = { compacted: plan.resume.compacted, copied: false };
      return;
    }
    if (plan.merge.length === 0) return;
    const compacted = `compacted-${String(nowMs).padStart(15, '0')}-t.parquet`;
    this.staged.set(compacted, [...new Set(plan.merge.flatMap((f) => this.files.get(f)!))]);
    this.manifests.push({ table: 't', partition: PARTITION, compacted, replaced: plan.merge, staged: 's/', createdAtMs: nowMs });
    this.pending = { compacted, copied: false };
  }

  copy(): void {
    if (!this.pending) return;
    this.files.set(this.pending.compacted, this.staged.get(this.pending.compacted)!);
    this.pending.copied = true;
  }

  makeVisible(step: number): void {
    if (!this.pending?.copied) return;
    const { compacted } = this.pending;
    const visibleFromMs = PARTITION_END_MS + step * this.stepMs + VISIBILITY_MARGIN_MS;
    this.manifests = this.manifests.map((m) => (m.compacted === compacted ? { ...m, visibleFromMs } : m));
    this.pending = undefined;
  }

  crash(): void {
    this.pending = undefined;
  }
}

type PublishedOp =
  | { kind: 'add'; n: number }
  | { kind: 'start' }
  | { kind: 'copy' }
  | { kind: 'visible' }
  | { kind: 'crash' }
  | { kind: 'read'; manifestsAfter: number; listAfter: number };

describe('published compaction (readers of the exact-read view)', () => {
  it("records when a generation's replaced files are gone, and drops its manifest only a grace period later, once its own file is gone", () => {
    // Prepare: g1 replaced a and b; g2 replaced g1's file; both visible long ago
    const g1: CompactionManifest = {
      table: 't',
      partition: PARTITION,
      compacted: 'compacted-000000000000001-a.parquet',
      replaced: ['a.parquet', 'b.parquet'],
      createdAtMs: 1,
      visibleFromMs: 10,
    };
    const g2: CompactionManifest = {
      table: 't',
      partition: PARTITION,
      compacted: 'compacted-000000000000002-a.parquet',
      replaced: [g1.compacted],
      createdAtMs: 2,
      visibleFromMs: 20,
    };
    const o = { nowMs: PARTITION_END_MS + 1_000, olderThanMs: 0, graceMs: 100, publish: true };
    // Act
    const first = planPartition(PARTITION, ['a.parquet', 'b.parquet', g1.compacted, g2.compacted], [g1, g2], o);
    const goneAt = o.nowMs;
    const retired = { ...g1, replacedGoneAtMs: goneAt };
    const second = planPartition(PARTITION, [g1.compacted, g2.compacted], [retired, g2], { ...o, nowMs: goneAt + 50 });
    const early = planPartition(PARTITION, [g2.compacted], [retired, { ...g2, replacedGoneAtMs: goneAt + 50 }], { ...o, nowMs: goneAt + 99 });
    const late = planPartition(PARTITION, [g2.compacted], [retired, { ...g2, replacedGoneAtMs: goneAt + 50 }], { ...o, nowMs: goneAt + 100 });
    // Assess
    expect(first.delete).toEqual(['a.parquet', 'b.parquet']); // g1's file still covers them: it stays
    expect(first.retire).toEqual([g1]);
    expect(first.dropManifests).toEqual([]);
    expect(second.delete).toEqual([g1.compacted]);
    expect(second.dropManifests).toEqual([]); // a reader may still hold a listing from before a and b were deleted
    expect(early.dropManifests).toEqual([]);
    expect(late.dropManifests).toEqual([retired]);
  });

  it('does not record a generation as retired while a file it replaces is still listed', () => {
    // Prepare: g replaced a, whose grace period is not over
    const g: CompactionManifest = {
      table: 't',
      partition: PARTITION,
      compacted: 'compacted-000000000000001-a.parquet',
      replaced: ['a.parquet'],
      createdAtMs: 1,
      visibleFromMs: PARTITION_END_MS + 950,
    };
    const o = { nowMs: PARTITION_END_MS + 1_000, olderThanMs: 0, graceMs: 100, publish: true };
    // Act
    const plan = planPartition(PARTITION, ['a.parquet', g.compacted], [g], o);
    // Assess
    expect(plan.delete).toEqual([]);
    expect(plan.retire).toBeUndefined();
  });

  it('gives every reader each key exactly once, whatever the order and timing of its two looks', () => {
    // Steps of 1 s; the margin is 5 steps; the grace period exceeds every reader's span.
    const STEP_MS = 1_000;
    const GRACE_MS = 12_000;
    const SPAN = 10;
    const opArbPublished: fc.Arbitrary<PublishedOp> = fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 4 }).map((n) => ({ kind: 'add' as const, n })) },
      { weight: 2, arbitrary: fc.constant({ kind: 'start' as const }) },
      { weight: 2, arbitrary: fc.constant({ kind: 'copy' as const }) },
      { weight: 2, arbitrary: fc.constant({ kind: 'visible' as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'crash' as const }) },
      {
        weight: 3,
        arbitrary: fc
          .tuple(fc.integer({ min: 0, max: SPAN }), fc.integer({ min: 0, max: SPAN }))
          .map(([manifestsAfter, listAfter]) => ({ kind: 'read' as const, manifestsAfter, listAfter })),
      },
    );
    fc.assert(
      fc.property(fc.array(opArbPublished, { minLength: 1, maxLength: 80, size: 'max' }), (ops) => {
        // Prepare
        const m = new PublishedModel(GRACE_MS, STEP_MS);
        const readers: { at: number; manifestsAt: number; listAt: number; manifests?: CompactionManifest[]; listing?: Map<string, readonly number[]> }[] = [];
        const results: { keys: number[]; at: number }[] = [];
        // Act: readers look after each step's operation
        const look = (step: number) => {
          for (const r of readers) {
            if (r.manifestsAt === step) r.manifests = [...m.manifests];
            if (r.listAt === step) r.listing = new Map(m.files);
            if (r.manifests && r.listing && Math.max(r.manifestsAt, r.listAt) === step) {
              const snap = snapshotAt([...r.listing.keys()], r.manifests, PARTITION_END_MS + r.at * STEP_MS);
              results.push({ keys: snap.live.flatMap((f) => [...r.listing!.get(f)!]), at: r.at });
            }
          }
        };
        ops.forEach((op, step) => {
          if (op.kind === 'add') m.addStreamFile(step, op.n);
          else if (op.kind === 'start') m.start(step);
          else if (op.kind === 'copy') m.copy();
          else if (op.kind === 'visible') m.makeVisible(step);
          else if (op.kind === 'crash') m.crash();
          else readers.push({ at: step, manifestsAt: step + op.manifestsAfter, listAt: step + op.listAfter });
          look(step);
        });
        for (let step = ops.length; step <= ops.length + SPAN; step++) look(step);
        // Assess
        expect(results.length).toBe(readers.length);
        for (const r of results) {
          expect(new Set(r.keys).size).toBe(r.keys.length); // never twice
          for (const [k, writtenAt] of m.written) if (writtenAt <= r.at) expect(r.keys).toContain(k); // never missing
        }
      }),
      { numRuns: 1_000 },
    );
  });
});
