/**
 * The forecasting workflow steps as plain async functions with injected
 * dependencies (bar source, model store, lake writer, configuration). The
 * Lambda entry points in `lambdas/ml/` wrap them one each; the local runtime
 * passes the same functions to `aws-local-stepfunctions` as Task overrides by
 * state name. Inputs and outputs are the JSON documents of `workflow-types.ts`.
 *
 * Weekly training: {@link MlHandlers.planTraining} → (per kind)
 * {@link MlHandlers.trainModel} → {@link MlHandlers.registerModel} →
 * {@link MlHandlers.activateModels}.
 *
 * Daily evaluation: {@link MlHandlers.planEvaluation} → (per model)
 * {@link MlHandlers.evaluateModel} → {@link MlHandlers.chooseChampion} →
 * {@link MlHandlers.publishEvaluation}.
 *
 * Champion per symbol: one model per kind is trained on the pooled bars of all
 * symbols (scale-free features, log-return target), but every symbol is
 * scored, ranked and given its champion separately.
 *
 * The promotion rule (`../promotion.ts`) judges the per-minute errors of a
 * window of evaluation days: EvaluateModel keeps each model's errors of the
 * day in the model store (they would not fit the state's 256 KiB payload),
 * ChooseChampion reads the window back, and PublishEvaluation runs the rule
 * again on the same stored errors before it moves a pointer.
 */
import { MINUTE_US } from '../bar.js';
import { rankCandidates, type ChampionCandidate } from '../champion.js';
import { evaluatePredictions, priceErrors } from '../evaluate.js';
import { decidePromotion, type ErrorSeries, type PromotionCandidate, type PromotionDecision } from '../promotion.js';
import { buildDataset, selectRows, targetWindow, WARMUP_MINUTES, type Dataset, type TargetSpec } from '../features.js';
import { modelFromJSON, type ModelKind, type Regressor } from '../models/index.js';
import { checkFeatureCompatibility } from '../predict.js';
import { trainModel } from '../train.js';
import { dateOfDay, US_PER_DAY } from '../../core/time.js';
import type { ObjectStore } from '../../lake/object-store.js';
import type { BarSource } from './bar-source.js';
import { checkKinds, parseKinds, type MlConfig } from './config.js';
import type { ChampionChangeEntry, DayErrors, MlModelStore } from './model-store.js';
import { dateOfUs, dateToDayNumber, writeChampionChangeRow, writeEvaluationRows, writeModelRow, type ModelEvaluationRow } from './tables.js';
import type {
  ActivateInput,
  ActivateOutput,
  CandidateModel,
  ChampionDecisions,
  ChooseInput,
  DeployedSkill,
  EvaluateInput,
  EvaluationPlan,
  EvaluationRequest,
  ModelScore,
  PublishInput,
  PublishOutput,
  RankedEntry,
  RegisteredModel,
  RegisterInput,
  SymbolDecision,
  SymbolMetrics,
  TrainInput,
  TrainingPlan,
  TrainingRequest,
  TrainOutput,
} from './workflow-types.js';
import type { RunStart } from '../../orchestration/asl.js';
import type { Bar } from '../../core/bars.js';
import { getOrCreate } from '../../core/collections.js';

/** What the handlers need. */
export interface MlDependencies {
  /** Minute bars (`bars_1m`). */
  readonly bars: BarSource;
  /** Artifacts, registry, active set, champion pointers and history. */
  readonly store: MlModelStore;
  /** The lake (`models`, `model_evaluations`, `champion_changes` rows). */
  readonly lake: ObjectStore;
  readonly config: MlConfig;
  /** Structured log lines (Powertools logger in Lambda, nothing or stderr locally). */
  readonly log?: (message: string, data?: Readonly<Record<string, unknown>>) => void;
}

/** Errors the steps end with, by name (the state machines' Catch sees the name). */
export class MlStepError extends Error {
  constructor(
    name:
      | 'ticklake.InvalidRequest'
      | 'ticklake.InsufficientData'
      | 'ticklake.ModelNotFound'
      | 'ticklake.ChampionRuleViolation'
      | 'ticklake.RegistryInconsistent',
    message: string,
  ) {
    super(message);
    this.name = name;
  }
}

