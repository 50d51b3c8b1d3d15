/**
 * The backfill state machine's data, shared by its Lambda steps and the local
 * runtime: what a run and its files look like between the steps, where a run
 * stages its files, the per-run table names, and the statements of each file
 * (rendered for Athena in the cloud, for DuckDB locally, from one definition:
 * `src/sql/backfill-job.ts`). Pure: no AWS SDK, no file system.
 *
 * Lake keys (relative to the lake root, outside every table's location):
 *
 * ```
 * _backfill/runs/<runId>/lines/<index>/<file>   the raw lines of piece <index> (Athena reads them)
 * _backfill/runs/<runId>/out/<index>/<table>/dt=…/hour=…/<object>   what the piece's statements wrote
 * _backfill/published/<fileKey>.json           the objects a file's last publication put in the tables
 * ```
 *
 * The stage step splits each input file into pieces of one UTC day
 * (`split.ts`); the state machine's Map runs the statements of each piece, and
 * the publish step publishes a file's pieces together, under the file's name.
 */
import { checkSymbol } from '../sources/binance-trades/index.js';
import type { TableSchema } from '../lake/table-schema.js';
import { backfillMarkerKey } from '../lake/layout.js';
import { type BackfillStatements, backfillStatements } from '../sources/binance-trades/index.js';
import type { SqlDialect } from '../sql/dialect.js';
import type { RunStart } from '../orchestration/asl.js';
import type { SplitPiece } from './split.js';

/** Trade files a backfill reads: Binance's daily `.zip`, plain `.csv`, or gzipped `.csv.gz`. */
export const BACKFILL_FILE_RE = /\.(csv|zip|gz)$/i;

/** Key prefix (in the lake bucket's raw zone) under which users upload files to backfill. */
export const BACKFILL_UPLOAD_PREFIX = 'raw/backfill/';

/** Key prefix of everything a run stages (expired by a lifecycle rule). */
export const BACKFILL_RUNS_PREFIX = '_backfill/runs/';

export { BACKFILL_MARKERS_PREFIX } from '../lake/layout.js';

/** The symbol in a Binance file name such as `BTCUSDT-trades-2026-11-02.zip`, if any. */
export function symbolFromFileName(path: string): string | undefined {
  const m = /^([A-Z0-9]{2,20})-(?:trades|aggTrades)-/.exec(path.slice(path.lastIndexOf('/') + 1));
  return m ? m[1] : undefined;
}

/**
 * What a backfill is asked to do (the state machine's input). In the cloud
 * `uploadPrefix` names the uploaded files; locally `input` names a file or a
 * directory.
 */
export interface BackfillRequest {
  readonly uploadPrefix?: string;
  readonly input?: string;
  /** Symbol of every file (default: from Binance file names). */
  readonly symbol?: string;
  /** Processing clock (ISO 8601; default: the execution's start). */
  readonly processingTime?: string;
}

/** Input of the stage step: what the state machine's first (Pass) state hands on, with the execution name. */
export interface StageInput extends RunStart<BackfillRequest> {
  /** The execution name: the run id. */
  readonly runId: string;
}

/**
 * One input file of a run, or once staged one piece of it (the lines of one
 * UTC day: the unit the state machine's Map runs statements for).
 */
export interface BackfillFile {
  /** Position in the run (0-based; files sorted by name, then pieces in file order): names the staging prefix and the lines table. */
  readonly index: number;
  /** Position of the input file in the run (pieces of one file share it; default `index`). */
  readonly fileIndex?: number;
  /** Names the file's outputs and its marker: the file name without extension, `[A-Za-z0-9._-]` only. */
  readonly key: string;
  readonly symbol: string;
  /** The file name (quarantine rows name it as their source). */
  readonly sourceName: string;
  /** Where its raw lines are for the lines table: a local file, or an S3 prefix (`s3://bucket/…/`). */
  readonly linesLocation: string;
  /** Lines of the input file before this piece's first line (quarantine rows keep the file's line numbers). */
  readonly lineOffset?: number;
  /** The UTC day (`yyyy-MM-dd`) of every valid trade of the piece, when it has one. */
  readonly day?: string;
  /** Why the file could not be staged (a broken zip): its one piece fails at RenderStatements, the other files go on. */
  readonly stageError?: string;
}

/**
 * Pieces one run may process: a year of daily pieces (or twelve monthly files)
 * keeps the execution's history (25,000 events, ~40 per piece) and its state
 * (256 KB, ~0.4 KB per piece) within Step Functions' limits.
 */
export const MAX_PIECES_PER_RUN = 400;

/** A file as the stage step left it: split into pieces, or not readable. */
export type StagedFile = { readonly file: BackfillFile; readonly pieces: readonly SplitPiece[] } | { readonly file: BackfillFile; readonly error: string };

/** The pieces a file was staged as, each with its lines location; throws when a run would exceed {@link MAX_PIECES_PER_RUN}. */
export function filePieces(files: readonly StagedFile[], linesLocation: (file: BackfillFile, index: number) => string): BackfillFile[] {
  const total = files.reduce((a, f) => a + ('error' in f ? 1 : f.pieces.length), 0);
  if (total > MAX_PIECES_PER_RUN)
    throw new Error(`the files split into ${total} day pieces, more than the ${MAX_PIECES_PER_RUN} one run takes: backfill them in several runs`);
  const out: BackfillFile[] = [];
  for (const staged of files) {
    const { file } = staged;
    if ('error' in staged) {
      out.push({ ...file, index: out.length, fileIndex: file.index, linesLocation: '', stageError: staged.error });
      continue;
    }
    for (const p of staged.pieces) {
      const index = out.length;
      out.push({
        index,
        fileIndex: file.index,
        key: file.key,
        symbol: file.symbol,
        sourceName: file.sourceName,
        linesLocation: linesLocation(file, index),
        lineOffset: p.firstLine,
        ...(p.day ? { day: p.day } : {}),
      });
    }
  }
  return out;
}

