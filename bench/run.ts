/**
 * `npm run bench`: measures the hot paths and prints one figure per line
 * (`npm run bench -- --json` prints the same figures as one JSON object).
 *
 * Figures (keys documented in the README):
 *   handler_records_per_s     stream handler on 10,000-record Kinesis events: base64 decode,
 *                             validate, features, Parquet encode of trades + raw + quarantine (one core)
 *   json_parse_records_per_s  plain JSON.parse of the same payloads, same run
 *   engagement_aggregate_events_per_s  the same handler and rounds on 10,000-record events of simulated short-video
 *                             views: validate, events + per-category window partials + raw Parquet (one core, in its
 *                             own process: bench/engagement-child.ts; target >= 300,000)
 *   sessionize_events_per_s   the viewing source's TypeScript sessionizer on ~1 M simulated TV events in arrival order
 *                             (late and duplicated ones included): every add, the intervals per show airing and their
 *                             ad views (one core, own process: bench/sessionize-child.ts; target >= 200,000)
 *   handler_vs_json_parse     ratio of the two
 *   mqtt_bridge_msgs_per_s    the MQTT bridge draining 50,000 QoS 1 sensor messages queued for its persistent session:
 *                             over the real protocol (Mosquitto when installed, else the embedded aedes broker), each put
 *                             on a local stream (4 shards on disk) before its PUBACK; best of 3 rounds (own process:
 *                             bench/mqtt-bridge-child.ts; target >= 20,000)
 *   replay_trades_per_s       local end-to-end replay of a Binance CSV (stream, pollers, handler, lake files)
 *   replay_peak_rss_mb        peak RSS of that replay process
 *   replay_trades             trades in the replayed file
 *   backfill_trades_per_s     `ticklake backfill` of the same Binance CSV (validate, trades + quarantine + bar partials Parquet)
 *   duckdb_csv_bar_query_s    DuckDB's own best time for the same minute-bar query straight over that CSV
 *   backfill_vs_duckdb_ratio  backfill wall time / that best time
 *   bar_query_30d_ms          reading 30 days of one symbol's bars from the bars_1m view (43,200 minutes)
 *
 *   compaction_rows_per_s     `ticklake compact` of a day of two symbols' trades written in 1,000-record batches
 *                             (every table; bench/compaction.ts; target >= 2,000,000)
 *   files_per_partition_after_compaction   the most live files of any closed partition after it (target <= 1)
 *   query_speedup_after_compaction         a day-of-trades aggregate, before / after (target >= 10)
 *   compaction_engine_ceiling_rows_per_s   DuckDB alone on the same files: one sorted COPY per table (no target: the limit above)
 *   query_speedup_ceiling                  the aggregate over the small files / over its rows in memory (no target: the limit above)
 *
 *   dashboard_api_p95_ms      every dashboard panel's query through the API (DuckDB), at 1 h / 24 h / 7 d, on a lake
 *                             of 7 days of two symbols' trades (bench/dashboard-api.ts; target <= 100 ms)
 *   viewing_panel_p95_ms      the three viewing panels' queries (DuckDB) at 1 h / 24 h on a lake of 2 days of 5,000
 *                             simulated TV households, after bounding them to the events their range needs; the note
 *                             gives the unbounded views' figure (bench/viewing-panels.ts)
 *   dashboard_render_ms       page load to every panel drawn in headless Chromium (median of 5 loads, 30 simulated
 *                             minutes of every source; target <= 2,000 ms; bench/dashboard.ts)
 *
 *   cdc_changes_per_s         the change reader draining a backlog of ~190,000 row changes (inserts, updates with old
 *                             rows, deletes) from a real local PostgreSQL: pgoutput decoding, one envelope per row,
 *                             batched puts to the local stream, LSN confirmed after each put (one Node.js thread;
 *                             PostgreSQL in its own processes; bench/cdc.ts; target >= 20,000; skipped without PostgreSQL)
 *
 *   train_all_models_s        training every model kind on 30 days of two symbols' minute bars (bench/ml.ts)
 *   predict_ms_per_bar        feature update + champion prediction for one new bar
 *
 *   live_trades_per_s         `ticklake up` (runLive) with simulated trades of six symbols in real time (~300/s)
 *   live_latency_p50_ms       trade time -> its row readable in the lake (the Parquet file in place), median
 *   live_latency_p99_ms       the same, 99th percentile (target: batching window + 2 s)
 *   live_ts_latency_p50_ms    the trade time of a minute bar's last trade -> the bar's point readable in the
 *                             time-series store, median over the bars of the run (one per symbol and minute
 *                             closed). Dominated by the minute close, not the pipeline: up publishes a minute
 *                             once the watermark is 10 s (allowed lateness) past its end, every 10 s. A trade's
 *                             own wait for its point is this plus the rest of its minute (0-60 s).
 *   live_ts_latency_p99_ms    the same, 99th percentile (target: lateness 10 s + publish cycle 10 s + lake p99
 *                             target 3 s = 23 s). One minute closes per 30 s run (it starts 50-60 s past a
 *                             minute), so these are over six bars sharing one publish phase: they vary from run
 *                             to run between about 10 and 21 s.
 *   up_idle_cpu_pct           CPU of that process, all threads, in % of one core (target < 15)
 *   up_rss_mb                 its peak RSS (target < 400)
 *
 * Options: --json, --replay-trades N (default 10,000,000), --skip-replay, --skip-backfill, --skip-ml, --skip-mqtt,
 *          --skip-dashboard, --skip-viewing-panels, --skip-compaction, --skip-live, --skip-cdc, --live-seconds N (default 30)
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStreamTransform } from '../src/ingest/stream-transform.js';
import { simulateRecords } from '../src/sources/binance-trades/market.js';
import { BINANCE_CSV_HEADER } from '../src/sources/binance-trades/binance.js';
import { DuckDBInstance } from '@duckdb/node-api';
import { backfill } from '../src/local/backfill.js';
import { benchDashboardApi } from './dashboard-api.js';
import { benchViewingPanels } from './viewing-panels.js';
import { benchCompaction } from './compaction.js';
import { benchCdc } from './cdc.js';
import { dashboardRenderMs } from './dashboard.js';
import { LakeSql } from '../src/local/lake-sql.js';
import { barsFromTradesSql } from '../src/sql/bars.js';
import { DUCKDB } from '../src/sql/dialect.js';
import { kinesisEvent } from '../test/helpers/kinesis-events.js';
import { MemoryObjectStore } from '../test/helpers/memory-object-store.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const skipReplay = args.includes('--skip-replay');
const skipBackfill = args.includes('--skip-backfill');
const skipLive = args.includes('--skip-live');
const liveSeconds = Number(args[args.indexOf('--live-seconds') + 1] ?? NaN) || 30;
const replayTrades = Number(args[args.indexOf('--replay-trades') + 1] ?? NaN) || 10_000_000;
const figures: Record<string, number> = {};
const log = (line: string) => {
  if (!json) console.log(line);
};
const fig = (key: string, value: number, unit: string, note = '') => {
  figures[key] = value;
  log(
    `${key.padEnd(28)} ${value.toLocaleString('en-US', Math.abs(value) < 1 ? { maximumSignificantDigits: 3 } : { maximumFractionDigits: 2 }).padStart(14)} ${unit}${note ? `  ${note}` : ''}`,
  );
};

// --- stream handler -----------------------------------------------------------
const BATCH = 10_000;
const payloads: string[] = [];
for (const r of simulateRecords({ format: 'jsonl', symbols: ['BTCUSDT', 'ETHUSDT'], minutes: 30, seed: 7 })) {
  payloads.push(r.payload);
  if (payloads.length === BATCH * 5) break;
}
const events = Array.from({ length: 5 }, (_, b) => kinesisEvent(payloads.slice(b * BATCH, (b + 1) * BATCH), 'shardId-000000000000', b * BATCH + 1));
/** Keeps nothing it is given (the rounds rewrite the same keys; the objects are built and encoded all the same). */
class DiscardingLake extends MemoryObjectStore {
  override async put(_key: string, _body: Uint8Array): Promise<void> {}
}
const handler = createStreamTransform({
  lake: new DiscardingLake(),
  clock: () => Date.UTC(2026, 10, 3),
});
const ROUNDS = 15;
// Warm-up: three passes, so the timed rounds run optimised code (rounds keep improving until then).
for (let w = 0; w < 3; w++) for (const e of events) await handler(e);
let best = Infinity;
for (let r = 0; r < ROUNDS; r++) {
  const t = performance.now();
  for (const e of events) await handler(e);
  best = Math.min(best, performance.now() - t);
}
const handlerRate = (events.length * BATCH) / (best / 1000);
let bestParse = Infinity;
for (let r = 0; r < ROUNDS + 1; r++) {
  const t = performance.now();
  for (const e of events) for (const rec of e.Records) JSON.parse(Buffer.from(rec.kinesis.data, 'base64').toString('utf8'));
  if (r > 0) bestParse = Math.min(bestParse, performance.now() - t);
}
const parseRate = (events.length * BATCH) / (bestParse / 1000);
fig('handler_records_per_s', Math.round(handlerRate), 'records/s', '(best of 15 rounds x 5 events x 10,000 records, after 3 warm-up passes)');
fig('json_parse_records_per_s', Math.round(parseRate), 'records/s', '(base64 decode + JSON.parse of the same payloads)');
fig('handler_vs_json_parse', Number((handlerRate / parseRate).toFixed(3)), 'x');
{
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'engagement-child.ts')], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { eventsPerS: number };
  fig(
    'engagement_aggregate_events_per_s',
    Math.round(r.eventsPerS),
    'events/s',
    '(views -> engagement_events, window partials, raw; same rounds, own process)',
  );
}
{
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'sessionize-child.ts')], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { eventsPerS: number; events: number; intervals: number };
  fig(
    'sessionize_events_per_s',
    Math.round(r.eventsPerS),
    'events/s',
    `(${r.events.toLocaleString('en-US')} viewing events -> ${r.intervals.toLocaleString('en-US')} view intervals + ad views; best of 5, own process)`,
  );
}

