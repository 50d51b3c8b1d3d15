/**
 * Compaction figures (`ticklake compact`): a day of two symbols' trades put
 * through the real stream handler in 1,000-record batches (the small files a
 * busy stream leaves), then compacted.
 *
 *   compaction_rows_per_s                rows of every table read, deduplicated and rewritten per second
 *   files_per_partition_after_compaction the most live files any closed partition of any table has after it
 *   query_speedup_after_compaction       a day-of-trades aggregate before / after (best of 5 each)
 *
 * And what the engine allows on this machine, measured on the same small files
 * with DuckDB alone (no state machine, no per-partition steps):
 *
 *   compaction_engine_ceiling_rows_per_s one sorted COPY per table over all of its files
 *   query_speedup_ceiling                the aggregate over the small files / over the day's rows in memory
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { TABLES } from '../src/catalog.js';
import { tablePrefix } from '../src/lake/layout.js';
import { compactableTables, compactLake, listPartition, tablePartitions } from '../src/local/compaction.js';
import { LakeSql } from '../src/local/lake-sql.js';
import { partitionStats } from '../src/local/lake-snapshot.js';
import { dataPaths, runPipeline } from '../src/local/pipeline.js';
import type { SourceRecord } from '../src/local/producer.js';
import { DUCKDB_PARQUET_OUT, naturalKeyColumns } from '../src/sql/compaction.js';
import { sqlString } from '../src/sql/dialect.js';
import { SYMBOL_PRESETS, simulateRecords } from '../src/sources/binance-trades/market.js';

const DAY_MS = 86_400_000;
/** Trades per second of the two symbols (about 1.3 M trades in the day). */
const RATES: Readonly<Record<string, number>> = { BTCUSDT: 10, ETHUSDT: 5 };
const AGGREGATE_OF = (rows: string) =>
  `SELECT symbol, count(*) AS trades, sum(quantity) AS volume, sum(quote_quantity) / sum(quantity) AS vwap, min(price), max(price) FROM ${rows} GROUP BY symbol ORDER BY symbol`;
const AGGREGATE = (dt: string) => AGGREGATE_OF(`trades WHERE dt = '${dt}'`);

export interface CompactionBench {
  readonly rowsPerSec: number;
  readonly rows: number;
  readonly filesIn: number;
  readonly seconds: number;
  readonly maxFilesPerPartition: number;
  readonly queryBeforeMs: number;
  readonly queryAfterMs: number;
  readonly ceiling: EngineCeiling;
}

/** What DuckDB alone does with the small files (the most any compaction on it could reach here). */
export interface EngineCeiling {
  readonly rows: number;
  /** Every column of every file decoded, nothing written. */
  readonly decodeSeconds: number;
  /** One `COPY (… ORDER BY <natural key>)` per table over all of its files, as compaction writes. */
  readonly rewriteSeconds: number;
  /** The day-of-trades aggregate over the day's rows in a DuckDB in-memory table (best of 5). */
  readonly aggregateInMemoryMs: number;
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await f();
  return (performance.now() - t) / 1000;
}

