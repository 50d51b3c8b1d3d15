/**
 * Local backfill: Binance historical trade files (.csv, .zip, .gz) -> `trades`,
 * `quarantine` and `bar_partials` Parquet in the lake, by running the backfill
 * state machine the CDK deploys (`src/adapters/workflows/backfill-workflow.ts`)
 * with `aws-local-stepfunctions`, each Task overridden by state name:
 *
 * | state | in the cloud | here |
 * |---|---|---|
 * | StageUploads | lists the uploads, stages each as gzipped pieces of one UTC day in S3 | the same split, into plain CSV pieces in a scratch directory (a one-day `.csv` is read in place) |
 * | RenderStatements | Athena statements of a piece | DuckDB statements of the same definitions (`src/sql/backfill-job.ts`) |
 * | CreateLinesTable, Unload*, DropLinesTable… | Athena runs `$.sql.*` | DuckDB runs the same `$.sql.*` |
 * | PublishOutputs | S3 copies under deterministic names, per-file markers | the same code (`src/backfill/publish.ts`) on the lake directory |
 *
 * The DuckDB work is what it always was (one scan of each piece into temporary
 * tables, three COPYs); the state machine adds a constant few hundred
 * milliseconds per run, and the split one pass over the file's text. The
 * scratch directory holds every piece of the run until its statements ran. Idempotent per input file: its outputs are named
 * `backfill-<file>-<n>.parquet` and replace the ones its marker lists, so
 * backfilling a file twice never doubles rows.
 */
import { once } from 'node:events';
import { closeSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, resolve, sep } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  BACKFILL_FILE_RE,
  type BackfillFile,
  backfillInputs,
  type BackfillRequest,
  filePieces,
  fileStatements,
  linesTableName,
  outputPrefix,
  planFiles,
  processingTimeUs,
  type PublishInput,
  runPrefix,
  type StagedBackfill,
  type StagedFile,
  type StageInput,
} from '../backfill/plan.js';
import { publishBackfill } from '../backfill/publish.js';
import { oneDayFromEnds, type PieceSink, type SplitPiece, splitByDay } from '../backfill/split.js';
import { BACKFILL_ATHENA_STATES, BACKFILL_STATES as S, localBackfillDefinition } from '../adapters/workflows/backfill-workflow.js';
import { type BackfillStatements, intermediateTables } from '../sources/binance-trades/backfill-job.js';
import { DUCKDB, sqlString } from '../sql/dialect.js';
import { FileObjectStore } from './file-object-store.js';
import { LocalExecutionError, type LocalTask, LocalWorkflow } from './ml/executor.js';
import { withTradeFileText } from './trade-files.js';

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

/** The trade files an input names (a file, or the .csv/.zip/.gz files of a directory, sorted). */
export function backfillFiles(input: string): string[] {
  if (!existsSync(input)) throw new Error(`cannot read input ${input}: no such file or directory`);
  if (statSync(input).isDirectory()) {
    const files = readdirSync(input)
      .filter((f) => BACKFILL_FILE_RE.test(f))
      .sort()
      .map((f) => join(input, f));
    if (files.length === 0) throw new Error(`no .csv, .zip or .gz trade files in ${input}`);
    return files;
  }
  if (!BACKFILL_FILE_RE.test(input)) throw new Error(`unsupported input ${input}: expected a Binance trade .csv, .zip or .gz file`);
  return [input];
}

/** A sink that keeps nothing (a pass that only finds the pieces). */
const NO_SINK: PieceSink = { write: () => undefined, end: async () => undefined };

/** A piece written to a plain file, with back-pressure. */
function fileSink(path: string): PieceSink {
  const out = createWriteStream(path);
  const closed = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
  });
  closed.catch(() => undefined);
  return {
    write: async (chunk) => {
      if (!out.write(chunk)) await Promise.race([once(out, 'drain'), closed]);
    },
    end: async () => {
      out.end();
      await closed;
    },
    abort: async () => {
      out.destroy();
    },
  };
}

/** The definition, rendered once per process. */
let definition: ReturnType<typeof localBackfillDefinition> | undefined;

