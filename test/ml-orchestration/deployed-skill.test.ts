/**
 * Deployed skill: the skill of the forecasts actually served on a day, those of
 * the champion after the previous evaluation, never of the day's best model or
 * of the champion the day's decision picks. Recorded as the `served` rows of
 * `model_evaluations` and drawn by the `deployed-skill` panel.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FORECAST_PANELS } from '../../src/ml/panels.js';
import { LakePanelRunner } from '../../src/local/lake-panel-runner.js';
import { openLocalMl } from '../../src/local/ml/local-ml.js';
import type { EvaluationRunOutput } from '../../src/local/ml/local-ml.js';
import { evaluationLines } from '../../src/local/ml/report.js';
import { DUCKDB } from '../../src/sql/dialect.js';
import { tempDir, withLake } from '../helpers/lake-files.js';
import { badRidge, DAY, FAST_CONFIG, iso, T0, twoSymbolBars, writeBars } from './helpers.js';

const RIDGE = 'ridge-2026-11-04-v1';
const GBT = 'gbt-2026-11-04-v1';

describe('deployed skill', () => {
  let dir: string;
  let out: EvaluationRunOutput;

  beforeAll(async () => {
    // Prepare: one training; BTCUSDT served by a ridge that went bad, ETHUSDT by the gbt (as if an earlier evaluation had chosen them)
    dir = tempDir('ticklake-deployed-');
    await writeBars(dir, twoSymbolBars(5, 7));
    const ml = openLocalMl(dir, { config: FAST_CONFIG });
    await ml.train({ trigger: 'weekly-training', scheduledTime: iso(T0 + 2 * DAY) });
    await ml.store.setChampion('BTCUSDT', { modelId: RIDGE, kind: 'ridge', artifactUri: ml.store.artifactUri(RIDGE), evalDate: '2026-11-04' });
    await ml.store.setChampion('ETHUSDT', { modelId: GBT, kind: 'gbt', artifactUri: ml.store.artifactUri(GBT), evalDate: '2026-11-04' });
    await ml.store.putArtifact(RIDGE, badRidge((await ml.store.getArtifact(RIDGE))!));
    // Act
    out = (await ml.evaluate({ trigger: 'daily-evaluation', scheduledTime: iso(T0 + 4 * DAY) })).output;
  }, 120_000);

  it('FAILS IF deployed skill comes from anything but the served forecasts: it is the previous champion’s skill on the day', () => {
    // Assess
    const skillOf = (modelId: string, symbol: string) => out.scores!.find((s) => s.modelId === modelId)!.bySymbol.find((b) => b.symbol === symbol)!;
    const btc = out.decision!.decisions.find((d) => d.symbol === 'BTCUSDT')!;
    const eth = out.decision!.decisions.find((d) => d.symbol === 'ETHUSDT')!;
    expect(btc.deployed).toMatchObject({ modelId: RIDGE, kind: 'ridge', skill: skillOf(RIDGE, 'BTCUSDT').skillVsBaseline, n: skillOf(RIDGE, 'BTCUSDT').n });
    expect(eth.deployed).toMatchObject({ modelId: GBT, kind: 'gbt', skill: skillOf(GBT, 'ETHUSDT').skillVsBaseline });
    // The served ridge is far worse than the day's best and than the champion the day picks.
    expect(btc.deployed!.skill!).toBeLessThan(-0.5);
    expect(btc.ranking[0]!.skillVsBaseline!).toBeGreaterThan(btc.deployed!.skill!);
    expect(btc.championId).not.toBe(RIDGE);
    expect(btc.reason).toBe('demoted');
    expect(evaluationLines(out, 0)).toContain(
      `  deployed BTCUSDT: ${RIDGE} (champion of the previous evaluation) skill ${(100 * btc.deployed!.skill!).toFixed(2)}% vs persistence on ${btc.deployed!.n} minutes`,
    );
  });

  it('is recorded as the served rows of model_evaluations and drawn by the deployed-skill panel', async () => {
    // Act
    const rows = await withLake(`${dir}/lake`, (sql) =>
      sql.query('SELECT symbol, model_id, skill_vs_baseline FROM model_evaluations WHERE served ORDER BY symbol'),
    );
    const runner = await LakePanelRunner.open(`${dir}/lake`);
    const panel = FORECAST_PANELS.find((p) => p.id === 'deployed-skill')!;
    const drawn = await runner.run(panel.query({ fromUs: T0, toUs: T0 + 7 * DAY, symbols: [], nowUs: T0 + 7 * DAY }, DUCKDB)).finally(() => runner.close());
    // Assess
    const deployed = (symbol: string) => out.decision!.decisions.find((d) => d.symbol === symbol)!.deployed!;
    expect(rows.rows).toEqual([
      ['BTCUSDT', RIDGE, deployed('BTCUSDT').skill],
      ['ETHUSDT', GBT, deployed('ETHUSDT').skill],
    ]);
    expect(drawn.columns).toEqual(['t', 'symbol', 'deployed_skill_pct']);
    const day = Date.UTC(2026, 10, 5);
    expect(drawn.rows.map((r) => [Number(r[0]), r[1]])).toEqual([
      [day, 'BTCUSDT'],
      [day, 'ETHUSDT'],
    ]);
    expect(Number(drawn.rows[0]![2])).toBeCloseTo(100 * deployed('BTCUSDT').skill!, 9);
  });
});
