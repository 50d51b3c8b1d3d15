/** `ticklake up`: the pipeline running live until Ctrl-C or `--for`. */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DataDirBusyError } from '../local/data-dir-lock.js';
import { BINANCE_REST_URL, binanceRestBase } from '../adapters/binance/gap-healer.js';
import { BINANCE_WS_URL, checkSymbols } from '../adapters/binance/live-connector.js';
import { BinanceLiveFeed } from '../local/binance-live-feed.js';
import { MqttFeed } from '../local/mqtt-feed.js';
import { CdcFeed } from '../local/cdc-feed.js';
import { PollerFeed } from '../local/poller-feed.js';
import { type LiveFeed, type LiveStatus, runLive, SimulatedLiveFeed } from '../local/live.js';
import type { SourceDefinition } from '../sources/contract.js';
import { idList, int, parseDuration, share } from './args.js';
import { num } from './format.js';
import { dashboardHostOption, dashboardPortOption, startDashboard } from './dashboard-command.js';
import type { DashboardServer } from '../adapters/http/dashboard-server.js';

/** One status line: per source records/s, rows, quarantined, lag, reconnects; then bars and forecasts. */
export function statusLine(s: LiveStatus): string {
  const secs = `${Math.round(s.elapsedMs / 1000)}s`.padStart(6);
  const parts = s.sources.map((x) => {
    const lag = x.lagMs === undefined ? '-' : `${(x.lagMs / 1000).toFixed(1)}s`;
    const extra = `${x.reconnects ? ` reconnects ${x.reconnects}` : ''}${x.errors ? ` errors ${x.errors}` : ''}${x.state ? ` ${x.state}` : ''}`;
    return `${x.source} ${x.recordsPerSec.toFixed(1)}/s rows ${num(x.rows)} quarantined ${num(x.quarantined)} lag ${lag}${extra}`;
  });
  return `[${secs}] ${parts.join(' | ')} | bars ${num(s.barsPublished)} forecasts ${num(s.predictions)}`;
}

const urlFlag = (s: SourceDefinition) => s.poller?.urlFlag ?? `--${s.id}-url`;
const urlAttribute = (s: SourceDefinition) => new Option(`${urlFlag(s)} <url>`).attributeName();

/** Live feeds `up` can run besides the simulated sources. */
export const LIVE_FEEDS = ['binance-live'] as const;

/** `--sources`: simulated source ids and live feeds, or `all` (the simulated ones). */
export function parseFeeds(v: string, simulated: readonly SourceDefinition[]): string[] {
  const all = simulated.map((s) => s.id);
  const ids = idList(v, { all, known: [...all, ...LIVE_FEEDS], what: 'source or live feed' });
  if (ids.includes('binance-live') && ids.includes('binance-trades')) {
    throw new InvalidArgumentError('binance-trades (simulated) and binance-live write the same table: choose one');
  }
  return ids;
}

/** The simulators' option values, parsed by their own parsers (up takes them as given, so binance-live can read --symbols its way). */
function parseSimulatorValues(selected: readonly SourceDefinition[], values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...values };
  for (const src of selected) {
    for (const opt of src.simulator?.options ?? []) {
      const name = new Option(opt.flags).attributeName();
      const v = values[name];
      if (typeof v === 'string' && opt.parse) out[name] = opt.parse(v);
    }
  }
  return out;
}