/** {@link EngineCeiling} of an uncompacted lake. */
async function engineCeiling(lake: string, dt: string, scratch: string): Promise<EngineCeiling> {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  try {
    let rows = 0;
    let decodeSeconds = 0;
    let rewriteSeconds = 0;
    for (const table of compactableTables()) {
      const root = join(lake, tablePrefix(table));
      const files = tablePartitions(lake, table).flatMap((p) => listPartition(join(root, p)).map((f) => join(root, p, f)));
      if (files.length === 0) continue;
      const from = `read_parquet([${files.map(sqlString).join(', ')}])`;
      rows += Number((await c.runAndReadAll(`SELECT count(*) FROM ${from}`)).getRows()[0]![0]);
      decodeSeconds += await timed(() => c.run(`SELECT sum(hash(COLUMNS(*))) FROM ${from}`));
      const out = sqlString(join(scratch, `${table.name}.parquet`));
      rewriteSeconds += await timed(() =>
        c.run(`COPY (SELECT * FROM ${from} ORDER BY ${naturalKeyColumns(table).join(', ')}) TO ${out} (${DUCKDB_PARQUET_OUT})`),
      );
    }
    await c.run(
      `CREATE TABLE day AS SELECT * FROM read_parquet(${sqlString(join(scratch, 'trades.parquet'))}) WHERE trade_time >= TIMESTAMP '${dt}' AND trade_time < TIMESTAMP '${dt}' + INTERVAL 1 DAY`,
    );
    const inMemory = await bestMs(async () => {
      await c.run(AGGREGATE_OF('day'));
      return '';
    });
    return { rows, decodeSeconds, rewriteSeconds, aggregateInMemoryMs: inMemory.ms };
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

/** The best time of `rounds` runs of a query after a warm-up run, and its last result. */
async function bestMs(query: () => Promise<string>, rounds = 5): Promise<{ ms: number; result: string }> {
  let ms = Infinity;
  let result = '';
  for (let r = 0; r <= rounds; r++) {
    const t = performance.now();
    result = await query();
    if (r > 0) ms = Math.min(ms, performance.now() - t); // round 0 warms the file cache
  }
  return { ms, result };
}

/** The aggregate through the lake's views, its sums to 9 significant digits (their last bits follow the order rows are read in). */
const lakeAggregate = (sql: LakeSql, dt: string) => async () =>
  JSON.stringify((await sql.query(AGGREGATE(dt))).rows, (_k, v) => (typeof v === 'number' ? Number(v.toPrecision(9)) : v));

export async function benchCompaction(log: (line: string) => void = () => undefined): Promise<CompactionBench> {
  const dir = mkdtempSync(join(tmpdir(), 'ticklake-bench-compaction-'));
  try {
    const startMs = Math.floor(Date.now() / DAY_MS) * DAY_MS - 3 * DAY_MS;
    const dt = new Date(startMs).toISOString().slice(0, 10);
    const symbols = Object.entries(RATES).map(([s, rate]) => ({ ...SYMBOL_PRESETS[s]!, meanRatePerSec: rate }));
    log('  compaction: a day of trades through the stream handler in 1,000-record batches ...');
    await runPipeline({
      dataDir: dir,
      jobId: 'day',
      source: function* () {
        let batch: SourceRecord[] = [];
        for (const r of simulateRecords({ format: 'jsonl', symbols, minutes: 1440, seed: 5, startTimeMs: startMs })) {
          batch.push({ partitionKey: r.partitionKey, payload: r.payload });
          if (batch.length === 5_000) {
            yield batch;
            batch = [];
          }
        }
        if (batch.length > 0) yield batch;
      },
      eventSource: { batchSize: 1_000, maximumBatchingWindowMs: 0 },
    });
    const lake = dataPaths(dir).lake;
    const sql = await LakeSql.open(lake);
    const before = await bestMs(lakeAggregate(sql, dt));
    const scratch = join(dir, 'ceiling');
    mkdirSync(scratch);
    const ceiling = await engineCeiling(lake, dt, scratch);
    rmSync(scratch, { recursive: true });
    // Two hours ahead: every partition is closed, also raw_events' and quarantine's (partitioned by arrival, i.e. now).
    const r = await compactLake({ lakeRoot: lake, nowMs: Date.now() + 2 * 3_600_000 });
    const after = await bestMs(lakeAggregate(sql, dt));
    sql.close();
    if (after.result !== before.result) throw new Error(`the aggregate changed with compaction: ${before.result} -> ${after.result}`);
    const maxFilesPerPartition = Math.max(...compactableTables().flatMap((t) => partitionStats(lake, TABLES[t.name]!).map((p) => p.files)));
    return {
      rowsPerSec: r.rows / r.seconds,
      rows: r.rows,
      filesIn: r.filesIn,
      seconds: r.seconds,
      maxFilesPerPartition,
      queryBeforeMs: before.ms,
      queryAfterMs: after.ms,
      ceiling,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
