/**
 * Live predictions: as each minute bar closes, the symbol's champion forecasts
 * the target price `horizon` minutes later (features from the pure core's
 * {@link LivePredictor}, the same code as training). The forecast waits until
 * its target minute closes; then it becomes a `predictions` row with the actual
 * price (null when that minute had no trade) and a completed `prediction`
 * point in the time-series store (predicted-only points are written at the
 * next flush, so dashboards see forecasts before the actual is known).
 *
 * Caching: champion pointers are read from the model store at most once per
 * `championTtlMs` per symbol (or until {@link PredictionService.refreshChampions});
 * models are restored from their artifact once per model id. The cost of each
 * forecast (feature update + model) is measured per bar.
 */
import { MINUTE_US, type PriceField } from '../bar.js';
import { DEFAULT_TARGET, type TargetSpec } from '../features.js';
import { modelFromJSON, PersistenceModel, type ModelKind, type Regressor } from '../models/index.js';
import { checkFeatureCompatibility, LivePredictor } from '../predict.js';
import type { ChampionPointer } from '../registry.js';
import { predictionPoint } from '../../timeseries/measurements.js';
import type { Point, TimeSeriesSink } from '../../timeseries/point.js';
import type { ObjectStore } from '../../lake/object-store.js';
import type { BarSource } from './bar-source.js';
import type { MlModelStore } from './model-store.js';
import { writePredictionRows, type PredictionRow } from './tables.js';
import type { Bar } from '../../core/bars.js';
import { getOrCreate } from '../../core/collections.js';

/** A forecast waiting for its target minute. JSON-safe (kept in the model store between Lambda invocations). */
export interface PendingPrediction {
  readonly symbol: string;
  /** Forecast minute, µs. */
  readonly targetUs: number;
  readonly modelId: string;
  readonly modelKind: ModelKind;
  readonly field: PriceField;
  readonly horizon: number;
  /** Minute whose bar triggered the forecast, µs. */
  readonly featureMinuteUs: number;
  readonly basePrice: number;
  readonly predicted: number;
  /** When the forecast was made, µs. */
  readonly predictedAtUs: number;
}

/** What the service needs. */
export interface PredictionServiceOptions {
  /** Champion pointers and artifacts. */
  readonly store: Pick<MlModelStore, 'getChampion' | 'getArtifact'>;
  /** Where `predictions` rows go; none: rows are only counted. */
  readonly lake?: ObjectStore;
  /** Where `prediction` points go; none: no points (a hook for deployments without a time-series store). */
  readonly timeSeries?: Pick<TimeSeriesSink, 'write'>;
  /** Recent bars for a cold start (a fresh Lambda container): fills the feature window of a symbol seen for the first time. */
  readonly history?: BarSource;
  /** Wall clock for the pointer cache, ms. Default Date.now. */
  readonly nowMs?: () => number;
  /** How long a champion pointer is trusted, ms. Default 60,000; Infinity: until refreshChampions(). */
  readonly championTtlMs?: number;
  /** Prefix of prediction object names (e.g. the shard or container id). Default `pred`. */
  readonly filePrefix?: string;
}

/** Counters and costs since the service started. */
export interface PredictionStats {
  /** Bars fed. */
  readonly bars: number;
  /** Bars with no champion for their symbol (no forecast made). */
  readonly barsWithoutChampion: number;
  /** Bars dropped because they were not after the symbol's previous bar. */
  readonly outOfOrderBars: number;
  /** Forecasts made. */
  readonly predictions: number;
  /** Forecasts whose target minute has closed (rows produced). */
  readonly completed: number;
  /** Completed forecasts whose target minute had no trade (actual null). */
  readonly withoutActual: number;
  /** Champion pointer reads from the store (cache misses). */
  readonly championReads: number;
  /** Model artifacts loaded (once per model id). */
  readonly modelLoads: number;
  /** Points the time-series store rejected. */
  readonly rejectedPoints: number;
  /** Mean cost of the forecast per bar with a champion (feature update + model), ms. */
  readonly predictMsPerBar: number;
  /** Slowest single forecast, ms. */
  readonly predictMsMax: number;
  /** Mean total cost per bar including cache lookups and bookkeeping, ms. */
  readonly onBarMsPerBar: number;
}

/** What a flush wrote. */
export interface FlushResult {
  readonly rows: number;
  readonly keys: readonly string[];
  readonly points: number;
  readonly rejectedPoints: number;
}

const FIELD_COLUMN: Record<PriceField, string> = { close: 'close', avgPrice: 'avg_price' };

/** `close_1m`-style name of what is forecast (the `kind` tag of prediction points). */
export function forecastName(field: PriceField, horizon: number): string {
  return `${FIELD_COLUMN[field]}_${horizon}m`;
}

interface SymbolState {
  predictor: LivePredictor;
  modelId: string | undefined;
  modelKind: ModelKind | undefined;
  target: TargetSpec;
  pending: PendingPrediction[];
  pointer: ChampionPointer | undefined;
  pointerReadAt: number;
  /** The feature window was filled from history (or needs none). */
  warmed: boolean;
}

