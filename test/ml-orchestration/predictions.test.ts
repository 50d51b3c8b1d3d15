/** Live predictions: the champion forecasts as bars close; rows get their actual; points reach the time-series sink; loading is cached. */
import { describe, expect, it } from 'vitest';
import { MINUTE_US } from '../../src/ml/bar.js';
import { type Bar, toBarRow } from '../../src/core/bars.js';
import { buildDataset, targetWindow } from '../../src/ml/features.js';
import { trainModel } from '../../src/ml/train.js';
import { RidgeModel } from '../../src/ml/models/ridge.js';
import { BlobModelStore } from '../../src/ml/steps/model-store.js';
import { PredictionService, type PendingPrediction } from '../../src/ml/steps/live-predictions.js';
import { createPredictHandler } from '../../src/ml/steps/predict-handler.js';
import { MemoryBarSource } from '../../src/ml/steps/bar-source.js';
import { FileObjectStore } from '../../src/local/file-object-store.js';
import type { Point, WriteResult } from '../../src/timeseries/point.js';
import { tempDir, withLake } from '../helpers/lake-files.js';
import { T0, twoSymbolBars } from './helpers.js';

/** A time-series sink that keeps what it is given. */
class MemorySink {
  readonly points: Point[] = [];
  async write(points: readonly Point[]): Promise<WriteResult> {
    this.points.push(...points);
    return { written: points.length, rejected: [], retried: 0, corrected: 0 };
  }
}

async function storeWithRidgeChampion(dir: string, bars: readonly Bar[]): Promise<{ store: BlobModelStore; modelId: string }> {
  const store = new BlobModelStore(new FileObjectStore(`${dir}/models`));
  const ds = buildDataset(bars.filter((b) => b.minuteStartUs < T0 + 1440 * MINUTE_US));
  const trained = trainModel('ridge', ds, { trainingDate: '2026-11-03' });
  await store.putArtifact(trained.modelId, trained.artifact);
  for (const symbol of ['BTCUSDT', 'ETHUSDT'])
    await store.setChampion(symbol, { modelId: trained.modelId, kind: 'ridge', artifactUri: store.artifactUri(trained.modelId), evalDate: '2026-11-03' });
  return { store, modelId: trained.modelId };
}

/** Bars of both symbols in close order (minute, then symbol). */
const inCloseOrder = (bars: readonly Bar[]) => [...bars].sort((a, b) => a.minuteStartUs - b.minuteStartUs || (a.symbol < b.symbol ? -1 : 1));

