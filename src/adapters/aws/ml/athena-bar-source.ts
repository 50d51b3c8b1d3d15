/**
 * {@link BarSource} over Athena: the cloud counterpart of the DuckDB source.
 *
 * The query logic (SQL, polling, paging, row parsing) is here and tested
 * against a fake. It talks to Athena through {@link AthenaApi}, the three
 * methods of the aggregated `Athena` client of `@aws-sdk/client-athena`, so
 * `new Athena({})` satisfies it as is.
 */
import { Athena } from '@aws-sdk/client-athena';
import { ATHENA } from '../../../sql/dialect.js';
import { barFromRow, barsQuerySql, latestTradeTimeSql, symbolsQuerySql, type BarQuery, type BarSource, type BarWindow } from '../../../ml/steps/bar-source.js';
import type { Bar } from '../../../core/bars.js';

/** The subset of the `@aws-sdk/client-athena` `Athena` client the bar source uses. */
export interface AthenaApi {
  startQueryExecution(input: {
    QueryString: string;
    WorkGroup?: string;
    QueryExecutionContext?: { Database?: string };
  }): Promise<{ QueryExecutionId?: string }>;
  getQueryExecution(input: { QueryExecutionId: string }): Promise<{
    QueryExecution?: { Status?: { State?: string; StateChangeReason?: string } };
  }>;
  getQueryResults(input: { QueryExecutionId: string; NextToken?: string; MaxResults?: number }): Promise<{
    ResultSet?: { Rows?: { Data?: { VarCharValue?: string }[] }[] };
    NextToken?: string;
  }>;
}

/** Where and how queries run. */
export interface AthenaBarSourceOptions {
  /** Glue database holding `bars_1m`. */
  readonly database: string;
  /** Athena workgroup (it enforces the result location and encryption). */
  readonly workGroup: string;
  /** Delay between status polls, ms. Default 500. */
  readonly pollMs?: number;
  /** Give up after this long, ms. Default 120,000. */
  readonly timeoutMs?: number;
  /** Waits (injectable for tests). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Raised when an Athena query fails, is cancelled or times out. */
export class AthenaQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ticklake.AthenaQueryError';
  }
}

/** Runs one query to completion and returns its rows as text (header row removed). */
export async function runAthenaQuery(api: AthenaApi, sql: string, o: AthenaBarSourceOptions): Promise<(string | null)[][]> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const started = await api.startQueryExecution({ QueryString: sql, WorkGroup: o.workGroup, QueryExecutionContext: { Database: o.database } });
  const id = started.QueryExecutionId;
  if (!id) throw new AthenaQueryError('Athena returned no query execution id');
  const deadline = Date.now() + (o.timeoutMs ?? 120_000);
  for (;;) {
    const r = await api.getQueryExecution({ QueryExecutionId: id });
    const state = r.QueryExecution?.Status?.State;
    if (state === 'SUCCEEDED') break;
    if (state === 'FAILED' || state === 'CANCELLED')
      throw new AthenaQueryError(`Athena query ${id} ${state}: ${r.QueryExecution?.Status?.StateChangeReason ?? 'no reason given'}`);
    if (Date.now() > deadline) throw new AthenaQueryError(`Athena query ${id} still ${state ?? 'unknown'} after ${o.timeoutMs ?? 120_000} ms`);
    await sleep(o.pollMs ?? 500);
  }
  const rows: (string | null)[][] = [];
  let token: string | undefined;
  let first = true;
  do {
    const page = await api.getQueryResults({ QueryExecutionId: id, MaxResults: 1000, ...(token ? { NextToken: token } : {}) });
    const data = page.ResultSet?.Rows ?? [];
    // The first row of the first page holds the column names.
    for (const row of first ? data.slice(1) : data) rows.push((row.Data ?? []).map((d) => d.VarCharValue ?? null));
    first = false;
    token = page.NextToken;
  } while (token);
  return rows;
}

/** Minute bars from `bars_1m` with Athena. */
export class AthenaBarSource implements BarSource {
  constructor(
    private readonly api: AthenaApi,
    private readonly options: AthenaBarSourceOptions,
  ) {}

  async bars(query: BarQuery): Promise<Bar[]> {
    const rows = await runAthenaQuery(this.api, barsQuerySql(query, ATHENA), this.options);
    return rows.map(barFromRow);
  }

  async symbols(window: BarWindow): Promise<string[]> {
    const rows = await runAthenaQuery(this.api, symbolsQuerySql(window, ATHENA), this.options);
    return rows.map((r) => String(r[0]));
  }

  /** The latest trade time in the lake from the UTC day of `fromUs` on, µs (undefined when there is none). */
  async latestTradeTimeUs(fromUs: number): Promise<number | undefined> {
    const rows = await runAthenaQuery(this.api, latestTradeTimeSql(fromUs, ATHENA), this.options);
    const v = rows[0]?.[0];
    if (v === null || v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new AthenaQueryError(`latest trade time is not a number: ${v}`);
    return n;
  }
}

/** The Athena client for Lambda (region and credentials from the function's environment). */
export function createAthenaApi(): AthenaApi {
  return new Athena({});
}
