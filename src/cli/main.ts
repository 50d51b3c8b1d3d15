/**
 * The `ticklake` command line: demo, replay, simulate, query, tables.
 * Every command has --help; bad arguments and unreadable inputs end with a
 * one-line error and a non-zero exit code.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { basename, resolve } from 'node:path';
import { explainLakeError } from '../local/lake-errors.js';
import { LakeSql } from '../local/lake-sql.js';
import { partitionStats } from '../local/lake-snapshot.js';
import { DEFAULT_SHARDS, DEFAULT_STREAM } from '../local/pipeline.js';
import { backfill, BackfillFailedError, backfillFiles, type BackfillSummary } from '../local/backfill.js';
import { fileSource, inputSize, simulatorSource } from '../local/sources.js';
import { writeSimulatedFile } from '../local/trade-files.js';
import { DEFAULT_START_TIME_MS } from '../sources/binance-trades/market.js';
import { SOURCES } from '../sources/index.js';
import type { SimulationOptions, SourceDefinition } from '../sources/contract.js';
import { TABLE_OWNERS, TABLES } from '../catalog.js';
import { bytes, formatResult, num, type OutputFormat } from './format.js';
import { createProgress } from './progress.js';
import { formatReport, resetDataDir, resolveDataDir, runJobWithProgress } from './run-job.js';
import { registerMlCommands } from './ml-commands.js';
import { registerUpCommand } from './up-command.js';
import { registerDashboardCommand } from './dashboard-command.js';
import { registerCompactCommand } from './compact-command.js';
import { registerAnalyzeCommand } from './analyze-command.js';
import { registerSchemasCommand } from './schemas-command.js';
import { registerDevicesCommand } from './devices-command.js';
import { exchangeSymbol, idList, int, isoTime, positive, share, signalCliOption, symbols } from './args.js';

/** Error shown as one line, exit code 2. */
export class UsageError extends Error {}

const rate = (v: string) => {
  if (v === 'max') return undefined;
  const n = Number(v);
  if (!(n > 0)) throw new InvalidArgumentError('must be records per second (a positive number) or "max"');
  return n;
};

const dataDirOption = () => new Option('--data-dir <dir>', 'data directory (lake, stream, checkpoints); default $TICKLAKE_DATA_DIR or ./.ticklake');
const shardsOption = () =>
  new Option('--shards <n>', 'shards of the local stream (fixed when the stream is created)').default(DEFAULT_SHARDS).argParser(int('--shards', 1, 64));
const batchOption = () =>
  new Option('--batch-size <n>', 'records per handler invocation (event source BatchSize)').default(10_000).argParser(int('--batch-size', 1, 10_000));
const quietOption = () => new Option('-q, --quiet', 'no progress output');

/** The stream settings a demo or replay job takes from its options (--shards, --rate, --batch-size). */
function streamJob(o: { shards: number; rate?: number; batchSize: number }, dataDir: string, jobId: string) {
  return { dataDir, jobId, shards: o.shards, ...(o.rate ? { rate: o.rate } : {}), eventSource: { batchSize: o.batchSize } };
}

/** The sources that have a simulator: what `--sources` chooses from. */
const SIMULATED = SOURCES.filter((s) => s.simulator);

/** `--sources a,b` or `all`, from the registry. */
const sourcesOption = () =>
  new Option('--sources <list>', `comma-separated sources to simulate, or all (${SIMULATED.map((s) => s.id).join(', ')})`)
    .default(SIMULATED, 'all')
    .argParser((v: string) => {
      const simulated = SIMULATED.map((s) => s.id);
      const ids = idList(v, { all: simulated, known: simulated, what: 'simulated source' });
      return SIMULATED.filter((s) => ids.includes(s.id));
    });

/**
 * The simulators' own options (e.g. `--symbols`), each source's once.
 * @param raw leave the values as given (the command checks them against what it runs)
 */
