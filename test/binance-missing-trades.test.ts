/**
 * The live connector's missing trade ids (src/adapters/binance/missing-trades.ts):
 * a property test against a plain set of ids, and the cases the connector relies on.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MissingTrades } from '../src/adapters/binance/missing-trades.js';

type Op =
  | { readonly kind: 'add'; readonly symbol: string; readonly from: number; readonly to: number }
  | { readonly kind: 'take'; readonly symbol: string; readonly id: number }
  | { readonly kind: 'drop'; readonly symbol: string; readonly from: number; readonly to: number };

const symbol = fc.constantFrom('BTCUSDT', 'ETHUSDT');
const id = fc.integer({ min: 0, max: 60 });
const span = fc.tuple(id, fc.integer({ min: -2, max: 12 })).map(([from, len]) => ({ from, to: from + len }));
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), symbol, span }).map(({ kind, symbol, span }) => ({ kind, symbol, ...span })),
  fc.record({ kind: fc.constant('take' as const), symbol, id }),
  fc.record({ kind: fc.constant('drop' as const), symbol, span }).map(({ kind, symbol, span }) => ({ kind, symbol, ...span })),
);

describe('MissingTrades', () => {
  it('behaves as a set of (symbol, id) under any sequence of add, take and drop', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        // Prepare
        const missing = new MissingTrades();
        const model = new Set<string>();
        for (const o of ops) {
          // Act
          if (o.kind === 'add') {
            missing.add(o.symbol, o.from, o.to);
            for (let i = o.from; i <= o.to; i++) model.add(`${o.symbol}:${i}`);
          } else if (o.kind === 'take') {
            const expected = model.delete(`${o.symbol}:${o.id}`);
            // Assess: taken exactly when it was missing
            expect(missing.take(o.symbol, o.id)).toBe(expected);
          } else {
            let expected = 0;
            for (let i = o.from; i <= o.to; i++) if (model.delete(`${o.symbol}:${i}`)) expected++;
            expect(missing.drop(o.symbol, o.from, o.to)).toBe(expected);
          }
          // Assess: same size, same members, ranges sorted, disjoint and not adjacent
          expect(missing.size).toBe(model.size);
          for (const s of ['BTCUSDT', 'ETHUSDT']) {
            const ranges = missing.of(s);
            for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.from).toBeGreaterThan(ranges[i - 1]!.to + 1);
            for (let i = -3; i <= 75; i++) expect(missing.has(s, i)).toBe(model.has(`${s}:${i}`));
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('takes an id once, splitting its range, and forgets what a drop covers', () => {
    // Prepare
    const missing = new MissingTrades();
    missing.add('BTCUSDT', 61, 65);
    // Act
    const first = missing.take('BTCUSDT', 63);
    const again = missing.take('BTCUSDT', 63);
    const other = missing.take('ETHUSDT', 63);
    const ranges = missing.of('BTCUSDT');
    const dropped = missing.drop('BTCUSDT', 0, 64);
    // Assess
    expect([first, again, other]).toEqual([true, false, false]);
    expect(ranges).toEqual([
      { from: 61, to: 62 },
      { from: 64, to: 65 },
    ]);
    expect(dropped).toBe(3);
    expect(missing.of('BTCUSDT')).toEqual([{ from: 65, to: 65 }]);
    expect(missing.size).toBe(1);
  });
});
