/**
 * Compaction of a real local lake (the pipeline's own small files, DuckDB):
 * readers stay exact during it and after a crash in the middle of it, and
 * re-put records are held once per natural key afterwards.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compactLake, listPartition, tablePartitions } from '../src/local/compaction.js';
import { LakeSql } from '../src/local/lake-sql.js';
import { dataPaths, runPipeline } from '../src/local/pipeline.js';
import { simulatorSource } from '../src/local/sources.js';
import type { SourceRecord } from '../src/local/producer.js';
import { SYMBOL_PRESETS, simulateRecords } from '../src/sources/binance-trades/market.js';
import { TABLES } from '../src/catalog.js';
import { SOURCES } from '../src/sources/index.js';
import { tempDir } from './helpers/lake-files.js';

const HOUR = 3_600_000;
const START_MS = Math.floor(Date.now() / HOUR) * HOUR - 4 * HOUR;
const LATER = START_MS + 8 * HOUR;
const COUNTS = `SELECT
  (SELECT count(*) FROM trades) AS trades,
  (SELECT count(DISTINCT (symbol, trade_id)) FROM trades) AS trade_keys,
  (SELECT sum(quantity) FROM trades) AS quantity,
  (SELECT count(*) FROM raw_events) AS raw,
  (SELECT count(*) FROM stock_ticks) AS ticks,
  (SELECT count(*) FROM bars_1m) AS bars`;

/** A lake written by the pipeline in small batches: many files per hour partition. `times` puts every record that many times. */
async function smallFileLake(times = 1): Promise<string> {
  const dir = tempDir();
  const options = { minutes: 150, seed: 3, startTimeMs: START_MS, malformedShare: 0.002, extra: {} };
  // Trades at a few per second (the presets trade 60-120 per second: more than this test needs).
  const trades = function* () {
    let batch: SourceRecord[] = [];
    const symbols = [
      { ...SYMBOL_PRESETS.BTCUSDT!, meanRatePerSec: 3 },
      { ...SYMBOL_PRESETS.ETHUSDT!, meanRatePerSec: 2 },
    ];
    for (const r of simulateRecords({ format: 'jsonl', symbols, minutes: options.minutes, seed: 3, startTimeMs: START_MS, malformedShare: 0.002 })) {
      batch.push({ partitionKey: r.partitionKey, payload: r.payload });
      if (batch.length === 1000) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  };
  const stockTicks = SOURCES.filter((s) => s.id === 'stock-ticks');
  for (let i = 0; i < times; i++) {
    for (const [job, source] of [
      ['trades', trades],
      ['ticks', () => simulatorSource(stockTicks, options)],
    ] as const) {
      await runPipeline({ dataDir: dir, jobId: `${job}-${i}`, source, workers: 0, eventSource: { batchSize: 200, maximumBatchingWindowMs: 0 } });
    }
  }
  return dataPaths(dir).lake;
}

/** The counts, and the quantity total to 9 significant digits (a sum's last bits follow the order rows are read in). */
async function counts(lake: string): Promise<Record<string, number>> {
  const sql = await LakeSql.open(lake);
  try {
    const r = await sql.query(COUNTS);
    return Object.fromEntries(r.columns.map((c, i) => [c, c === 'quantity' ? Number(Number(r.rows[0]![i]).toPrecision(9)) : Number(r.rows[0]![i])]));
  } finally {
    sql.close();
  }
}

/** Files per partition of a table, as the folders hold them (all files, live or not). */
function filesPerPartition(lake: string, table: string): number[] {
  return tablePartitions(lake, TABLES[table]!).map((p) => listPartition(join(lake, TABLES[table]!.zone, table, p)).length);
}

describe('compaction of a local lake', () => {
  let lake: string;
  let before: Record<string, number>;

  beforeAll(async () => {
    lake = await smallFileLake();
    before = await counts(lake);
  }, 120_000);

  it('leaves one file per closed partition and every count as it was, for a reader open throughout', async () => {
    // Prepare: one session open before, during and after, as the dashboard's
    const sql = await LakeSql.open(lake);
    const seen: number[] = [];
    const read = async () => {
      const r = await sql.query('SELECT count(*), sum(quantity) FROM trades');
      seen.push(Number(r.rows[0]![0]));
      expect(Number(Number(r.rows[0]![1]).toPrecision(9))).toBe(before.quantity);
    };
    const copy = tempDir();
    spawnSync('cp', ['-r', lake, copy]);
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
    expect(before.trades).toBeGreaterThan(1000);
    expect(filesPerPartition(lake, 'trades').some((n) => n > 10)).toBe(true);
    expect(r.partitions).toBeGreaterThan(5);
    expect(seen.every((n) => n === before.trades)).toBe(true);
    expect(afterCommit).toEqual(before);
    expect(afterDelete).toEqual(before);
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
    spawnSync('cp', ['-r', lake, copy]);
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
    await expect(failed).rejects.toThrow('disk full');
    const afterCrash = await counts(lakeCopy);
    const rerun = await compactLake({ lakeRoot: lakeCopy, nowMs: LATER + 3_600_000 });
    const cleanup = await compactLake({ lakeRoot: lakeCopy, nowMs: LATER + 7_200_000 });
    // Assess
    expect(afterCrash).toEqual(before);
    expect(rerun.partitions).toBeGreaterThan(0);
    expect(await counts(lakeCopy)).toEqual(before);
    expect(cleanup.partitions).toBe(0);
    expect(filesPerPartition(lakeCopy, 'trades').every((x) => x === 1)).toBe(true);
  }, 120_000);

  it('after kill -9 in the middle the table is exact, and a rerun finishes', async () => {
    // Prepare
    const copy = tempDir();
    spawnSync('cp', ['-r', lake, copy]);
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
    expect(child.signal).toBe('SIGKILL');
    expect(committedBeforeKill).toBeGreaterThan(0);
    expect(afterKill).toEqual(before);
    expect(await counts(lakeCopy)).toEqual(before);
    expect(filesPerPartition(lakeCopy, 'trades').every((x) => x === 1)).toBe(true);
    expect(existsSync(join(lakeCopy, '_compaction'))).toBe(true);
  }, 120_000);
});

describe('compaction after records were put twice', () => {
  it('holds each natural key once', async () => {
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
  }, 180_000);
});
