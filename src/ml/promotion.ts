/**
 * The promotion rule: who is a symbol's champion after an evaluation day. One
 * pure function, shared by the `ChooseChampion` step, its re-check in
 * `PublishEvaluation` and the local runs.
 *
 * Lowest RMSE on one day is mostly noise when models are this close, and the
 * champion chosen on a day serves the *next* day. So a model has to earn its
 * place with evidence over a rolling window of recent evaluation days: a
 * one-sided Diebold–Mariano test (squared-error loss, Newey–West variance,
 * Harvey–Leybourne–Newbold correction; `diebold-mariano.ts`) at level `level`
 * on the per-minute errors of the window.
 *
 * 1. The incumbent: a champion not scored on the day, or that persistence
 *    beats significantly over the window, is demoted to persistence.
 * 2. A challenger (any other scored model but persistence) is promoted only
 *    when it beats persistence significantly and, when the incumbent is a
 *    learned model, beats the incumbent significantly on the minutes both
 *    were scored. Every learned champion thus carries evidence against
 *    persistence from the day it was promoted.
 * 3. Among the challengers that qualify, the largest mean loss reduction
 *    against the incumbent wins (ties: smallest model id).
 *
 * The level is per comparison: with k challengers the chance that one of them
 * is promoted by noise is at most about k × level.
 */
import { dieboldMariano } from './diebold-mariano.js';
import type { ModelKind } from './models/types.js';

/** Per-minute errors of a model over the window. */
export interface ErrorSeries {
  /** Target minute of each error (any strictly increasing key, e.g. µs). */
  readonly t: ArrayLike<number>;
  /** The model's price error, predicted − actual. */
  readonly error: ArrayLike<number>;
  /** The persistence forecast's error on the same minutes (base price − actual). */
  readonly baselineError: ArrayLike<number>;
}

/** A model the rule considers. */
export interface PromotionCandidate {
  readonly modelId: string;
  readonly kind: ModelKind;
  /** Scored on the day just evaluated: only such a model can become or stay champion. */
  readonly scoredToday: boolean;
  /** Its errors over the window's days (those it was scored on), minutes ascending. */
  readonly errors: ErrorSeries;
}

/** Settings of the rule. */
export interface PromotionOptions {
  /** Champion before the day's decision (undefined: none yet). */
  readonly currentChampionId?: string;
  /** One-sided significance level of each test, in (0, 1). */
  readonly level: number;
  /** Forecast horizon in steps, for the small-sample correction (default 1). */
  readonly horizon?: number;
  /** Newey–West lag (default: Newey and West's rule of thumb for the sample size). */
  readonly hacLag?: number;
}

/** Why the champion is what it is. */
export type ChampionReason =
  /** The champion stays and no challenger had even a lower loss over the window. */
  | 'kept'
  /** The champion stays: a challenger had a lower loss over the window, but not by more than noise. */
  | 'not-significant'
  /** There was no champion: persistence, or a model that beats it significantly, takes the role. */
  | 'initial'
  /** A challenger beat the champion (and persistence) significantly. */
  | 'beaten'
  /** The champion lost to persistence significantly, or was not scored: demoted to persistence (or to a challenger that beats it). */
  | 'demoted';

/** One comparison the decision rests on. */
export interface PairwiseTest {
  /** Model that must be better. */
  readonly challengerId: string;
  /** Model it is compared with. */
  readonly referenceId: string;
  /** Minutes compared. */
  readonly n: number;
  /** Mean of reference² − challenger² errors: > 0 when the challenger is better. */
  readonly meanDifferential: number;
  readonly statistic: number;
  /** One-sided p-value. */
  readonly pValue: number;
  readonly significant: boolean;
}

/** Outcome of {@link decidePromotion}. */
export interface PromotionDecision {
  readonly championId: string;
  readonly championKind: ModelKind;
  readonly previousChampionId: string | undefined;
  readonly changed: boolean;
  readonly reason: ChampionReason;
  readonly baselineId: string;
  /** The tests run, in order: the incumbent against persistence, then each challenger. */
  readonly tests: readonly PairwiseTest[];
}

