/**
 * The compaction protocol as a model: stream files arrive, compaction runs step
 * by step (manifest, commit, deletes after the grace period), and readers take
 * snapshots (manifests first, listing later) at any point in between. Every
 * reader must see each key exactly once.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CompactionManifest, planPartition, snapshotOf } from '../../src/lake/compaction.js';

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
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), (ops) => {
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

  it('finishes a publication that deleted replaced files but never put its file in place, instead of merging what is left', () => {
    // Prepare: a.parquet is gone, the generation's file never appeared, c.parquet arrived since
    const g: CompactionManifest = {
      table: 't',
      partition: PARTITION,
      compacted: 'compacted-000000000000005-r.parquet',
      replaced: ['a.parquet', 'b.parquet'],
      staged: '_compaction/runs/r/0/',
      createdAtMs: 5,
    };
    const o = { nowMs: PARTITION_END_MS + 100, olderThanMs: 0, graceMs: 10 };
    // Act
    const interrupted = planPartition(PARTITION, ['b.parquet', 'c.parquet'], [g], o);
    const local = planPartition(PARTITION, ['b.parquet', 'c.parquet'], [{ ...g, staged: undefined }], o);
    // Assess
    expect(interrupted.resume).toBe(g);
    expect(interrupted.merge).toEqual([]);
    expect(interrupted.dropManifests).toEqual([]);
    expect(local.resume).toBeUndefined(); // a run that does not publish never deletes before its commit
    expect(local.merge).toEqual(['b.parquet', 'c.parquet']);
  });
});