function addSimulatorOptions(cmd: Command, raw = false): void {
  for (const src of SIMULATED) {
    for (const opt of src.simulator?.options ?? []) {
      const o = new Option(opt.flags, `${opt.description} [${src.id}]`);
      if (opt.defaultValue !== undefined) o.default(opt.defaultValue, Array.isArray(opt.defaultValue) ? opt.defaultValue.join(',') : String(opt.defaultValue));
      const parse = opt.parse;
      if (parse && !raw) {
        o.argParser((v: string) => {
          try {
            return parse(v);
          } catch (e) {
            throw new InvalidArgumentError((e as Error).message);
          }
        });
      }
      cmd.addOption(o);
    }
  }
}

/** The selected simulators' option values, by option attribute name. */
function simulatorExtras(selected: readonly SourceDefinition[], values: Record<string, unknown>): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  for (const src of selected) {
    for (const opt of src.simulator?.options ?? []) {
      const name = new Option(opt.flags).attributeName();
      extra[name] = values[name];
    }
  }
  return extra;
}

export function buildProgram(): Command {
  const program = new Command('ticklake')
    .description(
      'ticklake: a serverless streaming market-data pipeline, run locally.\nThe same stream handler that runs in AWS Lambda, a Kinesis-like local stream, a Parquet lake and DuckDB SQL.',
    )
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (str, write) => write(str.replace(/^error: /, 'ticklake: ')) })
    // Before the subcommands are added, so they inherit it: errors come back to main().
    .exitOverride();

  const demo = program
    .command('demo')
    .description(
      'Simulate the selected sources (seeded, realistic) and replay them through the stream handler into the local lake, then print a summary. What `npm start` runs.',
    )
    .addOption(dataDirOption())
    .addOption(sourcesOption())
    .option('--minutes <n>', 'simulated minutes', positive('--minutes'), 180)
    .option('--seed <n>', 'random seed (same seed, same records)', int('--seed', 0, 2 ** 31), 42)
    .addOption(
      new Option('--start <iso>', 'simulated start time (UTC)')
        .argParser(isoTime)
        .default(DEFAULT_START_TIME_MS, new Date(DEFAULT_START_TIME_MS).toISOString()),
    )
    .option('--malformed-share <x>', 'share of records corrupted on purpose, to exercise the quarantine', share, 0.001)
    .option('--rate <n|max>', 'records per second to put on the stream, or max', rate)
    .addOption(shardsOption())
    .addOption(batchOption())
    .option('--fresh', 'delete the data directory first and start over')
    .addOption(quietOption());
  addSimulatorOptions(demo);
  demo.action(async (o) => {
    const dataDir = resolveDataDir(o.dataDir);
    if (o.fresh) resetDataDir(dataDir);
    const selected = o.sources as SourceDefinition[];
    const sim: SimulationOptions = {
      minutes: o.minutes,
      seed: o.seed,
      startTimeMs: o.start,
      malformedShare: o.malformedShare,
      extra: simulatorExtras(selected, o),
    };
    const jobId = `demo-${selected.map((s) => s.id).join('+')}-${JSON.stringify(sim.extra)}-${o.minutes}m-seed${o.seed}-start${o.start}-bad${o.malformedShare}`;
    const expected = selected.reduce((a, s) => a + (s.simulator?.expectedRecords?.(sim) ?? 0), 0);
    const rep = await runJobWithProgress(
      { ...streamJob(o, dataDir, jobId), totalHint: expected, source: () => simulatorSource(selected, sim) },
      'demo',
      o.quiet,
    );
    const start = new Date(o.start).toISOString().replace(':00.000Z', 'Z');
    const what = selected.map((s) => s.simulator?.describe?.(sim) ?? s.title).join(', ');
    console.log(
      formatReport(
        rep,
        `ticklake demo: ${what}, ${o.minutes} simulated minutes from ${start}, seed ${o.seed}, through the stream-transform handler (${o.shards} shards, batches of ${num(o.batchSize)})`,
        dataDir,
      ),
    );
  });

  program
    .command('replay')
    .description('Replay a Binance trade file (historical CSV or .zip, or JSON lines of stream messages) through the stream handler into the local lake.')
    .requiredOption('--input <file>', 'a .csv/.zip (id,price,qty,quote_qty,time,is_buyer_maker,is_best_match) or .jsonl file')
    .option('--symbol <S>', 'symbol of a CSV file (default: from a Binance file name such as BTCUSDT-trades-2026-11-02.zip)', exchangeSymbol)
    .option('--rate <n|max>', 'records per second to put on the stream, or max', rate)
    .addOption(dataDirOption())
    .addOption(shardsOption())
    .addOption(batchOption())
    .option('--fresh', 'delete the data directory first and start over')
    .addOption(quietOption())
    .action(async (o) => {
      const input = resolve(o.input as string);
      let size: number;
      try {
        size = inputSize(input);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const dataDir = resolveDataDir(o.dataDir);
      if (o.fresh) resetDataDir(dataDir);
      const symbol = o.symbol as string | undefined;
      // Fail on a missing symbol before any work starts.
      const probe = fileSource(input, symbol ? { symbol } : {});
      await probe.next().catch((e: Error) => {
        throw new UsageError(e.message);
      });
      await probe.return(undefined);
      const jobId = `replay-${basename(input)}-${size}-${symbol ?? ''}`;
      const rep = await runJobWithProgress({ ...streamJob(o, dataDir, jobId), source: () => fileSource(input, symbol ? { symbol } : {}) }, 'replay', o.quiet);
      console.log(formatReport(rep, `ticklake replay: ${input} through the stream-transform handler (${o.shards} shards)`, dataDir));
    });

  program
    .command('backfill')
    .description(
      'Load Binance historical trade files (.csv, or the .zip Binance publishes; ms or us times; header or not) straight into the lake: trades, quarantine and minute-bar partials, with DuckDB running the same SQL Athena runs in the cloud.',
    )
    .requiredOption('--input <file|dir>', 'a trade file, or a directory of them')
    .option('--symbol <S>', 'symbol of every file (default: from Binance file names such as BTCUSDT-trades-2026-11-02.zip)', exchangeSymbol)
    .addOption(dataDirOption())
    .addOption(quietOption())
    .action(async (o) => {
      const lake = `${resolveDataDir(o.dataDir)}/lake`;
      let files: string[];
      try {
        files = backfillFiles(resolve(o.input as string));
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const progress = createProgress('backfill', 'files', !o.quiet);
      const report = (s: BackfillSummary) => {
        for (const f of s.files)
          console.log(
            `${f.file}: ${f.symbol}, ${num(f.lines)} lines -> ${num(f.trades)} trades, ${num(f.quarantined)} quarantined, ${num(f.minutes)} minute bars (${f.seconds.toFixed(1)} s)`,
          );
        console.log(
          `backfilled ${num(s.trades)} trades from ${s.files.length === files.length ? '' : `${s.files.length} of `}${files.length} file(s) in ${s.seconds.toFixed(1)} s (${num(s.lines / Math.max(s.seconds, 1e-9))} lines/s) into ${lake}`,
        );
        for (const [r, n] of Object.entries(s.quarantinedByReason)) console.log(`  quarantined ${r}: ${num(n)}`);
      };
      let s: BackfillSummary;
      try {
        s = await backfill({
          input: resolve(o.input as string),
          lakeRoot: lake,
          ...(o.symbol ? { symbol: String(o.symbol) } : {}),
          onFile: (_f, i, n) => progress.update(i, n),
        }).finally(() => progress.stop());
      } catch (e) {
        // Files that loaded are reported before the failure (exit 1, one line on stderr).
        if (e instanceof BackfillFailedError && e.summary.files.length > 0) report(e.summary);
        throw e;
      }
      report(s);
      console.log(`Try: npm run -s ticklake -- query "SELECT * FROM bars_1m ORDER BY minute_start DESC LIMIT 5"`);
    });

  program
    .command('simulate')
    .description('Write simulated trades in Binance formats: historical CSV (one file per symbol, as Binance publishes) or JSON lines of stream messages.')
    .requiredOption('--out <path>', 'output file (.csv, .jsonl, .zip) or directory (files named like Binance: BTCUSDT-trades-2026-11-02.csv)')
    .addOption(new Option('--format <f>', 'csv (historical files) or jsonl (stream messages)').choices(['csv', 'jsonl']).default('csv'))
    .option('--minutes <n>', 'simulated minutes', positive('--minutes'), 60)
    .option('--symbols <list>', 'comma-separated simulator symbols', symbols, ['BTCUSDT'])
    .option('--seed <n>', 'random seed', int('--seed', 0, 2 ** 31), 42)
    .addOption(
      new Option('--start <iso>', 'simulated start time (UTC)')
        .argParser(isoTime)
        .default(DEFAULT_START_TIME_MS, new Date(DEFAULT_START_TIME_MS).toISOString()),
    )
    .addOption(new Option('--time-unit <u>', 'CSV time unit (Binance: ms before 2025, us from 2025)').choices(['ms', 'us']))
    .option('--no-header', 'omit the CSV header line (as in older Binance files)')
    .option('--malformed-share <x>', 'share of records corrupted on purpose', share, 0)
    .addOption(signalCliOption())
    .option('--with-order-ids', 'stream messages with the older "b"/"a" order-id fields')
    .option('--zip', 'write a .zip holding the file, as Binance publishes them')
    .addOption(quietOption())
    .action(async (o) => {
      const progress = createProgress('simulate', 'records', !o.quiet);
      const res = await writeSimulatedFile({
        out: o.out,
        format: o.format,
        minutes: o.minutes,
        symbols: o.symbols,
        seed: o.seed,
        startTimeMs: o.start,
        ...(o.timeUnit ? { timeUnit: o.timeUnit } : {}),
        header: o.header,
        malformedShare: o.malformedShare,
        signal: o.signal,
        withOrderIds: Boolean(o.withOrderIds),
        zip: Boolean(o.zip),
        onProgress: (n) => progress.update(n),
      });
      progress.stop();
      for (const f of res.files) console.log(`${f.path}  ${num(f.records)} records (${num(f.malformed)} malformed), ${bytes(f.bytes)}`);
    });

  program
    .command('query')
    .description(`Run SQL over the lake tables with DuckDB (views named after the tables: ${Object.keys(TABLES).join(', ')}).`)
    .argument('<sql>', 'one SQL statement, e.g. "SELECT symbol, count(*) FROM trades GROUP BY 1"')
    .addOption(new Option('--format <f>', 'output format').choices(['table', 'csv', 'json']).default('table'))
    .addOption(dataDirOption())
    .action(async (text: string, o) => {
      const sql = await LakeSql.open(`${resolveDataDir(o.dataDir)}/lake`);
      try {
        const r = await sql.query(text).catch((e: Error) => {
          throw new UsageError(`query failed: ${explainLakeError(e.message.split('\n')[0] ?? '')}`);
        });
        process.stdout.write(`${formatResult(r, o.format as OutputFormat)}\n`);
      } finally {
        sql.close();
      }
    });

  program
    .command('sources')
    .description('List the registered sources: how their records enter and are recognised, the tables they write, their reason codes and simulator options.')
    .addOption(new Option('--format <f>', 'output format').choices(['table', 'json']).default('table'))
    .action((o) => {
      const out = SOURCES.map((s) => ({
        id: s.id,
        title: s.title,
        description: s.description,
        enters: s.enters,
        recognition: s.recognition,
        tables: s.tables.map((t) => t.name),
        views: [...(s.viewTables ?? []).map((v) => v.table.name), ...Object.keys(s.namedViews ?? {})],
        dimensions: (s.dimensions ?? []).map((d) => d.table.name),
        reasonCodes: s.reasonCodes,
        simulated: s.simulator !== undefined,
        simulatorOptions: (s.simulator?.options ?? []).map((x) => x.flags),
      }));
      if (o.format === 'json') {
        process.stdout.write(`${JSON.stringify(out)}\n`);
        return;
      }
      for (const s of out) {
        const r = s.recognition;
        const how = [
          r.prefixes ? `first bytes ${r.prefixes.join(' or ')}` : '',
          r.envelope ? `envelope {"source":"${r.envelope}"}` : '',
          r.fallback ? 'fallback for unrecognised records' : '',
        ]
          .filter(Boolean)
          .join('; ');
        console.log(`${s.id}  (${s.title}; enters by ${s.enters.join(', ')})`);
        console.log(`  ${s.description}`);
        console.log(`  recognised by: ${how}`);
        console.log(
          `  writes: ${s.tables.join(', ')}${s.views.length ? `; views: ${s.views.join(', ')}` : ''}${s.dimensions.length ? `; dimensions: ${s.dimensions.join(', ')}` : ''}`,
        );
        console.log(`  reason codes: ${s.reasonCodes.join(', ')}`);
        console.log(`  simulator: ${s.simulated ? `yes${s.simulatorOptions.length ? ` (${s.simulatorOptions.join(', ')})` : ''}` : 'no'}\n`);
      }
    });

  program
    .command('tables')
    .description('List the lake tables with their columns, partition keys, files, bytes and row counts (files a reader reads now).')
    .addOption(new Option('--format <f>', 'output format').choices(['table', 'json']).default('table'))
    .option('--partitions', 'also list files and bytes per partition (compaction leaves one file per closed hour)')
    .addOption(dataDirOption())
    .action(async (o) => {
      const lake = `${resolveDataDir(o.dataDir)}/lake`;
      const sql = await LakeSql.open(lake);
      try {
        const out = [];
        for (const t of Object.values(TABLES)) {
          const partitions = partitionStats(lake, t);
          // One unreadable file (copied in by hand, a damaged disk) must not hide the other tables: that table's count says why.
          const counted = await sql.count(t.name).then(
            (rows) => ({ rows }),
            (e: unknown) => ({ rows: null, error: `rows not countable: ${explainLakeError((e as Error).message)}` }),
          );
          out.push({
            table: t.name,
            zone: t.zone,
            writtenBy: TABLE_OWNERS[t.name] ?? 'unknown',
            ...counted,
            files: partitions.reduce((a, p) => a + p.files, 0),
            bytes: partitions.reduce((a, p) => a + p.bytes, 0),
            ...(o.partitions ? { partitions } : {}),
            columns: t.columns.map((c) => `${c.name} ${c.type}`),
            partitionKeys: t.partitionKeys.map((c) => `${c.name} ${c.type}`),
            description: t.description,
          });
        }
        if (o.format === 'json') {
          process.stdout.write(`${JSON.stringify(out)}\n`);
          return;
        }
        for (const t of out) {
          const rows = t.rows === null ? '? rows' : `${num(t.rows)} rows`;
          console.log(`${t.table}  (${t.zone}; ${rows} in ${num(t.files)} files, ${bytes(t.bytes)}; ${t.writtenBy})`);
          if ('error' in t) console.log(`  ${t.error}`);
          console.log(`  ${t.description}`);
          console.log(`  columns: ${t.columns.join(', ')}`);
          console.log(`  partitioned by: ${t.partitionKeys.join(', ')}`);
          for (const p of t.partitions ?? [])
            console.log(`    ${(p.partition || '(unpartitioned)').padEnd(26)}${num(p.files).padStart(8)} files${bytes(p.bytes).padStart(12)}`);
          console.log('');
        }
      } finally {
        sql.close();
      }
    });

  registerMlCommands(program);
  registerCompactCommand(program, { dataDirOption, quietOption, resolveDataDir, usageError: (m) => new UsageError(m) });
  registerDashboardCommand(program, { dataDirOption, resolveDataDir, usageError: (m) => new UsageError(m) });
  registerAnalyzeCommand(program, { dataDirOption, resolveDataDir, usageError: (m) => new UsageError(m) });
  registerSchemasCommand(program, { usageError: (m) => new UsageError(m) });
  registerDevicesCommand(program, { usageError: (m) => new UsageError(m) });
  registerUpCommand(program, {
    dataDirOption,
    shardsOption,
    batchOption,
    quietOption,
    simulated: SIMULATED,
    addSimulatorOptions,
    simulatorExtras,
    resolveDataDir,
    usageError: (m) => new UsageError(m),
  });
  return program;
}

/** Entry point: parses argv, runs the command, maps errors to one line and an exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    const err = e as { code?: string; exitCode?: number; message?: string };
    if (typeof err.code === 'string' && err.code.startsWith('commander.')) {
      // Commander already printed help or the error.
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : 2;
    }
    process.stderr.write(`ticklake: ${(e as Error).message}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}

export { DEFAULT_STREAM };