/** Adds `up` to the program. */
export function registerUpCommand(
  program: Command,
  shared: {
    dataDirOption: () => Option;
    shardsOption: () => Option;
    batchOption: () => Option;
    quietOption: () => Option;
    simulated: readonly SourceDefinition[];
    addSimulatorOptions: (cmd: Command, raw?: boolean) => void;
    simulatorExtras: (selected: readonly SourceDefinition[], values: Record<string, unknown>) => Record<string, unknown>;
    resolveDataDir: (o: string | undefined) => string;
    usageError: (message: string) => Error;
  },
): void {
  const up = program
    .command('up')
    .description(
      'Run the pipeline live until Ctrl-C (or --for): the selected sources put records on the local stream as they happen, the stream-transform pollers process them, closed minute bars and forecasts go to the time-series store, and the weekly training and daily evaluation fire on their schedule. Resumes where it stopped, also after kill -9.',
    )
    .addOption(shared.dataDirOption())
    .addOption(
      new Option(
        '--sources <list>',
        `comma-separated feeds, or all (the simulated ones: ${shared.simulated.map((s) => s.id).join(', ')}); live: ${LIVE_FEEDS.join(', ')}`,
      )
        .default(
          shared.simulated.map((s) => s.id),
          'all',
        )
        .argParser((v: string) => parseFeeds(v, shared.simulated)),
    )
    .addOption(new Option('--binance-ws-url <url>', 'Binance stream endpoint of binance-live').default(BINANCE_WS_URL))
    .addOption(
      new Option(
        '--binance-rest-url <url>',
        `heal binance-live's trade-id gaps from this Binance REST API (e.g. ${BINANCE_REST_URL}; default: none, gaps are only counted)`,
      ),
    )
    .addOption(
      new Option(
        '--mqtt-url <url>',
        'MQTT broker the iot source bridges from (devices/+/telemetry, QoS 1); default: an embedded broker on a free loopback port with simulated sensors',
      ),
    )
    .addOption(
      new Option(
        '--cdc-url <url>',
        'PostgreSQL database (wal_level=logical) of the cdc source: a simulated web shop writes to it, logical replication reads its changes; without it, cdc is skipped',
      ),
    )
    .addOption(new Option('--for <duration>', 'stop after this long, e.g. 45s, 10m, 2h (default: until Ctrl-C)').argParser(parseDuration))
    .addOption(new Option('--malformed-share <x>', 'share of simulated records corrupted on purpose').default(0).argParser(share))
    .addOption(shared.shardsOption())
    .addOption(shared.batchOption())
    .addOption(
      new Option('--batching-window <seconds>', 'longest wait for a batch to fill (event source MaximumBatchingWindowInSeconds)')
        .default(1)
        .argParser(int('--batching-window', 0, 300)),
    )
    .addOption(new Option('--status-every <seconds>', 'seconds between status lines (stderr)').default(5).argParser(int('--status-every', 1, 3600)))
    .option('--no-schedule', 'do not run the weekly training and daily evaluation')
    .addOption(dashboardPortOption('--dashboard-port'))
    .addOption(dashboardHostOption('--dashboard-host'))
    .option('--no-dashboard', 'do not serve the dashboard')
    .addOption(
      new Option('--compact-every <duration>', 'compact the lake (as `ticklake compact`: closed hour partitions) this often')
        .default(600_000, '10m')
        .argParser(parseDuration),
    )
    .option('--no-compact', 'do not compact the lake while running')
    .addOption(shared.quietOption());
  shared.addSimulatorOptions(up, true);
  // A polled source polls its own API: --<id>-url (or its own flag), else its simulated API.
  for (const s of shared.simulated.filter((x) => x.poller)) {
    up.addOption(new Option(`${urlFlag(s)} <url>`, `API of ${s.id} (default: its simulated API, no network; the real one is ${s.poller!.defaultUrl})`));
  }
  up.addOption(
    new Option('--poll-interval <seconds>', "poll interval of the polled sources (default: each source's own, e.g. 300)").argParser(
      int('--poll-interval', 1, 86_400),
    ),
  );
  up.action(async (o, cmd: Command) => {
    const dataDir = shared.resolveDataDir(o.dataDir);
    const ids = o.sources as string[];
    const selected = shared.simulated.filter((s) => ids.includes(s.id));
    const say = (line: string) => {
      if (!o.quiet) process.stderr.write(`${line}\n`);
    };
    let feeds: LiveFeed[];
    try {
      const values = parseSimulatorValues(selected, o);
      const extra = shared.simulatorExtras(selected, values);
      const logger = { info: () => undefined, warn: (m: string, d?: Record<string, unknown>) => say(`  ${m}${d ? ` ${JSON.stringify(d)}` : ''}`) };
      const mqttLogger = { info: (m: string) => say(`  ${m}`), warn: (m: string) => say(`  ${m}`) };
      // A source that reads a database needs one: without --cdc-url it is skipped, and said so.
      const runnable = selected.filter((s) => s.enters[0] !== 'cdc' || o.cdcUrl !== undefined);
      if (runnable.length === 0 && !ids.includes('binance-live')) throw new Error('nothing to run: cdc needs --cdc-url postgres://… (or add other --sources)');
      feeds = runnable.map((s) =>
        s.enters[0] === 'cdc'
          ? new CdcFeed({ url: String(o.cdcUrl), logger: mqttLogger })
          : s.poller
            ? new PollerFeed(s, o[urlAttribute(s)] as string | undefined, { ...(o.pollInterval ? { intervalMs: o.pollInterval * 1000 } : {}), logger })
            : s.enters[0] === 'mqtt'
              ? new MqttFeed({ ...(o.mqttUrl !== undefined ? { url: String(o.mqttUrl) } : {}), malformedShare: o.malformedShare, logger: mqttLogger })
              : new SimulatedLiveFeed(s, extra, { malformedShare: o.malformedShare }),
      );
      if (o.cdcUrl !== undefined && !selected.some((s) => s.enters[0] === 'cdc'))
        throw new Error('--cdc-url is the database of the cdc source: add cdc to --sources');
      if (o.mqttUrl !== undefined && !selected.some((s) => s.enters[0] === 'mqtt')) {
        throw new Error('--mqtt-url is the broker of the iot source: add iot to --sources');
      }
      if (ids.includes('binance-live')) {
        const symbols = checkSymbols(
          String(o.symbols)
            .split(',')
            .map((x) => x.trim().toUpperCase())
            .filter(Boolean),
        );
        const restUrl = o.binanceRestUrl === undefined ? undefined : binanceRestBase(String(o.binanceRestUrl));
        feeds.push(
          new BinanceLiveFeed(
            o.binanceWsUrl,
            symbols,
            {
              info: (m) => say(`  binance-live: ${m}`),
              warn: (m) => say(`  binance-live: ${m}`),
              error: (m) => say(`  binance-live: ${m}`),
            },
            restUrl,
          ),
        );
      } else if (o.binanceRestUrl !== undefined) {
        throw new Error('--binance-rest-url heals the gaps of binance-live: add it to --sources');
      }
      for (const s of selected.filter((x) => !runnable.includes(x)))
        say(`  ${s.id}: skipped: it captures changes from a PostgreSQL database; give --cdc-url postgres://…`);
      // An endpoint that does not answer at start is a usage error; later drops are retried.
      for (const f of feeds) await f.preflight?.();
    } catch (e) {
      throw shared.usageError((e as Error).message);
    }
    let dashboard: DashboardServer | undefined;
    if (o.dashboard) {
      try {
        dashboard = await startDashboard(dataDir, o.dashboardPort, o.dashboardHost, cmd.getOptionValueSource('dashboardPort') === 'cli');
      } catch (e) {
        throw shared.usageError(`--dashboard-port: ${(e as Error).message} (or --no-dashboard)`);
      }
    }
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const r = await runLive({
        dataDir,
        feeds,
        shards: o.shards,
        eventSource: { batchSize: o.batchSize, maximumBatchingWindowMs: o.batchingWindow * 1000 },
        ...(o.for ? { forMs: o.for } : {}),
        signal: stop.signal,
        statusEveryMs: o.statusEvery * 1000,
        onStatus: (s) => say(statusLine(s)),
        schedule: o.schedule ? undefined : false,
        compaction: o.compact ? { everyMs: Math.max(1000, o.compactEvery) } : false,
        log: (m) => say(`  ${m}`),
        onStart: () => {
          say(`ticklake up: ${feeds.map((f) => `${f.source} (${f.label})`).join(', ')} into ${dataDir}${o.for ? ` for ${o.for / 1000}s` : '; Ctrl-C stops'}`);
          if (dashboard) say(`  dashboard: ${dashboard.url}`);
        },
      });
      const t = r.totals;
      console.log(`ticklake up: ${r.seconds.toFixed(1)} s live, stopped cleanly (every record put was processed and checkpointed)`);
      console.log(`  records put ${num(r.recordsPut)}, processed ${num(t.records)}, quarantined ${num(t.quarantined)}, dead-lettered ${num(r.deadLettered)}`);
      for (const [table, n] of Object.entries(t.rowsByTable)) console.log(`  ${table.padEnd(24)}${num(n).padStart(12)} rows`);
      console.log(`  closed bars published ${num(r.barsPublished)}, forecasts ${num(r.predictions)}, partitions compacted ${num(r.partitionsCompacted)}`);
      for (const run of r.runs) console.log(`  ${run.schedule} (${run.scheduledFor}): ${run.outcome}, ${run.detail}`);
    } catch (e) {
      if (e instanceof DataDirBusyError) throw shared.usageError(e.message);
      throw e;
    } finally {
      await dashboard?.close();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
}
