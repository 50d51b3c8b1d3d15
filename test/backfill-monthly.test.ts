import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BackfillFile, type BackfillRun, filePieces, fileStatements } from '../src/backfill/plan.js';
import { type SplitPiece, splitByDay } from '../src/backfill/split.js';
import { hourPartition, partitionPath } from '../src/core/time.js';
import { backfill } from '../src/local/backfill.js';
import { readLines, withTradeFileText, writeSimulatedFile } from '../src/local/trade-files.js';
import { isCsvHeader, parseCsvTrade } from '../src/sources/binance-trades/binance.js';
import { SYMBOL_PRESETS } from '../src/sources/binance-trades/market.js';
import { ATHENA } from '../src/sql/dialect.js';
import { parquetFiles, tempDir, withLake } from './helpers/lake-files.js';

// A monthly Binance archive (January 2024: 744 hours, times in ms), thin enough to stay small.
const NOW_MS = Date.UTC(2026, 10, 22);
const ctx = { nowUs: NOW_MS * 1000 };
let zip: string;
/** The file's lines (1-based line number, text), and which of them are valid trades. */
const lines: { no: number; text: string }[] = [];
let validHours: Set<string>;
let valid = 0;
let bad: number[];

beforeAll(async () => {
  const written = await writeSimulatedFile({
    out: join(tempDir(), 'BTCUSDT-trades-2024-01.zip'),
    format: 'csv',
    symbols: [{ ...SYMBOL_PRESETS.BTCUSDT!, meanRatePerSec: 0.02 }],
    minutes: 31 * 1440,
    seed: 2024,
    startTimeMs: Date.UTC(2024, 0, 1),
    malformedShare: 0.003,
  });
  zip = written.files[0]!.path;
  validHours = new Set();
  bad = [];
  for await (const text of readLines(zip)) lines.push({ no: lines.length + 1, text });
  for (const { no, text } of lines) {
    if (isCsvHeader(text)) continue;
    const r = parseCsvTrade(text, 'BTCUSDT', ctx);
    if (r.ok) {
      valid++;
      validHours.add(partitionPath(hourPartition(r.trade.tradeTimeUs)));
    } else bad.push(no);
  }
}, 120_000);

async function count(lake: string, sql: string): Promise<number> {
  const r = await withLake(lake, (db) => db.query(sql));
  return Number(r.rows[0]![0]);
}

