/**
 * The compaction state machine run locally as the cloud runs it: compacted
 * files published into the partition folders, their manifests made visible
 * after the copy. A reader of the exact-read view (the SQL Athena runs, here on
 * DuckDB) counts every trade exactly once at every step, also across a
 * publication interrupted half-way.
 * And the Athena rendering of the statement.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BackfillFile } from '../src/backfill/plan.js';
import { outputPrefix } from '../src/backfill/plan.js';
import { publishFile } from '../src/backfill/publish.js';
import { COMPACTION_DERIVATIONS, compactableTables, TABLES } from '../src/catalog.js';
import { type CompactionRun, MAX_FILES_PER_MERGE, MAX_PLAN_BYTES, planBytes, planCompaction, replacedFiles } from '../src/lake/compaction-steps.js';
import type { ObjectStore } from '../src/lake/object-store.js';
import { compactLake, listPartition, readManifests, tablePartitions } from '../src/local/compaction.js';
import { FileObjectStore } from '../src/local/file-object-store.js';
import { partitionStats } from '../src/local/lake-snapshot.js';
import { compactionStatement, listedFilesPredicate } from '../src/sql/compaction.js';
import { ATHENA, DUCKDB, sqlString } from '../src/sql/dialect.js';
import { counts, LATER, sharedSmallFileLake } from './helpers/compaction-lake.js';
import { exactTrades } from './helpers/exact-read-duckdb.js';
import { tempDir } from './helpers/lake-files.js';
import { MemoryObjectStore } from './helpers/memory-object-store.js';

/**
 * Trades as a folder-listing reader counts them: every Parquet file directly in a partition folder.
 * A file deleted between its listing and its reading fails the read, which is run again (as an Athena query would be).
 */
async function listedTrades(lake: string): Promise<{ rows: number; keys: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await listedTradesOnce(lake);
    } catch (e) {
      if (attempt === 5 || !/No such file/.test(String(e))) throw e;
    }
  }
}

async function listedTradesOnce(lake: string): Promise<{ rows: number; keys: number }> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const glob = join(lake, 'curated', 'trades', '*', '*', '*.parquet');
    const r = await c.runAndReadAll(`SELECT count(*), count(DISTINCT (symbol, trade_id)) FROM read_parquet('${glob}', hive_partitioning = false)`);
    const [rows, keys] = r.getRows()[0]!.map(Number) as [number, number];
    return { rows, keys };
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/** The lake as an object store that lets `watch` look after every put, copy and delete. */
function watched(inner: ObjectStore, watch: (op: string, keys: readonly string[]) => Promise<void>): ObjectStore {
  return {
    location: inner.location,
    uri: (k) => inner.uri(k),
    get: (k) => inner.get(k),
    put: async (k, b, t) => {
      await inner.put(k, b, t);
      await watch('put', [k]);
    },
    list: (p) => inner.list(p),
    copy: async (from, to, t) => {
      await inner.copy(from, to, t);
      await watch('copy', [to]);
    },
    delete: async (keys) => {
      await inner.delete(keys);
      await watch('delete', keys);
    },
  };
}

function copyLake(lake: string): string {
  const dir = tempDir();
  spawnSync('cp', ['-r', lake, dir]);
  return join(dir, 'lake');
}

