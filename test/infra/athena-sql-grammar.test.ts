/**
 * Every SQL text the project gives Athena parses with the grammar of the engine
 * that runs it: Trino's for queries (Athena engine version 3 is Trino), Hive's
 * for the DDL Athena runs through Hive. Nothing here runs on AWS; the SQL runs
 * on DuckDB elsewhere, and this catches what DuckDB accepts and Athena would
 * refuse (`::` casts, `EXCLUDE`, list literals, `QUALIFY`, …).
 *
 * The texts: the views and named queries of the synthesized catalog, and the
 * statements rendered at run time (compaction and derivation, backfill, the
 * dashboard panels, the forecasting and enriched-stream reads). An `UNLOAD`,
 * which is Athena's own, is checked for its form and its query is parsed.
 */
import { Stack } from 'aws-cdk-lib';
import { HiveSQL, TrinoSQL } from 'dt-sql-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BackfillFile, BackfillRun } from '../../src/backfill/plan.js';
import { fileStatements } from '../../src/backfill/plan.js';
import { COMPACTION_DERIVATIONS, compactableTables, TABLES } from '../../src/catalog.js';
import { SQL_PANELS } from '../../src/dashboard/panels.js';
import { engagementWindowsSql, latestEventTimeSql, viewingEventsSql } from '../../src/enriched/lake-queries.js';
import { barsQuerySql, latestTradeTimeSql, symbolsQuerySql } from '../../src/ml/steps/bar-source.js';
import { compactionStatement, derivedStatement } from '../../src/sql/compaction.js';
import { ATHENA } from '../../src/sql/dialect.js';
import type { PanelArgs } from '../../src/sql/panel.js';
import { buildApp, decodeView, evaluate, resourcesOf } from './helpers.js';

const trino = new TrinoSQL();
const hive = new HiveSQL();

