/** A local lake of many small files per hour partition, written by the pipeline, and the counts a reader sees of it (compaction tests). */
import { beforeAll } from 'vitest';
import { LakeSql } from '../../src/local/lake-sql.js';
import { dataPaths, runPipeline } from '../../src/local/pipeline.js';
import type { SourceRecord } from '../../src/local/producer.js';
import { simulatorSource } from '../../src/local/sources.js';
import { SYMBOL_PRESETS, simulateRecords } from '../../src/sources/binance-trades/market.js';
import { SOURCES } from '../../src/sources/index.js';
import { tempDir } from './lake-files.js';

export const HOUR = 3_600_000;
export const START_MS = Math.floor(Date.now() / HOUR) * HOUR - 4 * HOUR;
export const LATER = START_MS + 8 * HOUR;
const COUNTS = `SELECT
  (SELECT count(*) FROM trades) AS trades,
  (SELECT count(DISTINCT (symbol, trade_id)) FROM trades) AS trade_keys,
  (SELECT sum(quantity) FROM trades) AS quantity,
  (SELECT count(*) FROM raw_events) AS raw,
  (SELECT count(*) FROM stock_ticks) AS ticks,
  (SELECT count(*) FROM bars_1m) AS bars,
  (SELECT sum(volume) FROM bars_1m) AS bar_volume,
  (SELECT sum(trade_count) FROM bars_1m) AS bar_trades`;

/** A lake written by the pipeline in small batches: many files per hour partition. `times` puts every record that many times. */
export async function smallFileLake(times = 1): Promise<string> {
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
export async function counts(lake: string): Promise<Record<string, number>> {
  const sql = await LakeSql.open(lake);
  try {
    const r = await sql.query(COUNTS);
    return Object.fromEntries(
      r.columns.map((c, i) => [c, c === 'quantity' || c === 'bar_volume' ? Number(Number(r.rows[0]![i]).toPrecision(9)) : Number(r.rows[0]![i])]),
    );
  } finally {
    sql.close();
  }
}

/** One {@link smallFileLake} for a test file's tests (made before them), and its counts then. */
export function sharedSmallFileLake(): { readonly lake: string; readonly before: Record<string, number> } {
  const fixture = { lake: '', before: {} as Record<string, number> };
  beforeAll(async () => {
    fixture.lake = await smallFileLake();
    fixture.before = await counts(fixture.lake);
  }, 120_000);
  return fixture;
}
