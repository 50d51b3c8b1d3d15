/**
 * Local backfill: Binance historical trade files (.csv, .zip, .gz) -> `trades`,
 * `quarantine` and `bar_partials` Parquet in the lake, with DuckDB running the
 * same SQL (src/sql/backfill.ts, src/sql/bars.ts) that Athena runs in the cloud.
 *
 * Idempotent per input file: its outputs are named `backfill-<file>-*.parquet`
 * and replaced on a rerun, so backfilling a file twice never doubles rows.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { checkSymbol } from '../domain/validate.js';
import { BAR_PARTIALS, QUARANTINE, TRADES, type TableSchema } from '../schema/table-schema.js';
import { checkedLinesSql, classifiedLinesSql, numberedLinesSql, quarantineSql, validTradesSql, type BackfillContext } from '../sql/backfill.js';
import { partialsFromTradesSql } from '../sql/bars.js';
import { DUCKDB } from '../sql/dialect.js';
import { DUCKDB_TYPE, tableDir } from './lake-sql.js';
import { extractTradeFile, symbolFromFileName } from './trade-files.js';

export interface BackfillOptions {
  /** A trade file or a directory of them. */
  readonly input: string;
  /** Symbol of every file (default: from Binance file names, e.g. BTCUSDT-trades-2026-11-02.zip). */
  readonly symbol?: string;
  /** Lake root (…/lake). */
  readonly lakeRoot: string;
  /** Processing clock, ms (default now). */
  readonly nowMs?: number;
  readonly onFile?: (file: string, index: number, total: number) => void;
}

export interface BackfillFileResult {
  readonly file: string;
  readonly symbol: string;
  readonly lines: number;
  readonly trades: number;
  readonly quarantined: number;
  readonly minutes: number;
  readonly seconds: number;
}

export interface BackfillSummary {
  readonly files: readonly BackfillFileResult[];
  readonly lines: number;
  readonly trades: number;
  readonly quarantined: number;
  readonly seconds: number;
  readonly quarantinedByReason: Readonly<Record<string, number>>;
}

const FILE_RE = /\.(csv|zip|gz)$/i;

/** The trade files an input names (a file, or the .csv/.zip/.gz files of a directory, sorted). */
export function backfillFiles(input: string): string[] {
  if (!existsSync(input)) throw new Error(`cannot read input ${input}: no such file or directory`);
  if (statSync(input).isDirectory()) {
    const files = readdirSync(input)
      .filter((f) => FILE_RE.test(f))
      .sort()
      .map((f) => join(input, f));
    if (files.length === 0) throw new Error(`no .csv, .zip or .gz trade files in ${input}`);
    return files;
  }
  if (!FILE_RE.test(input)) throw new Error(`unsupported input ${input}: expected a Binance trade .csv, .zip or .gz file`);
  return [input];
}

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** SELECT list casting a relation's columns to a table's schema, hour zero-padded for the Hive path. */
function schemaSelect(t: TableSchema): string {
  const cols = t.columns.map((c) => `CAST("${c.name}" AS ${DUCKDB_TYPE[c.type]}) AS "${c.name}"`);
  return [...cols, 'dt', `lpad(CAST(hour AS VARCHAR), 2, '0') AS hour`].join(', ');
}

function removeOutputs(lakeRoot: string, t: TableSchema, prefix: string): void {
  const dir = tableDir(lakeRoot, t);
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir, { recursive: true }) as string[]) {
    if (basename(f).startsWith(prefix)) rmSync(join(dir, f), { force: true });
  }
}

async function copyTo(c: DuckDBConnection, select: string, lakeRoot: string, t: TableSchema, prefix: string): Promise<void> {
  const dir = tableDir(lakeRoot, t);
  mkdirSync(dir, { recursive: true });
  await c.run(`COPY (${select}) TO ${sqlString(dir)} (FORMAT PARQUET, PARTITION_BY (dt, hour), FILENAME_PATTERN ${sqlString(`${prefix}{i}`)}, OVERWRITE_OR_IGNORE true)`);
}