describe('compaction publishing into the partition folders (the cloud)', () => {
  const f = sharedSmallFileLake();

  it('never lets a reader of the exact-read view miss a trade or count one twice, before, during and after each publication', async () => {
    // Prepare: a clock that moves a second per step of the store, so readers start before and after each generation becomes visible
    const copy = copyLake(f.lake);
    let now = LATER;
    const clock = () => now;
    const seen: { rows: number; keys: number; folder: number }[] = [];
    const store = watched(new FileObjectStore(copy), async (_op, keys) => {
      now += 1_000;
      if (keys.some((k) => k.includes('curated/trades/')))
        seen.push({ ...(await exactTrades(copy, TABLES.trades!, clock())), folder: (await listedTrades(copy)).rows });
    });
    // Act: a run, then one past the grace period (it deletes what the first replaced)
    const r = await compactLake({ lakeRoot: copy, nowMs: LATER, publish: true, store, clock });
    const during = seen.length;
    now = LATER + 3_600_000;
    const rerun = await compactLake({ lakeRoot: copy, nowMs: now, publish: true, store, clock });
    const after = await exactTrades(copy, TABLES.trades!, now + 60_000);
    // Assess
    expect(r.partitions).toBeGreaterThan(5);
    expect(during).toBeGreaterThan(3);
    expect(seen.length).toBeGreaterThan(during); // the rerun's deletes were watched too
    expect(seen.some((s) => s.folder > f.before.trades!)).toBe(true); // the folders did hold the rows twice for a while
    for (const s of seen) expect({ rows: s.rows, keys: s.keys }).toEqual({ rows: f.before.trades, keys: f.before.trade_keys });
    expect(rerun.deleted).toBeGreaterThan(0);
    expect(after).toEqual({ rows: f.before.trades, keys: f.before.trade_keys });
    expect(await listedTrades(copy)).toEqual({ rows: f.before.trades, keys: f.before.trade_keys }); // the folders, once the replaced files are gone
    expect(await counts(copy)).toEqual(f.before); // manifest-reading readers too
  }, 180_000);

  it('finishes a publication interrupted between its copy and its visibility in the next run, exact throughout', async () => {
    // Prepare: the copy into the third trades partition fails
    const copy = copyLake(f.lake);
    let copies = 0;
    const failing: ObjectStore = watched(new FileObjectStore(copy), async () => undefined);
    const inner = failing.copy;
    failing.copy = async (from, to, t) => {
      if (to.startsWith('curated/trades/') && ++copies === 3) throw new Error('connection reset');
      await inner(from, to, t);
    };
    // Act
    const failed = await compactLake({ lakeRoot: copy, nowMs: LATER, publish: true, store: failing });
    const interrupted = await exactTrades(copy, TABLES.trades!, LATER + 30_000);
    const resumed = await compactLake({ lakeRoot: copy, nowMs: LATER + 60_000, publish: true });
    const manifests = tablePartitions(copy, TABLES.trades!).flatMap((p) => readManifests(copy, TABLES.trades!, p));
    // Assess
    expect(failed.failed.map((x) => [x.table, x.reason])).toEqual([['trades', expect.stringContaining('connection reset')]]);
    expect(interrupted).toEqual({ rows: f.before.trades, keys: f.before.trade_keys }); // nothing missing, nothing twice
    expect(await exactTrades(copy, TABLES.trades!, LATER + 120_000)).toEqual({ rows: f.before.trades, keys: f.before.trade_keys });
    expect(await counts(copy)).toEqual(f.before);
    expect(resumed.partitions).toBe(0); // finished from the staged copy, not merged again
    expect(manifests.length).toBeGreaterThan(0);
    expect(manifests.every((m) => m.visibleFromMs !== undefined)).toBe(true);
  }, 120_000);

  it('a run that fails at any one write of the lake (before or after it is done) leaves every count exact, and two more runs finish it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 72 }), fc.boolean(), async (nth, afterTheWrite) => {
        // Prepare: the nth of the run's 72 puts, copies and deletes of the lake fails, before it is done or after (a lost response)
        const copy = copyLake(f.lake);
        let writes = 0;
        const fail = async (write: () => Promise<void>) => {
          const failing = ++writes === nth;
          if (failing && !afterTheWrite) throw new Error(`write ${nth} failed`);
          await write();
          if (failing) throw new Error(`write ${nth} failed after it was done`);
        };
        const inner: ObjectStore = new FileObjectStore(copy);
        const store: ObjectStore = {
          location: inner.location,
          uri: (k) => inner.uri(k),
          get: (k) => inner.get(k),
          list: (p) => inner.list(p),
          put: (k, b, t) => fail(() => inner.put(k, b, t)),
          copy: (from, to, t) => fail(() => inner.copy(from, to, t)),
          delete: (keys) => fail(() => inner.delete(keys)),
        };
        // Act
        await compactLake({ lakeRoot: copy, nowMs: LATER, publish: true, store }).catch(() => undefined);
        const afterFailure = await exactTrades(copy, TABLES.trades!, LATER + 60_000);
        await compactLake({ lakeRoot: copy, nowMs: LATER + 3_600_000, publish: true });
        await compactLake({ lakeRoot: copy, nowMs: LATER + 7_200_000, publish: true });
        // Assess
        const exact = { rows: f.before.trades, keys: f.before.trade_keys };
        expect(writes).toBeGreaterThanOrEqual(nth); // the failure did happen
        expect(afterFailure).toEqual(exact);
        expect(await exactTrades(copy, TABLES.trades!, LATER + 7_260_000)).toEqual(exact);
        expect(await counts(copy)).toEqual(f.before); // bars_1m from the recomputed bar_partials included
        for (const t of [TABLES.trades!, TABLES.bar_partials!])
          expect(tablePartitions(copy, t).flatMap((p) => readManifests(copy, t, p).filter((m) => m.visibleFromMs === undefined))).toEqual([]);
      }),
      { numRuns: 12 },
    );
  }, 300_000);

  it('after kill -9 between a copy and its visibility the view is exact, and the next run finishes the publication', async () => {
    // Prepare
    const copy = copyLake(f.lake);
    // Act: a child publishing that kills itself right after its second copy of a compacted trades file
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'helpers', 'compact-and-die.ts'), copy, String(LATER), '2', 'publish'],
      {
        encoding: 'utf8',
      },
    );
    const pending = () =>
      tablePartitions(copy, TABLES.trades!)
        .flatMap((p) => readManifests(copy, TABLES.trades!, p))
        .filter((m) => m.visibleFromMs === undefined);
    const pendingAfterKill = pending().length;
    // Readers use the runs' clock (dated ahead of the system's): a minute after the killed run's start, and after the reruns.
    const afterKill = await exactTrades(copy, TABLES.trades!, LATER + 60_000);
    const folderAfterKill = await listedTrades(copy);
    await compactLake({ lakeRoot: copy, nowMs: LATER + 3_600_000, publish: true });
    await compactLake({ lakeRoot: copy, nowMs: LATER + 7_200_000, publish: true });
    // Assess
    expect(child.signal, `the child ended otherwise: ${child.stderr}`).toBe('SIGKILL');
    expect(pendingAfterKill).toBeGreaterThanOrEqual(1); // two partitions run at once: the other may be between its copy and its visibility too
    expect(folderAfterKill.rows).toBeGreaterThan(f.before.trades!); // the copied file is in the folder beside the files it replaces
    expect(afterKill).toEqual({ rows: f.before.trades, keys: f.before.trade_keys });
    expect(pending()).toEqual([]);
    expect(await exactTrades(copy, TABLES.trades!, LATER + 7_260_000)).toEqual({ rows: f.before.trades, keys: f.before.trade_keys });
    expect(await listedTrades(copy)).toEqual({ rows: f.before.trades, keys: f.before.trade_keys }); // replaced files deleted after the grace period
    expect(await counts(copy)).toEqual(f.before);
  }, 120_000);

  it('after kill -9 between a bar_partials copy and its visibility, the trades hour waits for it: bars_1m counts each trade once', async () => {
    // Prepare
    const copy = copyLake(f.lake);
    const partials = TABLES.bar_partials!;
    // Act: a child publishing that kills itself right after its first copy of a derived (bar_partials) file
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'helpers', 'compact-and-die.ts'), copy, String(LATER), '1', 'publish', 'aggregate/bar_partials/'],
      { encoding: 'utf8' },
    );
    const pending = tablePartitions(copy, partials).filter((p) => readManifests(copy, partials, p).some((m) => m.visibleFromMs === undefined));
    // What the next run plans for those trades hours, whichever of the hour's two items (trades, bar_partials) goes first
    const run: CompactionRun = {
      runId: 'next-run',
      nowMs: LATER + 3_600_000,
      olderThanMs: 3_600_000,
      graceMs: 600_000,
      lakeRoot: `${copy}/`,
      maxConcurrency: 2,
      publish: true,
      tables: compactableTables().map((t) => t.name),
    };
    const planned = await Promise.all(
      pending.map(
        async (partition, index) =>
          (
            await planCompaction(
              new FileObjectStore(copy),
              compactableTables(),
              DUCKDB,
              { run, item: { index, table: 'trades', partition } },
              COMPACTION_DERIVATIONS,
            )
          ).action,
      ),
    );
    await compactLake({ lakeRoot: copy, nowMs: LATER + 3_600_000, publish: true });
    await compactLake({ lakeRoot: copy, nowMs: LATER + 7_200_000, publish: true });
    // Assess
    expect(child.signal, `the child ended otherwise: ${child.stderr}`).toBe('SIGKILL');
    expect(pending.length).toBeGreaterThanOrEqual(1);
    expect(planned).toEqual(pending.map(() => 'none')); // no second derivation beside the one being published
    expect(await counts(copy)).toEqual(f.before);
  }, 120_000);
});

