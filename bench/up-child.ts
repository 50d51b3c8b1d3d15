/**
 * Benchmark child: runs the pipeline live (`ticklake up`'s runLive, simulated
 * Binance trades in real time) in its own process for a while and prints one
 * JSON line: its CPU use (all threads) and peak RSS, and two latencies:
 *
 * - **lake**: from each trade's time to the moment its row was readable in the
 *   lake (the time its Parquet file appeared: the writers rename files into place);
 * - **time-series store**: from the trade time of a minute bar's last trade to
 *   the moment the bar's point was committed to the embedded time-series store
 *   (runLive's `onBarsPublished`, called right after the write). `up` publishes
 *   a minute's bar once the lake's watermark is the allowed lateness (10 s) past
 *   the minute's end, on a 10 s cycle, so this latency is dominated by that wait,
 *   not by the pipeline: expect 10-20 s plus the lake latency. (A trade early in
 *   its minute waits up to 60 s more: its point is the minute's bar.)
 *
 * So that a minute closes early in every run, the run starts 50-60 s past a
 * wall-clock minute (a uniformly random point of the publisher's 10 s cycle:
 * the figure is not tuned to a lucky phase); the wait is not part of the run.
 * Usage: tsx bench/up-child.ts <data-dir> <seconds> <symbols,comma-separated>
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { BarRow } from '../src/core/bars.js';
import { runLive, SimulatedLiveFeed } from '../src/local/live.js';
import { sourceById } from '../src/sources/index.js';

const [dataDir, secondsText, symbolsText] = process.argv.slice(2);
if (!dataDir || !secondsText || !symbolsText) throw new Error('usage: up-child <data-dir> <seconds> <symbols>');
const seconds = Number(secondsText);
// Start 50-60 s past a minute: the minute closes within the first 10 s of the run.
const startAtMs = 50_000 + Math.random() * 10_000;
const waitMs = (startAtMs - (Date.now() % 60_000) + 60_000) % 60_000;
await new Promise((r) => setTimeout(r, waitMs));
const published: { symbol: string; minuteStartUs: number; atMs: number }[] = [];
const onBarsPublished = (bars: readonly BarRow[], atMs: number) => {
  for (const b of bars) published.push({ symbol: b.symbol, minuteStartUs: b.minute_start, atMs });
};
let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 200);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const feed = new SimulatedLiveFeed(sourceById('binance-trades'), { symbols: symbolsText.split(',') });
const r = await runLive({ dataDir, feeds: [feed], forMs: seconds * 1000, schedule: false, statusEveryMs: 3_600_000, onBarsPublished });
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
clearInterval(sampler);

// Latency: file appearance (mtime) minus trade time, per row.
const dir = join(dataDir, 'lake', 'curated', 'trades');
const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.parquet')).map((f) => join(dir, f));
const mtime = new Map(files.map((f) => [f, statSync(f).mtimeMs]));
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
await con.run('CREATE TABLE mt (f VARCHAR, ms DOUBLE)');
const appender = await con.createAppender('mt');
for (const [f, ms] of mtime) {
  appender.appendVarchar(f);
  appender.appendDouble(ms);
  appender.endRow();
}
appender.closeSync();
const q = await con.runAndReadAll(
  `SELECT quantile_cont(mt.ms - epoch_ms(t.trade_time), 0.5) AS p50, quantile_cont(mt.ms - epoch_ms(t.trade_time), 0.99) AS p99, count(*) AS n
   FROM read_parquet(${JSON.stringify(join(dir, '**', '*.parquet')).replace(/"/g, "'")}, filename = true, hive_partitioning = false) t JOIN mt ON mt.f = t.filename`,
);
const [p50, p99, n] = q.getRows()[0] as [number, number, bigint];

// Time-series latency: the point's commit time minus the trade time of its bar's last trade.
await con.run('CREATE TABLE pub (symbol VARCHAR, minute_us BIGINT, at_ms DOUBLE)');
const pub = await con.createAppender('pub');
for (const p of published) {
  pub.appendVarchar(p.symbol);
  pub.appendBigInt(BigInt(p.minuteStartUs));
  pub.appendDouble(p.atMs);
  pub.endRow();
}
pub.closeSync();
const ts = await con.runAndReadAll(
  `WITH last AS (
     SELECT symbol, epoch_us(date_trunc('minute', trade_time)) AS minute_us, max(epoch_us(trade_time)) / 1000 AS last_ms
     FROM read_parquet(${JSON.stringify(join(dir, '**', '*.parquet')).replace(/"/g, "'")}, hive_partitioning = false) GROUP BY ALL)
   SELECT quantile_cont(at_ms - last_ms, 0.5), quantile_cont(at_ms - last_ms, 0.99),
          quantile_cont(at_ms - (minute_us / 1000 + 60000), 0.5), count(*), count(DISTINCT pub.minute_us)
   FROM pub JOIN last USING (symbol, minute_us)`,
);
const [tsP50, tsP99, tsFromCloseP50, tsBars, tsMinutes] = ts.getRows()[0] as [number | null, number | null, number | null, bigint, bigint];
con.closeSync();
process.stdout.write(
  `${JSON.stringify({
    trades: Number(n),
    put: r.recordsPut,
    seconds: wallMs / 1000,
    cpuPctOfOneCore: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
    maxRssMb: Math.max(process.resourceUsage().maxRSS / 1024, peakRss / 2 ** 20),
    latencyP50Ms: p50,
    latencyP99Ms: p99,
    tsBars: Number(tsBars),
    tsMinutes: Number(tsMinutes),
    tsLatencyP50Ms: tsP50,
    tsLatencyP99Ms: tsP99,
    tsFromMinuteCloseP50Ms: tsFromCloseP50,
    waitedS: waitMs / 1000,
  })}\n`,
);