/** The eight workflow steps. */
export interface MlHandlers {
  planTraining(input: RunStart<TrainingRequest>): Promise<TrainingPlan>;
  trainModel(input: TrainInput): Promise<TrainOutput>;
  registerModel(input: RegisterInput): Promise<RegisteredModel>;
  activateModels(input: ActivateInput): Promise<ActivateOutput>;
  planEvaluation(input: RunStart<EvaluationRequest>): Promise<EvaluationPlan>;
  evaluateModel(input: EvaluateInput): Promise<ModelScore>;
  chooseChampion(input: ChooseInput): Promise<ChampionDecisions>;
  publishEvaluation(input: PublishInput): Promise<PublishOutput>;
}

/** A finite number or null (JSON has no NaN). */
export function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

function parseTime(text: string, what: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new MlStepError('ticklake.InvalidRequest', `${what} is not an ISO 8601 time: ${text}`);
  return ms;
}

const floorTo = (ms: number, unit: number) => Math.floor(ms / unit) * unit;
const isoOfUs = (us: number) => new Date(us / 1000).toISOString();

/** Metrics of a symbol no row was scored on. */
const unscored = (symbol: string): SymbolMetrics => ({ symbol, n: 0, rmse: null, mae: null, r2: null, baselineRmse: null, skillVsBaseline: null });

/** Metrics per symbol of a model's predicted log-returns of a dataset's rows (row for row). */
function metricsBySymbol(predicted: Float64Array, ds: Dataset, symbols: readonly string[]): SymbolMetrics[] {
  const rowsOf = new Map<string, number[]>();
  ds.symbols.forEach((s, i) => {
    const list = getOrCreate(rowsOf, s, () => []);
    list.push(i);
  });
  return symbols.map((symbol) => {
    const idx = rowsOf.get(symbol) ?? [];
    if (idx.length === 0) return unscored(symbol);
    const e = evaluatePredictions(
      Float64Array.from(idx, (i) => predicted[i]!),
      selectRows(ds, idx),
    );
    return {
      symbol,
      n: e.n,
      rmse: finiteOrNull(e.rmse),
      mae: finiteOrNull(e.mae),
      r2: finiteOrNull(e.r2),
      baselineRmse: finiteOrNull(e.baselineRmse),
      skillVsBaseline: finiteOrNull(e.skillVsBaseline),
    };
  });
}

/** Bars with enough history before `startUs` for feature rows whose target is at `startUs`. */
function historyStart(startUs: number, target: TargetSpec): number {
  return startUs - (WARMUP_MINUTES + target.horizon + 1) * MINUTE_US;
}

function sameTarget(a: TargetSpec | undefined, b: TargetSpec): boolean {
  return a !== undefined && a.field === b.field && a.horizon === b.horizon;
}

/** One series of a model's errors over several days, minutes ascending (keyed by minutes since the epoch). */
function seriesOf(days: readonly DayErrors[]): ErrorSeries {
  const sorted = [...days].sort((a, b) => (a.evalDate < b.evalDate ? -1 : a.evalDate > b.evalDate ? 1 : 0));
  const t: number[] = [];
  const error: number[] = [];
  const baselineError: number[] = [];
  for (const d of sorted) {
    const first = dateToDayNumber(d.evalDate) * 1440;
    for (let i = 0; i < d.minute.length; i++) {
      t.push(first + d.minute[i]!);
      error.push(d.error[i]!);
      baselineError.push(d.baselineError[i]!);
    }
  }
  return { t, error, baselineError };
}

/**
 * The day's deployed skill of a symbol: the served model is the champion
 * before this day's decision (the previous evaluation's), never the day's best.
 */
