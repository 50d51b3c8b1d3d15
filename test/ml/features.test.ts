/**
 * Features and targets: no look-ahead, gap handling, the target definition,
 * training/serving parity and time-ordered splits.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Bar } from '../../src/core/bars.js';
import { FEATURE_NAMES, FeatureWindow, N_FEATURES, WARMUP_MINUTES, buildDataset, computeFeatures, selectRows, splitByTime } from '../../src/ml/features.js';
import { syntheticBars } from '../../src/ml/synthetic.js';
import { MIN, T0 } from './helpers.js';

const col = (name: (typeof FEATURE_NAMES)[number]) => FEATURE_NAMES.indexOf(name);

/** Feature rows keyed by minute. */
function rowsByMinute(bars: readonly Bar[]): Map<number, number[]> {
  const f = computeFeatures(bars);
  const out = new Map<number, number[]>();
  for (let r = 0; r < f.X.rows; r++) out.set(f.minuteStartUs[r]!, Array.from(f.X.data.subarray(r * N_FEATURES, (r + 1) * N_FEATURES)));
  return out;
}

describe('features use bars up to minute t only', () => {
  it('perturbing, deleting or inserting bars after t never changes a feature at or before t (property)', () => {
    const base = syntheticBars({ minutes: 240, seed: 11, gapShare: 0.05 });
    fc.assert(
      fc.property(
        fc.integer({ min: WARMUP_MINUTES, max: base.length - 2 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.double({ min: 0.2, max: 5, noNaN: true }),
        (cutIndex, seed, factor) => {
          // Prepare: replace the future by another market (other seed, scaled prices, other gaps)
          const cutUs = base[cutIndex]!.minuteStartUs;
          const past = base.slice(0, cutIndex + 1);
          const other = syntheticBars({ minutes: 240, seed, gapShare: 0.2, startPrice: 97_000 * factor });
          const future = other.filter((b) => b.minuteStartUs > cutUs);
          const before = rowsByMinute(base);
          // Act
          const after = rowsByMinute([...past, ...future]);
          // Assess
          for (const [t, row] of before) {
            if (t > cutUs) continue;
            expect(after.get(t)).toEqual(row);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('changing only the target bar (t+1) changes the target of row t but none of its features', () => {
    // Prepare
    const bars = syntheticBars({ minutes: 120, seed: 5 });
    const k = 90;
    const t = bars[k]!.minuteStartUs;
    const shocked = bars.map((b, i) =>
      i === k + 1
        ? {
            ...b,
            close: b.close * 1.1,
            avgPrice: b.avgPrice * 1.1,
            high: b.high * 1.1,
            vwap: b.vwap * 1.1,
            quoteVolume: b.quoteVolume * 50,
            tradeCount: b.tradeCount * 3,
            buyerMakerShare: 1 - b.buyerMakerShare,
          }
        : b,
    );
    // Act
    const a = buildDataset(bars);
    const b = buildDataset(shocked);
    // Assess
    const ia = a.minuteStartUs.indexOf(t);
    const ib = b.minuteStartUs.indexOf(t);
    expect(Array.from(b.X.data.subarray(ib * N_FEATURES, (ib + 1) * N_FEATURES))).toEqual(
      Array.from(a.X.data.subarray(ia * N_FEATURES, (ia + 1) * N_FEATURES)),
    );
    expect(b.y[ib]).not.toBe(a.y[ia]);
  });

  it('contain no price level: scaling every price by 1000 changes only the notional-volume level', () => {
    // Prepare
    const bars = syntheticBars({ minutes: 200, seed: 8, gapShare: 0.03 });
    const k = 1000;
    const scaled = bars.map((b) => ({
      ...b,
      open: b.open * k,
      high: b.high * k,
      low: b.low * k,
      close: b.close * k,
      vwap: b.vwap * k,
      avgPrice: b.avgPrice * k,
      avgQuoteQuantity: b.avgQuoteQuantity * k,
      quoteVolume: b.quoteVolume * k,
    }));
    // Act
    const a = computeFeatures(bars).X;
    const b = computeFeatures(scaled).X;
    // Assess
    for (let r = 0; r < a.rows; r++) {
      for (let c = 0; c < N_FEATURES; c++) {
        if (FEATURE_NAMES[c] === 'log_quote_volume') continue;
        expect(b.data[r * N_FEATURES + c]!).toBeCloseTo(a.data[r * N_FEATURES + c]!, 9);
      }
    }
  });
});

describe('targets and gaps', () => {
  it('the target is the log-return of the chosen field over the horizon; exp(0) reproduces persistence', () => {
    // Prepare
    const bars = syntheticBars({ minutes: 150, seed: 2 });
    const byMinute = new Map(bars.map((b) => [b.minuteStartUs, b]));
    for (const field of ['close', 'avgPrice'] as const) {
      for (const horizon of [1, 5]) {
        // Act
        const ds = buildDataset(bars, { field, horizon });
        // Assess
        expect(ds.y.length).toBe(bars.length - WARMUP_MINUTES - horizon);
        for (let i = 0; i < ds.y.length; i++) {
          const t = ds.minuteStartUs[i]!;
          expect(ds.targetTimeUs[i]).toBe(t + horizon * MIN);
          expect(ds.basePrice[i]).toBe(byMinute.get(t)![field]);
          expect(ds.actualPrice[i]).toBe(byMinute.get(t + horizon * MIN)![field]);
          expect(ds.y[i]).toBeCloseTo(Math.log(ds.actualPrice[i]! / ds.basePrice[i]!), 15);
        }
      }
    }
  });

  it("order-flow imbalance: the minute's (buys − sells) / sqrt(trades), and that times vol_15", () => {
    // Prepare: minute k gets 40 trades, 10 of them seller-initiated (buyer is maker)
    const bars = syntheticBars({ minutes: 120, seed: 12 });
    const k = 100;
    const edited = bars.map((b, i) => (i === k ? { ...b, tradeCount: 40, buyerMakerShare: 0.25 } : b));
    // Act
    const f = computeFeatures(edited);
    const row = f.X.data.subarray((k - WARMUP_MINUTES) * N_FEATURES, (k - WARMUP_MINUTES + 1) * N_FEATURES);
    // Assess
    expect(f.minuteStartUs[k - WARMUP_MINUTES]).toBe(bars[k]!.minuteStartUs);
    expect(row[col('ofi_1')]).toBeCloseTo((30 - 10) / Math.sqrt(40), 12);
    expect(row[col('vol_15')]).toBeGreaterThan(0);
    expect(row[col('ofi_vol_1')]).toBeCloseTo(row[col('ofi_1')]! * row[col('vol_15')]!, 15);
  });

  it('missing minutes are forward-filled and flagged, and are never targets', () => {
    // Prepare: drop minutes 100..102 and 150
    const all = syntheticBars({ minutes: 200, seed: 4 });
    const dropped = new Set([100, 101, 102, 150].map((i) => all[i]!.minuteStartUs));
    const bars = all.filter((b) => !dropped.has(b.minuteStartUs));
    // Act
    const f = computeFeatures(bars);
    const ds = buildDataset(bars, { field: 'avgPrice', horizon: 1 });
    // Assess: one feature row per minute of the grid, gaps included
    expect(f.X.rows).toBe(200 - WARMUP_MINUTES);
    const row = (t: number) => f.X.data.subarray(f.minuteStartUs.indexOf(t) * N_FEATURES);
    const gapT = all[101]!.minuteStartUs;
    expect(row(gapT)[col('is_gap')]).toBe(1);
    expect(row(gapT)[col('ret_1')]).toBe(0);
    expect(row(gapT)[col('log_trade_count')]).toBe(0);
    expect(row(gapT)[col('buyer_maker_share')]).toBe(0.5);
    expect(row(gapT)[col('ofi_1')]).toBe(0);
    expect(row(gapT)[col('ofi_vol_1')]).toBe(0);
    expect(row(all[99]!.minuteStartUs)[col('is_gap')]).toBe(0);
    expect(row(all[110]!.minuteStartUs)[col('gap_share_60')]).toBeCloseTo(3 / 60, 12);
    // the filled price is the last close, for every field
    expect(f.series[101]!.avgPrice).toBe(all[99]!.close);
    // no target minute is a gap; a gap minute can still be a feature minute
    for (const t of ds.targetTimeUs) expect(dropped.has(t)).toBe(false);
    expect(Array.from(ds.minuteStartUs)).toContain(all[102]!.minuteStartUs);
    expect(ds.basePrice[Array.from(ds.minuteStartUs).indexOf(all[102]!.minuteStartUs)]).toBe(all[99]!.close);
    for (let i = 0; i < ds.X.data.length; i++) expect(Number.isFinite(ds.X.data[i]!)).toBe(true);
  });

  it('the online window yields exactly the batch rows (training/serving parity), across gaps', () => {
    // Prepare
    const bars = syntheticBars({ minutes: 400, seed: 6, gapShare: 0.1 });
    const batch = rowsByMinute(bars);
    const w = new FeatureWindow();
    let compared = 0;
    // Act / Assess
    for (const b of bars) {
      w.push(b);
      const x = w.features();
      if (x === undefined) {
        expect(batch.has(b.minuteStartUs)).toBe(false);
        continue;
      }
      expect(Array.from(x)).toEqual(batch.get(b.minuteStartUs));
      compared++;
    }
    expect(compared).toBeGreaterThan(250);
  });

  it('rejects out-of-order bars and bad horizons', () => {
    const bars = syntheticBars({ minutes: 80, seed: 1 });
    expect(() => computeFeatures([bars[1]!, bars[0]!])).toThrow(/time-ordered/);
    expect(() => buildDataset(bars, { field: 'close', horizon: 0 })).toThrow(/horizon/);
    const w = new FeatureWindow();
    w.push(bars[1]!);
    expect(() => w.push(bars[0]!)).toThrow(/not after/);
  });
});

describe('time-ordered splits', () => {
  it('every training target precedes every evaluation target; rows stay in time order, none lost or shared', () => {
    // Prepare
    const bars = [
      ...syntheticBars({ minutes: 3 * 1440, seed: 9, symbol: 'BTCUSDT', gapShare: 0.01 }),
      ...syntheticBars({ minutes: 3 * 1440, seed: 9, symbol: 'ETHUSDT', startPrice: 3400, gapShare: 0.02 }),
    ];
    const horizon = 5;
    const ds = buildDataset(bars, { field: 'close', horizon });
    const boundary = T0 + 2 * 1440 * MIN;
    // Act
    const { train, evaluation } = splitByTime(ds, boundary, boundary + 1440 * MIN);
    // Assess
    expect(Math.max(...train.targetTimeUs)).toBeLessThan(boundary);
    expect(Math.min(...evaluation.targetTimeUs)).toBeGreaterThanOrEqual(boundary);
    expect(Math.max(...evaluation.targetTimeUs)).toBeLessThan(boundary + 1440 * MIN);
    for (const part of [ds, train, evaluation]) {
      for (let i = 1; i < part.minuteStartUs.length; i++) expect(part.minuteStartUs[i]!).toBeGreaterThanOrEqual(part.minuteStartUs[i - 1]!);
    }
    // purged: feature minutes in the last `horizon` minutes before the boundary are not training rows
    expect(Math.max(...train.minuteStartUs)).toBe(boundary - horizon * MIN - MIN);
    expect(train.y.length + evaluation.y.length).toBe(ds.y.length);
    expect(new Set(train.symbols)).toEqual(new Set(['BTCUSDT', 'ETHUSDT']));
  });

  it('selecting rows, consecutive or not, gives each chosen row whole and in the order asked (property)', () => {
    // Prepare
    const ds = buildDataset([
      ...syntheticBars({ minutes: 200, seed: 4, symbol: 'BTCUSDT' }),
      ...syntheticBars({ minutes: 200, seed: 5, symbol: 'ETHUSDT', startPrice: 3400 }),
    ]);
    const n = ds.y.length;
    const run = fc
      .tuple(fc.nat({ max: n }), fc.nat({ max: n }))
      .map(([a, b]) => Array.from({ length: Math.max(0, Math.min(n, b) - Math.min(a, n)) }, (_, k) => Math.min(a, n) + k));
    fc.assert(
      fc.property(fc.oneof(run, fc.array(fc.nat({ max: n - 1 }), { maxLength: 50 })), (indices) => {
        // Act
        const s = selectRows(ds, indices);
        // Assess
        expect(s.X.rows).toBe(indices.length);
        expect(s.X.data.length).toBe(indices.length * N_FEATURES);
        indices.forEach((i, k) => {
          expect(Array.from(s.X.data.subarray(k * N_FEATURES, (k + 1) * N_FEATURES))).toEqual(
            Array.from(ds.X.data.subarray(i * N_FEATURES, (i + 1) * N_FEATURES)),
          );
          expect([s.y[k], s.basePrice[k], s.actualPrice[k], s.minuteStartUs[k], s.targetTimeUs[k], s.symbols[k]]).toEqual([
            ds.y[i],
            ds.basePrice[i],
            ds.actualPrice[i],
            ds.minuteStartUs[i],
            ds.targetTimeUs[i],
            ds.symbols[i],
          ]);
        });
      }),
      { numRuns: 200 },
    );
  });
});