if (!args.includes('--skip-mqtt')) {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'mqtt-bridge-child.ts'), '50000'], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { msgsPerS: number; messages: number; cpuPct: number; broker: string };
  fig(
    'mqtt_bridge_msgs_per_s',
    Math.round(r.msgsPerS),
    'msgs/s',
    `(best of 3 rounds of ${r.messages.toLocaleString('en-US')} QoS 1 messages, PUBACK after the put; ${r.broker}; bridge process ${Math.round(r.cpuPct)} % of a core)`,
  );
}

// --- local end-to-end replay ------------------------------------------------------
const dir = join(tmpdir(), 'ticklake-bench');
const file = join(dir, `BTCUSDT-trades-bench-${replayTrades}.csv`);
if ((!skipReplay || !skipBackfill) && !existsSync(file)) {
  {
    log(`generating ${replayTrades.toLocaleString('en-US')} trades of Binance CSV in ${file} ...`);
    // A symbol with a high trade rate so the file covers hours, not weeks; exactly N lines.
    mkdirSync(dir, { recursive: true });
    const rate = 1_000;
    const out = createWriteStream(file);
    let n = 0;
    let chunk: string[] = [BINANCE_CSV_HEADER];
    for (const r of simulateRecords({
      format: 'csv',
      symbols: [
        { symbol: 'BTCUSDT', startPrice: 97_000, tickSize: 0.01, qtyStep: 0.00001, meanRatePerSec: rate, medianQty: 0.002, firstTradeId: 5_000_000_000 },
      ],
      minutes: (replayTrades / rate / 60) * 3,
      seed: 11,
    })) {
      chunk.push(r.payload);
      if (++n === replayTrades) break;
      if (chunk.length === 50_000) {
        if (!out.write(`${chunk.join('\n')}\n`)) await once(out, 'drain');
        chunk = [];
      }
    }
    out.end(`${chunk.join('\n')}\n`);
    await once(out, 'finish');
    if (n < replayTrades) throw new Error(`simulator produced only ${n} trades`);
  }
}
if (!skipReplay) {
  const dataDir = mkdtempSync(join(tmpdir(), 'ticklake-bench-replay-'));
  try {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'replay-child.ts'), file, dataDir, 'BTCUSDT'], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { records: number; trades: number; seconds: number; maxRssMb: number };
    fig('replay_trades', r.trades, 'trades');
    fig('replay_trades_per_s', Math.round(r.records / r.seconds), 'trades/s', `(${r.seconds.toFixed(1)} s wall)`);
    fig('replay_peak_rss_mb', Math.round(r.maxRssMb), 'MB');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// --- live: up at ~300 trades/s -------------------------------------------------------