describe('a monthly archive (31 days) backfills in one run, split by UTC day', () => {
  it('spans more hours than one Athena UNLOAD may write, and has bad lines', () => {
    // Assess: the premise of the other tests
    expect(validHours.size).toBe(744);
    expect(valid).toBeGreaterThan(40_000);
    expect(bad.length).toBeGreaterThan(50);
  });

  it('loads every valid trade once through the state machine, the bad lines into quarantine with their line numbers, and a rerun does not double', async () => {
    // Prepare
    const lake = tempDir();
    // Act
    const t0 = performance.now();
    const first = await backfill({ input: zip, lakeRoot: lake, nowMs: NOW_MS });
    const firstS = (performance.now() - t0) / 1000;
    const filesAfterFirst = parquetFiles(lake).length;
    const second = await backfill({ input: zip, lakeRoot: lake, nowMs: NOW_MS });
    // Assess
    console.info(`31-day backfill: ${first.lines} lines, ${first.trades} trades, ${first.quarantined} quarantined, ${firstS.toFixed(1)} s`);
    for (const s of [first, second]) {
      expect(s.files).toHaveLength(1);
      expect(s.trades).toBe(valid);
      expect(s.quarantined).toBe(bad.length);
    }
    expect(parquetFiles(lake).length).toBe(filesAfterFirst);
    expect(await count(lake, 'SELECT count(*) FROM trades')).toBe(valid);
    expect(await count(lake, 'SELECT count(DISTINCT trade_id) FROM trades')).toBe(valid);
    expect(await count(lake, "SELECT count(DISTINCT strftime(trade_time, '%Y-%m-%d %H')) FROM trades")).toBe(744);
    expect(await count(lake, 'SELECT count(*) FROM quarantine')).toBe(bad.length);
    const seq = await withLake(lake, (db) => db.query('SELECT CAST(sequence_number AS BIGINT) FROM quarantine ORDER BY 1'));
    expect(seq.rows.map((r) => Number(r[0]))).toEqual(bad);
    // One partial per minute with trades: each minute lies in one day's piece.
    expect(await count(lake, 'SELECT count(*) FROM bar_partials')).toBe(await count(lake, 'SELECT count(*) FROM bars_1m'));
  }, 300_000);

  it("stages one piece per day, and each piece's Athena statements write at most 24 partitions (UNLOAD allows 100)", async () => {
    // Prepare: the stage steps' split, into memory
    const texts: string[] = [];
    const pieces: SplitPiece[] = await withTradeFileText(zip, (text) =>
      splitByDay(text, ctx.nowUs, (piece) => {
        const chunks: Buffer[] = [];
        return {
          write: (c) => {
            chunks.push(Buffer.from(c));
          },
          end: async () => {
            texts[piece] = Buffer.concat(chunks).toString('latin1');
          },
        };
      }),
    );
    const file: BackfillFile = { index: 0, key: 'BTCUSDT-trades-2024-01', symbol: 'BTCUSDT', sourceName: 'BTCUSDT-trades-2024-01.zip', linesLocation: '' };
    const run: BackfillRun = { runId: 'exec-31', processingTimeUs: ctx.nowUs, lakeRoot: 's3://lake/', maxConcurrency: 4 };
    // Act
    const staged = filePieces([{ file, pieces }], (_f, i) => `s3://lake/_backfill/runs/exec-31/lines/${i}/`);
    const rendered = staged.map((p) => fileStatements(ATHENA, run, p));
    // Assess
    expect(staged.map((p) => p.day)).toEqual(Array.from({ length: 31 }, (_, d) => `2024-01-${String(d + 1).padStart(2, '0')}`));
    expect(texts.join('')).toBe(lines.map((l) => `${l.text}\n`).join(''));
    const now = ATHENA.timestampLiteral(ctx.nowUs);
    for (const [i, piece] of staged.entries()) {
      const sql = rendered[i]!;
      for (const unload of [sql.trades, sql.quarantine, sql.barPartials]) expect(unload).toMatch(/^UNLOAD .* partitioned_by = ARRAY\['dt', 'hour'\]\)$/s);
      // trades and bar_partials are partitioned by trade time: the hours of the piece's valid trades, all in its day.
      const hours = new Set<string>();
      for (const text of texts[i]!.split('\n')) {
        const r = parseCsvTrade(text, 'BTCUSDT', ctx);
        if (r.ok) hours.add(partitionPath(hourPartition(r.trade.tradeTimeUs)));
      }
      expect(hours.size).toBeLessThanOrEqual(24);
      expect([...hours].every((h) => h.startsWith(`dt=${piece.day}/`))).toBe(true);
      expect(sql.trades).toContain(`CAST(hour(${ATHENA.timestampFromMicros('time_us')}) AS INTEGER) AS hour`);
      // quarantine is partitioned by the processing clock, a constant: one partition.
      expect(sql.quarantine).toContain(`substr(CAST(${now} AS VARCHAR), 1, 10) AS dt`);
      expect(sql.quarantine).toContain(`CAST(hour(${now}) AS INTEGER) AS hour`);
      // Quarantine line numbers continue the file's.
      expect(sql.quarantine).toContain(i === 0 ? 'CAST(line_no AS VARCHAR)' : `CAST(line_no + ${piece.lineOffset} AS VARCHAR)`);
    }
    expect(staged.reduce((a, _p, i) => a + texts[i]!.split('\n').filter((t) => parseCsvTrade(t, 'BTCUSDT', ctx).ok).length, 0)).toBe(valid);
  });
});
