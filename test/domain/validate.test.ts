import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPlainDecimal, parseDecimal } from '../../src/sources/binance-trades/validate.js';

/** The rule as the specification states it. */
const RULE = /^\d{1,20}(\.\d{1,18})?$/;

describe('isPlainDecimal', () => {
  it('agrees with the regular expression on arbitrary text built from number characters (property)', () => {
    // Prepare: strings over digits, dots, signs, exponents and spaces, plus long digit runs.
    const text = fc.oneof(
      fc.string({ unit: fc.constantFrom('0', '1', '9', '.', '-', '+', 'e', ' ', 'x', '٣'), maxLength: 45 }),
      fc.tuple(fc.integer({ min: 0, max: 25 }), fc.integer({ min: -1, max: 22 })).map(([a, b]) => '7'.repeat(a) + (b >= 0 ? `.${'3'.repeat(b)}` : '')),
    );
    // Act / Assess
    fc.assert(
      fc.property(text, (t) => isPlainDecimal(t) === RULE.test(t)),
      { numRuns: 3000 },
    );
  });

  it.each([
    ['97123.45', true],
    ['0.00000001', true],
    ['1', true],
    ['1.', false],
    ['.5', false],
    ['1e5', false],
    ['12345678901234567890', true],
    ['123456789012345678901', false],
    ['1.123456789012345678', true],
    ['1.1234567890123456789', false],
    ['', false],
  ])('%j -> %s', (t, ok) => {
    // Act / Assess
    expect(isPlainDecimal(t)).toBe(ok);
  });

  it('parseDecimal returns the number or a BAD_NUMBER rejection', () => {
    // Act / Assess
    expect(parseDecimal('97123.45', 'price')).toBe(97123.45);
    expect(parseDecimal('9.7e4', 'price')).toMatchObject({ code: 'BAD_NUMBER' });
  });
});
