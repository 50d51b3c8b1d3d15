/**
 * The dashboard's JSON API, one Hono app for both runtimes: locally a Node
 * server runs it over DuckDB (src/adapters/http/dashboard-server.ts), in the
 * cloud a Lambda function runs it over Athena (lambdas/dashboard-api). Each
 * panel's query text is fixed; request values are validated and only bound.
 *
 *   GET /api/panels                  the groups and panels (no data)
 *   GET /api/panels/<id>?from&to&symbol&symbols   one panel's rows
 *   GET /api/panels/<id>/choices?from&to          its symbol picker's values
 *   GET /api/health                  liveness
 *
 * Unknown panels and bad parameters answer 400 with `{"error": "…"}`.
 */
import { Hono } from 'hono';
import type { SqlDialect } from '../sql/dialect.js';
import type { BoundSql, PanelArgs, PanelDefinition } from '../sql/panel.js';
import { type LakeStats, PANEL_GROUPS, panelInfo, SQL_PANELS, STATS_PANELS, type StatsPanel } from './panels.js';
import { BadRequest, parsePanelArgs } from './params.js';

/** A JSON-safe cell value. */
export type Cell = string | number | boolean | null;

/** A query's columns and rows. */
export interface PanelRows {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
}

/** Runs a panel's bound SQL on one engine (DuckDB over local files, Athena over S3). */
export interface PanelRunner {
  readonly dialect: SqlDialect;
  run(sql: BoundSql): Promise<PanelRows>;
}

export interface DashboardApiOptions {
  readonly runner: PanelRunner;
  /** Files per partition and dead letters; without it those panels are empty. */
  readonly stats?: LakeStats;
  /** The clock, ms since epoch (tests pin it). */
  readonly now?: () => number;
}

/** One panel's answer. */
export interface PanelResponse extends PanelRows {
  readonly id: string;
  readonly empty: boolean;
  /** What to do to get data, when empty. */
  readonly hint?: string;
  /** The symbol shown, for panels that read one (the first choice when none was asked for). */
  readonly symbol?: string;
  readonly fromMs: number;
  readonly toMs: number;
  /** Time spent in the query engine, ms. */
  readonly queryMs: number;
}

const SQL_BY_ID = new Map<string, PanelDefinition>(SQL_PANELS.map((p) => [p.id, p]));
const STATS_BY_ID = new Map<string, StatsPanel>(STATS_PANELS.map((p) => [p.id, p]));
const EMPTY_STATS: LakeStats = { partitionFiles: async () => [], deadLetters: async () => ({ batches: 0, records: 0 }) };

function panelOf(id: string): PanelDefinition | StatsPanel {
  const p = SQL_BY_ID.get(id) ?? STATS_BY_ID.get(id);
  if (!p) throw new BadRequest(`unknown panel ${JSON.stringify(id.slice(0, 60))}; GET /api/panels lists them`);
  return p;
}

/** The Hono app serving `/api/*`. */
export function createDashboardApi(options: DashboardApiOptions): Hono {
  const { runner } = options;
  const stats = options.stats ?? EMPTY_STATS;
  const now = options.now ?? Date.now;
  const app = new Hono();

  const choicesOf = async (p: PanelDefinition, args: PanelArgs): Promise<string[]> => {
    if (!p.choices) return [];
    const r = await runner.run(p.choices(args, runner.dialect));
    return r.rows.map((row) => String(row[0]));
  };

  app.onError((err, c) => {
    if (err instanceof BadRequest) return c.json({ error: err.message }, 400);
    console.error('dashboard api:', err);
    return c.json({ error: `the query failed: ${err.message}` }, 500);
  });
  app.notFound((c) => c.json({ error: `no such route: ${c.req.method} ${c.req.path}` }, 404));

  app.get('/api/health', (c) => c.json({ ok: true, engine: runner.dialect.name }));

  app.get('/api/panels', (c) =>
    c.json({
      engine: runner.dialect.name,
      groups: PANEL_GROUPS.map((g) => ({ ...g, panels: [...SQL_PANELS, ...STATS_PANELS].filter((p) => p.group === g.id).map(panelInfo) })),
    }),
  );

  app.get('/api/panels/:id/choices', async (c) => {
    const p = panelOf(c.req.param('id'));
    if (!('choices' in p) || !p.choices) throw new BadRequest(`panel ${p.id} has no symbol picker`);
    const args = parsePanelArgs(c.req.query(), p.params, now());
    return c.json({ id: p.id, values: await choicesOf(p, args) });
  });

  app.get('/api/panels/:id', async (c) => {
    const p = panelOf(c.req.param('id'));
    const args = parsePanelArgs(c.req.query(), p.params, now());
    const started = performance.now();
    let rows: PanelRows;
    let symbol: string | undefined;
    if ('read' in p) rows = await p.read(stats);
    else {
      symbol = args.symbol;
      if (p.params.includes('symbol') && symbol === undefined) symbol = (await choicesOf(p, args))[0];
      rows =
        p.params.includes('symbol') && symbol === undefined
          ? { columns: [], rows: [] } // nothing to choose from: the panel's tables are empty
          : await runner.run(p.query(symbol === undefined ? args : { ...args, symbol }, runner.dialect));
    }
    const empty = rows.rows.length === 0;
    const body: PanelResponse = {
      id: p.id,
      ...rows,
      empty,
      ...(empty ? { hint: p.emptyHint } : {}),
      ...(symbol === undefined ? {} : { symbol }),
      fromMs: args.fromUs / 1000,
      toMs: args.toUs / 1000,
      queryMs: Math.round((performance.now() - started) * 10) / 10,
    };
    return c.json(body);
  });

  return app;
}