if (!skipLive) {
  const dataDir = mkdtempSync(join(tmpdir(), 'ticklake-bench-live-'));
  try {
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'up-child.ts'), dataDir, String(liveSeconds), 'BTCUSDT,ETHUSDT,SOLUSDT,BNBUSDT,XRPUSDT,DOGEUSDT'],
      { encoding: 'utf8', maxBuffer: 1 << 20 },
    );
    const r = JSON.parse(out.trim().split('\n').pop()!) as {
      trades: number;
      seconds: number;
      cpuPctOfOneCore: number;
      maxRssMb: number;
      latencyP50Ms: number;
      latencyP99Ms: number;
      tsBars: number;
      tsMinutes: number;
      tsLatencyP50Ms: number | null;
      tsLatencyP99Ms: number | null;
      tsFromMinuteCloseP50Ms: number | null;
    };
    fig(
      'live_trades_per_s',
      Math.round(r.trades / r.seconds),
      'trades/s',
      `(${r.trades.toLocaleString('en-US')} trades in ${r.seconds.toFixed(0)} s, batching window 1 s)`,
    );
    fig('live_latency_p50_ms', Math.round(r.latencyP50Ms), 'ms', '(trade time -> row readable in the lake)');
    fig('live_latency_p99_ms', Math.round(r.latencyP99Ms), 'ms');
    if (r.tsLatencyP50Ms === null || r.tsLatencyP99Ms === null || r.tsFromMinuteCloseP50Ms === null) {
      log('live_ts_latency_*            no minute bar was published in the run (it needs --live-seconds 25 or more)');
    } else {
      fig(
        'live_ts_latency_p50_ms',
        Math.round(r.tsLatencyP50Ms),
        'ms',
        `(last trade of a minute bar -> its point readable in the time-series store; ${r.tsBars} bars, ${r.tsMinutes} minute close${r.tsMinutes === 1 ? '' : 's'}; from the minute's end ${Math.round(r.tsFromMinuteCloseP50Ms).toLocaleString('en-US')} ms: 10 s allowed lateness + the 10 s publish cycle)`,
      );
      fig('live_ts_latency_p99_ms', Math.round(r.tsLatencyP99Ms), 'ms');
    }
    fig('up_idle_cpu_pct', Math.round(r.cpuPctOfOneCore * 10) / 10, '% of one core', '(all threads, start-up included)');
    fig('up_rss_mb', Math.round(r.maxRssMb), 'MB');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// --- backfill vs DuckDB's own bar query ----------------------------------------------
