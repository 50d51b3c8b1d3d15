import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  StartQueryExecutionCommand,
  type StartQueryExecutionCommandInput,
} from '@aws-sdk/client-athena';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AthenaPanelRunner, athenaCell, athenaLiteral } from '../../src/adapters/aws/athena-panel-runner.js';
import { AthenaQueryError } from '../../src/adapters/aws/ml/athena-bar-source.js';
import { ATHENA } from '../../src/sql/dialect.js';
import { bind } from '../../src/sql/panel.js';

const athena = mockClient(AthenaClient);
let client: AthenaClient;
const OPTIONS = { database: 'ticklake_dev', workGroup: 'ticklake-dev', sleep: async () => {} };

beforeEach(() => {
  athena.reset();
  client = new AthenaClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
});
afterEach(() => client.destroy());

/** One page of results: the header row first on the first page, as Athena sends it. */
function page(columns: [string, string][], rows: (string | undefined)[][], opts: { header: boolean; next?: string }): GetQueryResultsCommandOutput {
  const asRow = (cells: (string | undefined)[]) => ({ Data: cells.map((v) => (v === undefined ? {} : { VarCharValue: v })) });
  return {
    $metadata: {},
    ResultSet: {
      ResultSetMetadata: { ColumnInfo: columns.map(([Name, Type]) => ({ Name, Label: Name, Type })) },
      Rows: [...(opts.header ? [asRow(columns.map(([n]) => n))] : []), ...rows.map(asRow)],
    },
    ...(opts.next ? { NextToken: opts.next } : {}),
  };
}

function succeedWith(...pages: GetQueryResultsCommandOutput[]): void {
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
  athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
  const results = athena.on(GetQueryResultsCommand);
  pages.forEach((p, i) => {
    results.resolvesOnce(p);
    if (i === pages.length - 1) results.resolves(p);
  });
}

describe('AthenaPanelRunner', () => {
  it('sends the fixed text, the values as execution parameters, the database, workgroup and result reuse', async () => {
    // Prepare
    succeedWith(page([['n', 'bigint']], [], { header: true }));
    const runner = new AthenaPanelRunner(client, { ...OPTIONS, reuseMinutes: 7 });
    const text = 'SELECT count(*) AS n FROM trades WHERE symbol = ? AND trade_time >= ? AND dt >= ? LIMIT ?';
    const evil = "x' OR '1'='1";

    // Act
    await runner.run({
      text,
      params: [bind.text(evil), bind.time(Date.UTC(2026, 10, 2, 9, 30) * 1000 + 123), bind.day(Date.UTC(2026, 10, 2) * 1000), bind.int(500)],
    });

    // Assess
    const input = athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input as StartQueryExecutionCommandInput;
    expect(input.QueryString).toBe(text);
    expect(input.QueryString).not.toContain(evil);
    expect(input.ExecutionParameters).toEqual(["'x'' OR ''1''=''1'", "TIMESTAMP '2026-11-02 09:30:00.000123'", "'2026-11-02'", '500']);
    expect(input.WorkGroup).toBe('ticklake-dev');
    expect(input.QueryExecutionContext).toEqual({ Database: 'ticklake_dev' });
    expect(input.ResultReuseConfiguration).toEqual({ ResultReuseByAgeConfiguration: { Enabled: true, MaxAgeInMinutes: 7 } });
    expect(runner.dialect).toBe(ATHENA);
  });

  it('sends no ExecutionParameters for a query without placeholders (the API refuses an empty list), and reuses 5 minutes by default', async () => {
    // Prepare
    succeedWith(page([['n', 'bigint']], [['3']], { header: true }));

    // Act
    const r = await new AthenaPanelRunner(client, OPTIONS).run({ text: 'SELECT 3 AS n', params: [] });

    // Assess
    const input = athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input;
    expect('ExecutionParameters' in input).toBe(false);
    expect(input.ResultReuseConfiguration?.ResultReuseByAgeConfiguration?.MaxAgeInMinutes).toBe(5);
    expect(r).toEqual({ columns: ['n'], rows: [[3]] });
  });

  it('polls with a growing delay until the query succeeds', async () => {
    // Prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-2' });
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce({ QueryExecution: { Status: { State: 'QUEUED' } } })
      .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } })
      .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } })
      .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    athena.on(GetQueryResultsCommand).resolves(page([['x', 'varchar']], [], { header: true }));
    const waits: number[] = [];

    // Act
    await new AthenaPanelRunner(client, { ...OPTIONS, pollMs: 100, maxPollMs: 300, sleep: async (ms) => void waits.push(ms) }).run({
      text: 'SELECT 1',
      params: [],
    });

    // Assess
    expect(waits).toEqual([100, 200, 300]);
    expect(athena.commandCalls(GetQueryResultsCommand)[0]!.args[0].input.QueryExecutionId).toBe('q-2');
  });

  it("fails with Athena's reason when the query fails or is cancelled", async () => {
    // Prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-3' });
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: { Status: { State: 'FAILED', StateChangeReason: "TABLE_NOT_FOUND: line 1:15: Table 'ticklake_dev.crypto_quotes' does not exist" } },
    });
    const runner = new AthenaPanelRunner(client, OPTIONS);

    // Act
    const failed = runner.run({ text: 'SELECT * FROM crypto_quotes', params: [] });

    // Assess
    await expect(failed).rejects.toThrow(AthenaQueryError);
    await expect(failed).rejects.toThrow(/q-3 FAILED: TABLE_NOT_FOUND.*crypto_quotes/);
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
  });

  it('gives up after the timeout, naming the state', async () => {
    // Prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-4' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'RUNNING' } } });

    // Act
    const slow = new AthenaPanelRunner(client, { ...OPTIONS, timeoutMs: 30, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), pollMs: 10 }).run({
      text: 'SELECT 1',
      params: [],
    });

    // Assess
    await expect(slow).rejects.toThrow(/q-4 still RUNNING after 30 ms/);
  });

  it('reads every page, skipping the header row on the first only, and converts cells by column type', async () => {
    // Prepare
    const cols: [string, string][] = [
      ['minute', 'timestamp'],
      ['symbol', 'varchar'],
      ['close', 'double'],
      ['trades', 'bigint'],
      ['vwap', 'decimal(18,6)'],
      ['buyer_maker', 'boolean'],
      ['dt', 'date'],
    ];
    succeedWith(
      page(cols, [['2026-11-02 09:30:00.000', 'BTCUSDT', '68000.5', '42', '68001.250000', 'true', '2026-11-02']], { header: true, next: 't-1' }),
      page(cols, [['2026-11-02 09:31:00.000', 'ETHUSDT', undefined, '9007199254740993', undefined, 'false', undefined]], { header: false }),
    );

    // Act
    const r = await new AthenaPanelRunner(client, OPTIONS).run({ text: 'SELECT …', params: [] });

    // Assess
    expect(r.columns).toEqual(['minute', 'symbol', 'close', 'trades', 'vwap', 'buyer_maker', 'dt']);
    expect(r.rows).toEqual([
      ['2026-11-02 09:30:00.000', 'BTCUSDT', 68000.5, 42, 68001.25, true, '2026-11-02'],
      // NULLs stay null; a BIGINT beyond 2^53 keeps its exact text (as the DuckDB runner does).
      ['2026-11-02 09:31:00.000', 'ETHUSDT', null, '9007199254740993', null, false, null],
    ]);
    const calls = athena.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.NextToken)).toEqual([undefined, 't-1']);
  });

  it('answers no columns and no rows for an empty result', async () => {
    // Prepare
    succeedWith(page([['symbol', 'varchar']], [], { header: true }));

    // Act
    const r = await new AthenaPanelRunner(client, OPTIONS).run({ text: 'SELECT symbol FROM trades WHERE false', params: [] });

    // Assess
    expect(r).toEqual({ columns: ['symbol'], rows: [] });
  });
});