/** Backfills every file of the input into the lake, running the backfill state machine locally. */
export async function backfill(opts: BackfillOptions): Promise<BackfillSummary> {
  const started = performance.now();
  const sources = backfillInputs(backfillFiles(opts.input));
  const lakeRoot = resolve(opts.lakeRoot);
  const runId = `local-${Date.now().toString(36)}-${process.pid}`;
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  const scratch = mkdtempSync(join(tmpdir(), 'ticklake-backfill-'));
  await c.run(`SET temp_directory = ${sqlString(scratch)}`);
  await c.run('SET preserve_insertion_order = true');

  const results = new Map<string, BackfillFileResult>();
  const reasons: Record<string, number> = {};
  /** The file each rendered drop statement belongs to, and when its turn began. */
  const dropping = new Map<string, { file: BackfillFile; t0: number }>();

  /** The first and last 64 KiB of a file, as text. */
  const readEnds = (path: string): [string, string] => {
    const size = statSync(path).size;
    const n = Math.min(size, 65_536);
    const fd = openSync(path, 'r');
    try {
      const head = Buffer.alloc(n);
      const tail = Buffer.alloc(n);
      readSync(fd, head, 0, n, 0);
      readSync(fd, tail, 0, n, size - n);
      return [head.toString('latin1'), tail.toString('latin1')];
    } finally {
      closeSync(fd);
    }
  };

  /**
   * StageUploads: plans the files and splits each into pieces of one UTC day in
   * the scratch directory, as the cloud's stage step does (DuckDB has no
   * partition limit, but the pieces are what the cloud runs). A `.csv` of one
   * day is read in place: a first pass only finds its pieces.
   */
  const stage = async (input: StageInput): Promise<StagedBackfill> => {
    const nowUs = processingTimeUs(input.request, input.startedAt);
    const files = planFiles(sources, input.request.symbol, (name) => name);
    const split: StagedFile[] = [];
    const locations: string[] = [];
    for (const file of files) {
      const source = sources[file.index]!;
      const first = locations.length;
      const at = (piece: number) => join(scratch, `${first + piece}-${file.key}.csv`);
      try {
        let pieces: SplitPiece[] | undefined;
        if (extname(source).toLowerCase() === '.csv') {
          // A one-day file (Binance's daily files) is one piece: its ends tell, without a pass over it.
          const day = oneDayFromEnds(...readEnds(source), nowUs);
          pieces = day !== undefined ? [{ piece: 0, day, firstLine: 0, lines: 0, bytes: statSync(source).size }] : undefined;
          if (!pieces) {
            pieces = await withTradeFileText(source, (text) => splitByDay(text, nowUs, () => NO_SINK));
            if (pieces.length !== 1) pieces = undefined;
          }
          if (pieces) locations.push(source);
        }
        if (!pieces) {
          pieces = await withTradeFileText(source, (text) => splitByDay(text, nowUs, (piece) => fileSink(at(piece))));
          for (const p of pieces) locations.push(at(p.piece));
        }
        split.push({ file, pieces });
      } catch (e) {
        // An unreadable file fails alone, at RenderStatements (as in the cloud); what it wrote is never read.
        split.push({ file, error: (e as Error).message });
        locations.push('');
      }
    }
    return {
      run: { runId: input.runId, processingTimeUs: nowUs, lakeRoot: `${lakeRoot}${sep}`, maxConcurrency: 1 },
      files: filePieces(split, (_file, index) => locations[index]!),
    };
  };

  /** RenderStatements: renders the DuckDB statements of a piece. */
  const render = async ({ run, file }: { run: StagedBackfill['run']; file: BackfillFile }): Promise<BackfillStatements> => {
    const t0 = performance.now();
    const fileIndex = file.fileIndex ?? file.index;
    opts.onFile?.(sources[fileIndex]!, fileIndex, sources.length);
    // DuckDB's COPY makes the table directories, not their parents.
    mkdirSync(join(lakeRoot, outputPrefix(run.runId, file.index)), { recursive: true });
    const statements = fileStatements(DUCKDB, run, file);
    dropping.set(statements.dropLines, { file, t0 });
    return statements;
  };

  /** Counts of a file's temporary tables, for the summary (before DropLinesTable removes them). */
  const collect = async (file: BackfillFile, t0: number) => {
    const tmp = intermediateTables(linesTableName(runId, file.index));
    // One pass over the checked lines (the valid trades are its `ok` rows); minutes as whole µs / 60e6.
    const counts = (
      await c.runAndReadAll(
        `SELECT count(*) FILTER (WHERE NOT is_header), count(*) FILTER (WHERE ok), count(DISTINCT time_us // 60000000) FILTER (WHERE ok) FROM ${tmp.checked}`,
      )
    ).getRows()[0]!;
    const byReason = (await c.runAndReadAll(`SELECT reason_code, count(*) FROM ${tmp.classified} WHERE reason_code IS NOT NULL GROUP BY 1`)).getRows();
    for (const [r, n] of byReason) reasons[String(r)] = (reasons[String(r)] ?? 0) + Number(n);
    const lines = Number(counts[0]);
    const trades = Number(counts[1]);
    // A file's pieces add up (their minutes too: each minute lies in one day).
    const source = sources[file.fileIndex ?? file.index]!;
    const before = results.get(source);
    results.set(source, {
      file: source,
      symbol: file.symbol,
      lines: (before?.lines ?? 0) + lines,
      trades: (before?.trades ?? 0) + trades,
      quarantined: (before?.quarantined ?? 0) + lines - trades,
      minutes: (before?.minutes ?? 0) + Number(counts[2]),
      seconds: (before?.seconds ?? 0) + (performance.now() - t0) / 1000,
    });
  };

  /** The Athena states run their statement on DuckDB; the drops also count the file's rows first and remove its extracted lines. */
  const tasks: Record<string, LocalTask> = {
    [S.stage]: (i) => stage(i as Parameters<typeof stage>[0]),
    [S.render]: (i) => render(i as Parameters<typeof render>[0]),
    [S.publish]: (i) => publishBackfill(new FileObjectStore(lakeRoot), i as PublishInput),
  };
  for (const state of Object.keys(BACKFILL_ATHENA_STATES)) {
    tasks[state] = async (input) => {
      const { QueryString } = input as { QueryString: string };
      const drop = dropping.get(QueryString);
      if (drop && state === S.dropLines) await collect(drop.file, drop.t0);
      await c.run(QueryString);
      if (drop && !sources.includes(drop.file.linesLocation)) rmSync(drop.file.linesLocation, { force: true });
      return { QueryExecution: { Status: { State: 'SUCCEEDED' } } };
    };
  }

  let failure: string | undefined;
  try {
    definition ??= localBackfillDefinition();
    const request: BackfillRequest = {
      input: opts.input,
      ...(opts.symbol ? { symbol: opts.symbol } : {}),
      processingTime: new Date(opts.nowMs ?? Date.now()).toISOString(),
    };
    await new LocalWorkflow(definition, tasks).run(request, runId);
  } catch (e) {
    // The run's Fail state carries the failed step's message as its cause.
    if (!(e instanceof LocalExecutionError)) throw e;
    failure = e.cause;
  } finally {
    c.closeSync();
    instance.closeSync();
    rmSync(scratch, { recursive: true, force: true });
    rmSync(join(lakeRoot, runPrefix(runId)), { recursive: true, force: true });
  }
  const files = [...results.values()].sort((a, b) => sources.indexOf(a.file) - sources.indexOf(b.file));
  const summary: BackfillSummary = {
    files,
    lines: files.reduce((a, r) => a + r.lines, 0),
    trades: files.reduce((a, r) => a + r.trades, 0),
    quarantined: files.reduce((a, r) => a + r.quarantined, 0),
    seconds: (performance.now() - started) / 1000,
    quarantinedByReason: reasons,
  };
  if (failure !== undefined) throw new BackfillFailedError(failure, summary);
  return summary;
}

/** A run in which some files failed; `summary` covers the files that were loaded. */
export class BackfillFailedError extends Error {
  constructor(
    message: string,
    readonly summary: BackfillSummary,
  ) {
    super(message);
  }
}