/** Athena's `UNLOAD (<query>) TO '<s3 location>' WITH (<property> = <value>, …)`: the query, or undefined for another statement. */
function unloadQuery(sql: string): string | undefined {
  const m = /^UNLOAD \(([\s\S]+)\)\s+TO\s+'s3:\/\/[^']+\/'\s+WITH\s+\(([^()]+)\)\s*$/.exec(sql);
  if (!sql.startsWith('UNLOAD')) return undefined;
  expect(m, `not Athena's UNLOAD form: ${sql.slice(-200)}`).not.toBeNull();
  for (const p of m![2]!.split(/,\s*(?![^[]*\])/)) expect(p.trim(), sql.slice(-200)).toMatch(/^[a-z_]+ = (?:'[^']*'|ARRAY\['[^']*'(?:, '[^']*')*\])$/);
  return m![1]!;
}

/** The grammar's complaints about one text (none: it parses). */
function problems(sql: string): string[] {
  if (/^\s*CREATE EXTERNAL TABLE/i.test(sql)) return hive.validate(sql).map((e) => e.message);
  return trino.validate(unloadQuery(sql) ?? sql).map((e) => e.message);
}

const DAY_US = 86_400_000_000;
const NOW_US = Date.UTC(2026, 10, 22, 12) * 1000;

/** Statements the project renders at run time, by where they come from. */
function runtimeStatements(): [string, string][] {
  const out: [string, string][] = [];
  const partition = 'dt=2026-11-02/hour=07';
  const folder = (t: string) => `s3://lake/${t}/${partition}/`;
  for (const t of compactableTables())
    out.push([
      `compaction ${t.name}`,
      compactionStatement(ATHENA, {
        table: t,
        partition,
        folder: folder(t.name),
        names: ['a.parquet', 'b.parquet'],
        output: 's3://lake/_compaction/runs/r/0/',
      }),
    ]);
  for (const d of COMPACTION_DERIVATIONS)
    out.push([
      `derivation ${d.table}`,
      derivedStatement(ATHENA, {
        derived: d,
        table: TABLES[d.table]!,
        source: TABLES[d.source]!,
        partition,
        generation: `${folder(d.source)}compacted-000000000000001-r%`,
        batchId: 'compacted-000000000000001-r',
        output: 's3://lake/_compaction/runs/r/0-x/',
      }),
    ]);
  const run: BackfillRun = { runId: 'exec-1', processingTimeUs: NOW_US, lakeRoot: 's3://lake/', maxConcurrency: 2 };
  const file: BackfillFile = {
    index: 0,
    key: 'BTCUSDT-trades-2026-11-02',
    symbol: 'BTCUSDT',
    sourceName: 'BTCUSDT-trades-2026-11-02.zip',
    linesLocation: 's3://lake/_backfill/runs/exec-1/lines/0/',
  };
  for (const [step, sql] of Object.entries(fileStatements(ATHENA, run, file))) out.push([`backfill ${step}`, sql]);
  const args: PanelArgs = { fromUs: NOW_US - DAY_US, toUs: NOW_US, symbol: 'BTCUSDT', symbols: ['BTCUSDT', 'ETHUSDT'], nowUs: NOW_US };
  for (const p of SQL_PANELS) {
    out.push([`panel ${p.id}`, p.query(args, ATHENA).text]);
    if (p.choices) out.push([`panel ${p.id} choices`, p.choices(args, ATHENA).text]);
  }
  const window = { startUs: NOW_US - 7 * DAY_US, endUs: NOW_US };
  out.push(['forecasting bars', barsQuerySql({ ...window, symbols: ['BTCUSDT'] }, ATHENA)]);
  out.push(['forecasting symbols', symbolsQuerySql(window, ATHENA)]);
  out.push(['forecasting latest trade', latestTradeTimeSql(NOW_US - DAY_US, ATHENA)]);
  out.push(['enriched latest event', latestEventTimeSql('viewing_events', NOW_US - DAY_US, ATHENA).text]);
  out.push(['enriched engagement windows', engagementWindowsSql(NOW_US - 3_600_000_000, NOW_US, ATHENA).text]);
  out.push([
    'enriched viewing events',
    viewingEventsSql({ lookbackUs: NOW_US - 4 * 3_600_000_000, afterUs: NOW_US - 60_000_000, throughUs: NOW_US }, ATHENA).text,
  ]);
  return out;
}

/** The catalog's views (their SQL) and named queries, as synthesized. */
function catalogStatements(): [string, string][] {
  const built = buildApp();
  const out: [string, string][] = [];
  for (const stack of Object.values(built.stacks).filter((x): x is Stack => x instanceof Stack)) {
    const t = built.template(stack);
    for (const [, r] of resourcesOf(t, 'AWS::Glue::Table')) {
      const input = r.Properties.TableInput;
      if (input.TableType !== 'VIRTUAL_VIEW') continue;
      out.push([`view ${input.Name}`, decodeView(String(evaluate(input.ViewOriginalText))).originalSql]);
    }
    for (const [, r] of resourcesOf(t, 'AWS::Athena::NamedQuery')) out.push([`named query ${r.Properties.Name}`, String(evaluate(r.Properties.QueryString))]);
  }
  return out;
}

describe("Athena's SQL, parsed with the grammars of the engines that run it", () => {
  let catalog: [string, string][];
  beforeAll(() => {
    catalog = catalogStatements();
  }, 120_000);

  it('finds DuckDB-only syntax (the check can fail)', () => {
    expect(problems('SELECT x::int FROM t')).not.toEqual([]);
    expect(problems('SELECT * EXCLUDE (a) FROM t')).not.toEqual([]);
    expect(problems("SELECT [1, 2] FROM t WHERE a = 'b'")).not.toEqual([]);
    expect(problems("CREATE EXTERNAL TABLE t (a string) STORED AS PARQUET LOCATION 's3://b/p/' TBLPROPERTIES ('k' = )")).not.toEqual([]);
    expect(() => unloadQuery("UNLOAD (SELECT 1) TO 's3://b/p/' WITH (format = PARQUET)")).toThrow();
  });

  it('the views and named queries of the catalog', () => {
    // Assess
    expect(catalog.filter(([w]) => w.startsWith('view ')).length).toBeGreaterThanOrEqual(compactableTables().length);
    expect(catalog.filter(([w]) => w.startsWith('named query ')).length).toBeGreaterThan(10);
    for (const [where, sql] of catalog) expect(problems(sql), `${where}:\n${sql}`).toEqual([]);
  });

  it('the statements rendered at run time: compaction, backfill, panels, forecasting and enriched-stream reads', () => {
    // Prepare
    const statements = runtimeStatements();
    // Assess
    expect(statements.filter(([, s]) => s.startsWith('UNLOAD')).length).toBeGreaterThanOrEqual(compactableTables().length + 3);
    expect(statements.some(([, s]) => /^\s*CREATE EXTERNAL TABLE/i.test(s))).toBe(true);
    for (const [where, sql] of statements) expect(problems(sql), `${where}:\n${sql}`).toEqual([]);
  });
});