export function deployedOf(plan: EvaluationPlan, scores: readonly ModelScore[], symbol: string): DeployedSkill | null {
  const id = plan.currentChampions[symbol];
  if (id == null) return null;
  const score = scores.find((s) => s.modelId === id);
  const m = score?.bySymbol.find((b) => b.symbol === symbol);
  return {
    modelId: id,
    kind: score?.kind ?? null,
    rmse: m?.rmse ?? null,
    baselineRmse: m?.baselineRmse ?? null,
    skill: m?.skillVsBaseline ?? null,
    n: m?.n ?? 0,
  };
}

/** Creates the workflow steps over the given dependencies. */
export function createMlHandlers(deps: MlDependencies): MlHandlers {
  const { store, lake, config } = deps;
  const log = deps.log ?? (() => undefined);

  async function loadModel(modelId: string): Promise<{ model: Regressor; target: TargetSpec | undefined }> {
    const artifact = await store.getArtifact(modelId);
    if (artifact === undefined) throw new MlStepError('ticklake.ModelNotFound', `no artifact for model ${modelId} in ${store.location}`);
    checkFeatureCompatibility(artifact);
    return { model: modelFromJSON(artifact), target: artifact.meta.target };
  }

  async function datasetOf(startUs: number, endUs: number, target: TargetSpec, symbols: readonly string[]): Promise<Dataset> {
    const bars: Bar[] = await deps.bars.bars({ startUs: historyStart(startUs, target), endUs, symbols });
    return targetWindow(buildDataset(bars, target), startUs, endUs);
  }

  /** Each model's errors over the promotion window ending on the evaluated day; persistence's under the day's baseline id. */
  async function windowErrors(plan: EvaluationPlan, symbol: string): Promise<Map<string, DayErrors[]>> {
    const out = new Map<string, DayErrors[]>();
    const lastDay = dateToDayNumber(plan.evalDate);
    for (let day = lastDay - plan.promotion.windowDays + 1; day <= lastDay; day++) {
      let baselineSeen = false;
      for (const e of await store.listErrors(symbol, dateOfDay(day))) {
        // Every persistence model makes the same forecast: one series, whichever training it came from.
        if (e.kind === 'persistence' && baselineSeen) continue;
        if (e.kind === 'persistence') baselineSeen = true;
        getOrCreate(out, e.kind === 'persistence' ? (plan.baselineId ?? e.modelId) : e.modelId, () => []).push(e);
      }
    }
    return out;
  }

  /** The day's ranking and the promotion rule's decision for one symbol, or why the symbol is skipped. */
  async function decideSymbol(
    plan: EvaluationPlan,
    scores: readonly ModelScore[],
    symbol: string,
  ): Promise<{ day: ReturnType<typeof rankCandidates>; decision: PromotionDecision } | string> {
    const competes = (id: string) => {
      const m = plan.models.find((c) => c.modelId === id);
      return m === undefined || m.symbols === undefined || m.symbols.includes(symbol);
    };
    const candidates: ChampionCandidate[] = scores
      .filter((s) => competes(s.modelId))
      .map((s) => {
        const m = s.bySymbol.find((b) => b.symbol === symbol);
        return { modelId: s.modelId, kind: s.kind, rmse: m?.rmse ?? Number.NaN, n: m?.n ?? 0 };
      });
    const baseline = candidates.find((c) => c.modelId === plan.baselineId);
    if (baseline === undefined) throw new MlStepError('ticklake.RegistryInconsistent', `no score for the baseline ${String(plan.baselineId)}`);
    if (!(baseline.n > 0) || !Number.isFinite(baseline.rmse)) return `no target minute with trades on ${plan.evalDate}`;
    const day = rankCandidates(candidates);
    const errors = await windowErrors(plan, symbol);
    const promotionCandidates: PromotionCandidate[] = candidates.map((c) => ({
      modelId: c.modelId,
      kind: c.kind,
      scoredToday: Number.isFinite(c.rmse) && c.n > 0,
      errors: seriesOf(errors.get(c.modelId) ?? []),
    }));
    const decision = decidePromotion(promotionCandidates, {
      level: plan.promotion.level,
      horizon: plan.target?.horizon ?? 1,
      ...(plan.currentChampions[symbol] != null ? { currentChampionId: plan.currentChampions[symbol] } : {}),
    });
    return { day, decision };
  }

  return {
    async planTraining({ request, startedAt }) {
      const endMs =
        request.asOf !== undefined
          ? floorTo(parseTime(request.asOf, 'asOf'), 60_000)
          : floorTo(parseTime(request.scheduledTime ?? startedAt, 'scheduledTime'), 86_400_000);
      const trainDays = request.trainDays ?? config.trainDays;
      if (!Number.isInteger(trainDays) || trainDays < 1)
        throw new MlStepError('ticklake.InvalidRequest', `trainDays must be a positive integer, got ${String(trainDays)}`);
      let kinds: ModelKind[];
      try {
        kinds = request.kinds !== undefined ? parseKinds(request.kinds.join(',')) : checkKinds(config.kinds);
      } catch (e) {
        throw new MlStepError('ticklake.InvalidRequest', (e as Error).message);
      }
      const windowEndUs = endMs * 1000;
      const windowStartUs = windowEndUs - trainDays * US_PER_DAY;
      const symbols =
        request.symbols?.map((s) => s.toUpperCase()) ?? config.symbols ?? (await deps.bars.symbols({ startUs: windowStartUs, endUs: windowEndUs }));
      if (symbols.length === 0)
        throw new MlStepError('ticklake.InsufficientData', `no bars between ${isoOfUs(windowStartUs)} and ${isoOfUs(windowEndUs)}: nothing to train on`);
      const trainingDate = dateOfUs(windowEndUs);
      const version = 1 + Math.max(0, ...(await store.listRecords()).filter((r) => r.training_date === trainingDate).map((r) => r.version));
      const plan: TrainingPlan = {
        runId: `train-${trainingDate}-v${version}`,
        trainingDate,
        version,
        windowStart: isoOfUs(windowStartUs),
        windowEnd: isoOfUs(windowEndUs),
        windowStartUs,
        windowEndUs,
        kinds,
        target: config.target,
        models: config.models,
        minTrainRows: config.minTrainRows,
        symbols: [...symbols].sort(),
        startedAt,
        runTime: request.scheduledTime ?? startedAt,
      };
      log('training planned', { runId: plan.runId, window: [plan.windowStart, plan.windowEnd], kinds, symbols: plan.symbols });
      return plan;
    },

    async trainModel({ kind, plan }) {
      const train = await datasetOf(plan.windowStartUs, plan.windowEndUs, plan.target, plan.symbols);
      const n = train.y.length;
      if (n < plan.minTrainRows)
        throw new MlStepError(
          'ticklake.InsufficientData',
          `${n} training rows between ${plan.windowStart} and ${plan.windowEnd}, at least ${plan.minTrainRows} needed`,
        );
      const t0 = performance.now();
      const trained = trainModel(kind, train, {
        trainingDate: plan.trainingDate,
        version: plan.version,
        config: plan.models,
        artifactUri: (id) => store.artifactUri(id),
      });
      const fitSeconds = (performance.now() - t0) / 1000;
      await store.putArtifact(trained.modelId, trained.artifact);
      const bySymbol = metricsBySymbol(trained.trainPredictions, train, plan.symbols);
      log('model trained', { modelId: trained.modelId, rows: n, fitSeconds });
      return { modelId: trained.modelId, kind, record: trained.record, trainRows: n, bySymbol, fitSeconds };
    },

    async registerModel({ trained }) {
      if ((await store.getArtifact(trained.modelId)) === undefined)
        throw new MlStepError('ticklake.ModelNotFound', `model ${trained.modelId} has no stored artifact: not registering it`);
      const tableKey = await writeModelRow(lake, trained.record);
      await store.putRecord(trained.record);
      return {
        modelId: trained.modelId,
        kind: trained.kind,
        artifactUri: trained.record.artifact_uri,
        trainRmse: finiteOrNull(trained.record.train_rmse),
        trainR2: finiteOrNull(trained.record.train_r2),
        trainRows: trained.trainRows,
        bySymbol: trained.bySymbol,
        fitSeconds: trained.fitSeconds,
        tableKey,
      };
    },

    async activateModels({ plan, models }) {
      const kinds = models.map((m) => m.kind);
      const missing = plan.kinds.filter((k) => !kinds.includes(k));
      if (missing.length > 0) throw new MlStepError('ticklake.RegistryInconsistent', `run ${plan.runId} registered no ${missing.join(', ')} model`);
      if (kinds.filter((k) => k === 'persistence').length !== 1)
        throw new MlStepError('ticklake.RegistryInconsistent', `run ${plan.runId} must register exactly one persistence baseline`);
      const modelIds = models.map((m) => m.modelId);
      await store.setActiveModels({ runId: plan.runId, trainingDate: plan.trainingDate, modelIds, target: plan.target, activatedAt: plan.runTime });
      log('models activated', { runId: plan.runId, modelIds });
      return { trainingDate: plan.trainingDate, activeModelIds: modelIds };
    },

    async planEvaluation({ request, startedAt }) {
      const evalDate = request.evalDate ?? dateOfUs(floorTo(parseTime(request.scheduledTime ?? startedAt, 'scheduledTime'), 86_400_000) * 1000 - US_PER_DAY);
      // Also checks an explicit evalDate (yyyy-MM-dd).
      const dayStartUs = dateToDayNumber(evalDate) * US_PER_DAY;
      const dayEndUs = dayStartUs + US_PER_DAY;
      const base = {
        runId: `evaluate-${evalDate}`,
        evalDate,
        dayStartUs,
        dayEndUs,
        promotion: config.promotion,
        startedAt,
        runTime: request.scheduledTime ?? startedAt,
      };
      const notReady = (reason: string): EvaluationPlan => ({
        ...base,
        ready: false,
        reason,
        symbols: [],
        target: null,
        models: [],
        baselineId: null,
        currentChampions: {},
        excluded: [],
      });

      const active = await store.getActiveModels();
      if (active === undefined) return notReady('no trained models yet: the weekly training has not run');
      const symbols = config.symbols ?? (await deps.bars.symbols({ startUs: dayStartUs, endUs: dayEndUs }));
      if (symbols.length === 0) return notReady(`no bars on ${evalDate}`);

      const candidates: CandidateModel[] = [];
      const excluded: { modelId: string; reason: string }[] = [];
      let baselineId: string | undefined;
      for (const id of active.modelIds) {
        const r = await store.getRecord(id);
        if (r === undefined) throw new MlStepError('ticklake.RegistryInconsistent', `active model ${id} is not in the registry`);
        if (r.kind === 'persistence') {
          baselineId = r.model_id;
          candidates.push({ modelId: r.model_id, kind: r.kind });
        } else if (r.train_end >= dayStartUs) {
          excluded.push({ modelId: id, reason: `trained on minutes up to ${isoOfUs(r.train_end)}, not before ${evalDate}` });
        } else candidates.push({ modelId: r.model_id, kind: r.kind });
      }
      if (baselineId === undefined) throw new MlStepError('ticklake.RegistryInconsistent', `the active models of ${active.runId} have no persistence baseline`);

      // The champion before this day's decision, per symbol: the pointer, unless a
      // later day decided it (a past day re-scored), then the history.
      const pointers = await store.listChampions();
      const currentChampions: Record<string, string | null> = {};
      for (const symbol of symbols) {
        const p = pointers[symbol];
        let id: string | null = null;
        let kind: ModelKind | undefined;
        if (p !== undefined && p.evalDate < evalDate) {
          id = p.modelId;
          kind = p.kind;
        } else if (p !== undefined) {
          const before = (await store.championHistory(symbol)).filter((c) => c.evalDate < evalDate).at(-1);
          id = before?.modelId ?? null;
          kind = before?.modelKind;
        }
        if (id !== null && kind === 'persistence') id = baselineId; // every persistence model makes the same forecast
        const retained = candidates.findIndex((c) => c.modelId === id);
        if (retained >= 0 && candidates[retained]!.symbols !== undefined) {
          candidates[retained] = { ...candidates[retained]!, symbols: [...candidates[retained]!.symbols!, symbol] };
        } else if (id !== null && retained < 0 && !excluded.some((e) => e.modelId === id)) {
          // A champion from an earlier training keeps competing, for its own symbol only.
          const r = await store.getRecord(id);
          if (r !== undefined && r.train_end < dayStartUs && (await store.getArtifact(id)) !== undefined)
            candidates.push({ modelId: id, kind: r.kind, symbols: [symbol] });
        }
        currentChampions[symbol] = id;
      }
      const models = [...candidates].sort((a, b) => (a.kind === 'persistence' ? -1 : b.kind === 'persistence' ? 1 : a.modelId < b.modelId ? -1 : 1));
      log('evaluation planned', { evalDate, symbols, models: models.map((m) => m.modelId), excluded });
      return { ...base, ready: true, symbols: [...symbols].sort(), target: active.target, models, baselineId, currentChampions, excluded };
    },

    async evaluateModel({ model, plan }) {
      if (plan.target === null) throw new MlStepError('ticklake.InvalidRequest', 'the evaluation plan has no target');
      const { model: regressor, target } = await loadModel(model.modelId);
      if (!sameTarget(target, plan.target)) {
        // Another forecast target cannot be compared on the same rows: unscored, hence not eligible.
        return { modelId: model.modelId, kind: model.kind, bySymbol: plan.symbols.map(unscored) };
      }
      const symbols = model.symbols ?? plan.symbols;
      const ds = await datasetOf(plan.dayStartUs, plan.dayEndUs, plan.target, symbols);
      // The per-minute errors the promotion rule reads over its window (too large for the state's payload).
      for (const symbol of symbols) {
        const idx: number[] = [];
        ds.symbols.forEach((s, i) => {
          if (s === symbol) idx.push(i);
        });
        if (idx.length === 0) continue;
        const rows = selectRows(ds, idx);
        const e = priceErrors(regressor, rows);
        await store.putErrors({
          modelId: model.modelId,
          kind: model.kind,
          symbol,
          evalDate: plan.evalDate,
          minute: Array.from(rows.targetTimeUs, (t) => Math.round((t - plan.dayStartUs) / MINUTE_US)),
          error: Array.from(e.error),
          baselineError: Array.from(e.baselineError),
        });
      }
      return { modelId: model.modelId, kind: model.kind, bySymbol: metricsBySymbol(regressor.predictMatrix(ds.X), ds, symbols) };
    },

    async chooseChampion({ plan, scores }) {
      const decisions: SymbolDecision[] = [];
      const skipped: { symbol: string; reason: string }[] = [];
      for (const symbol of plan.symbols) {
        const outcome = await decideSymbol(plan, scores, symbol);
        if (typeof outcome === 'string') {
          skipped.push({ symbol, reason: outcome });
          continue;
        }
        const { day, decision: d } = outcome;
        const ranking: RankedEntry[] = day.ranking.map((r) => ({
          modelId: r.modelId,
          kind: r.kind,
          rmse: finiteOrNull(r.rmse),
          n: r.n,
          rank: r.rank,
          eligible: r.eligible,
          skillVsBaseline: finiteOrNull(r.skillVsBaseline),
        }));
        const champion = day.ranking.find((r) => r.modelId === d.championId)!;
        decisions.push({
          symbol,
          championId: d.championId,
          championKind: d.championKind,
          previousChampionId: d.previousChampionId ?? null,
          changed: d.changed,
          reason: d.reason,
          baselineId: d.baselineId,
          baselineRmse: day.baselineRmse,
          championRmse: champion.rmse,
          ranking,
          // A differential without variance has an infinite statistic, which JSON cannot carry: clamp it, keeping its sign.
          tests: d.tests.map((t) => ({ ...t, statistic: Math.max(-Number.MAX_VALUE, Math.min(Number.MAX_VALUE, t.statistic)) })),
          deployed: deployedOf(plan, scores, symbol),
        });
      }
      return { evalDate: plan.evalDate, decisions, skipped };
    },

    async publishEvaluation({ plan, scores, decision }) {
      const evalDate = decision.evalDate;
      const metricsOf = (modelId: string, symbol: string) => scores.find((s) => s.modelId === modelId)?.bySymbol.find((b) => b.symbol === symbol);

      // Defence in depth: re-run the promotion rule on the stored errors before anything moves.
      for (const d of decision.decisions) {
        const champ = metricsOf(d.championId, d.symbol);
        if (champ?.rmse == null || !(champ.n > 0))
          throw new MlStepError('ticklake.ChampionRuleViolation', `${d.symbol}: champion ${d.championId} has no score on ${evalDate}`);
        const expected = await decideSymbol(plan, scores, d.symbol);
        if (typeof expected === 'string') throw new MlStepError('ticklake.ChampionRuleViolation', `${d.symbol}: ${expected}, yet a champion was chosen`);
        if (expected.decision.championId !== d.championId)
          throw new MlStepError(
            'ticklake.ChampionRuleViolation',
            `${d.symbol}: champion ${d.championId} is not the promotion rule's choice (${expected.decision.championId}, ${expected.decision.reason}) on ${evalDate}`,
          );
      }

      const rows: ModelEvaluationRow[] = [];
      for (const d of decision.decisions) {
        for (const r of d.ranking) {
          const m = metricsOf(r.modelId, d.symbol);
          if (m === undefined || !(m.n > 0) || m.rmse === null) continue;
          rows.push({
            model_id: r.modelId,
            kind: r.kind,
            symbol: d.symbol,
            eval_date: evalDate,
            rmse: m.rmse,
            mae: m.mae ?? Number.NaN,
            r2: m.r2 ?? Number.NaN,
            skill_vs_baseline: m.skillVsBaseline ?? Number.NaN,
            baseline_rmse: m.baselineRmse ?? Number.NaN,
            n: m.n,
            rank: r.rank,
            is_champion: r.modelId === d.championId,
            served: r.modelId === plan.currentChampions[d.symbol],
          });
        }
      }
      await writeEvaluationRows(lake, evalDate, rows);

      const champions: Record<string, string> = {};
      const changes: ChampionChangeEntry[] = [];
      const stale: string[] = [];
      const changedAtUs = parseTime(plan.runTime, 'runTime') * 1000;
      for (const d of decision.decisions) {
        champions[d.symbol] = d.championId;
        const current = await store.getChampion(d.symbol);
        if (current !== undefined && current.evalDate > evalDate) {
          stale.push(d.symbol);
          continue;
        }
        let change: ChampionChangeEntry | undefined;
        if (d.changed) {
          const skill = d.baselineRmse === 0 ? 0 : 1 - d.championRmse / d.baselineRmse;
          change = {
            evalDate,
            previousModelId: d.previousChampionId ?? undefined,
            modelId: d.championId,
            reason: d.reason,
            rmse: d.championRmse,
            baselineRmse: d.baselineRmse,
            symbol: d.symbol,
            modelKind: d.championKind,
            skillVsBaseline: skill,
            changedAt: plan.runTime,
          };
          await writeChampionChangeRow(lake, {
            symbol: d.symbol,
            eval_date: evalDate,
            previous_model_id: d.previousChampionId,
            model_id: d.championId,
            model_kind: d.championKind,
            reason: d.reason,
            rmse: d.championRmse,
            baseline_rmse: d.baselineRmse,
            skill_vs_baseline: skill,
            changed_at: changedAtUs,
          });
          changes.push(change);
        }
        // Last: the pointer moves only after the records are written.
        await store.setChampion(d.symbol, { modelId: d.championId, kind: d.championKind, artifactUri: store.artifactUri(d.championId), evalDate }, change);
      }
      log('evaluation published', { evalDate, champions, changes: changes.length, rows: rows.length, stale });
      return { evalDate, champions, changes, evaluationRows: rows.length, stale };
    },
  };
}
