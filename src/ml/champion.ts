/**
 * The day's leaderboard: every candidate (the persistence baseline included)
 * scored on the same rows of one evaluation day, ranked by RMSE, with its skill
 * against persistence. It is what the daily evaluation prints and writes to
 * `model_evaluations`; who becomes champion is decided on the evidence of
 * several days by the promotion rule (`promotion.ts`), not by this ranking.
 *
 * Models without a usable score (no rows, NaN) rank last.
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

/** A candidate with its rank on the day. */
export interface RankedCandidate extends ChampionCandidate {
  /** 1 = lowest RMSE; unscored models last. */
  readonly rank: number;
  /** Scored and not worse than persistence on the day. */
  readonly eligible: boolean;
  readonly skillVsBaseline: number;
}

/** The ranking of a day. */
export interface DayRanking {
  readonly baselineId: string;
  readonly baselineRmse: number;
  /** Every candidate, best first (ties: model id). */
  readonly ranking: readonly RankedCandidate[];
}

function byId(a: ChampionCandidate, b: ChampionCandidate): number {
  return a.modelId < b.modelId ? -1 : a.modelId > b.modelId ? 1 : 0;
}

/** Ranks a day's candidates. Exactly one must be the persistence baseline, scored on the day. */
export function rankCandidates(candidates: readonly ChampionCandidate[]): DayRanking {
  const ids = new Set<string>();
  for (const c of candidates) {
    if (ids.has(c.modelId)) throw new Error(`model ${c.modelId} is a candidate twice`);
    ids.add(c.modelId);
  }
  const baselines = candidates.filter((c) => c.kind === 'persistence');
  if (baselines.length !== 1) throw new Error(`the leaderboard needs exactly one persistence baseline among the candidates, got ${baselines.length}`);
  const baseline = baselines[0]!;
  if (!Number.isFinite(baseline.rmse) || !(baseline.n > 0)) throw new Error(`the persistence baseline ${baseline.modelId} has no score on the evaluation day`);

  const scored = (c: ChampionCandidate) => Number.isFinite(c.rmse) && c.n > 0;
  const ordered = [...candidates].sort((a, b) => {
    const sa = scored(a);
    const sb = scored(b);
    if (sa !== sb) return sa ? -1 : 1;
    return (sa ? a.rmse - b.rmse : 0) || byId(a, b);
  });
  const ranking: RankedCandidate[] = ordered.map((c, i) => ({
    ...c,
    rank: i + 1,
    eligible: scored(c) && c.rmse <= baseline.rmse,
    skillVsBaseline: baseline.rmse === 0 ? (c.rmse === 0 ? 0 : Number.NEGATIVE_INFINITY) : 1 - c.rmse / baseline.rmse,
  }));
  return { baselineId: baseline.modelId, baselineRmse: baseline.rmse, ranking };
}