function newState(): SymbolState {
  return {
    predictor: new LivePredictor(new PersistenceModel(), '', DEFAULT_TARGET),
    modelId: undefined,
    modelKind: undefined,
    target: DEFAULT_TARGET,
    pending: [],
    pointer: undefined,
    pointerReadAt: Number.NEGATIVE_INFINITY,
    warmed: false,
  };
}

/** Champion forecasts for every symbol, bar by bar. */
export class PredictionService {
  private readonly symbols = new Map<string, SymbolState>();
  private readonly lastMinute = new Map<string, number>();
  private readonly models = new Map<string, { model: Regressor; target: TargetSpec; kind: ModelKind }>();
  private completedRows: PredictionRow[] = [];
  private newPoints: Point[] = [];
  private readonly now: () => number;
  private readonly ttl: number;
  private counters = {
    bars: 0,
    barsWithoutChampion: 0,
    outOfOrderBars: 0,
    predictions: 0,
    completed: 0,
    withoutActual: 0,
    championReads: 0,
    modelLoads: 0,
    rejectedPoints: 0,
  };
  private predictMs = 0;
  private predictMsMax = 0;
  private predictedBars = 0;
  private onBarMs = 0;

  constructor(private readonly options: PredictionServiceOptions) {
    this.now = options.nowMs ?? Date.now;
    this.ttl = options.championTtlMs ?? 60_000;
  }

  /** Forgets cached champion pointers: the next bar of each symbol reads its pointer again (after an evaluation). */
  refreshChampions(): void {
    for (const s of this.symbols.values()) s.pointerReadAt = Number.NEGATIVE_INFINITY;
  }

  private async pointerOf(symbol: string, s: SymbolState): Promise<ChampionPointer | undefined> {
    const t = this.now();
    if (t - s.pointerReadAt < this.ttl) return s.pointer;
    this.counters.championReads++;
    s.pointer = await this.options.store.getChampion(symbol);
    s.pointerReadAt = t;
    return s.pointer;
  }

  private async modelOf(modelId: string): Promise<{ model: Regressor; target: TargetSpec; kind: ModelKind }> {
    let m = this.models.get(modelId);
    if (m === undefined) {
      const a = await this.options.store.getArtifact(modelId);
      if (a === undefined) throw new Error(`champion ${modelId} has no artifact in the model store`);
      checkFeatureCompatibility(a);
      if (a.meta.target === undefined) throw new Error(`artifact of ${modelId} does not say what it forecasts (meta.target)`);
      this.counters.modelLoads++;
      m = { model: modelFromJSON(a), target: a.meta.target, kind: a.kind };
      this.models.set(modelId, m);
    }
    return m;
  }

  private async stateOf(bar: Bar): Promise<SymbolState> {
    const s = getOrCreate(this.symbols, bar.symbol, () => newState());
    if (!s.warmed) {
      s.warmed = true;
      if (this.options.history) {
        const warm = await this.options.history.bars({ symbols: [bar.symbol], startUs: bar.minuteStartUs - 90 * MINUTE_US, endUs: bar.minuteStartUs });
        for (const b of warm) s.predictor.onBar(b);
        if (warm.length > 0) this.lastMinute.set(bar.symbol, warm[warm.length - 1]!.minuteStartUs);
      }
    }
    return s;
  }

  /** Completes the symbol's forecasts whose target minute is at or before this bar's minute. */
  private resolve(s: SymbolState, bar: Bar): void {
    let k = 0;
    while (k < s.pending.length && s.pending[k]!.targetUs <= bar.minuteStartUs) k++;
    if (k === 0) return;
    for (const p of s.pending.splice(0, k)) {
      const actual = p.targetUs === bar.minuteStartUs ? (p.field === 'close' ? bar.close : bar.avgPrice) : null;
      if (actual === null) this.counters.withoutActual++;
      this.counters.completed++;
      this.completedRows.push({
        symbol: p.symbol,
        minute_start: p.targetUs,
        model_id: p.modelId,
        model_kind: p.modelKind,
        price_field: FIELD_COLUMN[p.field],
        horizon: p.horizon,
        feature_minute: p.featureMinuteUs,
        base_price: p.basePrice,
        predicted: p.predicted,
        actual,
        predicted_at: p.predictedAtUs,
      });
    }
  }

