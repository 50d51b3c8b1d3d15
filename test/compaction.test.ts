/**
 * Compaction of a real local lake (the pipeline's own small files, DuckDB):
 * readers stay exact during it and after a crash in the middle of it, and
 * re-put records are held once per natural key afterwards.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compactLake, listPartition, tablePartitions } from '../src/local/compaction.js';
import { LakeSql } from '../src/local/lake-sql.js';
import { TABLES } from '../src/catalog.js';
import { counts, LATER, sharedSmallFileLake, smallFileLake } from './helpers/compaction-lake.js';
import { tempDir } from './helpers/lake-files.js';

/** Files per partition of a table, as the folders hold them (all files, live or not). */
function filesPerPartition(lake: string, table: string): number[] {
  return tablePartitions(lake, TABLES[table]!).map((p) => listPartition(join(lake, TABLES[table]!.zone, table, p)).length);
}

describe('compaction of a local lake', () => {
  const f = sharedSmallFileLake();

  it('leaves one file per closed partition and every count as it was, for a reader open throughout', async () => {
    // Prepare: one session open before, during and after, as the dashboard's
    const sql = await LakeSql.open(f.lake);
    const seen: number[] = [];
    const read = async () => {
      const r = await sql.query('SELECT count(*), sum(quantity) FROM trades');
      seen.push(Number(r.rows[0]![0]));
      expect(Number(Number(r.rows[0]![1]).toPrecision(9))).toBe(f.before.quantity);
    };
    const copy = tempDir();
    spawnSync('cp', ['-r', f.lake, copy]);
    const lakeCopy = join(copy, 'lake');
    // Act: reads between the manifest and the commit of every partition, and after each step
    const sqlCopy = await LakeSql.open(lakeCopy);
    const r = await compactLake({
      lakeRoot: lakeCopy,
      nowMs: LATER,
      afterManifest: async () => {
        const x = await sqlCopy.query('SELECT count(*) FROM trades');
        seen.push(Number(x.rows[0]![0]));
      },
    });
    const afterCommit = await counts(lakeCopy);
    const deleting = await compactLake({ lakeRoot: lakeCopy, nowMs: LATER + 3_600_000 });
    const afterDelete = await counts(lakeCopy);
    await read();
    sqlCopy.close();
    sql.close();
    // Assess
    expect(f.before.trades).toBeGreaterThan(1000);
    expect(filesPerPartition(f.lake, 'trades').some((n) => n > 10)).toBe(true);
    expect(r.partitions).toBeGreaterThan(5);
    expect(seen.every((n) => n === f.before.trades)).toBe(true);
    expect(afterCommit).toEqual(f.before);
    expect(afterDelete).toEqual(f.before);
    expect(deleting.deleted).toBe(r.filesIn);
    for (const t of ['trades', 'raw_events', 'bar_partials', 'stock_ticks'])
      expect(
        filesPerPartition(lakeCopy, t).every((n) => n === 1),
        t,
      ).toBe(true);
  }, 120_000);

  it('after an error between manifest and commit the table is exact, and a rerun finishes', async () => {
    // Prepare
    const copy = tempDir();
    spawnSync('cp', ['-r', f.lake, copy]);
    const lakeCopy = join(copy, 'lake');
    let n = 0;
    // Act
    const failed = compactLake({
      lakeRoot: lakeCopy,
      nowMs: LATER,
      afterManifest: () => {
        if (++n === 3) throw new Error('disk full');
      },
    });
    const failedRun = await failed;
    const afterCrash = await counts(lakeCopy);
    const rerun = await compactLake({ lakeRoot: lakeCopy, nowMs: LATER + 3_600_000 });
    const cleanup = await compactLake({ lakeRoot: lakeCopy, nowMs: LATER + 7_200_000 });
    // Assess
    expect(failedRun.failed.map((x) => x.reason)).toEqual(['disk full']); // the third partition committed, whichever it is
    expect(failedRun.partitions).toBeGreaterThan(0); // the other partitions were compacted
    expect(afterCrash).toEqual(f.before);
    expect(rerun.partitions).toBeGreaterThan(0);
    expect(await counts(lakeCopy)).toEqual(f.before);
    expect(cleanup.partitions).toBe(0);
    expect(filesPerPartition(lakeCopy, 'trades').every((x) => x === 1)).toBe(true);
  }, 120_000);

  it('after kill -9 in the middle the table is exact, and a rerun finishes', async () => {
    // Prepare
    const copy = tempDir();
    spawnSync('cp', ['-r', f.lake, copy]);
    const lakeCopy = join(copy, 'lake');
    // Act: a child compacting that kills itself between a manifest and its commit
    const child = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'helpers', 'compact-and-die.ts'), lakeCopy, String(LATER), '4'], {
      encoding: 'utf8',
    });
    const afterKill = await counts(lakeCopy);
    const committedBeforeKill = readdirSync(join(lakeCopy, 'curated', 'trades'), { recursive: true }).filter((f) => String(f).includes('_compacted')).length;
    await compactLake({ lakeRoot: lakeCopy, nowMs: LATER + 3_600_000 });
    await compactLake({ lakeRoot: lakeCopy, nowMs: LATER + 7_200_000 });
    // Assess
    expect(child.signal, `the child ended otherwise: ${child.stderr}`).toBe('SIGKILL');
    expect(committedBeforeKill).toBeGreaterThan(0);
    expect(afterKill).toEqual(f.before);
    expect(await counts(lakeCopy)).toEqual(f.before);
    expect(filesPerPartition(lakeCopy, 'trades').every((x) => x === 1)).toBe(true);
    expect(existsSync(join(lakeCopy, '_compaction'))).toBe(true);
  }, 120_000);
});

describe('compaction after records were put twice', () => {
  it('holds each natural key once, and minute bars count each trade once', async () => {
    // Prepare: every record on the stream twice (a producer that retried whole puts)
    const lake = await smallFileLake(2);
    const twice = await counts(lake);
    // Act
    const r = await compactLake({ lakeRoot: lake, nowMs: LATER });
    const after = await counts(lake);
    // Assess
    expect(twice.trades).toBe(2 * twice.trade_keys!);
    expect(r.duplicates).toBeGreaterThan(0);
    expect(after.trades).toBe(twice.trade_keys);
    expect(after.trade_keys).toBe(twice.trade_keys);
    expect(after.ticks).toBe(twice.ticks! / 2);
    // bars_1m merges bar_partials, one per batch: a record put twice counted twice until its hour is compacted, once after
    expect(twice.bar_trades).toBe(twice.trades);
    expect(after.bar_trades).toBe(after.trades);
    expect(after.bar_volume).toBe(after.quantity);
  }, 180_000);
});