describe('a partition of more files than one run merges', () => {
  const f = sharedSmallFileLake();

  it('is compacted to one file by one `compactLake`, each natural key once', async () => {
    // Prepare: one trades file put again under MAX_FILES_PER_MERGE + 10 other names (a producer retrying the same batch),
    // sorting after the stream's own files: the first run merges those, so bar_partials are recomputed over several runs
    const copy = copyLake(f.lake);
    const partition = tablePartitions(copy, TABLES.trades!)[1]!;
    const dir = join(copy, 'curated', 'trades', partition);
    const first = listPartition(dir)[0]!;
    for (let i = 0; i < MAX_FILES_PER_MERGE + 10; i++) copyFileSync(join(dir, first), join(dir, `zz-retried-${i}.parquet`));
    const inflated = await counts(copy);
    // Act
    const r = await compactLake({ lakeRoot: copy, nowMs: LATER });
    // Assess
    expect(inflated.trades).toBeGreaterThan(f.before.trades!);
    expect(r.duplicates).toBe(inflated.trades! - f.before.trades!);
    expect(await counts(copy)).toEqual(f.before);
    expect(partitionStats(copy, TABLES.trades!).find((p) => p.partition === partition)?.files).toBe(1); // live, as readers see it
  }, 120_000);
});

describe('the Athena rendering of the compaction statement', () => {
  it('unloads only the listed files of one partition, each natural key once, sorted by it', () => {
    // Prepare
    // Stream files are named <shard>-<first sequence number>-<last sequence number> (Kinesis sequence numbers have 56 digits).
    const seq = (i: number) => `4965${String(i).padStart(52, '0')}`;
    const names = Array.from({ length: MAX_FILES_PER_MERGE }, (_, i) => `shardId-000000000001-${seq(i)}-${seq(i + 1)}.parquet`);
    const folder = 's3://ticklake-production-lake-123456789012-ap-southeast-2/curated/trades/dt=2026-11-02/hour=07/';
    // Act
    const sql = compactionStatement(ATHENA, {
      table: TABLES.trades!,
      partition: 'dt=2026-11-02/hour=07',
      folder,
      names,
      output: 's3://lake/_compaction/runs/r/0/',
    });
    // Assess
    expect(sql).toMatch(/^UNLOAD \(SELECT "symbol", /);
    expect(sql).toContain(
      `WHERE dt = '2026-11-02' AND hour = 7 AND substr("$path", 1, ${folder.length}) = '${folder}' AND substr("$path", ${folder.length + 1}) IN ('${names[0]}'`,
    );
    expect(sql).toContain('row_number() OVER (PARTITION BY "symbol", "trade_id" ORDER BY ingest_time) AS copy_no');
    expect(sql).toContain(
      `WHERE copy_no = 1 ORDER BY "symbol", "trade_id") TO 's3://lake/_compaction/runs/r/0/' WITH (format = 'PARQUET', compression = 'SNAPPY')`,
    );
    expect(sql).not.toContain('partitioned_by');
    expect(Buffer.byteLength(sql)).toBeLessThan(262_144); // Athena's query string limit, with the most files a run merges
  });

  it('selects by path exactly the listed names in the folder: not in other folders, not in subfolders, not unlisted ones (DuckDB, property)', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    try {
      const segment = fc.stringMatching(/^[A-Za-z0-9=_.-]{1,12}$/);
      await fc.assert(
        fc.asyncProperty(
          fc.array(segment, { minLength: 1, maxLength: 3 }),
          fc.uniqueArray(segment, { minLength: 1, maxLength: 8 }),
          segment,
          async (dirs, names, other) => {
            // Prepare: paths in the folder, beside it, below it, with a longer folder name, and an unlisted name
            const folder = `s3://lake/${dirs.join('/')}/`;
            const listed = names.slice(0, Math.ceil(names.length / 2));
            const paths = [
              ...names.map((n) => `${folder}${n}`),
              ...names.map((n) => `${folder}${other}/${n}`),
              ...names.map((n) => `s3://lake/${other}/${n}`),
              ...names.map((n) => `${folder.slice(0, -1)}x/${n}`),
            ];
            // Act
            const values = paths.map((p) => `(${sqlString(p)})`).join(', ');
            const rows = await c.runAndReadAll(`SELECT p FROM (VALUES ${values}) AS t(p) WHERE ${listedFilesPredicate('p', folder, listed)} ORDER BY p`);
            // Assess
            const expected = paths.filter((p) => p.startsWith(folder) && listed.includes(p.slice(folder.length))).sort();
            expect(expected.length).toBeGreaterThanOrEqual(listed.length);
            expect(
              rows
                .getRows()
                .map((r) => String(r[0]))
                .sort(),
            ).toEqual(expected);
          },
        ),
        { numRuns: 100 },
      );
    } finally {
      c.closeSync();
      db.closeSync();
    }
  });
});

