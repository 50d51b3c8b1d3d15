/**
 * Backtest of the forecasting schedule on a simulated clock: weeks of market
 * data in minutes of wall time.
 *
 * The trade simulator (`src/sources/binance-trades/market.ts`, low trade rates so that weeks stay
 * fast) produces the tape minute by minute; each minute is aggregated into bars
 * by the stream transform's accumulator and written to the lake as
 * `bar_partials` (one partial per symbol and minute, hour files), so `bars_1m`
 * in the lake is what the handlers read. As each minute closes, its bars go to the live predictor
 * (the symbol's champion forecasts the next minute). At every simulated
 * midnight the daily evaluation runs, and every `trainEveryDays` the weekly
 * training (the first after `trainEveryDays` of history) — both through the
 * same ASL definitions and handlers the cloud runs, executed locally by
 * `aws-local-stepfunctions` with the simulated time as the schedule time.
 * Order at a midnight: evaluate the day that just ended (with the models that
 * existed during it), then train, then the predictor reads the new champions.
 *
 * Everything lands in the data directory: the lake tables (`bar_partials` /
 * `bars_1m`, `models`, `model_evaluations`, `predictions`, `champion_changes`),
 * the model store and, unless disabled, the embedded time-series store.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { MINUTE_US } from '../../ml/bar.js';
import { DEFAULT_SIGNAL, DEFAULT_START_TIME_MS, SYMBOL_PRESETS, simulateTrades, type SimTrade, type SymbolSpec } from '../../sources/binance-trades/market.js';
import { BAR_PARTIALS } from '../../sources/binance-trades/tables.js';
import { US_PER_DAY, US_PER_HOUR } from '../../core/time.js';
import { embeddedDir, createTimeSeriesSink } from '../../adapters/timeseries-factory.js';
import type { TimeSeriesSink } from '../../timeseries/point.js';
import { lakeKey } from '../../lake/layout.js';
import { encodeParquet } from '../../lake/parquet.js';
import { BarPartialRows } from '../../sources/binance-trades/rows.js';
import { BarAccumulator } from '../../core/bars.js';
import { DEFAULT_ML_CONFIG, type MlConfig } from '../../ml/steps/config.js';
import { PredictionService, type PredictionStats } from '../../ml/steps/live-predictions.js';
import type { ChampionChangeEntry } from '../../ml/steps/model-store.js';
import type { RegisteredModel, SymbolMetrics } from '../../ml/steps/workflow-types.js';
import type { ObjectStore } from '../../lake/object-store.js';
import type { Bar } from '../../core/bars.js';
import { LakeSql } from '../lake-sql.js';
import { openLocalMl, type EvaluationRunOutput, type LocalMl, type TrainingRunOutput } from './local-ml.js';

/** Settings of {@link runBacktest}. */
export interface BacktestOptions {
  /** Data directory; its lake and model store must be empty. */
  readonly dataDir: string;
  /** Simulated days. */
  readonly days: number;
  /** Simulator presets (default BTCUSDT, ETHUSDT). */
  readonly symbols?: readonly string[];
  /** Simulator seed (default 1). */
  readonly seed?: number;
  /** Start of the simulated period, ms (default Monday 2026-11-02 00:00 UTC). */
  readonly startMs?: number;
  /** Mean trades per second per symbol (default 0.5: about 30 per minute, a few empty minutes). */
  readonly tradesPerSecond?: number;
  /** Strength of the simulated market's predictable component (default the simulator's {@link DEFAULT_SIGNAL}; 0: a pure random walk). */
  readonly signal?: number;
  /** Days between weekly trainings, and before the first (default 7). */
  readonly trainEveryDays?: number;
  /** Handler configuration (default {@link DEFAULT_ML_CONFIG}). */
  readonly config?: MlConfig;
  /** Write prediction points to the embedded time-series store (default true). */
  readonly timeSeries?: boolean;
  /** Called as the backtest progresses (printing). */
  readonly onEvent?: (event: BacktestEvent) => void;
}

/** A simulated day was written. */
export interface DayEvent {
  readonly type: 'day';
  /** 0-based simulated day. */
  readonly day: number;
  readonly date: string;
  readonly trades: number;
  readonly bars: number;
  readonly predictions: number;
}

/** A weekly training ran. */
export interface TrainingEvent {
  readonly type: 'training';
  /** Days of history when it fired. */
  readonly day: number;
  readonly scheduledTime: string;
  readonly output: TrainingRunOutput;
  readonly statesEntered: readonly string[];
  readonly wallMs: number;
}

/** A daily evaluation ran (plan.ready false: nothing to evaluate yet). */
export interface EvaluationEvent {
  readonly type: 'evaluation';
  readonly day: number;
  readonly scheduledTime: string;
  readonly output: EvaluationRunOutput;
  readonly statesEntered: readonly string[];
  readonly wallMs: number;
}

