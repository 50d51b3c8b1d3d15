/** `ticklake dashboard`: the page and its API over a data directory's lake; `up` serves it too. */
import { type Command, Option } from 'commander';
import { type DashboardServer, startDashboardServer } from '../adapters/http/dashboard-server.js';
import { int } from './args.js';

/** The port the dashboard listens on when none is given. */
export const DEFAULT_DASHBOARD_PORT = 8080;

export const dashboardPortOption = (flag = '--port') =>
  new Option(`${flag} <port>`, `port of the dashboard (0: any free port)`).default(DEFAULT_DASHBOARD_PORT).argParser(int(flag, 0, 65_535));
export const dashboardHostOption = (flag = '--host') =>
  new Option(`${flag} <address>`, 'address the dashboard listens on (0.0.0.0 exposes it to the network: it has no login)').default('127.0.0.1');

/**
 * Starts the dashboard. A port the user chose that is taken is an error; the
 * default port taken (say by another `ticklake up`) falls back to a free one.
 */
export async function startDashboard(dataDir: string, port: number, host: string, portWasChosen: boolean): Promise<DashboardServer> {
  try {
    return await startDashboardServer({ dataDir, port, host });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' && !portWasChosen) return startDashboardServer({ dataDir, port: 0, host });
    if (code === 'EADDRINUSE') throw new Error(`port ${port} is in use: choose another (0 picks a free one)`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new Error(`cannot listen on ${host}: not an address of this machine`);
    throw e;
  }
}

/** Adds `dashboard` to the program. */
export function registerDashboardCommand(
  program: Command,
  shared: { dataDirOption: () => Option; resolveDataDir: (o: string | undefined) => string; usageError: (message: string) => Error },
): void {
  program
    .command('dashboard')
    .description(
      'Serve the dashboard: markets, crypto ranking, stocks and pipeline health from the lake of a data directory, refreshing every few seconds, until Ctrl-C. `ticklake up` serves it too.',
    )
    .addOption(shared.dataDirOption())
    .addOption(dashboardPortOption())
    .addOption(dashboardHostOption())
    .action(async (o, cmd: Command) => {
      const dataDir = shared.resolveDataDir(o.dataDir);
      let server: DashboardServer;
      try {
        server = await startDashboard(dataDir, o.port, o.host, cmd.getOptionValueSource('port') === 'cli');
      } catch (e) {
        throw shared.usageError((e as Error).message);
      }
      process.stderr.write(`ticklake dashboard: ${server.url} (lake of ${dataDir}); Ctrl-C stops\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
    });
}