describe('a cloud plan of an hour at the deployed defaults (about 960 stream batches) and beyond', () => {
  /** Kinesis sequence numbers have 56 digits; a batch names its objects alike in every table. */
  const seq = (i: number) => `4965${String(i).padStart(52, '0')}`;
  const batch = (i: number) => `shardId-00000000000${i % 4}-${seq(i * 1000)}-${seq(i * 1000 + 999)}.parquet`;
  const run: CompactionRun = {
    runId: 'a2b3c4d5-e6f7-4901-a345-6789abcdef01',
    nowMs: Date.parse('2026-11-03T00:15:00Z'),
    olderThanMs: 3_600_000,
    graceMs: 2_700_000,
    lakeRoot: 's3://ticklake-production-lake-123456789012-ap-southeast-2/', // a long bucket name
    maxConcurrency: 4,
    publish: true,
    tables: compactableTables().map((t) => t.name),
  };
  const item = { index: 399, table: 'trades', partition: 'dt=2026-11-02/hour=07' };

  /** A plan's merge (else the test fails), with the lists of replaced files it names. */
  async function merged(store: MemoryObjectStore, at = item) {
    const work = await planCompaction(store, compactableTables(), ATHENA, { run, item: at }, COMPACTION_DERIVATIONS);
    if (work.action !== 'merge') throw new Error(`expected a merge, got ${work.action}`);
    return { work, replaced: await replacedFiles(store, work), derived: work.derived && (await replacedFiles(store, work.derived)) };
  }

  it('merges the whole hour in one run, with its bar_partials: the lists of replaced files stay out of the state', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    for (let i = 0; i < 960; i++) {
      await store.put(`curated/trades/${item.partition}/${batch(i)}`, Buffer.from('x'));
      await store.put(`aggregate/bar_partials/${item.partition}/${batch(i)}`, Buffer.from('x'));
    }
    // Act
    const { work, replaced, derived } = await merged(store);
    // Assess
    const state = Buffer.byteLength(JSON.stringify({ run, item, plan: work }));
    expect(state).toBeLessThan(256 * 1024); // what Step Functions passes between states
    expect(planBytes(work)).toBeLessThanOrEqual(MAX_PLAN_BYTES);
    expect(replaced).toEqual(Array.from({ length: 960 }, (_, i) => batch(i)).sort());
    expect([work.replacing, work.leftOver]).toEqual([960, 0]);
    expect(Buffer.byteLength(work.sql.compact)).toBeLessThan(262_144); // Athena's query string
    expect(derived).toEqual(replaced); // the merged batches' partials
    expect(work.replacedKey.startsWith(`_compaction/runs/${run.runId}/replaced/`)).toBe(true);
  });

  it('leaves what is over the most files a run merges to the next run', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    const n = MAX_FILES_PER_MERGE + 200;
    for (let i = 0; i < n; i++) await store.put(`curated/trades/${item.partition}/${batch(i)}`, Buffer.from('x'));
    // Act
    const { work, replaced } = await merged(store);
    // Assess
    expect([replaced.length, work.leftOver]).toEqual([MAX_FILES_PER_MERGE, 200]);
    expect(Buffer.byteLength(JSON.stringify({ run, item, plan: work }))).toBeLessThan(256 * 1024);
  });

  it("never splits a backfilled file's objects between a run and the next (its derived objects stand for all of them)", async () => {
    // Prepare: stream files sorting before a backfilled file of three objects, which the most files a run merges cuts
    const store = new MemoryObjectStore();
    const early = Array.from({ length: MAX_FILES_PER_MERGE - 2 }, (_, i) => `a-${String(i).padStart(5, '0')}.parquet`);
    const parts = [0, 1, 2].map((n) => `backfill-SOLUSDT-trades-2026-11-02-${n}.parquet`);
    for (const f of [...early, ...parts]) await store.put(`curated/trades/${item.partition}/${f}`, Buffer.from('x'));
    await store.put(`aggregate/bar_partials/${item.partition}/${parts[0]}`, Buffer.from('x'));
    // Act
    const { work, replaced, derived } = await merged(store);
    // Assess
    expect(replaced).toEqual(early);
    expect(work.leftOver).toBe(3);
    expect(derived).toEqual(early); // its partials stay until its trades are merged
  });

  it("merges as many files of very long names as Step Functions' state holds, and leaves the rest to the next run", async () => {
    // Prepare: names of 400 characters (the statement holds every name)
    const store = new MemoryObjectStore();
    const long = (i: number) => `${'x'.repeat(380)}-${String(i).padStart(5, '0')}.parquet`;
    for (let i = 0; i < 900; i++) await store.put(`curated/trades/${item.partition}/${long(i)}`, Buffer.from('x'));
    // Act
    const { work, replaced } = await merged(store);
    // Assess
    expect(planBytes(work)).toBeLessThanOrEqual(MAX_PLAN_BYTES);
    expect(replaced.length).toBeGreaterThan(300); // the budget is used, not a token merge
    expect(replaced.length).toBeLessThan(900);
    expect(work.leftOver).toBe(900 - replaced.length);
  });

  it("a plan made again after a file arrived names its own list: a statement is never paired with another plan's list", async () => {
    // Prepare
    const store = new MemoryObjectStore();
    for (let i = 0; i < 5; i++) await store.put(`curated/trades/${item.partition}/${batch(i)}`, Buffer.from('x'));
    const first = await merged(store);
    // Act: the same item planned again (a retried PlanPartition) once one more file is there
    await store.put(`curated/trades/${item.partition}/${batch(5)}`, Buffer.from('x'));
    const again = await merged(store);
    // Assess
    expect(again.work.replacedKey).not.toBe(first.work.replacedKey);
    expect(await replacedFiles(store, first.work)).toEqual(first.replaced); // the first plan's list as it was
    expect(again.replaced).toHaveLength(6);
    for (const [w, files] of [
      [first.work, first.replaced],
      [again.work, again.replaced],
    ] as const)
      for (const f of files) expect(w.sql.compact).toContain(`'${f}'`);
  });

  it("leaves the partials of a batch that landed while the hour was planned (its trades not listed) to the next run: bars_1m keeps that batch's trades", async () => {
    // Prepare: two batches; a third lands in both tables right after the plan lists the trades hour
    const store = new MemoryObjectStore();
    for (let i = 0; i < 2; i++)
      for (const table of ['curated/trades', 'aggregate/bar_partials']) await store.put(`${table}/${item.partition}/${batch(i)}`, Buffer.from('x'));
    const list = store.list.bind(store);
    let landed = false;
    store.list = async (prefix) => {
      const keys = await list(prefix);
      if (!landed && prefix === `curated/trades/${item.partition}/`) {
        landed = true;
        for (const table of ['curated/trades', 'aggregate/bar_partials']) await store.put(`${table}/${item.partition}/${batch(2)}`, Buffer.from('x'));
      }
      return keys;
    };
    // Act
    const { work, replaced, derived } = await merged(store);
    // Assess
    expect(landed).toBe(true);
    expect(replaced).toEqual([batch(0), batch(1)]);
    expect(derived).toEqual([batch(0), batch(1)]); // not batch 2's partials: the new generation does not hold its trades
    expect(work.leftOver).toBe(0);
  });

  it('leaves an hour a backfill is still publishing into to the next run, then merges it with all of its partials', async () => {
    // Prepare: a backfilled file staged as two trades objects and one bar_partials object of the hour
    const store = new MemoryObjectStore();
    const file: BackfillFile = {
      index: 0,
      key: 'ETHUSDT-trades-2026-11-02',
      symbol: 'ETHUSDT',
      sourceName: 'ETHUSDT-trades-2026-11-02.zip',
      linesLocation: '',
    };
    for (const [table, names] of [
      [TABLES.trades!, ['a.parquet', 'b.parquet']],
      [TABLES.bar_partials!, ['a.parquet']],
    ] as const)
      for (const n of names) await store.put(`${outputPrefix('bf-1', 0, table)}${item.partition}/${n}`, Buffer.from('x'));
    await store.put(`curated/trades/${item.partition}/${batch(0)}`, Buffer.from('x'));
    await store.put(`aggregate/bar_partials/${item.partition}/${batch(0)}`, Buffer.from('x'));
    const plan = () => planCompaction(store, compactableTables(), ATHENA, { run, item }, COMPACTION_DERIVATIONS);
    const copy = store.copy.bind(store);
    const during: string[] = [];
    store.copy = async (from, to) => {
      await copy(from, to);
      if (to.startsWith('curated/trades/')) during.push((await plan()).action); // after each trades object is in
    };
    // Act
    await publishFile(store, 'bf-1', file);
    const { work, replaced, derived } = await merged(store);
    // Assess
    expect(during).toEqual(['none', 'none']); // the second trades object and the partials were still to come
    expect(replaced).toEqual([`backfill-${file.key}-0.parquet`, `backfill-${file.key}-1.parquet`, batch(0)].sort());
    expect(derived).toEqual([`backfill-${file.key}-0.parquet`, batch(0)].sort());
    expect(work.leftOver).toBe(0);
  });

  it('merges all of a partition whose plan fits', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    for (let i = 0; i < 40; i++) await store.put(`curated/trades/${item.partition}/${batch(i)}`, Buffer.from('x'));
    // Act
    const work = await planCompaction(store, compactableTables(), ATHENA, { run, item }, COMPACTION_DERIVATIONS);
    // Assess
    expect(work.action === 'merge' && [work.replacing, work.leftOver]).toEqual([40, 0]);
  });
});
