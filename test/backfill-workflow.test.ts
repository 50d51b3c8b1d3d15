import { describe, expect, it } from 'vitest';
import { handler as renderHandler } from '../lambdas/backfill/render.js';
import { type BackfillFile, type BackfillRun, fileStatements, outputPrefix, type PublishInput, type StagedBackfill } from '../src/backfill/plan.js';
import { BACKFILL_ERRORS, BACKFILL_STATES as S, localBackfillDefinition } from '../src/adapters/workflows/backfill-workflow.js';
import { LocalExecutionError, type LocalTask, LocalWorkflow } from '../src/local/ml/executor.js';
import { ATHENA } from '../src/sql/dialect.js';
import { checkedLinesSql, classifiedLinesSql, validTradesSql } from '../src/sources/binance-trades/backfill-sql.js';
import { publishBackfill } from '../src/backfill/publish.js';
import { MemoryObjectStore } from './helpers/memory-object-store.js';

const NOW = '2026-11-22T00:00:00.000Z';
const RUN = (runId: string): BackfillRun => ({ runId, processingTimeUs: Date.parse(NOW) * 1000, lakeRoot: 's3://lake/', maxConcurrency: 2 });
const FILES: BackfillFile[] = ['BTCUSDT-trades-2026-11-02', 'ETHUSDT-trades-2026-11-02'].map((key, index) => ({
  index,
  key,
  symbol: key.slice(0, 7),
  sourceName: `${key}.zip`,
  linesLocation: `s3://lake/_backfill/runs/RUN/lines/${index}/`,
}));

/**
 * The cloud's Task states, overridden: the stage step returns two files, the
 * real render handler renders their Athena statements, the Athena states
 * record their statement and "write" one staged object per table and hour,
 * the publish step is the real one on an in-memory store.
 */
function cloudLike(
  store: MemoryObjectStore,
  statements: { state: string; sql: string }[],
  opts: { fail?: { state: string; file: number }; stage?: LocalTask } = {},
) {
  const { fail } = opts;
  const athena =
    (state: string): LocalTask =>
    async (input) => {
      const sql = (input as { QueryString: string }).QueryString;
      statements.push({ state, sql });
      const m = /TO 's3:\/\/lake\/(_backfill\/runs\/[^']+\/out\/(\d+)\/)(\w+)\/'/.exec(sql);
      if (fail && state === fail.state && m && Number(m[2]) === fail.file)
        throw Object.assign(new Error('HIVE_BAD_DATA: broken line'), { name: 'States.TaskFailed' });
      if (m) await store.put(`${m[1]}${m[3]}/dt=2026-11-02/hour=05/20261122_${m[3]}_0`, new Uint8Array([1]));
      return { QueryExecution: { Status: { State: 'SUCCEEDED' } } };
    };
  const tasks: Record<string, LocalTask> = {
    [S.stage]:
      opts.stage ??
      (async (i) => {
        const { runId } = i as { runId: string };
        return { run: RUN(runId), files: FILES.map((f) => ({ ...f, linesLocation: f.linesLocation.replace('RUN', runId) })) } satisfies StagedBackfill;
      }),
    [S.render]: (i) => renderHandler(i as Parameters<typeof renderHandler>[0]),
    [S.publish]: (i) => publishBackfill(store, i as PublishInput),
  };
  for (const state of [S.createLines, S.trades, S.quarantine, S.barPartials, S.dropLines, S.dropAfterFailure]) tasks[state] = athena(state);
  return new LocalWorkflow<Record<string, any>>(localBackfillDefinition(), tasks);
}

const tableObjects = (store: MemoryObjectStore) => [...store.objects.keys()].filter((k) => !k.startsWith('_backfill/')).sort();

