import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCsvHeader, parseCsvTrade } from '../src/sources/binance-trades/binance.js';
import { BACKFILL_MARKERS_PREFIX } from '../src/lake/layout.js';
import { backfill } from '../src/local/backfill.js';
import { compactLake } from '../src/local/compaction.js';
import { runPipeline } from '../src/local/pipeline.js';
import { fileSource } from '../src/local/sources.js';
import { writeSimulatedFile } from '../src/local/trade-files.js';
import { tempDir, withLake } from './helpers/lake-files.js';

const NOW = Date.UTC(2026, 10, 22);

async function simulatedCsv(opts: {
  minutes: number;
  seed: number;
  malformedShare?: number;
  timeUnit?: 'ms' | 'us';
  header?: boolean;
  zip?: boolean;
  startTimeMs?: number;
}) {
  const dir = tempDir();
  const res = await writeSimulatedFile({ out: dir, format: 'csv', symbols: ['BTCUSDT'], ...opts });
  return res.files[0]!.path;
}

async function rows(lake: string, sql: string) {
  const r = await withLake(lake, (db) => db.query(sql));
  return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i]])));
}

describe('backfill (DuckDB running the shared backfill SQL)', () => {
  it('classifies every line exactly as the stream parser does', async () => {
    // Prepare: 5% malformed lines of every CSV kind
    const file = await simulatedCsv({ minutes: 4, seed: 21, malformedShare: 0.05 });
    const lines = readFileSync(file, 'utf8').split('\n').slice(0, -1);
    const expected = lines
      .map((l, i) => ({ line_no: i + 1, r: isCsvHeader(l) ? undefined : parseCsvTrade(l, 'BTCUSDT', { nowUs: NOW * 1000 }) }))
      .filter((x) => x.r);
    const lake = tempDir();
    // Act
    const summary = await backfill({ input: file, lakeRoot: lake, nowMs: NOW });
    // Assess
    const bad = expected.filter((e) => !e.r!.ok);
    expect(bad.length).toBeGreaterThan(10);
    expect(summary.trades).toBe(expected.length - bad.length);
    const q = await rows(lake, 'SELECT CAST(sequence_number AS INTEGER) AS line_no, reason_code, raw_payload FROM quarantine ORDER BY 1');
    expect(q.map((r) => [r.line_no, r.reason_code])).toEqual(bad.map((e) => [e.line_no, e.r!.ok ? '' : e.r!.rejection.code]));
    expect(q.map((r) => r.raw_payload)).toEqual(bad.map((e) => lines[e.line_no - 1]));
    const t = await rows(lake, 'SELECT count(*) AS n, count(DISTINCT trade_id) AS d, sum(price) AS p FROM trades');
    const sumPrice = expected.reduce((a, e) => a + (e.r!.ok ? e.r!.trade.price : 0), 0);
    expect(t[0]!.n).toBe(summary.trades);
    expect(t[0]!.d).toBe(summary.trades);
    expect(Math.abs(Number(t[0]!.p) - sumPrice)).toBeLessThan(1e-6 * sumPrice);
  });

  it('reads millisecond files without header and microsecond files with header, .csv or .zip, to the same trades', async () => {
    // Prepare: the same market (2024, so both units are realistic) written four ways
    const start = Date.UTC(2024, 5, 3);
    const files = await Promise.all([
      simulatedCsv({ minutes: 3, seed: 8, timeUnit: 'ms', header: false, startTimeMs: start }),
      simulatedCsv({ minutes: 3, seed: 8, timeUnit: 'ms', header: true, startTimeMs: start }),
      simulatedCsv({ minutes: 3, seed: 8, timeUnit: 'us', header: true, startTimeMs: start }),
      simulatedCsv({ minutes: 3, seed: 8, timeUnit: 'us', header: false, zip: true, startTimeMs: start }),
    ]);
    // Act
    const results = [];
    for (const f of files) {
      const lake = tempDir();
      await backfill({ input: f, lakeRoot: lake, nowMs: NOW });
      results.push(await rows(lake, 'SELECT trade_id, price, quantity, epoch_ms(trade_time) AS ms, is_buyer_maker FROM trades ORDER BY trade_id'));
    }
    // Assess: ms files keep ms precision; compare at ms
    expect(results[0]!.length).toBeGreaterThan(100);
    for (const r of results.slice(1)) expect(r).toEqual(results[0]);
  });

  it('is idempotent: backfilling the same file again leaves one copy of every row', async () => {
    // Prepare
    const file = await simulatedCsv({ minutes: 2, seed: 4, malformedShare: 0.02 });
    const lake = tempDir();
    await backfill({ input: file, lakeRoot: lake, nowMs: NOW });
    const once = await rows(
      lake,
      'SELECT (SELECT count(*) FROM trades) AS t, (SELECT count(*) FROM quarantine) AS q, (SELECT count(*) FROM bar_partials) AS p',
    );
    // Act
    await backfill({ input: file, lakeRoot: lake, nowMs: NOW });
    // Assess
    expect(
      await rows(lake, 'SELECT (SELECT count(*) FROM trades) AS t, (SELECT count(*) FROM quarantine) AS q, (SELECT count(*) FROM bar_partials) AS p'),
    ).toEqual(once);
  });

  it('gives the same minute bars as streaming the same file through the handler', async () => {
    // Prepare
    const file = await simulatedCsv({ minutes: 6, seed: 31, malformedShare: 0.01 });
    const batchLake = tempDir();
    const streamDir = tempDir();
    // Act
    await backfill({ input: file, lakeRoot: batchLake, nowMs: NOW });
    await runPipeline({
      dataDir: streamDir,
      jobId: 'bars-eq',
      source: () => fileSource(file),
      shards: 3,
      workers: 0,
      eventSource: { batchSize: 400, maximumBatchingWindowMs: 0 },
    });
    // Assess
    const sql = 'SELECT symbol, minute_start, open, high, low, close, trade_count, vwap, avg_price, volume FROM bars_1m ORDER BY 1, 2';
    const batch = await rows(batchLake, sql);
    const stream = await rows(join(streamDir, 'lake'), sql);
    expect(batch.length).toBe(6);
    expect(stream.length).toBe(batch.length);
    for (let i = 0; i < batch.length; i++) {
      for (const k of ['symbol', 'minute_start', 'open', 'high', 'low', 'close', 'trade_count']) expect(stream[i]![k]).toEqual(batch[i]![k]);
      for (const k of ['vwap', 'avg_price', 'volume']) expect(Math.abs(Number(stream[i]![k]) - Number(batch[i]![k]))).toBeLessThan(1e-9 * Number(batch[i]![k]));
    }
  }, 60_000);

  it('names the symbol problem before doing any work', async () => {
    // Prepare
    const dir = tempDir();
    const f = join(dir, 'trades.csv');
    writeFileSync(f, '1,1.0,1.0,1.0,1700000000000,True,True\n');
    // Act
    const attempt = backfill({ input: f, lakeRoot: tempDir() });
    // Assess
    await expect(attempt).rejects.toThrow(/cannot tell the symbol/);
  });
});

