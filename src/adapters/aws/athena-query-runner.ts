/**
 * Bound queries on Athena, for every reader of the lake in the cloud that waits
 * for rows (the dashboard's panels, the enriched publisher): the fixed query
 * text with its values as execution parameters (each an Athena literal,
 * {@link athenaLiteral}: quoted text, typed timestamps; never spliced into the
 * text), polled to completion with backoff, every page of rows read and
 * converted by the result set's column types ({@link athenaCell}) into the
 * same JSON-safe cells the DuckDB runner gives. An earlier identical result is
 * reused only when asked (`reuseMinutes`): the dashboard may show a result a
 * few minutes old, a publisher must see the lake as it is now.
 */
import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import type { Cell } from '../../dashboard/api.js';
import type { LakeQueryRunner } from '../../enriched/lake-queries.js';
import { ATHENA, isoMicros, sqlString } from '../../sql/dialect.js';
import type { BoundSql, SqlValue } from '../../sql/panel.js';
import { AthenaQueryError } from './ml/athena-bar-source.js';

/** Where and how the queries run. */
export interface AthenaQueryRunnerOptions {
  /** The Glue database holding the lake tables and views. */
  readonly database: string;
  /** The Athena workgroup (it enforces the result location, encryption and scan limit). */
  readonly workGroup: string;
  /**
   * How old a previous identical query's result (same text, same parameters)
   * may be to be returned instead of scanning again. Default: never reused.
   */
  readonly reuseMinutes?: number;
  /** First delay between status polls, ms; doubles up to {@link maxPollMs}. Default 200. */
  readonly pollMs?: number;
  /** Longest delay between status polls, ms. Default 1,000. */
  readonly maxPollMs?: number;
  /** Give up after this long, ms. Default 40,000 (inside a one-minute tick). */
  readonly timeoutMs?: number;
  /** Waits (injectable for tests). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * One value as an Athena literal for `ExecutionParameters`: Athena substitutes
 * each parameter's text for its `?`, so strings carry their quotes (doubled
 * inside), timestamps their type keyword, and integers are plain digits.
 */
export function athenaLiteral(v: SqlValue): string {
  switch (v.type) {
    case 'varchar':
      return sqlString(v.value);
    case 'timestamp':
      return `TIMESTAMP ${sqlString(isoMicros(v.us))}`;
    case 'bigint':
      if (!Number.isSafeInteger(v.value)) throw new RangeError(`bigint parameter is not a safe integer: ${v.value}`);
      return String(v.value);
  }
}

const INTEGER = new Set(['tinyint', 'smallint', 'integer', 'int', 'bigint']);
const FRACTIONAL = new Set(['double', 'float', 'real', 'decimal']);

/** One cell from Athena's text by its column type (`decimal(10,2)` counts as decimal). */
export function athenaCell(text: string | undefined, type: string | undefined): Cell {
  if (text === undefined) return null;
  const base = (type ?? 'varchar').toLowerCase().replace(/\(.*$/, '');
  if (INTEGER.has(base)) {
    const n = Number(text);
    // Like the DuckDB runner: a BIGINT beyond 2^53 keeps its exact decimal text.
    return Number.isSafeInteger(n) ? n : text;
  }
  if (FRACTIONAL.has(base)) {
    const n = Number(text);
    // NaN and infinities have no JSON form.
    return Number.isFinite(n) ? n : null;
  }
  if (base === 'boolean') return text === 'true';
  return text;
}

/** Runs bound queries on Athena and waits for all their rows. */
export class AthenaQueryRunner implements LakeQueryRunner {
  readonly dialect = ATHENA;

  constructor(
    private readonly athena: Pick<AthenaClient, 'send'>,
    private readonly options: AthenaQueryRunnerOptions,
  ) {}

  async run(q: BoundSql): Promise<{ readonly columns: readonly string[]; readonly rows: readonly (readonly Cell[])[] }> {
    const o = this.options;
    const started = await this.athena.send(
      new StartQueryExecutionCommand({
        QueryString: q.text,
        WorkGroup: o.workGroup,
        QueryExecutionContext: { Database: o.database },
        // The API refuses an empty list: no parameters, no field.
        ...(q.params.length > 0 ? { ExecutionParameters: q.params.map(athenaLiteral) } : {}),
        ...(o.reuseMinutes !== undefined
          ? { ResultReuseConfiguration: { ResultReuseByAgeConfiguration: { Enabled: true, MaxAgeInMinutes: o.reuseMinutes } } }
          : {}),
      }),
    );
    const id = started.QueryExecutionId;
    if (!id) throw new AthenaQueryError('Athena returned no query execution id');
    await this.waitFor(id);
    return this.results(id);
  }

  private async waitFor(id: string): Promise<void> {
    const o = this.options;
    const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const timeoutMs = o.timeoutMs ?? 40_000;
    const deadline = Date.now() + timeoutMs;
    let delay = o.pollMs ?? 200;
    for (;;) {
      const r = await this.athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
      const status = r.QueryExecution?.Status;
      if (status?.State === 'SUCCEEDED') return;
      if (status?.State === 'FAILED' || status?.State === 'CANCELLED')
        throw new AthenaQueryError(`Athena query ${id} ${status.State}: ${status.StateChangeReason ?? 'no reason given'}`);
      if (Date.now() > deadline) throw new AthenaQueryError(`Athena query ${id} still ${status?.State ?? 'unknown'} after ${timeoutMs} ms`);
      await sleep(delay);
      delay = Math.min(delay * 2, o.maxPollMs ?? 1_000);
    }
  }

  private async results(id: string): Promise<{ columns: string[]; rows: Cell[][] }> {
    let columns: string[] | undefined;
    let types: (string | undefined)[] = [];
    const rows: Cell[][] = [];
    let token: string | undefined;
    do {
      const page: GetQueryResultsCommandOutput = await this.athena.send(
        new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 1000, ...(token ? { NextToken: token } : {}) }),
      );
      const data = page.ResultSet?.Rows ?? [];
      const first = columns === undefined;
      if (first) {
        const info = page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
        columns = info.map((c) => c.Name ?? c.Label ?? '');
        types = info.map((c) => c.Type);
      }
      // The first row of the first page repeats the column names.
      for (const row of first ? data.slice(1) : data) rows.push((row.Data ?? []).map((d, i) => athenaCell(d.VarCharValue, types[i])));
      token = page.NextToken;
    } while (token);
    return { columns: columns ?? [], rows };
  }
}