  /**
   * Feeds the bar of a minute that has just closed (bars of one symbol in
   * time order). Resolves earlier forecasts of the symbol, then forecasts with
   * the symbol's champion. Returns the new forecast, or undefined (no champion
   * yet, feature warm-up, or an out-of-order bar).
   *
   * @param closedAtUs when the bar was seen closed (default: the end of its minute)
   */
  async onBar(bar: Bar, closedAtUs = bar.minuteStartUs + MINUTE_US): Promise<PendingPrediction | undefined> {
    const t0 = performance.now();
    this.counters.bars++;
    const s = await this.stateOf(bar);
    const last = this.lastMinute.get(bar.symbol);
    if (last !== undefined && bar.minuteStartUs <= last) {
      this.counters.outOfOrderBars++;
      this.onBarMs += performance.now() - t0;
      return undefined;
    }
    this.lastMinute.set(bar.symbol, bar.minuteStartUs);
    this.resolve(s, bar);

    const pointer = await this.pointerOf(bar.symbol, s);
    if (pointer !== undefined && pointer.modelId !== s.modelId) {
      const m = await this.modelOf(pointer.modelId);
      if (m.target.field !== s.target.field || m.target.horizon !== s.target.horizon) {
        // Another target: a new predictor (the feature window warms up again).
        s.predictor = new LivePredictor(m.model, pointer.modelId, m.target);
        s.target = m.target;
      } else s.predictor.setModel(m.model, pointer.modelId);
      s.modelId = pointer.modelId;
      s.modelKind = m.kind;
    }

    const tp = performance.now();
    const p = s.predictor.onBar(bar);
    const dt = performance.now() - tp;
    let made: PendingPrediction | undefined;
    if (s.modelId === undefined || s.modelKind === undefined) this.counters.barsWithoutChampion++;
    else if (p !== undefined) {
      this.predictMs += dt;
      this.predictedBars++;
      if (dt > this.predictMsMax) this.predictMsMax = dt;
      made = {
        symbol: bar.symbol,
        targetUs: p.minuteStartUs,
        modelId: s.modelId,
        modelKind: s.modelKind,
        field: s.target.field,
        horizon: s.target.horizon,
        featureMinuteUs: bar.minuteStartUs,
        basePrice: p.basePrice,
        predicted: p.predicted,
        predictedAtUs: closedAtUs,
      };
      s.pending.push(made);
      this.counters.predictions++;
      if (this.options.timeSeries) this.newPoints.push(this.point(made, undefined));
    }
    this.onBarMs += performance.now() - t0;
    return made;
  }

  private point(p: Pick<PendingPrediction, 'symbol' | 'modelId' | 'field' | 'horizon' | 'targetUs' | 'predicted'>, actual: number | null | undefined): Point {
    return predictionPoint({
      symbol: p.symbol,
      model_id: p.modelId,
      kind: forecastName(p.field, p.horizon),
      target_time: p.targetUs,
      predicted: p.predicted,
      actual,
    });
  }

  /** Rows completed since the last flush (not yet written). */
  completed(): readonly PredictionRow[] {
    return this.completedRows;
  }

  /** Forecasts still waiting for their target minute. */
  pending(): PendingPrediction[] {
    return [...this.symbols.values()].flatMap((s) => s.pending);
  }

  /** Restores forecasts that were pending when a previous process stopped (see {@link pending}). */
  restorePending(pending: readonly PendingPrediction[]): void {
    for (const p of [...pending].sort((a, b) => a.targetUs - b.targetUs)) {
      const s = getOrCreate(this.symbols, p.symbol, () => newState());
      s.pending.push(p);
    }
  }

  /**
   * Writes the completed rows to the lake (one object per hour partition) and
   * the prediction points to the time-series store: completed points carry
   * the actual; a forecast made and completed since the last flush is written
   * once, complete.
   */
  async flush(): Promise<FlushResult> {
    const rows = this.completedRows;
    this.completedRows = [];
    const keys = this.options.lake && rows.length > 0 ? await writePredictionRows(this.options.lake, rows, this.options.filePrefix) : [];
    let points = 0;
    let rejected = 0;
    if (this.options.timeSeries) {
      const complete = rows.map((r) =>
        this.point(
          {
            symbol: r.symbol,
            modelId: r.model_id,
            field: r.price_field === 'close' ? 'close' : 'avgPrice',
            horizon: r.horizon,
            targetUs: r.minute_start,
            predicted: r.predicted,
          },
          r.actual,
        ),
      );
      const done = new Set(complete.map((p) => `${p.tags.symbol}\u0000${p.tags.model_id}\u0000${p.time}`));
      const open = this.newPoints.filter((p) => !done.has(`${p.tags.symbol}\u0000${p.tags.model_id}\u0000${p.time}`));
      this.newPoints = [];
      const all = [...open, ...complete];
      if (all.length > 0) {
        const res = await this.options.timeSeries.write(all);
        points = res.written;
        rejected = res.rejected.length;
        this.counters.rejectedPoints += rejected;
      }
    }
    return { rows: rows.length, keys, points, rejectedPoints: rejected };
  }

  /** Counters and measured costs. */
  stats(): PredictionStats {
    return {
      ...this.counters,
      predictMsPerBar: this.predictedBars > 0 ? this.predictMs / this.predictedBars : 0,
      predictMsMax: this.predictMsMax,
      onBarMsPerBar: this.counters.bars > 0 ? this.onBarMs / this.counters.bars : 0,
    };
  }
}