/** Progress of a backtest. */
export type BacktestEvent = DayEvent | TrainingEvent | EvaluationEvent;

/** One model's results over the backtest, per symbol: its training window and the days it was evaluated. */
export interface ModelResult {
  readonly modelId: string;
  readonly kind: string;
  readonly symbol: string;
  readonly trainingDate: string;
  /** In-sample on its training window. */
  readonly train: SymbolMetrics | undefined;
  /** Days it was scored. */
  readonly evalDays: number;
  /** RMSE over every scored minute of those days (pooled), quote currency. */
  readonly evalRmse: number | null;
  /** Mean of the daily R². */
  readonly evalR2Mean: number | null;
  /** `1 − evalRmse / persistence RMSE over the same minutes`. */
  readonly evalSkill: number | null;
  /** Days it ended as the symbol's champion. */
  readonly championDays: number;
}

/** The skill of the forecasts actually served, per symbol, over the backtest. */
export interface DeployedResult {
  readonly symbol: string;
  /** Evaluated days on which a champion served forecasts. */
  readonly days: number;
  /** Minutes scored on those days. */
  readonly n: number;
  /** `1 − RMSE / persistence RMSE` pooled over those minutes (from each day's `deployed`); null before any champion served. */
  readonly skill: number | null;
  /** The same from the `predictions` table (the live predictor's rows with an actual), as a cross-check. */
  readonly skillFromPredictions: number | null;
  /** Evaluated days the served model was persistence. */
  readonly persistenceDays: number;
}

/** What a backtest did. */
export interface BacktestReport {
  readonly dataDir: string;
  readonly days: number;
  readonly symbols: readonly string[];
  readonly start: string;
  readonly end: string;
  readonly seed: number;
  /** The simulator's signal strength. */
  readonly signal: number;
  readonly tradesPerSecond: number;
  readonly trades: number;
  readonly bars: number;
  /** Days of history at each weekly training. */
  readonly trainingDays: readonly number[];
  /** Dates evaluated (plan ready). */
  readonly evaluatedDates: readonly string[];
  readonly championChanges: readonly ChampionChangeEntry[];
  readonly prediction: PredictionStats;
  /** Row counts of the tables the backtest wrote. */
  readonly tables: Readonly<Record<string, number>>;
  readonly results: readonly ModelResult[];
  /** Deployed skill per symbol. */
  readonly deployed: readonly DeployedResult[];
  readonly wallSeconds: number;
  readonly trainingWallSeconds: number;
  readonly evaluationWallSeconds: number;
}

/** Refuses a data directory whose lake or model store already holds files. */
export function assertEmptyDataDir(dataDir: string): void {
  for (const sub of ['lake', 'models']) {
    const dir = join(dataDir, sub);
    if (existsSync(dir) && readdirSync(dir).length > 0)
      throw new Error(`the backtest needs an empty data directory, but ${dir} holds files: pass --fresh to wipe ${dataDir}, or choose another --data-dir`);
  }
}

/**
 * `bar_partials` of one hour, built with the same accumulator and column builder
 * the stream transform uses (one partial per symbol and minute).
 */
class HourPartials {
  private rowsOut = new BarPartialRows();

  get rows(): number {
    return this.rowsOut.rows;
  }

  /** Adds one partial per symbol of a minute's trades; returns the minute's bars, by symbol. */
  addMinute(trades: readonly SimTrade[]): Bar[] {
    const acc = new BarAccumulator();
    for (const t of trades) {
      acc.add({
        symbol: t.symbol,
        trade_id: t.id,
        price: Number(t.price),
        quantity: Number(t.qty),
        quote_quantity: Number(t.quoteQty),
        is_buyer_maker: t.isBuyerMaker,
        trade_time: t.tradeTimeUs,
      });
    }
    for (const p of acc.partials()) this.rowsOut.add(p, 'backtest');
    return acc.bars();
  }

  /** Writes the hour's file (`bar_partials/dt=…/hour=…/backtest-<hour start µs>.parquet`) and starts a new hour. */
  async flush(lake: ObjectStore, hourStartUs: number): Promise<void> {
    for (const p of this.rowsOut.partitions())
      await lake.put(lakeKey(BAR_PARTIALS, p.partition, `backtest-${hourStartUs}.parquet`), encodeParquet(BAR_PARTIALS, p.columns));
    this.rowsOut = new BarPartialRows();
  }
}

/** Low-rate simulator specs for the named presets. */
export function backtestSpecs(symbols: readonly string[], tradesPerSecond: number): SymbolSpec[] {
  return symbols.map((s) => {
    const preset = SYMBOL_PRESETS[s];
    if (preset === undefined) throw new Error(`no simulator preset for ${s}; known: ${Object.keys(SYMBOL_PRESETS).join(', ')}`);
    return { ...preset, meanRatePerSec: tradesPerSecond };
  });
}