/** Backfills every file of the input into the lake. */
export async function backfill(opts: BackfillOptions): Promise<BackfillSummary> {
  const started = performance.now();
  const files = backfillFiles(opts.input);
  const nowUs = (opts.nowMs ?? Date.now()) * 1000;
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  const scratch = mkdtempSync(join(tmpdir(), 'ticklake-backfill-'));
  await c.run(`SET temp_directory = ${sqlString(scratch)}`);
  await c.run('SET preserve_insertion_order = true');
  const results: BackfillFileResult[] = [];
  const reasons: Record<string, number> = {};
  try {
    for (const [i, file] of files.entries()) {
      const t0 = performance.now();
      opts.onFile?.(file, i, files.length);
      const symbol = (opts.symbol ?? symbolFromFileName(file))?.toUpperCase();
      if (!symbol) throw new Error(`cannot tell the symbol of ${file}: pass --symbol or use Binance's file name (BTCUSDT-trades-YYYY-MM-DD.zip)`);
      const badSymbol = checkSymbol(symbol);
      if (badSymbol) throw new Error(badSymbol.message);
      const ext = extname(file).toLowerCase();
      let csv = file;
      if (ext === '.zip' || ext === '.gz') {
        csv = join(scratch, `${basename(file, ext)}.csv`);
        await extractTradeFile(file, csv);
      }
      const key = basename(file).replace(/\.(csv|zip|gz)$/i, '').replace(/[^A-Za-z0-9._-]/g, '_');
      const prefix = `backfill-${key}-`;
      const ctx: BackfillContext = { symbol, nowUs, sourceName: basename(file) };
      // One scan of the file: every line as text, with its line number.
      await c.run(
        `CREATE OR REPLACE TEMP TABLE lines AS SELECT coalesce(line, '') AS line FROM read_csv(${sqlString(csv)}, columns = {'line': 'VARCHAR'}, header = false, delim = '\\x1f', quote = '', escape = '', auto_detect = false, strict_mode = false)`,
      );
      const numbered = `(${numberedLinesSql('lines', DUCKDB)}) AS numbered`;
      await c.run(`CREATE OR REPLACE TEMP TABLE checked AS ${checkedLinesSql(numbered, DUCKDB, ctx)}`);
      await c.run(`CREATE OR REPLACE TEMP TABLE valid AS ${validTradesSql('checked', DUCKDB, ctx)}`);
      // Only the lines that failed the one-pass check get the detailed, per-field classification.
      const bad = `(SELECT line, line_no FROM ${numbered} WHERE line_no IN (SELECT line_no FROM checked WHERE NOT ok)) AS bad`;
      await c.run(`CREATE OR REPLACE TEMP TABLE classified AS ${classifiedLinesSql(bad, DUCKDB, ctx)}`);
      for (const t of [TRADES, QUARANTINE, BAR_PARTIALS]) removeOutputs(opts.lakeRoot, t, prefix);
      await copyTo(c, `SELECT ${schemaSelect(TRADES)} FROM valid`, opts.lakeRoot, TRADES, prefix);
      await copyTo(c, `SELECT ${schemaSelect(QUARANTINE)} FROM (${quarantineSql('classified', DUCKDB, ctx)})`, opts.lakeRoot, QUARANTINE, prefix);
      await copyTo(c, `SELECT ${schemaSelect(BAR_PARTIALS)} FROM (${partialsFromTradesSql('valid', `backfill-${key}`)})`, opts.lakeRoot, BAR_PARTIALS, prefix);
      const counts = (await c.runAndReadAll(`SELECT (SELECT count(*) FROM checked), (SELECT count(*) FROM valid), (SELECT count(DISTINCT date_trunc('minute', trade_time)) FROM valid)`)).getRows()[0]!;
      const byReason = (await c.runAndReadAll(`SELECT reason_code, count(*) FROM classified WHERE reason_code IS NOT NULL GROUP BY 1`)).getRows();
      for (const [r, n] of byReason) reasons[String(r)] = (reasons[String(r)] ?? 0) + Number(n);
      const lines = Number(counts[0]);
      const trades = Number(counts[1]);
      results.push({ file, symbol, lines, trades, quarantined: lines - trades, minutes: Number(counts[2]), seconds: (performance.now() - t0) / 1000 });
      if (csv !== file) rmSync(csv, { force: true });
    }
  } finally {
    c.closeSync();
    instance.closeSync();
    rmSync(scratch, { recursive: true, force: true });
  }
  return {
    files: results,
    lines: results.reduce((a, r) => a + r.lines, 0),
    trades: results.reduce((a, r) => a + r.trades, 0),
    quarantined: results.reduce((a, r) => a + r.quarantined, 0),
    seconds: (performance.now() - started) / 1000,
    quarantinedByReason: reasons,
  };
}
