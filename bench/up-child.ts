/**
 * Benchmark child: runs the pipeline live (`ticklake up`'s runLive, simulated
 * Binance trades in real time) in its own process for a while and prints one
 * JSON line: its CPU use (all threads) and peak RSS, and the latency from each
 * trade's time to the moment its row was readable in the lake (the time its
 * Parquet file appeared: the writers rename files into place).
 * Usage: tsx bench/up-child.ts <data-dir> <seconds> <symbols,comma-separated>
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { runLive, SimulatedLiveFeed } from '../src/local/live.js';
import { sourceById } from '../src/sources/index.js';

const [dataDir, secondsText, symbolsText] = process.argv.slice(2);
if (!dataDir || !secondsText || !symbolsText) throw new Error('usage: up-child <data-dir> <seconds> <symbols>');
const seconds = Number(secondsText);
let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 200);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const feed = new SimulatedLiveFeed(sourceById('binance-trades'), { symbols: symbolsText.split(',') });
const r = await runLive({ dataDir, feeds: [feed], forMs: seconds * 1000, schedule: false, statusEveryMs: 3_600_000 });
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
  })}\n`,
);
