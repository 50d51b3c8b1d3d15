/** `ticklake up`: the pipeline running live until Ctrl-C or `--for`. */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DataDirBusyError } from '../local/data-dir-lock.js';
import { type LiveFeed, type LiveStatus, runLive, SimulatedLiveFeed } from '../local/live.js';
import type { SourceDefinition } from '../sources/contract.js';
import { int, share } from './args.js';
import { num } from './format.js';

/** `45s`, `2m`, `2h`, `1h30m` → milliseconds. */
export function parseDuration(v: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?$/.exec(v.trim());
  if (!m || v.trim() === '' || (m[1] === undefined && m[2] === undefined && m[3] === undefined)) {
    throw new InvalidArgumentError('must be a duration such as 45s, 10m, 2h or 1h30m');
  }
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

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

/** Adds `up` to the program. */
export function registerUpCommand(
  program: Command,
  shared: {
    dataDirOption: () => Option;
    shardsOption: () => Option;
    batchOption: () => Option;
    quietOption: () => Option;
    sourcesOption: () => Option;
    addSimulatorOptions: (cmd: Command) => void;
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
    .addOption(shared.sourcesOption())
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
    .addOption(shared.quietOption());
  shared.addSimulatorOptions(up);
  up.action(async (o) => {
    const dataDir = shared.resolveDataDir(o.dataDir);
    const selected = o.sources as SourceDefinition[];
    const extra = shared.simulatorExtras(selected, o);
    const feeds: LiveFeed[] = selected.map((s) => new SimulatedLiveFeed(s, extra, { malformedShare: o.malformedShare }));
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const say = (line: string) => {
      if (!o.quiet) process.stderr.write(`${line}\n`);
    };
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
        log: (m) => say(`  ${m}`),
        onStart: () =>
          say(`ticklake up: ${selected.map((s) => `${s.id} (simulated)`).join(', ')} into ${dataDir}${o.for ? ` for ${o.for / 1000}s` : '; Ctrl-C stops'}`),
      });
      const t = r.totals;
      console.log(`ticklake up: ${r.seconds.toFixed(1)} s live, stopped cleanly (every record put was processed and checkpointed)`);
      console.log(`  records put ${num(r.recordsPut)}, processed ${num(t.records)}, quarantined ${num(t.quarantined)}, dead-lettered ${num(r.deadLettered)}`);
      for (const [table, n] of Object.entries(t.rowsByTable)) console.log(`  ${table.padEnd(24)}${num(n).padStart(12)} rows`);
      console.log(`  closed bars published ${num(r.barsPublished)}, forecasts ${num(r.predictions)}`);
      for (const run of r.runs) console.log(`  ${run.schedule} (${run.scheduledFor}): ${run.outcome}, ${run.detail}`);
    } catch (e) {
      if (e instanceof DataDirBusyError) throw shared.usageError(e.message);
      throw e;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
}