if (!skipBackfill) {
  const lake = mkdtempSync(join(tmpdir(), 'ticklake-bench-backfill-'));
  try {
    const t0 = performance.now();
    const s = await backfill({ input: file, symbol: 'BTCUSDT', lakeRoot: lake });
    const backfillS = (performance.now() - t0) / 1000;
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const columns = "{'id':'BIGINT','price':'DOUBLE','qty':'DOUBLE','quote_qty':'DOUBLE','time':'BIGINT','is_buyer_maker':'BOOLEAN','is_best_match':'BOOLEAN'}";
    const trades = `(SELECT 'BTCUSDT' AS symbol, id AS trade_id, price, qty AS quantity, quote_qty AS quote_quantity, is_buyer_maker, make_timestamp(CASE WHEN time >= 100000000000000 THEN time ELSE time * 1000 END) AS trade_time FROM read_csv('${file}', header = true, columns = ${columns}))`;
    let bestDuck = Infinity;
    for (let r = 0; r < 3; r++) {
      const t = performance.now();
      await c.runAndReadAll(`SELECT count(*) FROM (${barsFromTradesSql(trades, DUCKDB)})`);
      bestDuck = Math.min(bestDuck, (performance.now() - t) / 1000);
    }
    c.closeSync();
    db.closeSync();
    fig('backfill_trades_per_s', Math.round(s.lines / backfillS), 'trades/s', `(${s.trades.toLocaleString('en-US')} trades, ${backfillS.toFixed(1)} s wall)`);
    fig('duckdb_csv_bar_query_s', Number(bestDuck.toFixed(3)), 's', '(best of 3: minute bars straight over the CSV)');
    fig('backfill_vs_duckdb_ratio', Number((backfillS / bestDuck).toFixed(2)), 'x');
  } finally {
    rmSync(lake, { recursive: true, force: true });
  }
}