describe('compaction of hours a backfill publishes into', () => {
  it('waits, and says why, while a publication is unfinished; compacts them exactly once it is done', async () => {
    // Prepare: a backfilled hour whose publication marker says it was interrupted (pending)
    const file = await simulatedCsv({ minutes: 30, seed: 8, startTimeMs: Date.UTC(2026, 10, 20, 7) });
    const lake = tempDir();
    await backfill({ input: file, lakeRoot: lake, nowMs: NOW });
    const markers = readdirSync(join(lake, BACKFILL_MARKERS_PREFIX));
    expect(markers).toHaveLength(1);
    const markerPath = join(lake, BACKFILL_MARKERS_PREFIX, markers[0]!);
    const marker = JSON.parse(readFileSync(markerPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(markerPath, JSON.stringify({ ...marker, pending: true }));
    const before = await rows(lake, 'SELECT (SELECT count(*) FROM trades) AS trades, (SELECT sum(trade_count) FROM bars_1m) AS bar_trades');
    // Act
    const waiting = await compactLake({ lakeRoot: lake, nowMs: NOW, olderThanMs: 0 });
    writeFileSync(markerPath, JSON.stringify(marker)); // the file backfilled again finishes its publication
    const done = await compactLake({ lakeRoot: lake, nowMs: NOW, olderThanMs: 0 });
    // Assess
    expect(waiting.filesIn).toBe(0);
    expect(waiting.waiting).toEqual([
      {
        table: 'trades',
        partition: 'dt=2026-11-20/hour=07',
        reason: `the backfill of ${markers[0]!.replace(/\.json$/, '')} is still publishing into it (if it was interrupted, backfill that file again)`,
      },
    ]);
    expect(done.waiting).toEqual([]);
    expect(done.filesIn).toBeGreaterThan(0);
    expect(await rows(lake, 'SELECT (SELECT count(*) FROM trades) AS trades, (SELECT sum(trade_count) FROM bars_1m) AS bar_trades')).toEqual(before);
  });
});

describe('backfilling a file again after its hours were compacted', () => {
  const counts = (lake: string) =>
    rows(
      lake,
      'SELECT (SELECT count(*) FROM trades) AS trades, (SELECT count(DISTINCT (symbol, trade_id)) FROM trades) AS keys, (SELECT sum(trade_count) FROM bars_1m) AS bar_trades',
    );

  it('holds the new content once the hours are compacted again: every trade of it once, the earlier ones kept, none twice meanwhile', async () => {
    // Prepare: a file of two hours backfilled with its first 60% of lines, compacted, its replaced objects deleted
    const file = await simulatedCsv({ minutes: 100, seed: 12, startTimeMs: Date.UTC(2026, 10, 20, 7, 10) });
    const all = readFileSync(file, 'utf8').trimEnd().split('\n');
    const first = all.slice(0, Math.floor(all.length * 0.6));
    const header = isCsvHeader(all[0]!) ? 1 : 0;
    writeFileSync(file, `${first.join('\n')}\n`);
    const lake = tempDir();
    await backfill({ input: file, lakeRoot: lake, nowMs: NOW });
    await compactLake({ lakeRoot: lake, nowMs: NOW, olderThanMs: 0, graceMs: 0 });
    const compacted = await counts(lake);
    // Act: the whole file (a complete download of it) backfilled again, then compaction
    writeFileSync(file, `${all.join('\n')}\n`);
    await backfill({ input: file, lakeRoot: lake, nowMs: NOW });
    const republished = await counts(lake);
    // a run that merges nothing (no hour closed for it) but deletes what the grace period freed: not the new objects
    const deletedFrom = new Set<string>();
    await compactLake({
      lakeRoot: lake,
      nowMs: NOW,
      olderThanMs: 3_650 * 86_400_000,
      graceMs: 0,
      onPartition: (p) => {
        if (p.deleted > 0) deletedFrom.add(p.table);
      },
    });
    const r = await compactLake({ lakeRoot: lake, nowMs: NOW, olderThanMs: 0, graceMs: 0 });
    const after = await counts(lake);
    const again = await compactLake({ lakeRoot: lake, nowMs: NOW, olderThanMs: 0, graceMs: 0 });
    // Assess
    const [n, m] = [first.length - header, all.length - header];
    expect(compacted).toEqual([{ trades: n, keys: n, bar_trades: n }]);
    expect(republished).toEqual(compacted); // the new objects wait for the merge: nothing twice meanwhile
    expect(deletedFrom.has('trades')).toBe(false); // (its bar_partials may go: they are recomputed from trades)
    expect(r.filesIn).toBeGreaterThan(0);
    expect(after).toEqual([{ trades: m, keys: m, bar_trades: m }]);
    expect(again.filesIn).toBe(0);
    expect(await counts(lake)).toEqual(after);
  });

  it('backfilling the same content again after compaction changes nothing, during and after the next compaction', async () => {
    // Prepare
    const file = await simulatedCsv({ minutes: 70, seed: 13, startTimeMs: Date.UTC(2026, 10, 20, 9, 30) });
    const lake = tempDir();
    await backfill({ input: file, lakeRoot: lake, nowMs: NOW });
    await compactLake({ lakeRoot: lake, nowMs: NOW, olderThanMs: 0, graceMs: 0 });
    const compacted = await counts(lake);
    // Act
    await backfill({ input: file, lakeRoot: lake, nowMs: NOW });
    const republished = await counts(lake);
    await compactLake({ lakeRoot: lake, nowMs: NOW, olderThanMs: 0, graceMs: 0 });
    // Assess
    expect(compacted[0]!.trades).toBeGreaterThan(100_000);
    expect(compacted[0]!.trades).toBe(compacted[0]!.keys);
    expect(compacted[0]!.bar_trades).toBe(compacted[0]!.trades);
    expect(republished).toEqual(compacted);
    expect(await counts(lake)).toEqual(compacted);
  });
});
