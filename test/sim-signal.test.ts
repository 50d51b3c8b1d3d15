/**
 * The simulated market's predictable component (`signal`): off, it is the pure
 * random walk the simulator always produced (record for record); on, a minute's
 * order-flow imbalance moves the next minute's price and nothing else changes.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binanceTrades, parseSignal } from '../src/sources/binance-trades/index.js';
import { DEFAULT_SIGNAL, MAX_SIGNAL, checkSignal, simulateRecords, simulateTrades, type SimTrade } from '../src/sources/binance-trades/market.js';

const ETH_LOW_RATE = { symbol: 'ETHUSDT', startPrice: 3400, tickSize: 0.01, qtyStep: 0.0001, meanRatePerSec: 0.5 };

/** Record count and SHA-256 of the payloads, one per line. */
function fingerprint(payloads: Iterable<string>): string {
  const h = createHash('sha256');
  let n = 0;
  for (const p of payloads) {
    h.update(p);
    h.update('\n');
    n++;
  }
  return `${n} ${h.digest('hex')}`;
}

function* payloads(records: Iterable<{ readonly payload: string }>): Generator<string> {
  for (const r of records) yield r.payload;
}

/** Per UTC minute: (buys − sells) / sqrt(trades) and the last price. */
function minuteFlow(trades: Iterable<SimTrade>): Map<number, { z: number; close: number }> {
  const acc = new Map<number, { buys: number; sells: number; close: number }>();
  for (const t of trades) {
    const m = Math.floor(t.tradeTimeUs / 60_000_000);
    const a = acc.get(m) ?? { buys: 0, sells: 0, close: 0 };
    if (t.isBuyerMaker) a.sells++;
    else a.buys++;
    a.close = Number(t.price);
    acc.set(m, a);
  }
  return new Map([...acc].map(([m, a]) => [m, { z: (a.buys - a.sells) / Math.sqrt(a.buys + a.sells), close: a.close }]));
}

/** Correlation of a minute's imbalance with the next minute's close-to-close log return. */
function flowReturnCorrelation(trades: Iterable<SimTrade>): number {
  const flow = minuteFlow(trades);
  const xs: number[] = [];
  const ys: number[] = [];
  for (const [m, f] of flow) {
    const next = flow.get(m + 1);
    if (next === undefined) continue;
    xs.push(f.z);
    ys.push(Math.log(next.close / f.close));
  }
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

describe('simulator signal', () => {
  it('with signal 0 gives exactly the records the simulator gave before the signal existed', () => {
    // Prepare: fingerprints taken from the simulator before the signal was added
    const before = {
      stream: '44121 28ffbf6cb5c6bbe68e7761a72cd872c16b31d1436ab0600585a98cfbf1566ad5',
      csv: '45187 b52a2940563a434d4bd9c99d3f988577015444f3aa7e7ece06afdd98f3ace52d',
    };

    // Act
    const stream = fingerprint(payloads(simulateRecords({ format: 'jsonl', symbols: ['BTCUSDT', 'ETHUSDT'], minutes: 5, seed: 42, signal: 0 })));
    const csv = fingerprint(payloads(simulateRecords({ format: 'csv', symbols: [ETH_LOW_RATE], minutes: 1440, seed: 1, malformedShare: 0.01, signal: 0 })));
    const viaSource = fingerprint(
      payloads(
        binanceTrades.simulator!.simulate({
          minutes: 5,
          seed: 42,
          startTimeMs: Date.UTC(2026, 10, 2),
          malformedShare: 0,
          extra: { symbols: ['BTCUSDT', 'ETHUSDT'], signal: 0 },
        }),
      ),
    );

    // Assess
    expect(stream).toBe(before.stream);
    expect(csv).toBe(before.csv);
    expect(viaSource).toBe(before.stream);
  });

  it('defaults to a small positive signal that changes prices', () => {
    // Prepare
    const config = { symbols: [ETH_LOW_RATE], minutes: 120, seed: 3 };

    // Act
    const byDefault = [...simulateTrades(config)];
    const explicit = [...simulateTrades({ ...config, signal: DEFAULT_SIGNAL })];
    const off = [...simulateTrades({ ...config, signal: 0 })];

    // Assess
    expect(DEFAULT_SIGNAL).toBeGreaterThan(0);
    expect(DEFAULT_SIGNAL).toBeLessThanOrEqual(0.25);
    expect(byDefault).toEqual(explicit);
    expect(byDefault.map((t) => t.price)).not.toEqual(off.map((t) => t.price));
  });

  it('moves prices only: times, ids, sides and sizes are those of signal 0 (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.double({ min: 0.01, max: MAX_SIGNAL, noNaN: true }), (seed, signal) => {
        // Prepare
        const config = { symbols: [{ ...ETH_LOW_RATE, meanRatePerSec: 5 }], minutes: 10, seed };
        const strip = (t: SimTrade) => ({ ...t, price: '', quoteQty: '' });

        // Act
        const off = [...simulateTrades({ ...config, signal: 0 })];
        const on = [...simulateTrades({ ...config, signal })];

        // Assess
        expect(on.map(strip)).toEqual(off.map(strip));
      }),
      { numRuns: 15 },
    );
  });

  it("makes a minute's order-flow imbalance predict the next minute's return, which it does not without", () => {
    // Prepare
    const config = { symbols: [{ ...ETH_LOW_RATE, meanRatePerSec: 5 }], minutes: 2 * 1440, seed: 9 };

    // Act
    const off = flowReturnCorrelation(simulateTrades({ ...config, signal: 0 }));
    const on = flowReturnCorrelation(simulateTrades({ ...config, signal: 0.3 }));

    // Assess: 2,880 minutes give a standard error of about 0.02
    expect(Math.abs(off)).toBeLessThan(0.06);
    expect(on).toBeGreaterThan(0.2);
    expect(on).toBeLessThan(0.4);
  });

  it('accepts signals from 0 to MAX_SIGNAL and refuses anything else (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: MAX_SIGNAL, noNaN: true }), (x) => {
        expect(checkSignal(x)).toBe(x);
        expect(parseSignal(String(x))).toBe(x);
      }),
    );
    fc.assert(
      fc.property(fc.oneof(fc.double({ max: -Number.MIN_VALUE }), fc.double({ min: MAX_SIGNAL + 1e-9 }), fc.constant(Number.NaN)), (x) => {
        expect(() => checkSignal(x)).toThrow(RangeError);
        expect(() => simulateTrades({ signal: x }).next()).toThrow(/signal must be between 0/);
      }),
    );
    expect(() => parseSignal('')).toThrow(/signal/);
    expect(() => parseSignal('strong')).toThrow(/signal/);
  });
});