describe('athenaCell', () => {
  it('maps integer, fractional, boolean, null and text types', () => {
    // Prepare / Act / Assess
    expect(athenaCell('7', 'integer')).toBe(7);
    expect(athenaCell('-3', 'smallint')).toBe(-3);
    expect(athenaCell('1.5', 'real')).toBe(1.5);
    expect(athenaCell('NaN', 'double')).toBeNull();
    expect(athenaCell('Infinity', 'double')).toBeNull();
    expect(athenaCell('false', 'boolean')).toBe(false);
    expect(athenaCell(undefined, 'varchar')).toBeNull();
    expect(athenaCell('', 'varchar')).toBe('');
    expect(athenaCell('007', 'varchar')).toBe('007');
    expect(athenaCell('2026-11-02 00:00:00.000000', 'timestamp(6)')).toBe('2026-11-02 00:00:00.000000');
  });
});

describe('athenaLiteral', () => {
  let db: DuckDBInstance;
  let duck: DuckDBConnection;
  beforeAll(async () => {
    db = await DuckDBInstance.create(':memory:');
    duck = await db.connect();
  });
  afterAll(() => {
    duck.closeSync();
    db.closeSync();
  });

  it('renders any text as a literal that reads back as the same text (quotes doubled, nothing else special)', async () => {
    // Prepare
    const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.stringMatching(/^['"\\;\-\s?a-z]{0,20}$/));

    // Act / Assess: both engines read a standard SQL string literal; DuckDB checks it here.
    await fc.assert(
      fc.asyncProperty(text, async (value) => {
        const literal = athenaLiteral({ type: 'varchar', value });
        const back = (await duck.runAndReadAll(`SELECT ${literal} AS v`)).getRowsJS()[0]![0];
        expect(back).toBe(value);
      }),
      { numRuns: 300 },
    );
  });

  it('renders timestamps to the microsecond and refuses an inexact bigint', async () => {
    // Prepare
    const us = Date.UTC(2026, 10, 2, 23, 59, 59, 999) * 1000 + 999;

    // Act
    const literal = athenaLiteral({ type: 'timestamp', us });
    const back = (await duck.runAndReadAll(`SELECT epoch_us(${literal}) AS v`)).getRowsJS()[0]![0];

    // Assess
    expect(literal).toBe("TIMESTAMP '2026-11-02 23:59:59.999999'");
    expect(back).toBe(BigInt(us));
    expect(athenaLiteral({ type: 'bigint', value: -42 })).toBe('-42');
    expect(() => athenaLiteral({ type: 'bigint', value: 2 ** 60 })).toThrow(RangeError);
  });
});
