/** The forecasting schedule on the dashboard: live forecasts, the leaderboard, the deployed skill, the champion's history. */
import { bind, distinctValues, type PanelDefinition } from '../sql/panel.js';
import { CHAMPION_CHANGES, MODEL_EVALUATIONS, PREDICTIONS } from './table-schemas.js';

const NO_MODELS = 'No evaluated models yet: run `ticklake train` then `ticklake evaluate` (or keep `ticklake up` running until they fire).';
const NO_PREDICTIONS =
  'No live forecasts yet: they start once a champion exists (`ticklake train`, `ticklake evaluate`) and minutes close under `ticklake up`.';
const symbolChoices = distinctValues(PREDICTIONS.name, 'symbol');

/** The live forecasts of one symbol in a range: one row per forecast minute and model. */
const predictionsOf: PanelDefinition['query'] = (a, d) => ({
  text: `SELECT ${d.epochMillis('minute_start')} AS t, model_id, max_by(predicted, predicted_at) AS predicted, max(actual) AS actual
FROM ${PREDICTIONS.name}
WHERE symbol = ? AND dt BETWEEN ? AND ? AND minute_start >= ? AND minute_start < ?
GROUP BY minute_start, model_id
ORDER BY t, model_id`,
  params: [bind.text(a.symbol ?? ''), bind.day(a.fromUs), bind.day(a.toUs), bind.time(a.fromUs), bind.time(a.toUs)],
});

export const FORECAST_PANELS: readonly PanelDefinition[] = [
  {
    id: 'champion-forecast',
    title: 'Champion forecast',
    description: "The champion's forecast of each minute, drawn over the candles (table predictions).",
    group: 'markets',
    chart: 'lines',
    overlayOn: 'market-candles',
    columns: { x: 't', y: ['predicted'] },
    params: ['range', 'symbol'],
    emptyHint: NO_PREDICTIONS,
    query: predictionsOf,
  },
  {
    id: 'model-predictions',
    title: 'Actual vs predicted',
    description: 'Forecast and actual price per minute, one line per model that was champion (table predictions).',
    group: 'markets',
    chart: 'lines',
    columns: { x: 't', y: ['predicted', 'actual'], series: 'model_id' },
    params: ['range', 'symbol'],
    emptyHint: NO_PREDICTIONS,
    query: predictionsOf,
    choices: symbolChoices,
  },
  {
    id: 'model-leaderboard',
    title: 'Model leaderboard',
    description: 'Each model on the latest evaluated day: RMSE, MAE, R² and skill against persistence (table model_evaluations).',
    group: 'markets',
    chart: 'table',
    columns: { x: 'rank', y: ['rmse', 'mae', 'r2', 'skill_vs_baseline'] },
    params: ['symbol'],
    emptyHint: NO_MODELS,
    query: (a) => ({
      text: `SELECT rank, model_id, kind, CAST(eval_date AS varchar) AS eval_date, rmse, mae, r2, skill_vs_baseline, n, is_champion
FROM ${MODEL_EVALUATIONS.name}
WHERE symbol = ? AND eval_date = (SELECT max(eval_date) FROM ${MODEL_EVALUATIONS.name} WHERE symbol = ?)
ORDER BY rank, model_id`,
      params: [bind.text(a.symbol ?? ''), bind.text(a.symbol ?? '')],
    }),
    choices: distinctValues(MODEL_EVALUATIONS.name, 'symbol', false),
  },
  {
    id: 'model-skill',
    title: 'Skill per day',
    description: "Each model's skill against persistence per evaluated day, in % (table model_evaluations).",
    group: 'markets',
    chart: 'lines',
    columns: { x: 't', y: ['skill_pct'], series: 'model_id' },
    params: ['symbol'],
    emptyHint: NO_MODELS,
    query: (a, d) => ({
      text: `SELECT ${d.epochMillis('CAST(eval_date AS timestamp)')} AS t, model_id, 100 * skill_vs_baseline AS skill_pct
FROM ${MODEL_EVALUATIONS.name}
WHERE symbol = ?
ORDER BY t, model_id`,
      params: [bind.text(a.symbol ?? '')],
    }),
    choices: distinctValues(MODEL_EVALUATIONS.name, 'symbol', false),
  },
  {
    id: 'deployed-skill',
    title: 'Deployed skill',
    description:
      "Skill against persistence of the forecasts actually served each evaluated day (the previous evaluation's champion), in %, one line per symbol (table model_evaluations, served rows).",
    group: 'markets',
    chart: 'lines',
    columns: { x: 't', y: ['deployed_skill_pct'], series: 'symbol' },
    params: ['range'],
    emptyHint: NO_MODELS,
    query: (a, d) => ({
      text: `SELECT ${d.epochMillis('CAST(eval_date AS timestamp)')} AS t, symbol, 100 * skill_vs_baseline AS deployed_skill_pct
FROM ${MODEL_EVALUATIONS.name}
WHERE served AND CAST(eval_date AS timestamp) >= ? AND CAST(eval_date AS timestamp) < ?
ORDER BY t, symbol`,
      params: [bind.time(a.fromUs), bind.time(a.toUs)],
    }),
  },
  {
    id: 'champion-history',
    title: 'Champion history',
    description: 'Every change of champion with its reason (table champion_changes).',
    group: 'markets',
    chart: 'table',
    columns: { x: 'eval_date', y: ['rmse', 'baseline_rmse', 'skill_vs_baseline'] },
    params: ['symbol'],
    emptyHint: NO_MODELS,
    query: (a) => ({
      text: `SELECT CAST(eval_date AS varchar) AS eval_date, previous_model_id, model_id, model_kind, reason, rmse, baseline_rmse, skill_vs_baseline
FROM ${CHAMPION_CHANGES.name}
WHERE symbol = ?
ORDER BY eval_date DESC, changed_at DESC
LIMIT 200`,
      params: [bind.text(a.symbol ?? '')],
    }),
    choices: distinctValues(CHAMPION_CHANGES.name, 'symbol', false),
  },
];
