/** Shared set-up of the orchestration tests: synthetic bars in a temporary lake, a fast model configuration, a bad model. */
import { join } from 'node:path';
import { MINUTE_US } from '../../src/ml/bar.js';
import type { Bar } from '../../src/core/bars.js';
import { syntheticBars } from '../../src/ml/synthetic.js';
import type { ModelArtifact } from '../../src/ml/models/types.js';
import { BAR_PARTIALS } from '../../src/sources/binance-trades/tables.js';
import { hourPartition, US_PER_DAY, US_PER_HOUR } from '../../src/core/time.js';
import { lakeKey } from '../../src/lake/layout.js';
import { encodeParquet } from '../../src/lake/parquet.js';
import { DEFAULT_ML_CONFIG, type MlConfig } from '../../src/ml/steps/config.js';
import { FileObjectStore } from '../../src/local/file-object-store.js';
import type { RidgeState } from '../../src/ml/models/ridge.js';
import { getOrCreate } from '../../src/core/collections.js';

/** Monday 2026-11-02 00:00 UTC, µs. */
export const T0 = Date.UTC(2026, 10, 2) * 1000;
export const DAY = US_PER_DAY;
export const iso = (us: number) => new Date(us / 1000).toISOString();

/** Small trees: the orchestration is under test here, not the learners. */
export const FAST_CONFIG: MlConfig = {
  ...DEFAULT_ML_CONFIG,
  trainDays: 2,
  models: { random_forest: { nTrees: 6, maxDepth: 4, maxBins: 32 }, gbt: { nIterations: 8, maxDepth: 3, maxBins: 32 } },
};

/** Seeded bars of BTCUSDT and ETHUSDT over `days` days from T0 (a few gap minutes). */
export function twoSymbolBars(days: number, seed = 3): Bar[] {
  return [
    ...syntheticBars({ symbol: 'BTCUSDT', startUs: T0, minutes: days * 1440, seed, gapShare: 0.01 }),
    ...syntheticBars({ symbol: 'ETHUSDT', startUs: T0, minutes: days * 1440, seed: seed + 100, startPrice: 3400, annualVol: 0.65, gapShare: 0.01 }),
  ];
}

/** Writes bars to `<dataDir>/lake` as `bar_partials` (one partial per bar, one file per hour), so `bars_1m` returns them. */
export async function writeBars(dataDir: string, bars: readonly Bar[]): Promise<void> {
  const lake = new FileObjectStore(join(dataDir, 'lake'));
  const byHour = new Map<number, Bar[]>();
  for (const b of bars) {
    const h = Math.floor(b.minuteStartUs / US_PER_HOUR);
    const list = getOrCreate(byHour, h, () => []);
    list.push(b);
  }
  for (const [h, list] of byHour) {
    const col = <T>(f: (b: Bar) => T) => list.map(f);
    await lake.put(
      lakeKey(BAR_PARTIALS, hourPartition(h * US_PER_HOUR), `test-${h}.parquet`),
      encodeParquet(BAR_PARTIALS, {
        symbol: col((b) => b.symbol),
        minute_start: col((b) => b.minuteStartUs),
        open_time: col((b) => b.minuteStartUs),
        open_trade_id: col(() => 1),
        open: col((b) => b.open),
        close_time: col((b) => b.minuteStartUs + MINUTE_US - 1),
        close_trade_id: col(() => 2),
        close: col((b) => b.close),
        high: col((b) => b.high),
        low: col((b) => b.low),
        sum_price: col((b) => b.avgPrice * b.tradeCount),
        volume: col((b) => b.volume),
        quote_volume: col((b) => b.quoteVolume),
        sum_quote_quantity: col((b) => b.avgQuoteQuantity * b.tradeCount),
        trade_count: col((b) => b.tradeCount),
        buyer_maker_count: col((b) => Math.round(b.buyerMakerShare * b.tradeCount)),
        batch_id: col(() => 'test'),
      }),
    );
  }
}

/** A ridge artifact that forecasts +0.3 % every minute whatever the features: far worse than persistence. */
export function badRidge(a: ModelArtifact): ModelArtifact {
  const s = a.state as RidgeState;
  return { ...a, state: { ...s, beta: s.beta.map(() => 0), yMean: 0.003 } satisfies RidgeState };
}
