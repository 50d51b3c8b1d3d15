/**
 * Text renderings of the forecasting runs for the CLI: training summaries,
 * daily leaderboards per symbol, champion changes and the backtest's results
 * table (also as Markdown, for the documentation).
 */
import type { ChampionChangeEntry } from '../../ml/steps/model-store.js';
import type { RegisteredModel, SymbolDecision, SymbolMetrics } from '../../ml/steps/workflow-types.js';
import type { BacktestReport, ModelResult } from './backtest.js';
import type { EvaluationRunOutput, TrainingRunOutput } from './local-ml.js';

/** A price in quote currency: 2 decimals from 10 up, 4 below (ETH-sized errors stay readable). */
export function price(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  return Math.abs(v) >= 10 ? v.toFixed(2) : v.toFixed(4);
}

/** R² with 4 decimals. */
export function r2(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(4);
}

/** Skill as a signed percentage, e.g. `-0.17%`. */
export function skill(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  const p = v * 100;
  return `${p >= 0 ? '+' : ''}${p.toFixed(2)}%`;
}

const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);

/** Lines describing a training run: window, then per model its fit and in-sample metrics per symbol. */
export function trainingLines(o: TrainingRunOutput, wallMs: number): string[] {
  const out = [
    `weekly training ${o.plan.runId}: window ${o.plan.windowStart} .. ${o.plan.windowEnd}, symbols ${o.plan.symbols.join(', ')} (${(wallMs / 1000).toFixed(1)} s)`,
  ];
  const width = Math.max(24, ...o.models.map((m) => m.modelId.length + 2));
  out.push(
    `  ${pad('model', width)}${lpad('rows', 8)}${lpad('fit s', 8)}  ${o.plan.symbols.map((s) => `${pad(s, 9)}${lpad('rmse', 10)}${lpad('r2', 9)}`).join('  ')}`,
  );
  for (const m of o.models as RegisteredModel[]) {
    const per = o.plan.symbols.map((s) => {
      const b = m.bySymbol.find((x) => x.symbol === s);
      return `${pad('', 9)}${lpad(price(b?.rmse), 10)}${lpad(r2(b?.r2), 9)}`;
    });
    out.push(`  ${pad(m.modelId, width)}${lpad(String(m.trainRows), 8)}${lpad(m.fitSeconds.toFixed(2), 8)}  ${per.join('  ')}`);
  }
  return out;
}

/** One champion change as a line. */
export function changeLine(c: ChampionChangeEntry): string {
  return `champion ${c.symbol} ${c.evalDate}: ${c.previousModelId ?? '(none)'} -> ${c.modelId} [${c.reason}] rmse ${price(c.rmse)} vs persistence ${price(c.baselineRmse)} (skill ${skill(c.skillVsBaseline)})`;
}

/** The deployed skill of the backtest, one line per symbol. */
export function deployedLines(report: BacktestReport): string[] {
  return report.deployed.map(
    (d) =>
      `  ${pad(d.symbol, 10)}skill ${lpad(skill(d.skill), 8)} over ${d.days} days (${d.n} minutes; persistence served ${d.persistenceDays} of them); from the predictions table ${skill(d.skillFromPredictions)}`,
  );
}

/** One symbol's deployed skill of the day, as a line. */
function deployedLine(d: SymbolDecision): string {
  const dep = d.deployed;
  if (dep === null) return `  deployed ${d.symbol}: no champion served ${d.symbol} on the day`;
  return `  deployed ${d.symbol}: ${dep.modelId} (champion of the previous evaluation) skill ${skill(dep.skill)} vs persistence on ${dep.n} minutes`;
}

/** The strongest evidence the promotion rule saw for a symbol: its test with the smallest p-value. */
function evidenceLine(d: SymbolDecision, windowDays: number, level: number): string | undefined {
  const best = [...d.tests].sort((a, b) => a.pValue - b.pValue)[0];
  if (best === undefined) return undefined;
  const stat = Math.abs(best.statistic) >= 1e300 ? (best.statistic > 0 ? '+inf' : '-inf') : best.statistic.toFixed(2);
  return `  evidence ${d.symbol}: ${best.challengerId} vs ${best.referenceId} in the ${windowDays}-day window (${best.n} minutes): DM ${stat}, p ${best.pValue.toFixed(3)} (${best.significant ? 'significant' : 'not significant'} at ${level})`;
}