describe('PredictionService', () => {
  it('forecasts the next minute per symbol with its champion; rows carry the actual once the next bar closes', async () => {
    const dir = tempDir('ticklake-pred-');
    const all = twoSymbolBars(2, 11);
    const { store, modelId } = await storeWithRidgeChampion(dir, all);
    const sink = new MemorySink();
    const service = new PredictionService({ store, lake: new FileObjectStore(`${dir}/lake`), timeSeries: sink });
    const day2 = inCloseOrder(all.filter((b) => b.minuteStartUs >= T0 + 1440 * MINUTE_US));
    // Prepare the feature window with the first day, as a running service would have it.
    for (const b of inCloseOrder(all.filter((b) => b.minuteStartUs < T0 + 1440 * MINUTE_US))) await service.onBar(b);
    const warm = service.stats().predictions;
    const made: PendingPrediction[] = [];
    for (const b of day2) {
      const p = await service.onBar(b);
      if (p) made.push(p);
    }
    const flushed = await service.flush();
    const stats = service.stats();

    // One forecast per closed bar, for the next minute, by the champion.
    expect(made.length).toBe(day2.length);
    expect(made.every((p) => p.modelId === modelId && p.targetUs === p.featureMinuteUs + MINUTE_US)).toBe(true);
    // The same numbers as the batch path: the model on the feature rows of the dataset.
    const ds = targetWindow(buildDataset(all), T0 + 1440 * MINUTE_US + MINUTE_US, T0 + 2880 * MINUTE_US);
    const artifact = (await store.getArtifact(modelId))!;
    const ridge = RidgeModel.fromJSON(artifact);
    const k = ds.symbols.indexOf('BTCUSDT');
    const p0 = made.find((p) => p.symbol === 'BTCUSDT' && p.targetUs === ds.targetTimeUs[k])!;
    expect(p0.predicted).toBeCloseTo(ds.basePrice[k]! * Math.exp(ridge.predict(ds.X.data.subarray(k * ds.X.cols, (k + 1) * ds.X.cols))), 6);

    // Cached: one model load, pointers read once per symbol (TTL 60 s of wall time).
    expect(stats.modelLoads).toBe(1);
    expect(stats.championReads).toBe(2);
    // Measured (its figure and target are the bench's predict_ms_per_bar, not a timed test).
    expect(stats.predictMsPerBar).toBeGreaterThan(0);

    // Rows: every forecast whose target minute closed; actual = that minute's close, null for a gap minute.
    const rows = warm + made.length - service.pending().length;
    expect(flushed.rows).toBe(rows);
    await withLake(`${dir}/lake`, async (sql) => {
      expect(await sql.count('predictions')).toBe(rows);
      const r = await sql.query(
        `SELECT count(*) FILTER (WHERE actual IS NOT NULL), count(*) FILTER (WHERE actual IS NULL), count(DISTINCT model_id), min(horizon), max(horizon) FROM predictions`,
      );
      const [withActual, without, models, hmin, hmax] = r.rows[0]!.map(Number);
      expect(withActual! + without!).toBe(rows);
      expect(without).toBe(stats.withoutActual);
      expect(without! / rows).toBeLessThan(0.03);
      expect([models, hmin, hmax]).toEqual([1, 1, 1]);
      const closes = new Map(all.map((b) => [`${b.symbol}@${b.minuteStartUs}`, b.close]));
      const written = await sql.query('SELECT symbol, epoch_us(minute_start), actual, base_price FROM predictions');
      for (const [symbol, minute, actual, base] of written.rows) {
        expect(actual).toBe(closes.get(`${String(symbol)}@${Number(minute)}`) ?? null);
        expect(base).toBe(closes.get(`${String(symbol)}@${Number(minute) - MINUTE_US}`) ?? base);
      }
    });

    // Points: complete ones (predicted + actual) for completed forecasts, predicted-only for the pending ones.
    expect(flushed.points).toBe(sink.points.length);
    const complete = sink.points.filter((p) => 'actual' in p.fields);
    expect(complete.length).toBe(rows - stats.withoutActual);
    expect(sink.points.every((p) => p.measurement === 'prediction' && p.tags.model_id === modelId && p.tags.kind === 'close_1m')).toBe(true);
  });

  it('switches models when the pointer moves, only after the cache expires or is refreshed', async () => {
    const dir = tempDir('ticklake-pred2-');
    const all = twoSymbolBars(1, 12).filter((b) => b.symbol === 'BTCUSDT');
    const { store, modelId } = await storeWithRidgeChampion(dir, all);
    let now = 0;
    const service = new PredictionService({ store, nowMs: () => now, championTtlMs: 60_000 });
    const bars = all.slice(0, 200);
    for (const b of bars.slice(0, 100)) await service.onBar(b);
    // Another champion: persistence.
    const p = trainModel('persistence', buildDataset(all.slice(0, 300)), { trainingDate: '2026-11-03' });
    await store.putArtifact(p.modelId, p.artifact);
    await store.setChampion('BTCUSDT', { modelId: p.modelId, kind: 'persistence', artifactUri: '', evalDate: '2026-11-04' });
    expect((await service.onBar(bars[100]!))?.modelId).toBe(modelId);
    now += 61_000;
    expect((await service.onBar(bars[101]!))?.modelId).toBe(p.modelId);
    await store.setChampion('BTCUSDT', { modelId, kind: 'ridge', artifactUri: '', evalDate: '2026-11-05' });
    service.refreshChampions();
    expect((await service.onBar(bars[102]!))?.modelId).toBe(modelId);
    expect(service.stats().modelLoads).toBe(2);
    // A bar that is not after the previous one is dropped, not forecast.
    expect(await service.onBar(bars[50]!)).toBeUndefined();
    expect(service.stats().outOfOrderBars).toBe(1);
  });

  it('without a champion it keeps its feature window warm and forecasts nothing', async () => {
    const dir = tempDir('ticklake-pred3-');
    const store = new BlobModelStore(new FileObjectStore(`${dir}/models`));
    const service = new PredictionService({ store });
    for (const b of twoSymbolBars(1, 13).slice(0, 120)) expect(await service.onBar(b)).toBeUndefined();
    expect(service.stats()).toMatchObject({ bars: 120, predictions: 0, barsWithoutChampion: 120 });
  });
});

describe('predict handler (the Lambda path)', () => {
  it('resumes pending forecasts from the model store in a new container and completes them', async () => {
    const dir = tempDir('ticklake-pred4-');
    const all = inCloseOrder(twoSymbolBars(2, 14));
    const { store } = await storeWithRidgeChampion(dir, all);
    const history = new MemoryBarSource(all);
    const day2 = all.filter((b) => b.minuteStartUs >= T0 + 1440 * MINUTE_US && b.symbol === 'BTCUSDT');

    // Container 1: one minute's bar, then it is recycled.
    const c1 = createPredictHandler({ service: new PredictionService({ store, lake: new FileObjectStore(`${dir}/lake`), history }), store });
    expect(await c1({ bars: [toBarRow(day2[0]!)] })).toMatchObject({ bars: 1, predictions: 1, rows: 0, pending: 1 });
    // Container 2 (cold): warms its window from history, completes the forecast with the next bar.
    const c2 = createPredictHandler({ service: new PredictionService({ store, lake: new FileObjectStore(`${dir}/lake`), history }), store });
    expect(await c2({ bars: [toBarRow(day2[1]!)] })).toMatchObject({ bars: 1, predictions: 1, rows: 1, pending: 1 });
    await withLake(`${dir}/lake`, async (sql) => {
      const r = await sql.query('SELECT epoch_us(minute_start), actual FROM predictions');
      expect(r.rows).toEqual([[day2[1]!.minuteStartUs, day2[1]!.close]]);
    });
  });
});
