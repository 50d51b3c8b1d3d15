/**
 * The bar-source port: where the forecasting handlers read minute bars from.
 * The `bars_1m` table, through DuckDB locally (`src/local/ml/duckdb-bar-source.ts`)
 * and Athena in the cloud (`athena-bar-source.ts`); the query text is built
 * here once, in the SQL subset both engines run, with the engine-specific
 * pieces from `src/sql/dialect.ts`.
 */
import { MINUTE_US } from '../bar.js';
import { dateOfDay, dayNumber } from '../../core/time.js';
import type { SqlDialect } from '../../sql/dialect.js';
import { BAR_COLUMNS, BAR_FIELDS } from '../../core/bars.js';
import type { Bar } from '../../core/bars.js';

/** A time window of bars, by minute start: `[startUs, endUs)`. */
export interface BarWindow {
  /** First minute included, µs since epoch. */
  readonly startUs: number;
  /** First minute excluded, µs since epoch. */
  readonly endUs: number;
}

/** Bars of a window, optionally of some symbols only. */
export interface BarQuery extends BarWindow {
  /** Upper-case symbols; undefined or empty = every symbol. */
  readonly symbols?: readonly string[];
}

/** Reads minute bars (the `bars_1m` table). */
export interface BarSource {
  /** Bars of the window, ordered by symbol then minute. */
  bars(query: BarQuery): Promise<Bar[]>;
  /** Symbols with at least one bar in the window, sorted. */
  symbols(window: BarWindow): Promise<string[]>;
}

const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;

function checkWindow(w: BarWindow): void {
  if (!Number.isFinite(w.startUs) || !Number.isFinite(w.endUs) || !(w.endUs > w.startUs))
    throw new RangeError(`bar window [${w.startUs}, ${w.endUs}) is empty or not finite`);
}

/** Partition and minute filters of a window (dt prunes partitions; minute_start trims the edges). */
function whereSql(w: BarWindow, dialect: SqlDialect, symbols?: readonly string[]): string {
  checkWindow(w);
  const firstDt = dateOfDay(dayNumber(w.startUs));
  const lastDt = dateOfDay(dayNumber(w.endUs - 1));
  const parts = [
    `dt BETWEEN ${quote(firstDt)} AND ${quote(lastDt)}`,
    `minute_start >= ${dialect.timestampLiteral(w.startUs)}`,
    `minute_start < ${dialect.timestampLiteral(w.endUs)}`,
  ];
  if (symbols && symbols.length > 0) {
    for (const s of symbols) if (!/^[A-Z0-9]{2,32}$/.test(s)) throw new Error(`not a symbol: ${s}`);
    parts.push(`symbol IN (${symbols.map(quote).join(', ')})`);
  }
  return parts.join('\n  AND ');
}

/** Microseconds since the epoch of a `timestamp` expression, per engine. */
function epochMicros(expr: string, dialect: SqlDialect): string {
  return dialect.name === 'duckdb' ? `epoch_us(${expr})` : `CAST(round(to_unixtime(${expr}) * 1000000) AS BIGINT)`;
}

/** The query of {@link BarSource.bars} on `bars_1m` (or another relation with its columns). */
export function barsQuerySql(query: BarQuery, dialect: SqlDialect, relation = 'bars_1m'): string {
  return `SELECT symbol, ${epochMicros('minute_start', dialect)} AS minute_us, ${BAR_FIELDS.slice(2)
    .map((f) => BAR_COLUMNS[f])
    .join(', ')}
FROM ${relation}
WHERE ${whereSql(query, dialect, query.symbols)}
ORDER BY symbol, minute_start`;
}

/** The query of {@link BarSource.symbols}. */
export function symbolsQuerySql(window: BarWindow, dialect: SqlDialect, relation = 'bars_1m'): string {
  return `SELECT DISTINCT symbol FROM ${relation}
WHERE ${whereSql(window, dialect)}
ORDER BY symbol`;
}

/**
 * The latest trade time (µs; NULL for none) in `bar_partials` from the UTC day
 * of `fromUs` on: the stream's watermark as the lake sees it. Each partial's
 * `close_time` is the time of its last trade, so this equals the latest
 * `trades.trade_time` (what the local publisher reads) at a fraction of the scan.
 */
export function latestTradeTimeSql(fromUs: number, dialect: SqlDialect, relation = 'bar_partials'): string {
  if (!Number.isFinite(fromUs)) throw new RangeError(`not a time: ${fromUs}`);
  return `SELECT ${epochMicros('max(close_time)', dialect)} AS watermark_us
FROM ${relation}
WHERE dt >= ${quote(dateOfDay(dayNumber(fromUs)))}`;
}

/** A value of a result row as a number (engines return BIGINTs and DOUBLEs as numbers or strings). */
function num(v: unknown, column: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : typeof v === 'string' ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) throw new Error(`bars_1m column ${column} is not a finite number: ${String(v)}`);
  return n;
}

/** A {@link Bar} from a result row of {@link barsQuerySql}: the fields in {@link BAR_FIELDS} order, `minute_us` (µs) in place of `minute_start`. */
export function barFromRow(row: readonly unknown[]): Bar {
  const minuteStartUs = num(row[1], 'minute_start');
  if (minuteStartUs % MINUTE_US !== 0) throw new Error(`bars_1m minute_start ${minuteStartUs} is not minute-aligned`);
  const bar: Record<string, string | number> = { symbol: String(row[0]), minuteStartUs };
  for (let i = 2; i < BAR_FIELDS.length; i++) bar[BAR_FIELDS[i]!] = num(row[i], BAR_COLUMNS[BAR_FIELDS[i]!]);
  return bar as unknown as Bar;
}

/** A bar source over bars already in memory (tests, and callers that hold the bars). */
export class MemoryBarSource implements BarSource {
  private readonly sorted: Bar[];

  constructor(bars: readonly Bar[]) {
    this.sorted = [...bars].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : a.minuteStartUs - b.minuteStartUs));
  }

  async bars(q: BarQuery): Promise<Bar[]> {
    checkWindow(q);
    const want = q.symbols && q.symbols.length > 0 ? new Set(q.symbols) : undefined;
    return this.sorted.filter((b) => b.minuteStartUs >= q.startUs && b.minuteStartUs < q.endUs && (want === undefined || want.has(b.symbol)));
  }

  async symbols(w: BarWindow): Promise<string[]> {
    checkWindow(w);
    return [...new Set(this.sorted.filter((b) => b.minuteStartUs >= w.startUs && b.minuteStartUs < w.endUs).map((b) => b.symbol))].sort();
  }
}
