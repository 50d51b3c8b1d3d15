/** Live prediction from a stored artifact: same forecasts as the batch path, cheap per bar. */
import { describe, expect, it } from 'vitest';
import { buildDataset, splitByTime, WARMUP_MINUTES } from '../../src/ml/features.js';
import type { ModelArtifact } from '../../src/ml/models/index.js';
import { LivePredictor, checkFeatureCompatibility } from '../../src/ml/predict.js';
import { syntheticBars } from '../../src/ml/synthetic.js';
import { trainModel } from '../../src/ml/train.js';
import { MIN } from './helpers.js';

describe('LivePredictor', () => {
  it('forecasts from bars as they close exactly what the batch path forecasts, per symbol', () => {
    // Prepare
    const btc = syntheticBars({ minutes: 1500, seed: 41, gapShare: 0.02 });
    const eth = syntheticBars({ minutes: 1500, seed: 42, symbol: 'ETHUSDT', startPrice: 3400, gapShare: 0.02 });
    const ds = buildDataset([...btc, ...eth], { field: 'avgPrice', horizon: 1 });
    const boundary = btc[0]!.minuteStartUs + 1200 * MIN;
    const { train, evaluation } = splitByTime(ds, boundary);
    const trained = trainModel('gbt', train, { trainingDate: '2026-11-02', config: { gbt: { nIterations: 30 } } });
    const predictor = LivePredictor.fromArtifact(JSON.parse(JSON.stringify(trained.artifact)) as ModelArtifact);
    const batch = new Map<string, number>();
    const predicted = trained.model.predictMatrix(evaluation.X);
    // Live forecasts are triggered by bars, so a row whose feature minute had no trade has no live twin.
    const barMinutes = new Set([...btc, ...eth].map((b) => `${b.symbol}@${b.minuteStartUs}`));
    let gapRows = 0;
    for (let i = 0; i < evaluation.y.length; i++) {
      if (!barMinutes.has(`${evaluation.symbols[i]}@${evaluation.minuteStartUs[i]}`)) {
        gapRows++;
        continue;
      }
      batch.set(`${evaluation.symbols[i]}@${evaluation.targetTimeUs[i]}`, evaluation.basePrice[i]! * Math.exp(predicted[i]!));
    }
    // Act
    const live = new Map<string, number>();
    let warmup = 0;
    const stream = [...btc, ...eth].sort((a, b) => a.minuteStartUs - b.minuteStartUs);
    for (const bar of stream) {
      const p = predictor.onBar(bar);
      if (p === undefined) warmup++;
      else live.set(`${p.symbol}@${p.minuteStartUs}`, p.predicted);
    }
    // Assess
    expect(warmup).toBeLessThanOrEqual(2 * (WARMUP_MINUTES + 1));
    let compared = 0;
    for (const [k, v] of batch) {
      expect(live.get(k)).toBe(v);
      compared++;
    }
    expect(compared).toBeGreaterThan(2 * 250);
    expect(gapRows).toBeGreaterThan(0);
  });

  it('refuses an artifact trained on other features or without a target', () => {
    // Prepare
    const ds = buildDataset(syntheticBars({ minutes: 300, seed: 1 }));
    const a = trainModel('ridge', ds, { trainingDate: '2026-11-02' }).artifact;
    // Act / Assess
    expect(() => checkFeatureCompatibility({ ...a, meta: { ...a.meta, featureNames: ['x', ...a.meta.featureNames!.slice(1)] } })).toThrow(
      /other feature columns/,
    );
    expect(() => checkFeatureCompatibility({ ...a, meta: { ...a.meta, featureSetVersion: 99 } })).toThrow(/v99/);
    // a model of the first feature set (before the order-flow columns) is refused
    const v1Names = a.meta.featureNames!.filter((n) => n !== 'ofi_1' && n !== 'ofi_vol_1');
    expect(v1Names).toHaveLength(a.meta.featureNames!.length - 2);
    expect(() => checkFeatureCompatibility({ ...a, meta: { ...a.meta, featureNames: v1Names, featureSetVersion: 1 } })).toThrow(/feature/);
    expect(() => LivePredictor.fromArtifact({ ...a, meta: { ...a.meta, featureNames: v1Names, featureSetVersion: 1 } })).toThrow(/feature/);
    expect(() => LivePredictor.fromArtifact({ ...a, meta: { ...a.meta, target: undefined } })).toThrow(/target/);
  });
});
