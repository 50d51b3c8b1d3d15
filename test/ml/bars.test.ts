/** Minute bars from simulated trades, and the seeded synthetic bar generator. */
import { describe, expect, it } from 'vitest';
import { assertSymbolSeries } from '../../src/ml/bar.js';
import { type Bar, type BarTrade, barsFromTrades } from '../../src/core/bars.js';
import { syntheticBars } from '../../src/ml/synthetic.js';
import { simulateTrades } from '../../src/sources/binance-trades/market.js';
import type { SimTrade } from '../../src/sources/binance-trades/market.js';
import { MIN, T0 } from './helpers.js';

function expectConsistent(b: Bar): void {
  expect(b.minuteStartUs % MIN).toBe(0);
  expect(b.low).toBeLessThanOrEqual(Math.min(b.open, b.close, b.avgPrice, b.vwap) + 1e-9);
  expect(b.high).toBeGreaterThanOrEqual(Math.max(b.open, b.close, b.avgPrice, b.vwap) - 1e-9);
  expect(b.tradeCount).toBeGreaterThanOrEqual(1);
  expect(b.buyerMakerShare).toBeGreaterThanOrEqual(0);
  expect(b.buyerMakerShare).toBeLessThanOrEqual(1);
  expect(b.avgQuantity * b.tradeCount).toBeCloseTo(b.volume, 9);
  expect(b.avgQuoteQuantity * b.tradeCount).toBeCloseTo(b.quoteVolume, 6);
  expect(b.vwap).toBeCloseTo(b.quoteVolume / b.volume, 6);
}

/** The columns of a simulated trade that its bar needs (decimal text as numbers). */
const barTrade = (t: SimTrade): BarTrade => ({
  symbol: t.symbol,
  trade_id: t.id,
  price: Number(t.price),
  quantity: Number(t.qty),
  quote_quantity: Number(t.quoteQty),
  is_buyer_maker: t.isBuyerMaker,
  trade_time: t.tradeTimeUs,
});

describe('barsFromTrades', () => {
  it('aggregates the simulator tape into one consistent bar per symbol and minute', () => {
    // Prepare
    const trades = [...simulateTrades({ symbols: ['BTCUSDT', 'SOLUSDT'], minutes: 3, seed: 5 })];
    // Act
    const bars = barsFromTrades(trades.map(barTrade));
    // Assess
    expect(bars.map((b) => `${b.symbol}@${(b.minuteStartUs - T0) / MIN}`)).toEqual([
      'BTCUSDT@0',
      'BTCUSDT@1',
      'BTCUSDT@2',
      'SOLUSDT@0',
      'SOLUSDT@1',
      'SOLUSDT@2',
    ]);
    expect(bars.reduce((s, b) => s + b.tradeCount, 0)).toBe(trades.length);
    for (const b of bars) expectConsistent(b);
    const first = trades.find((t) => t.symbol === 'BTCUSDT')!;
    expect(bars[0]!.open).toBe(Number(first.price));
  });

  it('is independent of arrival order and uses trade time for open and close', () => {
    // Prepare
    const mk = (price: number, sec: number, m: boolean): BarTrade => ({
      symbol: 'X',
      trade_id: sec,
      price,
      quantity: 2,
      quote_quantity: price * 2,
      is_buyer_maker: m,
      trade_time: T0 + sec * 1e6,
    });
    const trades = [mk(10, 30, true), mk(12, 59, false), mk(9, 1, true), mk(11, 61, false)];
    // Act
    const [a, b] = barsFromTrades([...trades].reverse());
    // Assess
    expect(a).toMatchObject({
      minuteStartUs: T0,
      open: 9,
      close: 12,
      high: 12,
      low: 9,
      tradeCount: 3,
      volume: 6,
      quoteVolume: 62,
      avgPrice: 31 / 3,
      buyerMakerShare: 2 / 3,
    });
    expect(b).toMatchObject({ minuteStartUs: T0 + MIN, open: 11, close: 11, tradeCount: 1 });
    expect(() => barsFromTrades([mk(0, 1, true)])).toThrow(/invalid trade/);
  });
});

describe('syntheticBars', () => {
  it('is deterministic by seed, time-ordered, internally consistent, with the requested gaps', () => {
    // Act
    const a = syntheticBars({ minutes: 3000, seed: 9, gapShare: 0.05 });
    const b = syntheticBars({ minutes: 3000, seed: 9, gapShare: 0.05 });
    const c = syntheticBars({ minutes: 3000, seed: 10, gapShare: 0.05 });
    // Assess
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    assertSymbolSeries(a);
    expect(a.length).toBeGreaterThan(2750);
    expect(a.length).toBeLessThan(2950);
    for (const bar of a.slice(0, 300)) expectConsistent(bar);
  });

  it('looks like BTC minute data: per-minute volatility near 0.5 / sqrt(minutes per year), balanced buyer-maker share', () => {
    // Prepare
    const bars = syntheticBars({ minutes: 7 * 1440, seed: 1 });
    // Act
    const r = bars.slice(1).map((b, i) => Math.log(b.close / bars[i]!.close));
    const sd = Math.sqrt(r.reduce((s, v) => s + v * v, 0) / r.length);
    const share = bars.reduce((s, b) => s + b.buyerMakerShare, 0) / bars.length;
    // Assess
    const expected = 0.5 / Math.sqrt(365.25 * 1440);
    expect(sd).toBeGreaterThan(0.6 * expected);
    expect(sd).toBeLessThan(1.6 * expected);
    expect(share).toBeGreaterThan(0.45);
    expect(share).toBeLessThan(0.55);
  });
});
