/**
 * The champion rule. Every evaluation day, each active model (the persistence
 * baseline included) is scored on the same rows; the champion is the model with
 * the lowest RMSE, with two guards:
 *
 * 1. A model whose RMSE is worse than persistence's is never champion: it is
 *    neither promoted nor kept (a champion that falls behind the baseline is
 *    replaced, by the baseline if nothing else beats it).
 * 2. Ties keep the current champion (no churn on equal scores). A tie that does
 *    not involve the current champion goes to the baseline, then to the
 *    smallest model id, so the rule is deterministic.
 *
 * Models without a usable score (no rows, NaN) are not eligible.
 */
import type { ModelKind } from './models/types.js';

/** One model's score on the evaluation day. */
export interface ChampionCandidate {
  readonly modelId: string;
  readonly kind: ModelKind;
  /** RMSE on price over the evaluation day. */
  readonly rmse: number;
  /** Rows scored. */
  readonly n: number;
}

/** Options of {@link chooseChampion}. */
export interface ChampionOptions {
  /** Model id of the current champion, if any. */
  readonly currentChampionId?: string;
  /**
   * Relative RMSE difference under which two eligible models count as tied
   * (default 0: only exact ties). Never lets a model worse than persistence in.
   */
  readonly tieTolerance?: number;
}

/** Why the champion is what it is. */
export type ChampionReason =
  /** The current champion is (tied for) best among eligible models. */
  | 'kept'
  /** There was no champion: the best eligible model takes the role. */
  | 'initial'
  /** Another eligible model beat the current champion. */
  | 'beaten'
  /** The current champion was worse than persistence (or unscored) and is replaced. */
  | 'demoted';

/** A candidate with its rank on the day. */
export interface RankedCandidate extends ChampionCandidate {
  /** 1 = lowest RMSE; unscored models last. */
  readonly rank: number;
  /** Not worse than persistence and scored. */
  readonly eligible: boolean;
  readonly skillVsBaseline: number;
}

/** The outcome of the rule for one evaluation day. */
export interface ChampionDecision {
  readonly championId: string;
  readonly championKind: ModelKind;
  readonly previousChampionId: string | undefined;
  readonly changed: boolean;
  readonly reason: ChampionReason;
  readonly baselineId: string;
  readonly baselineRmse: number;
  /** Every candidate, best first. */
  readonly ranking: readonly RankedCandidate[];
}

function byId(a: ChampionCandidate, b: ChampionCandidate): number {
  return a.modelId < b.modelId ? -1 : a.modelId > b.modelId ? 1 : 0;
}

/**
 * Applies the champion rule. Exactly one candidate must be the persistence
 * baseline, scored on the day.
 */
export function chooseChampion(candidates: readonly ChampionCandidate[], options: ChampionOptions = {}): ChampionDecision {
  const ids = new Set<string>();
  for (const c of candidates) {
    if (ids.has(c.modelId)) throw new Error(`model ${c.modelId} is a candidate twice`);
    ids.add(c.modelId);
  }
  const baselines = candidates.filter((c) => c.kind === 'persistence');
  if (baselines.length !== 1) throw new Error(`the champion rule needs exactly one persistence baseline among the candidates, got ${baselines.length}`);
  const baseline = baselines[0]!;
  if (!Number.isFinite(baseline.rmse) || !(baseline.n > 0)) throw new Error(`the persistence baseline ${baseline.modelId} has no score on the evaluation day`);
  const tol = options.tieTolerance ?? 0;
  if (!(tol >= 0)) throw new RangeError(`tieTolerance must be >= 0, got ${tol}`);

  const scored = (c: ChampionCandidate) => Number.isFinite(c.rmse) && c.n > 0;
  const isEligible = (c: ChampionCandidate) => scored(c) && c.rmse <= baseline.rmse;
  const ordered = [...candidates].sort((a, b) => {
    const sa = scored(a);
    const sb = scored(b);
    if (sa !== sb) return sa ? -1 : 1;
    return (sa ? a.rmse - b.rmse : 0) || byId(a, b);
  });
  const ranking: RankedCandidate[] = ordered.map((c, i) => ({
    ...c,
    rank: i + 1,
    eligible: isEligible(c),
    skillVsBaseline: baseline.rmse === 0 ? (c.rmse === 0 ? 0 : Number.NEGATIVE_INFINITY) : 1 - c.rmse / baseline.rmse,
  }));

  const eligible = ranking.filter((c) => c.eligible);
  const best = Math.min(...eligible.map((c) => c.rmse));
  const tied = eligible.filter((c) => c.rmse <= best * (1 + tol) || c.rmse === best);
  const current = options.currentChampionId;
  const currentEntry = current === undefined ? undefined : ranking.find((c) => c.modelId === current);

  let champion: RankedCandidate;
  let reason: ChampionReason;
  const keep = currentEntry !== undefined && tied.some((c) => c.modelId === currentEntry.modelId);
  if (keep) {
    champion = currentEntry;
    reason = 'kept';
  } else {
    champion = tied.find((c) => c.modelId === baseline.modelId) ?? [...tied].sort(byId)[0]!;
    if (current === undefined) reason = 'initial';
    else if (currentEntry?.eligible) reason = 'beaten';
    else reason = 'demoted';
  }
  return {
    championId: champion.modelId,
    championKind: champion.kind,
    previousChampionId: current,
    changed: champion.modelId !== current,
    reason,
    baselineId: baseline.modelId,
    baselineRmse: baseline.rmse,
    ranking,
  };
}