/** Pairs the errors of two series on the minutes both have (merge of two ascending keys). */
export function alignErrors(a: ErrorSeries, b: ErrorSeries): { a: Float64Array; b: Float64Array } {
  const outA: number[] = [];
  const outB: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.t.length && j < b.t.length) {
    const ta = a.t[i]!;
    const tb = b.t[j]!;
    if (ta === tb) {
      outA.push(a.error[i]!);
      outB.push(b.error[j]!);
      i++;
      j++;
    } else if (ta < tb) i++;
    else j++;
  }
  return { a: Float64Array.from(outA), b: Float64Array.from(outB) };
}

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Applies the promotion rule; exactly one candidate must be the persistence baseline, scored on the day. */
export function decidePromotion(candidates: readonly PromotionCandidate[], options: PromotionOptions): PromotionDecision {
  const { level } = options;
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  const ids = new Set<string>();
  for (const c of candidates) {
    if (ids.has(c.modelId)) throw new Error(`model ${c.modelId} is a candidate twice`);
    if (c.errors.error.length !== c.errors.t.length || c.errors.baselineError.length !== c.errors.t.length)
      throw new Error(`model ${c.modelId}: errors, baseline errors and minutes differ in length`);
    ids.add(c.modelId);
  }
  const baselines = candidates.filter((c) => c.kind === 'persistence');
  if (baselines.length !== 1) throw new Error(`the promotion rule needs exactly one persistence baseline among the candidates, got ${baselines.length}`);
  const base = baselines[0]!;
  if (!base.scoredToday) throw new Error(`the persistence baseline ${base.modelId} has no score on the evaluation day`);

  const dmOptions = {
    ...(options.horizon !== undefined ? { horizon: options.horizon } : {}),
    ...(options.hacLag !== undefined ? { lag: options.hacLag } : {}),
  };
  const tests: PairwiseTest[] = [];
  const test = (challengerId: string, referenceId: string, a: ArrayLike<number>, b: ArrayLike<number>): PairwiseTest => {
    const r = dieboldMariano(a, b, dmOptions);
    const t = {
      challengerId,
      referenceId,
      n: r.n,
      meanDifferential: r.meanDifferential,
      statistic: r.statistic,
      pValue: r.pValue,
      significant: r.pValue < level,
    };
    tests.push(t);
    return t;
  };

  const current = options.currentChampionId;
  const entry = current === undefined ? undefined : candidates.find((c) => c.modelId === current);
  let incumbent = base;
  let demoted = false;
  if (current !== undefined && entry?.modelId !== base.modelId) {
    if (entry === undefined || !entry.scoredToday) demoted = true;
    // Persistence against the champion, on the champion's own minutes.
    else if (test(base.modelId, entry.modelId, entry.errors.baselineError, entry.errors.error).significant) demoted = true;
    else incumbent = entry;
  }

  let winner: { c: PromotionCandidate; gain: number } | undefined;
  let closerLoss = false;
  for (const c of [...candidates].sort((a, b) => byId(a.modelId, b.modelId))) {
    if (c === base || c === incumbent || !c.scoredToday) continue;
    const vsBase = test(c.modelId, base.modelId, c.errors.error, c.errors.baselineError);
    let gain = vsBase.meanDifferential;
    let qualifies = vsBase.significant;
    if (incumbent !== base) {
      const { a, b } = alignErrors(c.errors, incumbent.errors);
      const vsIncumbent = test(c.modelId, incumbent.modelId, a, b);
      gain = vsIncumbent.meanDifferential;
      qualifies &&= vsIncumbent.significant;
    }
    if (gain > 0) closerLoss = true;
    if (qualifies && (winner === undefined || gain > winner.gain)) winner = { c, gain };
  }

  const champion = winner?.c ?? incumbent;
  let reason: ChampionReason;
  if (current === undefined) reason = 'initial';
  else if (demoted) reason = 'demoted';
  else if (winner !== undefined) reason = 'beaten';
  else reason = closerLoss ? 'not-significant' : 'kept';
  return {
    championId: champion.modelId,
    championKind: champion.kind,
    previousChampionId: current,
    changed: champion.modelId !== current,
    reason,
    baselineId: base.modelId,
    tests,
  };
}
