/**
 * A file backfilled again after a generation merged its objects: the objects come back under names the
 * generation replaces (hidden from readers), and the plan merges them again, or keeps them while the file is
 * still publishing, never deleting them as replaced. Which publication a generation holds is what its manifest
 * records (`backfillRuns`), and only a generation readers see counts.
 */
import { describe, expect, it } from 'vitest';
import { TABLES } from '../../src/catalog.js';
import type { BackfillMarker } from '../../src/lake/backfill-marker.js';
import { type CompactionManifest, manifestKey } from '../../src/lake/compaction.js';
import { planOf } from '../../src/lake/compaction-partition.js';
import type { CompactionRun } from '../../src/lake/compaction-run.js';
import { backfillMarkerKey, tablePrefix } from '../../src/lake/layout.js';
import { MemoryObjectStore } from '../helpers/memory-object-store.js';

const TRADES = TABLES.trades!;
const PARTITION = 'dt=2026-11-02/hour=10';
const FOLDER = `${tablePrefix(TRADES)}${PARTITION}/`;
const FILE = 'BTCUSDT-trades-2026-11-02';
const OBJECTS = [`backfill-${FILE}-0.parquet`, `backfill-${FILE}-1.parquet`];
const NOW = Date.UTC(2026, 10, 2, 14);
const GRACE = 600_000;

const run = (publish: boolean): CompactionRun => ({
  runId: 'r9',
  nowMs: NOW,
  olderThanMs: 3_600_000,
  graceMs: GRACE,
  lakeRoot: 's3://lake/',
  maxConcurrency: 2,
  publish,
  tables: ['trades'],
});

/**
 * A partition a generation `g1` (its own file and a stream file merged, both published long ago) replaced the
 * file's objects in, recording publication `held`; the objects are there again, and the file's marker says `now`.
 */
async function lake(o: { publish: boolean; held?: string; now: string; pending?: boolean; more?: CompactionManifest[] }): Promise<MemoryObjectStore> {
  const store = new MemoryObjectStore();
  const put = (k: string, body: string) => store.put(k, Buffer.from(body));
  const g1 = o.publish ? 'compacted-001793620000000-r1.parquet' : '_compacted/001793620000000-r1.parquet';
  const manifest: CompactionManifest = {
    table: 'trades',
    partition: PARTITION,
    compacted: g1,
    replaced: ['shardId-000000000000-1-2.parquet', ...OBJECTS],
    ...(o.held === undefined ? {} : { backfillRuns: { [FILE]: o.held } }),
    createdAtMs: NOW - 3 * GRACE,
    ...(o.publish ? { visibleFromMs: NOW - 3 * GRACE } : {}),
  };
  for (const m of [manifest, ...(o.more ?? [])]) await put(manifestKey(TRADES, PARTITION, m.compacted), JSON.stringify(m));
  for (const f of [g1, ...OBJECTS]) await put(`${FOLDER}${f}`, 'parquet');
  const marker: BackfillMarker = { objects: OBJECTS.map((f) => `${FOLDER}${f}`), runId: o.now, ...(o.pending ? { pending: true } : {}) };
  await put(backfillMarkerKey(FILE), JSON.stringify(marker));
  return store;
}

describe.each([
  ['local (_compacted/, manifests read)', false],
  ['published (the cloud)', true],
])('a file backfilled again after its hour was compacted: %s', (_, publish) => {
  it('merges its objects again with the generation, and deletes none of them', async () => {
    // Prepare
    const store = await lake({ publish, held: 'bf1', now: 'bf2' });
    // Act
    const { plan } = await planOf(store, TRADES, PARTITION, run(publish));
    // Assess
    expect(plan.merge).toEqual(expect.arrayContaining(OBJECTS));
    expect(plan.merge).toHaveLength(3);
    expect(plan.delete).toEqual([]);
  });

  it('leaves them to be deleted when the generation holds that very publication', async () => {
    // Prepare
    const store = await lake({ publish, held: 'bf2', now: 'bf2' });
    // Act
    const { plan } = await planOf(store, TRADES, PARTITION, run(publish));
    // Assess
    expect(plan.merge).toEqual([]);
    expect(plan.delete).toEqual(OBJECTS);
  });

  it('keeps them, merging nothing, while the file is still publishing', async () => {
    // Prepare
    const store = await lake({ publish, held: 'bf1', now: 'bf2', pending: true });
    // Act
    const { plan } = await planOf(store, TRADES, PARTITION, run(publish));
    // Assess
    expect(plan.merge).toEqual([]);
    expect(plan.delete).toEqual([]);
  });

  it('does not count a generation readers do not see (a killed run left its manifest without its file, or never published it)', async () => {
    // Prepare: a later generation that recorded the new publication but never got its file in place
    const orphan: CompactionManifest = {
      table: 'trades',
      partition: PARTITION,
      compacted: publish ? 'compacted-001793625000000-r2.parquet' : '_compacted/001793625000000-r2.parquet',
      replaced: ['_compacted/001793620000000-r1.parquet', ...OBJECTS],
      backfillRuns: { [FILE]: 'bf2' },
      createdAtMs: NOW - 2 * GRACE,
    };
    const store = await lake({ publish, held: 'bf1', now: 'bf2', more: [orphan] });
    // Act
    const { plan } = await planOf(store, TRADES, PARTITION, run(publish));
    // Assess: locally merged again; published, the unpublished generation is resumed or abandoned first, and nothing is deleted
    if (!publish) expect(plan.merge).toEqual(expect.arrayContaining(OBJECTS));
    expect(plan.delete.filter((f) => OBJECTS.includes(f))).toEqual([]);
  });

  it('leaves a generation that records no publication (written before generations did) as it was', async () => {
    // Prepare
    const store = await lake({ publish, now: 'bf2' });
    // Act
    const { plan } = await planOf(store, TRADES, PARTITION, run(publish));
    // Assess
    expect(plan.merge).toEqual([]);
    expect(plan.delete).toEqual(OBJECTS);
  });
});
