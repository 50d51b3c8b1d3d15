/** Runs a local pipeline job with progress output and prints its summary. */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { DERIVED_TABLES, LakeSql, parquetFileCount } from '../local/lake-sql.js';
import { runPipeline, type PipelineOptions, type PipelineSummary } from '../local/pipeline.js';
import { publishClosedBars } from '../local/bar-publisher.js';
import { EmbeddedTimeSeriesStore } from '../local/embedded-store.js';
import { embeddedDir } from '../adapters/timeseries-factory.js';
import { openLocalLivePredictions } from '../local/ml/local-ml.js';
import type { PredictionStats } from '../ml/steps/live-predictions.js';
import { TABLES } from '../catalog.js';
import { bytes, num } from './format.js';
import { createProgress } from './progress.js';

/** The data directory: --data-dir, else $TICKLAKE_DATA_DIR, else ./.ticklake. */
export function resolveDataDir(opt: string | undefined): string {
  return resolve(opt ?? process.env.TICKLAKE_DATA_DIR ?? '.ticklake');
}

/** Removes a data directory, refusing anything that does not look like one. */
export function resetDataDir(dir: string): void {
  if (!existsSync(dir)) return;
  const entries = readdirSync(dir);
  const ours = new Set(['lake', 'stream', 'checkpoints', 'dead-letter', 'models', 'timeseries']);
  const foreign = entries.filter((e) => !ours.has(e));
  if (foreign.length > 0) throw new Error(`refusing to reset ${dir}: it holds files ticklake did not create (${foreign.slice(0, 3).join(', ')})`);
  rmSync(dir, { recursive: true, force: true });
}

function dirBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const f of readdirSync(dir, { recursive: true }) as string[]) {
    const st = statSync(join(dir, f));
    if (st.isFile()) n += st.size;
  }
  return n;
}

export interface JobReport {
  readonly summary: PipelineSummary;
  /** Closed bars published to the embedded time-series store by this run. */
  readonly barsPublished: number;
  readonly timeSeriesPath: string;
  /** Live forecasts made for the newly closed bars (undefined if none were attempted). */
  readonly predictions?: PredictionStats;
  readonly tableRows: Readonly<Record<string, number>>;
  readonly reasons: readonly { reason: string; n: number }[];
}

/** Runs the job with a progress bar, then reads the lake back for the report. */
export async function runJobWithProgress(opts: Omit<PipelineOptions, 'onProgress'>, label: string, quiet = false): Promise<JobReport> {
  const progress = createProgress(label, 'records', !quiet);
  let summary: PipelineSummary;
  try {
    summary = await runPipeline({ ...opts, onProgress: (p) => progress.update(p.processed, p.total ?? p.produced) });
  } finally {
    progress.stop();
  }
  let predictions: PredictionStats | undefined;
  const sql = await LakeSql.open(summary.paths.lake);
  const tsDir = embeddedDir(opts.dataDir);
  const store = await EmbeddedTimeSeriesStore.open(tsDir);
  try {
    // The dashboards' view: closed minute bars into the embedded time-series store, and the
    // champion's forecast of the next minute for each (once models are trained and evaluated).
    const live = openLocalLivePredictions(opts.dataDir, store);
    const published = await publishClosedBars({
      sql,
      sink: store,
      statePath: join(tsDir, 'published-bars.json'),
      onClosed: async (bars) => void (await live.onClosed(bars)),
    });
    predictions = live.stats();
    const tableRows: Record<string, number> = {};
    for (const t of Object.values(TABLES)) tableRows[t.name] = await sql.count(t.name);
    const r = await sql.query('SELECT reason_code, count(*) AS n FROM quarantine GROUP BY 1 ORDER BY 2 DESC, 1');
    return {
      summary,
      tableRows,
      reasons: r.rows.map((row) => ({ reason: String(row[0]), n: Number(row[1]) })),
      barsPublished: published.closed + published.corrections,
      timeSeriesPath: store.path,
      predictions,
    };
  } finally {
    sql.close();
    await store.close();
  }
}

/** The human summary printed after demo and replay. */
export function formatReport(rep: JobReport, title: string, dataDir: string): string {
  const s = rep.summary;
  const lines: string[] = [];
  const kv = (k: string, v: string) => lines.push(`  ${k.padEnd(24)}${v}`);
  lines.push(title, '');
  if (s.alreadyComplete) lines.push('  (this job had already completed in this data directory; nothing new was processed — use --fresh to start over)', '');
  kv('records in (this run)', num(s.recordsIn));
  kv('records processed', `${num(s.recordsProcessed)} in ${num(s.invocations)} handler invocations${s.retries ? `, ${num(s.retries)} retries` : ''}`);
  kv(
    'throughput',
    s.recordsProcessed > 0 ? `${num(s.recordsProcessed / s.seconds)} records/s (${s.seconds.toFixed(1)} s wall)` : `- (${s.seconds.toFixed(1)} s wall)`,
  );
  kv('dead-lettered', `${num(s.deadLettered)}${s.deadLettered ? `  -> ${s.paths.deadLetter}` : ''}`);
  lines.push('', '  rows in the lake (all jobs in this data directory)');
  for (const [t, n] of Object.entries(rep.tableRows)) {
    const where = DERIVED_TABLES[t] ? 'view' : `${num(parquetFileCount(s.paths.lake, TABLES[t]!))} files`;
    kv(`  ${t}`, `${num(n).padStart(12)}  (${where})`);
  }
  lines.push('', '  quarantined by reason');
  if (rep.reasons.length === 0) kv('  (none)', '');
  for (const r of rep.reasons) kv(`  ${r.reason}`, num(r.n).padStart(12));
  lines.push('');
  const rel = relative(process.cwd(), s.paths.lake) || '.';
  kv('lake', `${rel.startsWith('..') ? s.paths.lake : rel}  (${bytes(dirBytes(s.paths.lake))}, Hive-partitioned Parquet)`);
  kv('time-series store', `${rep.timeSeriesPath} (${num(rep.barsPublished)} closed bars published by this run)`);
  const p = rep.predictions;
  if (p && p.bars > 0) {
    kv(
      'live predictions',
      p.predictions > 0
        ? `${num(p.predictions)} next-minute forecasts by the champions (${p.predictMsPerBar.toFixed(3)} ms per bar)`
        : 'none: no champion yet (run `ticklake train`, then `ticklake evaluate`)',
    );
  }
  kv('stream and checkpoints', dataDir);
  const dd = dataDir === resolve('.ticklake') ? '' : ` --data-dir ${JSON.stringify(dataDir)}`;
  lines.push(
    '',
    'Try:',
    `  npm run -s ticklake -- query${dd} "SELECT symbol, count(*) AS trades, min(price) AS low, max(price) AS high, round(sum(quote_quantity)) AS quote_volume FROM trades GROUP BY symbol ORDER BY symbol"`,
    `  npm run -s ticklake -- query${dd} "SELECT symbol, minute_start, open, high, low, close, round(vwap, 2) AS vwap, trade_count FROM bars_1m ORDER BY minute_start DESC, symbol LIMIT 10"`,
    `  npm run -s ticklake -- query${dd} --format json "SELECT reason_code, reason_message, raw_payload FROM quarantine LIMIT 5"`,
  );
  return lines.join('\n');
}