/** Run-wide values every step gets. */
export interface BackfillRun {
  /** The execution name: names the staging prefix and the per-run tables. */
  readonly runId: string;
  /** Processing clock, µs: ingest_time of every row, and the upper bound of valid trade times. */
  readonly processingTimeUs: number;
  /** The lake root the statements address: `s3://<lake bucket>/`, or a local directory with a trailing `/`. */
  readonly lakeRoot: string;
  /** How many files the state machine processes at once (Map MaxConcurrencyPath). */
  readonly maxConcurrency: number;
}

/** Output of the stage step. */
export interface StagedBackfill {
  readonly run: BackfillRun;
  readonly files: readonly BackfillFile[];
}

/** Outcome of one file's iteration: its statements ran (ok) or a step failed (error). */
export interface FileOutcome {
  readonly index: number;
  readonly key: string;
  readonly ok: boolean;
  readonly error?: { readonly Error?: string; readonly Cause?: string };
}

/** Input of the publish step. */
export interface PublishInput extends StagedBackfill {
  readonly results: readonly FileOutcome[];
}

/** Output of the publish step. */
export interface PublishOutput {
  /** Files published and the objects each now has in the tables. */
  readonly published: readonly { readonly key: string; readonly objects: number; readonly superseded: number }[];
  readonly failedFiles: number;
  /** One line naming the failed files and their errors ('' when none failed). */
  readonly failureSummary: string;
}

/** The key naming a file's outputs (Binance names are already safe). */
export function fileKey(fileName: string): string {
  return fileName.replace(BACKFILL_FILE_RE, '').replace(/[^A-Za-z0-9._-]/g, '_');
}

/** The trade files among some names (paths or keys), sorted: a run's files in index order. */
export function backfillInputs(names: readonly string[]): string[] {
  return names.filter((n) => BACKFILL_FILE_RE.test(n)).sort();
}

/**
 * The files of a run from the names of the inputs (any order): sorted (index
 * `i` is `backfillInputs(names)[i]`), keyed, with their symbols. Throws before
 * any work when a symbol is unknown or invalid, or two files would publish
 * under the same key.
 */
export function planFiles(names: readonly string[], symbol: string | undefined, linesLocation: (name: string, index: number) => string): BackfillFile[] {
  const sorted = backfillInputs(names);
  const seen = new Map<string, string>();
  return sorted.map((name, index) => {
    const sourceName = name.slice(name.lastIndexOf('/') + 1);
    const s = (symbol ?? symbolFromFileName(sourceName))?.toUpperCase();
    if (!s) throw new Error(`cannot tell the symbol of ${name}: pass --symbol or use Binance's file name (BTCUSDT-trades-YYYY-MM-DD.zip)`);
    const bad = checkSymbol(s);
    if (bad) throw new Error(bad.message);
    const key = fileKey(sourceName);
    const other = seen.get(key);
    if (other !== undefined) throw new Error(`${other} and ${name} would publish under the same name (${key}); backfill them separately`);
    seen.set(key, name);
    return { index, key, symbol: s, sourceName, linesLocation: linesLocation(name, index) };
  });
}

/** The processing clock of a run: the request's, else the execution start. */
export function processingTimeUs(request: BackfillRequest, startedAt: string): number {
  const iso = request.processingTime ?? startedAt;
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new Error(`processingTime ${JSON.stringify(iso)} is not an ISO 8601 time`);
  return ms * 1000;
}

/** Staging prefix of a run. */
export function runPrefix(runId: string): string {
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(runId))
    throw new Error(`run id ${JSON.stringify(runId)}: expected 1-80 of A-Z a-z 0-9 - _ (a Step Functions execution name)`);
  return `${BACKFILL_RUNS_PREFIX}${runId}/`;
}

/** Where the raw lines of file `index` are staged. */
export function linesPrefix(runId: string, index: number): string {
  return `${runPrefix(runId)}lines/${index}/`;
}

/** Where the statements of file `index` write `table`. */
export function outputPrefix(runId: string, index: number, table?: Pick<TableSchema, 'name'>): string {
  return `${runPrefix(runId)}out/${index}/${table ? `${table.name}/` : ''}`;
}

/** The publication marker of a file. */
export function markerKey(key: string): string {
  return backfillMarkerKey(key);
}

/** The per-run table of a file's raw lines (Glue names: lower case, digits, `_`). */
export function linesTableName(runId: string, index: number): string {
  return `backfill_lines_${runId.toLowerCase().replace(/[^a-z0-9]/g, '_')}_${index}`;
}

/** The statements of one file, for an engine. */
export function fileStatements(d: SqlDialect, run: BackfillRun, file: BackfillFile): BackfillStatements {
  if (file.stageError !== undefined) throw new Error(`${file.sourceName}: ${file.stageError}`);
  return backfillStatements(d, {
    linesTable: linesTableName(run.runId, file.index),
    linesLocation: file.linesLocation,
    outputLocation: (t) => run.lakeRoot + outputPrefix(run.runId, file.index, t),
    ctx: { symbol: file.symbol, nowUs: run.processingTimeUs, sourceName: file.sourceName, lineOffset: file.lineOffset ?? 0 },
    batchId: `backfill-${file.key}`,
  });
}