// --- 30 days of bars -------------------------------------------------------------
{
  const lake = mkdtempSync(join(tmpdir(), 'ticklake-bench-bars-'));
  try {
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    // Two partials per minute (as when a minute spans batches), 30 days, two symbols.
    const out = join(lake, 'aggregate', 'bar_partials');
    mkdirSync(out, { recursive: true });
    await c.run(`COPY (
      SELECT s AS symbol, m AS minute_start, m AS open_time, CAST(k AS BIGINT) AS open_trade_id, 100.0 + k % 7 AS open,
        m + INTERVAL 59 SECOND AS close_time, CAST(k + 1 AS BIGINT) AS close_trade_id, 100.0 + k % 5 AS close, 108.0 AS high, 99.0 AS low,
        200.0 AS sum_price, 3.0 AS volume, 300.0 AS quote_volume, 300.0 AS sum_quote_quantity, CAST(2 AS BIGINT) AS trade_count, CAST(1 AS BIGINT) AS buyer_maker_count,
        'bench-' || k % 2 AS batch_id, strftime(m, '%Y-%m-%d') AS dt, lpad(CAST(hour(m) AS VARCHAR), 2, '0') AS hour
      FROM (SELECT unnest(['BTCUSDT', 'ETHUSDT']) AS s), (SELECT range AS k, TIMESTAMP '2026-10-01' + to_minutes(range // 2) AS m FROM range(0, 2 * 30 * 1440))
    ) TO '${out}' (FORMAT PARQUET, PARTITION_BY (dt, hour))`);
    c.closeSync();
    db.closeSync();
    const sql = await LakeSql.open(lake);
    let best = Infinity;
    let n = 0;
    for (let r = 0; r < 4; r++) {
      const t = performance.now();
      const res = await sql.query(
        `SELECT * FROM bars_1m WHERE symbol = 'BTCUSDT' AND minute_start >= TIMESTAMP '2026-10-01' AND minute_start < TIMESTAMP '2026-10-31' ORDER BY minute_start`,
      );
      n = res.rows.length;
      if (r > 0) best = Math.min(best, performance.now() - t);
    }
    sql.close();
    if (n !== 30 * 1440) throw new Error(`expected ${30 * 1440} bars, got ${n}`);
    fig('bar_query_30d_ms', Math.round(best), 'ms', `(${n.toLocaleString('en-US')} bars of one symbol from 30 days of partials, best of 3)`);
  } finally {
    rmSync(lake, { recursive: true, force: true });
  }
}

// --- dashboard: every panel through the API, and the page in Chromium -------------------
if (!args.includes('--skip-dashboard')) {
  const d = await benchDashboardApi(10, log);
  fig(
    'dashboard_api_p95_ms',
    Math.round(d.p95Ms * 10) / 10,
    'ms',
    `(${d.requests} requests over ${d.panels} panels, p50 ${d.p50Ms.toFixed(1)} ms, slowest ${d.slowest.panel} ${Math.round(d.slowest.ms)} ms; ${d.trades.toLocaleString('en-US')} trades)`,
  );
  const r = await dashboardRenderMs();
  fig('dashboard_render_ms', Math.round(r.renderMs), 'ms', `(median of ${r.loads} loads, ${r.panels} panels, headless Chromium)`);
}