/** The leaderboard of an evaluation run, per symbol, then its champion changes. */
export function evaluationLines(o: EvaluationRunOutput, wallMs: number): string[] {
  const p = o.plan;
  if (!p.ready) return [`daily evaluation of ${p.evalDate}: nothing to evaluate (${p.reason ?? 'not ready'})`];
  const out = [`daily evaluation of ${p.evalDate} (${(wallMs / 1000).toFixed(1)} s)`];
  for (const e of p.excluded) out.push(`  left out ${e.modelId}: ${e.reason}`);
  const width = Math.max(24, ...p.models.map((m) => m.modelId.length + 2));
  for (const d of o.decision?.decisions ?? []) {
    out.push(`  ${pad(d.symbol, 10)}${pad('model', width)}${lpad('rmse', 10)}${lpad('mae', 10)}${lpad('r2', 9)}${lpad('skill', 9)}${lpad('n', 6)}`);
    for (const r of d.ranking) {
      const m: SymbolMetrics | undefined = o.scores?.find((s) => s.modelId === r.modelId)?.bySymbol.find((b) => b.symbol === d.symbol);
      const served = r.modelId === d.deployed?.modelId ? '  [served the day]' : '';
      const mark = (r.modelId === d.championId ? `  <- champion (${d.reason})` : r.eligible ? '' : '  (worse than persistence on the day)') + served;
      out.push(
        `  ${pad('', 10)}${pad(r.modelId, width)}${lpad(price(m?.rmse), 10)}${lpad(price(m?.mae), 10)}${lpad(r2(m?.r2), 9)}${lpad(skill(m?.skillVsBaseline), 9)}${lpad(String(m?.n ?? 0), 6)}${mark}`,
      );
    }
  }
  for (const d of o.decision?.decisions ?? []) {
    const evidence = evidenceLine(d, p.promotion.windowDays, p.promotion.level);
    if (evidence !== undefined) out.push(evidence);
  }
  for (const d of o.decision?.decisions ?? []) out.push(deployedLine(d));
  for (const s of o.decision?.skipped ?? []) out.push(`  ${s.symbol}: skipped (${s.reason})`);
  for (const c of o.published?.changes ?? []) out.push(`  ${changeLine(c)}`);
  for (const s of o.published?.stale ?? []) out.push(`  ${s}: pointer not moved (a later day already decided it)`);
  return out;
}

function sortedResults(results: readonly ModelResult[]): ModelResult[] {
  const kindOrder = ['persistence', 'ridge', 'random_forest', 'gbt'];
  return [...results].sort(
    (a, b) =>
      (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0) ||
      (a.trainingDate < b.trainingDate ? -1 : a.trainingDate > b.trainingDate ? 1 : 0) ||
      kindOrder.indexOf(a.kind) - kindOrder.indexOf(b.kind),
  );
}

/** The results table: per symbol and model, training-window and following-days metrics, skill and champion days. */
export function resultsLines(report: BacktestReport): string[] {
  const width = Math.max(28, ...report.results.map((r) => r.modelId.length + 2));
  const out = [
    `  ${pad('symbol', 10)}${pad('model', width)}${lpad('train rmse', 12)}${lpad('train r2', 10)}${lpad('days', 6)}${lpad('eval rmse', 12)}${lpad('eval r2', 10)}${lpad('skill', 9)}${lpad('champion', 10)}`,
  ];
  for (const r of sortedResults(report.results)) {
    out.push(
      `  ${pad(r.symbol, 10)}${pad(r.modelId, width)}${lpad(price(r.train?.rmse), 12)}${lpad(r2(r.train?.r2), 10)}${lpad(String(r.evalDays), 6)}${lpad(price(r.evalRmse), 12)}${lpad(r2(r.evalR2Mean), 10)}${lpad(skill(r.evalSkill), 9)}${lpad(`${r.championDays} d`, 10)}`,
    );
  }
  return out;
}

/** The results table as Markdown. */
export function resultsMarkdown(report: BacktestReport): string {
  const rows = sortedResults(report.results).map(
    (r) =>
      `| ${r.symbol} | \`${r.modelId}\` | ${price(r.train?.rmse)} | ${r2(r.train?.r2)} | ${r.evalDays} | ${price(r.evalRmse)} | ${r2(r.evalR2Mean)} | ${skill(r.evalSkill)} | ${r.championDays} |`,
  );
  return [
    '| symbol | model | train RMSE | train R² | eval days | eval RMSE | eval R² (mean) | skill vs persistence | days champion |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}
