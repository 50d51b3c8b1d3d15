/**
 * The dashboard on a laptop: the page's static files and the JSON API on one
 * local HTTP server, the API answering from DuckDB over the data directory's lake.
 * The page's assets are the project's `dashboard/` folder and uPlot's files
 * from its npm package: no build step, no CDN.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { createDashboardApi } from '../../dashboard/api.js';
import { LakePanelRunner, LocalLakeStats } from '../../local/lake-panel-runner.js';
import { dataPaths } from '../../local/pipeline.js';

/** The page's own files. */
export const DASHBOARD_ASSETS = fileURLToPath(new URL('../../../dashboard/', import.meta.url));
/** uPlot's distributed files (`uPlot.iife.min.js`, `uPlot.min.css`). */
export const UPLOT_DIST = dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'));

export interface DashboardServerOptions {
  readonly dataDir: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly host?: string;
  /** The clock, ms since epoch (tests pin it). */
  readonly now?: () => number;
}

export interface DashboardServer {
  /** `http://127.0.0.1:8080/` */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the page and its API; resolves once it listens. Rejects when the port is taken. */
export async function startDashboardServer(o: DashboardServerOptions): Promise<DashboardServer> {
  const paths = dataPaths(o.dataDir);
  const runner = await LakePanelRunner.open(paths.lake);
  const api = createDashboardApi({ runner, stats: new LocalLakeStats(paths.lake, paths.deadLetter), ...(o.now ? { now: o.now } : {}) });
  // No sign-in on a laptop: the page's auth module reads this and sends no token.
  api.get('/config.json', (c) => c.json({}));
  api.use('/vendor/*', serveStatic({ root: UPLOT_DIST, rewriteRequestPath: (p) => p.replace(/^\/vendor/, '') }));
  api.use('/*', serveStatic({ root: DASHBOARD_ASSETS }));
  const host = o.host ?? '127.0.0.1';
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: api.fetch, port: o.port, hostname: host }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : o.port;
  return {
    url: `http://${host}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          runner.close();
          resolve();
        });
        // Keep-alive sockets of an open page would hold close() forever.
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}