// --- viewing panels: bounded to the events their range needs, vs the unbounded views ---
if (!args.includes('--skip-viewing-panels')) {
  const v = await benchViewingPanels(10, log);
  const ms = (r: Readonly<Record<string, number>>, k: string) => `${Math.round(r[k]!)} ms`;
  fig(
    'viewing_panel_p95_ms',
    Math.round(v.after.all * 10) / 10,
    'ms',
    `(3 panels x 1 h / 24 h, ${v.requests} requests, ${v.events.toLocaleString('en-US')} records; 1 h ${ms(v.after, '1h')}, 24 h ${ms(v.after, '24h')}; unbounded views: 1 h ${ms(v.before, '1h')}, 24 h ${ms(v.before, '24h')})`,
  );
}

// --- lake compaction ----------------------------------------------------------------
if (!args.includes('--skip-compaction')) {
  const c = await benchCompaction(log);
  fig(
    'compaction_rows_per_s',
    Math.round(c.rowsPerSec),
    'rows/s',
    `(${c.rows.toLocaleString('en-US')} rows from ${c.filesIn.toLocaleString('en-US')} files in ${c.seconds.toFixed(1)} s)`,
  );
  fig('files_per_partition_after_compaction', c.maxFilesPerPartition, 'files', '(most live files of any closed partition, any table)');
  fig(
    'query_speedup_after_compaction',
    Number((c.queryBeforeMs / c.queryAfterMs).toFixed(1)),
    'x',
    `(day-of-trades aggregate: ${c.queryBeforeMs.toFixed(0)} -> ${c.queryAfterMs.toFixed(0)} ms, best of 5)`,
  );
  fig(
    'compaction_engine_ceiling_rows_per_s',
    Math.round(c.ceiling.rows / c.ceiling.rewriteSeconds),
    'rows/s',
    `(DuckDB alone, one sorted COPY per table over all of its files: ${c.ceiling.rewriteSeconds.toFixed(2)} s; decoding every column, nothing written: ${c.ceiling.decodeSeconds.toFixed(2)} s)`,
  );
  fig(
    'query_speedup_ceiling',
    Number((c.queryBeforeMs / c.ceiling.aggregateInMemoryMs).toFixed(1)),
    'x',
    `(the aggregate over the small files / over the day's rows in a DuckDB in-memory table: ${c.ceiling.aggregateInMemoryMs.toFixed(0)} ms)`,
  );
}

// --- change data capture: the reader from a real PostgreSQL to the local stream ------
if (!args.includes('--skip-cdc')) {
  const c = await benchCdc(log);
  if (c)
    fig(
      'cdc_changes_per_s',
      Math.round(c.changesPerSec),
      'changes/s',
      `(${c.changes.toLocaleString('en-US')} row changes in ${c.seconds.toFixed(1)} s; reader process at ${Math.round(c.cpuShare * 100)} % of one core)`,
    );
}

// --- forecasting models (bench/ml.ts, in its own process) --------------------------
if (!args.includes('--skip-ml')) {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'ml.ts'), '--json'], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const ml = JSON.parse(out.trim().split('\n').pop()!) as Record<string, number | string>;
  fig(
    'train_all_models_s',
    Number(ml.train_all_models_s),
    's',
    `(persistence, ridge, random forest, GBT on ${Number(ml.train_rows).toLocaleString('en-US')} minute bars of two symbols; target <= 5 s; ` +
      `features ${ml.train_s_features} + ridge ${ml.train_s_ridge} + random forest ${ml.train_s_random_forest} + GBT ${ml.train_s_gbt} s; CPU ${ml.train_all_models_cpu_s} s)`,
  );
  fig('predict_ms_per_bar', Number(ml.predict_ms_per_bar), 'ms', '(features + champion prediction for one new bar)');
}

if (json) process.stdout.write(`${JSON.stringify(figures)}\n`);