describe('backfill state machine executed locally (aws-local-stepfunctions, Task states overridden)', () => {
  it('runs the Athena-dialect statements of the shared definitions, per file: create, three UNLOADs, drop', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    const statements: { state: string; sql: string }[] = [];
    // Act
    const r = await cloudLike(store, statements).run({ uploadPrefix: 'raw/backfill/b1/' }, 'exec-1');
    // Assess
    expect(r.statesEntered.at(-1)).toBe(S.succeeded);
    for (const f of FILES) {
      const expected = fileStatements(ATHENA, RUN('exec-1'), { ...f, linesLocation: `s3://lake/_backfill/runs/exec-1/lines/${f.index}/` });
      const mine = statements
        .filter(
          (s) =>
            s.sql.includes(`backfill_lines_exec_1_${f.index} `) || s.sql.endsWith(`backfill_lines_exec_1_${f.index}`) || s.sql.includes(`/out/${f.index}/`),
        )
        .map((s) => [s.state, s.sql]);
      expect(mine).toEqual([
        [S.createLines, expected.createLines],
        [S.trades, expected.trades],
        [S.quarantine, expected.quarantine],
        [S.barPartials, expected.barPartials],
        [S.dropLines, expected.dropLines],
      ]);
      // the Athena rendering of the shared definitions, not DuckDB's
      const ctx = { symbol: f.symbol, nowUs: RUN('exec-1').processingTimeUs, sourceName: f.sourceName };
      const validPart = validTradesSql('X', ATHENA, ctx).split('FROM X')[0]!;
      expect(expected.trades).toContain(validPart);
      expect(expected.trades).toContain(checkedLinesSql('N', ATHENA, ctx).split('FROM (')[0]!);
      expect(expected.quarantine).toContain(classifiedLinesSql('N', ATHENA, ctx).split('FROM (')[0]!);
      expect(expected.trades).toMatch(/regexp_like\(/);
      expect(expected.trades).not.toMatch(/regexp_full_match|make_timestamp|read_csv|COPY /);
    }
    expect(tableObjects(store)).toEqual([
      'aggregate/bar_partials/dt=2026-11-02/hour=05/backfill-BTCUSDT-trades-2026-11-02-0.parquet',
      'aggregate/bar_partials/dt=2026-11-02/hour=05/backfill-ETHUSDT-trades-2026-11-02-0.parquet',
      'curated/trades/dt=2026-11-02/hour=05/backfill-BTCUSDT-trades-2026-11-02-0.parquet',
      'curated/trades/dt=2026-11-02/hour=05/backfill-ETHUSDT-trades-2026-11-02-0.parquet',
      'quarantine/quarantine/dt=2026-11-02/hour=05/backfill-BTCUSDT-trades-2026-11-02-0.parquet',
      'quarantine/quarantine/dt=2026-11-02/hour=05/backfill-ETHUSDT-trades-2026-11-02-0.parquet',
    ]);
    expect([...store.objects.keys()].filter((k) => k.startsWith('_backfill/runs/'))).toEqual([]);
  });

  it("a failed UNLOAD drops that file's table (Catch), the other file is still published, and the run fails", async () => {
    // Prepare
    const store = new MemoryObjectStore();
    const statements: { state: string; sql: string }[] = [];
    // Act
    const attempt = cloudLike(store, statements, { fail: { state: S.quarantine, file: 1 } }).run({ uploadPrefix: 'raw/backfill/b2/' }, 'exec-2');
    // Assess
    const error = await attempt.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocalExecutionError);
    expect((error as LocalExecutionError).error).toBe(BACKFILL_ERRORS.filesFailed);
    expect((error as LocalExecutionError).cause).toMatch(/ETHUSDT-trades-2026-11-02\.zip: States\.TaskFailed \(HIVE_BAD_DATA/);
    const forFile1 = statements.filter((s) => s.sql.includes('backfill_lines_exec_2_1') || s.sql.includes('/out/1/')).map((s) => s.state);
    expect(forFile1).toEqual([S.createLines, S.trades, S.quarantine, S.dropAfterFailure]);
    expect(statements.find((s) => s.state === S.dropAfterFailure)!.sql).toBe('DROP TABLE IF EXISTS backfill_lines_exec_2_1');
    expect((error as LocalExecutionError).statesEntered).toEqual(expect.arrayContaining([S.dropAfterFailure, S.fileFailed, S.publish, S.filesFailed]));
    expect(tableObjects(store).every((k) => k.includes('BTCUSDT'))).toBe(true);
    expect(tableObjects(store)).toHaveLength(3);
  });

  it('a failing stage step ends in BackfillFailed with its message, before any statement', async () => {
    // Prepare
    const statements: { state: string; sql: string }[] = [];
    const workflow = cloudLike(new MemoryObjectStore(), statements, {
      stage: async () => {
        throw new Error('no .csv, .zip or .gz trade files under s3://lake/raw/backfill/empty/');
      },
    });
    // Act
    const error = await workflow.run({ uploadPrefix: 'raw/backfill/empty/' }, 'exec-3').catch((e: unknown) => e);
    // Assess
    expect((error as LocalExecutionError).error).toBe(BACKFILL_ERRORS.failed);
    expect((error as LocalExecutionError).cause).toMatch(/no \.csv, \.zip or \.gz trade files/);
    expect(statements).toEqual([]);
  });

  it('running the same files again (a new execution, or a rerun of the same run id) publishes the same objects, never more', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    await cloudLike(store, []).run({ uploadPrefix: 'raw/backfill/b4/' }, 'exec-4');
    const once = tableObjects(store);
    // Act
    await cloudLike(store, []).run({ uploadPrefix: 'raw/backfill/b4/' }, 'exec-5');
    await cloudLike(store, []).run({ uploadPrefix: 'raw/backfill/b4/' }, 'exec-5');
    // Assess
    expect(once).toHaveLength(6);
    expect(tableObjects(store)).toEqual(once);
    expect(outputPrefix('exec-5', 0)).toBe('_backfill/runs/exec-5/out/0/');
    expect([...store.objects.keys()].filter((k) => k.startsWith('_backfill/runs/'))).toEqual([]);
  });
});