const iso = (us: number) => new Date(us / 1000).toISOString();

interface Acc {
  kind: string;
  trainingDate: string;
  train: SymbolMetrics | undefined;
  days: number;
  sse: number;
  baseSse: number;
  n: number;
  r2Sum: number;
  r2Days: number;
  championDays: number;
}

/** Runs the backtest; see the module comment. */
export async function runBacktest(o: BacktestOptions): Promise<BacktestReport> {
  if (!Number.isInteger(o.days) || o.days < 1) throw new RangeError(`days must be a positive integer, got ${o.days}`);
  const trainEvery = o.trainEveryDays ?? 7;
  if (!Number.isInteger(trainEvery) || trainEvery < 1) throw new RangeError(`trainEveryDays must be a positive integer, got ${trainEvery}`);
  assertEmptyDataDir(o.dataDir);
  const wall0 = performance.now();
  const symbols = [...(o.symbols ?? ['BTCUSDT', 'ETHUSDT'])];
  const seed = o.seed ?? 1;
  const rate = o.tradesPerSecond ?? 0.5;
  const signal = o.signal ?? DEFAULT_SIGNAL;
  const startMs = o.startMs ?? DEFAULT_START_TIME_MS;
  const startUs = startMs * 1000;
  if (startUs % US_PER_DAY !== 0) throw new RangeError('the backtest starts at a UTC midnight');
  const emit = o.onEvent ?? (() => undefined);

  const ml: LocalMl = openLocalMl(o.dataDir, { config: { ...(o.config ?? DEFAULT_ML_CONFIG), trainDays: o.config?.trainDays ?? trainEvery } });
  let sink: TimeSeriesSink | undefined;
  if (o.timeSeries ?? true) sink = await createTimeSeriesSink({ engine: 'embedded', dir: embeddedDir(o.dataDir) });
  const predictor = new PredictionService({
    store: ml.store,
    lake: ml.lake,
    ...(sink ? { timeSeries: sink } : {}),
    championTtlMs: Number.POSITIVE_INFINITY,
    filePrefix: 'backtest',
  });

  const trades = simulateTrades({ symbols: backtestSpecs(symbols, rate), minutes: o.days * 1440, seed, startTimeMs: startMs, signal });
  let next = trades.next();
  let nTrades = 0;
  let nBars = 0;
  const partials = new HourPartials();
  const trainingDays: number[] = [];
  const evaluatedDates: string[] = [];
  const acc = new Map<string, Acc>();
  const served = new Map<string, { days: number; n: number; sse: number; baseSse: number; persistenceDays: number }>();
  const key = (modelId: string, symbol: string) => `${modelId}\u0000${symbol}`;
  let trainingMs = 0;
  let evaluationMs = 0;

  try {
    let dayTrades = 0;
    let dayBars = 0;
    let dayPredictions = 0;
    const minute: SimTrade[] = [];
    for (let m = 0; m < o.days * 1440; m++) {
      const minuteUs = startUs + m * MINUTE_US;
      const endUs = minuteUs + MINUTE_US;
      minute.length = 0;
      while (!next.done && next.value.tradeTimeUs < endUs) {
        minute.push(next.value);
        next = trades.next();
      }
      dayTrades += minute.length;
      const bars = partials.addMinute(minute);
      dayBars += bars.length;
      for (const bar of bars) if ((await predictor.onBar(bar, endUs)) !== undefined) dayPredictions++;
      if ((endUs - startUs) % US_PER_HOUR === 0) await partials.flush(ml.lake, endUs - US_PER_HOUR);
      if ((endUs - startUs) % US_PER_DAY !== 0) continue;

      // Simulated midnight: the day's tape is in the lake.
      const day = (endUs - startUs) / US_PER_DAY;
      nTrades += dayTrades;
      nBars += dayBars;
      emit({ type: 'day', day: day - 1, date: iso(endUs - US_PER_DAY).slice(0, 10), trades: dayTrades, bars: dayBars, predictions: dayPredictions });
      dayTrades = dayBars = dayPredictions = 0;
      await predictor.flush();
      const at = iso(endUs);

      const ev = await ml.evaluate({ trigger: 'daily-evaluation', scheduledTime: at });
      evaluationMs += ev.durationMs;
      emit({ type: 'evaluation', day, scheduledTime: at, output: ev.output, statesEntered: ev.statesEntered, wallMs: ev.durationMs });
      const out = ev.output;
      if (out.plan.ready && out.decision && out.scores) {
        evaluatedDates.push(out.plan.evalDate);
        for (const d of out.decision.decisions) {
          const dep = d.deployed;
          if (dep !== null && dep.rmse !== null && dep.baselineRmse !== null && dep.n > 0) {
            const a = served.get(d.symbol) ?? { days: 0, n: 0, sse: 0, baseSse: 0, persistenceDays: 0 };
            a.days++;
            a.n += dep.n;
            a.sse += dep.rmse * dep.rmse * dep.n;
            a.baseSse += dep.baselineRmse * dep.baselineRmse * dep.n;
            if (dep.kind === 'persistence') a.persistenceDays++;
            served.set(d.symbol, a);
          }
          for (const s of out.scores) {
            const met = s.bySymbol.find((b) => b.symbol === d.symbol);
            if (met === undefined || met.rmse === null || met.baselineRmse === null || !(met.n > 0)) continue;
            const a = acc.get(key(s.modelId, d.symbol));
            if (a === undefined) continue;
            a.days++;
            a.sse += met.rmse * met.rmse * met.n;
            a.baseSse += met.baselineRmse * met.baselineRmse * met.n;
            a.n += met.n;
            if (met.r2 !== null) {
              a.r2Sum += met.r2;
              a.r2Days++;
            }
            if (s.modelId === d.championId) a.championDays++;
          }
        }
      }

      if (day % trainEvery === 0 && day < o.days) {
        const tr = await ml.train({ trigger: 'weekly-training', scheduledTime: at });
        trainingMs += tr.durationMs;
        trainingDays.push(day);
        emit({ type: 'training', day, scheduledTime: at, output: tr.output, statesEntered: tr.statesEntered, wallMs: tr.durationMs });
        for (const model of tr.output.models as RegisteredModel[]) {
          for (const symbol of symbols) {
            acc.set(key(model.modelId, symbol), {
              kind: model.kind,
              trainingDate: tr.output.plan.trainingDate,
              train: model.bySymbol.find((b) => b.symbol === symbol),
              days: 0,
              sse: 0,
              baseSse: 0,
              n: 0,
              r2Sum: 0,
              r2Days: 0,
              championDays: 0,
            });
          }
        }
      }
      predictor.refreshChampions();
    }
    await predictor.flush();
  } finally {
    await sink?.close();
  }

  const tables: Record<string, number> = {};
  const predictionSkill = new Map<string, number>();
  const sql = await LakeSql.open(join(o.dataDir, 'lake'));
  try {
    for (const t of ['bars_1m', 'models', 'model_evaluations', 'predictions', 'champion_changes']) tables[t] = await sql.count(t);
    tables.predictions_with_actual = Number((await sql.query('SELECT count(*) FROM predictions WHERE actual IS NOT NULL')).rows[0]?.[0] ?? 0);
    if (tables.predictions > 0) {
      const r = await sql.query(
        'SELECT symbol, 1 - sqrt(avg((predicted - actual) ^ 2)) / sqrt(avg((base_price - actual) ^ 2)) FROM predictions WHERE actual IS NOT NULL GROUP BY symbol',
      );
      for (const row of r.rows) predictionSkill.set(String(row[0]), Number(row[1]));
    }
  } finally {
    sql.close();
  }

  const results: ModelResult[] = [...acc.entries()].map(([k, a]) => {
    const [modelId, symbol] = k.split('\u0000') as [string, string];
    const rmse = a.n > 0 ? Math.sqrt(a.sse / a.n) : null;
    const base = a.n > 0 ? Math.sqrt(a.baseSse / a.n) : null;
    return {
      modelId,
      kind: a.kind,
      symbol,
      trainingDate: a.trainingDate,
      train: a.train,
      evalDays: a.days,
      evalRmse: rmse,
      evalR2Mean: a.r2Days > 0 ? a.r2Sum / a.r2Days : null,
      evalSkill: rmse !== null && base !== null && base > 0 ? 1 - rmse / base : null,
      championDays: a.championDays,
    };
  });
  return {
    dataDir: o.dataDir,
    days: o.days,
    symbols,
    start: iso(startUs),
    end: iso(startUs + o.days * US_PER_DAY),
    seed,
    signal,
    tradesPerSecond: rate,
    trades: nTrades,
    bars: nBars,
    trainingDays,
    evaluatedDates,
    championChanges: await ml.store.championHistory(),
    prediction: predictor.stats(),
    tables,
    results,
    deployed: symbols.map((symbol) => {
      const a = served.get(symbol);
      return {
        symbol,
        days: a?.days ?? 0,
        n: a?.n ?? 0,
        skill: a !== undefined && a.baseSse > 0 ? 1 - Math.sqrt(a.sse / a.baseSse) : null,
        skillFromPredictions: predictionSkill.get(symbol) ?? null,
        persistenceDays: a?.persistenceDays ?? 0,
      };
    }),
    wallSeconds: (performance.now() - wall0) / 1000,
    trainingWallSeconds: trainingMs / 1000,
    evaluationWallSeconds: evaluationMs / 1000,
  };
}
