/**
 * The forecasting commands: `train`, `evaluate` and `backtest`. `train` and
 * `evaluate` run the weekly-training and daily-evaluation state machines (the
 * definitions the cloud deploys) locally on the data directory; `backtest`
 * replays weeks of simulated market data through the whole schedule.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_START_TIME_MS } from '../sources/binance-trades/market.js';
import { dateOfDay, dayNumber } from '../core/time.js';
import { DEFAULT_ML_CONFIG, DEFAULT_PROMOTION, parseKinds, type PromotionSettings } from '../ml/steps/config.js';
import { LocalExecutionError } from '../local/ml/executor.js';
import { openLocalMl } from '../local/ml/local-ml.js';
import { runBacktest, type BacktestReport } from '../local/ml/backtest.js';
import { changeLine, deployedLines, evaluationLines, resultsLines, resultsMarkdown, trainingLines } from '../local/ml/report.js';
import { resetDataDir, resolveDataDir } from './run-job.js';
import { num } from './format.js';
import { int, signalCliOption, symbols } from './args.js';

const dataDirOption = () => new Option('--data-dir <dir>', 'data directory (lake, model store); default $TICKLAKE_DATA_DIR or ./.ticklake');

const dateArg = (v: string) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) throw new InvalidArgumentError('must be a UTC date, yyyy-MM-dd');
  return v;
};
const timeArg = (v: string) => {
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidArgumentError('must be an ISO date-time, e.g. 2026-11-09T00:00:00Z');
  return new Date(t).toISOString();
};
const kindsArg = (v: string) => {
  try {
    return parseKinds(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
};
const rateArg = (v: string) => {
  const n = Number(v);
  if (!(n > 0) || n > 50) throw new InvalidArgumentError('must be trades per second per symbol, above 0 and at most 50');
  return n;
};
const levelArg = (v: string) => {
  const n = Number(v);
  if (!(n > 0 && n <= 0.5)) throw new InvalidArgumentError('must be a significance level above 0 and at most 0.5');
  return n;
};
const promotionOptions = () => [
  new Option('--promotion-window <days>', "evaluation days the promotion rule's tests use")
    .default(DEFAULT_PROMOTION.windowDays)
    .argParser(int('--promotion-window', 1, 90)),
  new Option('--promotion-level <p>', 'one-sided significance level of each promotion test').default(DEFAULT_PROMOTION.level).argParser(levelArg),
];
const promotionOf = (o: { promotionWindow: number; promotionLevel: number }): PromotionSettings => ({ windowDays: o.promotionWindow, level: o.promotionLevel });

const midnightArg = (v: string) => {
  const t = Date.parse(v);
  if (Number.isNaN(t) || t % 86_400_000 !== 0) throw new InvalidArgumentError('must be a UTC midnight, e.g. 2026-11-02T00:00:00Z');
  return t;
};

function failed(what: string, e: unknown): Error {
  if (e instanceof LocalExecutionError) return new Error(`${what} failed in ${e.statesEntered.at(-1) ?? 'the state machine'}: ${e.error}: ${e.cause}`);
  return e as Error;
}

function printBacktestSummary(r: BacktestReport): void {
  const p = r.prediction;
  console.log('');
  console.log(
    `backtest ${r.start} .. ${r.end}: ${r.days} days of ${r.symbols.join(', ')} (seed ${r.seed}, signal ${r.signal}, ${r.tradesPerSecond} trades/s per symbol)`,
  );
  console.log(`  simulated        ${num(r.trades)} trades -> ${num(r.bars)} minute bars`);
  console.log(
    `  weekly training  after day ${r.trainingDays.join(', ') || '(none: fewer days than the training period)'}  (${r.trainingWallSeconds.toFixed(1)} s in total)`,
  );
  console.log(
    `  daily evaluation ${r.evaluatedDates.length} days evaluated${r.evaluatedDates.length > 0 ? ` (${r.evaluatedDates[0]} .. ${r.evaluatedDates.at(-1)})` : ''}  (${r.evaluationWallSeconds.toFixed(1)} s in total)`,
  );
  console.log(
    `  predictions      ${num(p.predictions)} made, ${num(r.tables.predictions ?? 0)} rows written (${num(r.tables.predictions_with_actual ?? 0)} with actual; ${num(p.withoutActual)} target minutes had no trade)`,
  );
  console.log(
    `  prediction cost  ${p.predictMsPerBar.toFixed(4)} ms per bar (features + model; slowest ${p.predictMsMax.toFixed(3)} ms), ${p.onBarMsPerBar.toFixed(4)} ms per bar with bookkeeping; ${p.championReads} champion reads, ${p.modelLoads} model loads`,
  );
  console.log(
    `  tables           ${Object.entries(r.tables)
      .filter(([t]) => t !== 'predictions_with_actual')
      .map(([t, n]) => `${t} ${num(n)}`)
      .join(', ')}`,
  );
  console.log('');
  console.log("deployed skill (the forecasts actually served: the previous evaluation's champion on each day, against persistence on the same minutes):");
  for (const l of deployedLines(r)) console.log(l);
  console.log('');
  console.log(`champion changes (${r.championChanges.length}):`);
  for (const c of r.championChanges) console.log(`  ${changeLine(c)}`);
  console.log('');
  console.log(
    'results per model (train: in-sample on its 7-day window; eval: the days it was scored; skill = 1 - RMSE / persistence RMSE on the same minutes):',
  );
  for (const l of resultsLines(r)) console.log(l);
  console.log('');
  console.log(`wall time ${r.wallSeconds.toFixed(1)} s`);
  console.log(
    `query it: ticklake query "SELECT symbol, model_id, count(*) AS n, avg(abs(predicted - actual)) AS mae FROM predictions GROUP BY ALL ORDER BY 1, 2"${r.dataDir === resolveDataDir(undefined) ? '' : ` --data-dir ${r.dataDir}`}`,
  );
}

/** Adds `train`, `evaluate` and `backtest` to the program. */
export function registerMlCommands(program: Command): Command {
  program
    .command('train')
    .description(
      'Run the weekly training state machine locally: every model kind on the latest days of bars in the lake, registered in the model store and the models table.',
    )
    .addOption(new Option('--as-of <time>', 'end of the training window (default: just after the latest bar in the lake)').argParser(timeArg))
    .addOption(new Option('--train-days <n>', 'days in the training window').default(7).argParser(int('--train-days', 1, 365)))
    .addOption(new Option('--kinds <list>', 'model kinds (persistence is required)').argParser(kindsArg))
    .addOption(dataDirOption())
    .action(async (o: { asOf?: string; trainDays: number; kinds?: string[]; dataDir?: string }) => {
      const ml = openLocalMl(resolveDataDir(o.dataDir));
      let asOf = o.asOf;
      if (asOf === undefined) {
        const extent = await ml.bars.extent();
        if (extent === undefined) throw new Error(`no bars in ${join(ml.dataDir, 'lake')}: run ticklake demo, replay or backfill first`);
        asOf = new Date((extent.lastUs + 60_000_000) / 1000).toISOString();
      }
      const run = await ml.train({ trigger: 'cli', asOf, trainDays: o.trainDays, ...(o.kinds ? { kinds: o.kinds } : {}) }).catch((e: unknown) => {
        throw failed('training', e);
      });
      for (const l of trainingLines(run.output, run.durationMs)) console.log(l);
      console.log(`active models: ${run.output.activation.activeModelIds.join(', ')}`);
      console.log(`states: ${run.statesEntered.join(' -> ')}`);
    });

  program
    .command('evaluate')
    .description(
      'Run the daily evaluation state machine locally: score every candidate per symbol on one day; a challenger replaces the champion only with a significant advantage over the promotion window, and a champion persistence beats significantly is demoted.',
    )
    .addOption(new Option('--date <yyyy-MM-dd>', 'UTC day to evaluate (default: the latest day with bars)').argParser(dateArg))
    .addOption(promotionOptions()[0]!)
    .addOption(promotionOptions()[1]!)
    .addOption(dataDirOption())
    .action(async (o: { date?: string; dataDir?: string; promotionWindow: number; promotionLevel: number }) => {
      const ml = openLocalMl(resolveDataDir(o.dataDir), { config: { ...DEFAULT_ML_CONFIG, promotion: promotionOf(o) } });
      let evalDate = o.date;
      if (evalDate === undefined) {
        const extent = await ml.bars.extent();
        if (extent === undefined) throw new Error(`no bars in ${join(ml.dataDir, 'lake')}: nothing to evaluate`);
        evalDate = dateOfDay(dayNumber(extent.lastUs));
      }
      const run = await ml.evaluate({ trigger: 'cli', evalDate }).catch((e: unknown) => {
        throw failed('evaluation', e);
      });
      for (const l of evaluationLines(run.output, run.durationMs)) console.log(l);
      const champions = run.output.published?.champions;
      if (champions)
        console.log(
          `champions: ${Object.entries(champions)
            .map(([s, id]) => `${s} ${id}`)
            .join(', ')}`,
        );
    });

  program
    .command('backtest')
    .description(
      "Simulate weeks of market data on a simulated clock: weekly training (first after 7 days), daily evaluation and live predictions through the same state machines and handlers; prints each day's leaderboard and every champion change; leaves all tables queryable.",
    )
    .addOption(new Option('--days <n>', 'simulated days').default(28).argParser(int('--days', 1, 366)))
    .addOption(new Option('--symbols <list>', 'simulator presets, comma-separated').default(['BTCUSDT', 'ETHUSDT'], 'BTCUSDT,ETHUSDT').argParser(symbols))
    .addOption(new Option('--seed <n>', 'simulator seed').default(1).argParser(int('--seed', 0, 2 ** 31 - 1)))
    .addOption(new Option('--rate <n>', 'mean trades per second per symbol (low keeps weeks fast)').default(0.5).argParser(rateArg))
    .addOption(signalCliOption())
    .addOption(new Option('--start <time>', 'first simulated midnight (UTC)').default(DEFAULT_START_TIME_MS, '2026-11-02T00:00:00Z').argParser(midnightArg))
    .addOption(new Option('--fresh', 'wipe the data directory first (the backtest needs an empty lake and model store)'))
    .addOption(new Option('--no-timeseries', 'do not write prediction points to the embedded time-series store'))
    .addOption(new Option('--report <file>', 'also write the results table as Markdown to this file'))
    .addOption(new Option('-q, --quiet', 'print only the summary (no daily leaderboards)'))
    .addOption(promotionOptions()[0]!)
    .addOption(promotionOptions()[1]!)
    .addOption(dataDirOption())
    .action(
      async (o: {
        days: number;
        symbols: string[];
        seed: number;
        rate: number;
        signal: number;
        start: number;
        fresh?: boolean;
        timeseries: boolean;
        report?: string;
        quiet?: boolean;
        dataDir?: string;
        promotionWindow: number;
        promotionLevel: number;
      }) => {
        const dataDir = resolveDataDir(o.dataDir);
        if (o.fresh) resetDataDir(dataDir);
        const report = await runBacktest({
          dataDir,
          days: o.days,
          symbols: o.symbols,
          seed: o.seed,
          tradesPerSecond: o.rate,
          signal: o.signal,
          startMs: o.start,
          timeSeries: o.timeseries,
          config: { ...DEFAULT_ML_CONFIG, promotion: promotionOf(o) },
          onEvent: (e) => {
            if (e.type === 'day') {
              if (!o.quiet) process.stderr.write(`simulated ${e.date}: ${num(e.trades)} trades, ${num(e.bars)} bars, ${num(e.predictions)} predictions\n`);
              return;
            }
            if (o.quiet) return;
            const lines = e.type === 'training' ? trainingLines(e.output, e.wallMs) : evaluationLines(e.output, e.wallMs);
            console.log(`[${e.scheduledTime.slice(0, 16).replace('T', ' ')}] ${lines[0]}`);
            for (const l of lines.slice(1)) console.log(l);
          },
        }).catch((e: unknown) => {
          throw failed('backtest', e);
        });
        printBacktestSummary(report);
        if (o.report) writeFileSync(o.report, `${resultsMarkdown(report)}\n`);
      },
    );
  return program;
}
