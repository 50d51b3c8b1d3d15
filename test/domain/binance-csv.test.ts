/**
 * Binance historical spot trades CSV: `id,price,qty,quote_qty,time,is_buyer_maker,is_best_match`,
 * with `time` in milliseconds before 2025-01-01 and in microseconds from then on.
 * Fixture lines are written as Binance publishes them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BINANCE_CSV_HEADER, MICROS_THRESHOLD, csvTimeToMicros, isCsvHeader, parseCsvTrade, parsePayload } from '../../src/sources/binance-trades/binance.js';
import type { ParseResult, ReasonCode, Trade } from '../../src/sources/binance-trades/trade.js';
import type { ValidationContext } from '../../src/sources/binance-trades/validate.js';

/** Processing clock used by every test: 2026-06-01T00:00:00Z. */
const NOW_MS = Date.UTC(2026, 5, 1);
const CTX: ValidationContext = { nowUs: NOW_MS * 1000 };
const DAY_MS = 24 * 3600 * 1000;

/** The field order of the published files, written out independently of the code under test. */
const HEADER_TEXT = 'id,price,qty,quote_qty,time,is_buyer_maker,is_best_match';

// Real-format fixture lines.
const MS_ERA_LINE = '4221234567,97123.45000000,0.00120000,116.54814000,1730419200123,True,True';
const US_ERA_LINE = '5012345678,97123.45,0.0012,116.548140,1735689600123456,False,True';

function expectTrade(r: ParseResult): Trade {
  if (!r.ok) throw new Error(`expected a trade, got ${r.rejection.code}: ${r.rejection.message}`);
  return r.trade;
}

function expectRejection(r: ParseResult, code: ReasonCode): void {
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.rejection.code).toBe(code);
  expect(r.source).toBe('binance-csv');
  expect(r.rejection.message.length).toBeGreaterThan(0);
}

/** Builds a CSV line from its seven fields. */
function line(fields: { id?: string; price?: string; qty?: string; quote?: string; time?: string; maker?: string; best?: string }): string {
  return [
    fields.id ?? '4221234567',
    fields.price ?? '97123.45000000',
    fields.qty ?? '0.00120000',
    fields.quote ?? '116.54814000',
    fields.time ?? '1730419200123',
    fields.maker ?? 'True',
    fields.best ?? 'True',
  ].join(',');
}

describe('parseCsvTrade on published lines', () => {
  it('parses a millisecond-era line (no header era, 8-decimal fields)', () => {
    // Prepare
    const expectedUs = Date.UTC(2024, 10, 1, 0, 0, 0, 123) * 1000;

    // Act
    const trade = expectTrade(parseCsvTrade(MS_ERA_LINE, 'BTCUSDT', CTX));

    // Assess
    expect(trade).toStrictEqual({
      symbol: 'BTCUSDT',
      tradeId: 4221234567,
      price: 97123.45,
      quantity: 0.0012,
      quoteQuantity: 116.54814,
      isBuyerMaker: true,
      tradeTimeUs: expectedUs,
      eventTimeUs: expectedUs,
      source: 'binance-csv',
    });
  });

  it('parses a microsecond-era line and keeps the sub-millisecond digits', () => {
    // Prepare
    const expectedUs = Date.UTC(2025, 0, 1, 0, 0, 0, 123) * 1000 + 456;

    // Act
    const trade = expectTrade(parseCsvTrade(US_ERA_LINE, 'BTCUSDT', CTX));

    // Assess
    expect(trade.tradeId).toBe(5012345678);
    expect(trade.price).toBe(97123.45);
    expect(trade.quantity).toBe(0.0012);
    expect(trade.quoteQuantity).toBe(116.54814);
    expect(trade.isBuyerMaker).toBe(false);
    expect(trade.tradeTimeUs).toBe(expectedUs);
    expect(trade.eventTimeUs).toBe(expectedUs);
    expect(trade.source).toBe('binance-csv');
  });

  it('maps the same instant written in ms and in us to the same microsecond time', () => {
    // Prepare
    const instantMs = Date.UTC(2024, 11, 31, 23, 59, 59, 987);
    const msLine = line({ time: String(instantMs) });
    const usLine = line({ time: String(instantMs * 1000) });

    // Act
    const fromMs = expectTrade(parseCsvTrade(msLine, 'BTCUSDT', CTX));
    const fromUs = expectTrade(parseCsvTrade(usLine, 'BTCUSDT', CTX));

    // Assess
    expect(fromMs.tradeTimeUs).toBe(instantMs * 1000);
    expect(fromUs.tradeTimeUs).toBe(instantMs * 1000);
    expect(fromMs).toStrictEqual(fromUs);
  });

  it('tells ms from us by magnitude, not by calendar date', () => {
    // Prepare: a 2025 instant written in ms (not what Binance publishes, but unambiguous)
    const instantMs = Date.UTC(2025, 2, 4, 5, 6, 7, 8);

    // Act
    const trade = expectTrade(parseCsvTrade(line({ time: String(instantMs) }), 'BTCUSDT', CTX));

    // Assess
    expect(trade.tradeTimeUs).toBe(instantMs * 1000);
    expect(csvTimeToMicros(instantMs)).toBe(instantMs * 1000);
    expect(csvTimeToMicros(instantMs * 1000)).toBe(instantMs * 1000);
    expect(csvTimeToMicros(MICROS_THRESHOLD)).toBe(MICROS_THRESHOLD);
    expect(csvTimeToMicros(MICROS_THRESHOLD - 1)).toBe((MICROS_THRESHOLD - 1) * 1000);
  });

  it('takes the symbol from the caller, as the file has no symbol column', () => {
    // Prepare
    const symbol = 'ETHBTC';

    // Act
    const trade = expectTrade(parseCsvTrade(MS_ERA_LINE, symbol, CTX));

    // Assess
    expect(trade.symbol).toBe('ETHBTC');
  });
});

describe('header detection', () => {
  it('the exported header is the published column list', () => {
    // Prepare
    const expected = HEADER_TEXT;

    // Act
    const header = BINANCE_CSV_HEADER;

    // Assess
    expect(header).toBe(expected);
  });

  it.each([
    ['header', HEADER_TEXT, true],
    ['header with CRLF', `${HEADER_TEXT}\r`, true],
    ['ms-era data line', MS_ERA_LINE, false],
    ['us-era data line', US_ERA_LINE, false],
    ['empty line', '', false],
    ['other text', 'price,id', false],
  ])('isCsvHeader(%s) is %s', (_name, text, expected) => {
    // Prepare
    const input = text;

    // Act
    const result = isCsvHeader(input);

    // Assess
    expect(result).toBe(expected);
  });

  it('reads a newer file (header, CRLF line endings) and an older one (no header) to the same trades', () => {
    // Prepare
    const rows = [
      ['100', '97000.10', '0.5', '48500.05', 'True', 'True'],
      ['101', '97000.20', '0.25', '24250.05', 'False', 'True'],
    ];
    const baseMs = Date.UTC(2024, 5, 30, 12, 0, 0, 0);
    const older = `${rows.map((r, i) => [r[0], r[1], r[2], r[3], String(baseMs + i), r[4], r[5]].join(',')).join('\n')}\n`;
    const newer = `${HEADER_TEXT}\r\n${rows.map((r, i) => [r[0], r[1], r[2], r[3], String((baseMs + i) * 1000), r[4], r[5]].join(',')).join('\r\n')}\r\n`;
    const parseFile = (text: string): Trade[] =>
      text
        .split('\n')
        .filter((l) => l.length > 0 && !isCsvHeader(l))
        .map((l) => expectTrade(parseCsvTrade(l, 'BTCUSDT', CTX)));

    // Act
    const fromOlder = parseFile(older);
    const fromNewer = parseFile(newer);

    // Assess
    expect(fromOlder).toHaveLength(2);
    expect(fromNewer).toStrictEqual(fromOlder);
    expect(fromOlder.map((t) => t.tradeId)).toStrictEqual([100, 101]);
    expect(fromOlder.map((t) => t.tradeTimeUs)).toStrictEqual([baseMs * 1000, (baseMs + 1) * 1000]);
    expect(fromOlder.map((t) => t.isBuyerMaker)).toStrictEqual([true, false]);
  });
});

describe('line endings and booleans', () => {
  it('accepts a CRLF line ending on the last field', () => {
    // Prepare
    const crlf = `${MS_ERA_LINE}\r`;

    // Act
    const withCr = parseCsvTrade(crlf, 'BTCUSDT', CTX);
    const withoutCr = parseCsvTrade(MS_ERA_LINE, 'BTCUSDT', CTX);

    // Assess
    expect(expectTrade(withCr)).toStrictEqual(expectTrade(withoutCr));
  });

  it.each([
    ['True', true],
    ['False', false],
    ['true', true],
    ['false', false],
  ])('reads is_buyer_maker %s as %s', (text, expected) => {
    // Prepare
    const l = line({ maker: text, best: text });

    // Act
    const trade = expectTrade(parseCsvTrade(l, 'BTCUSDT', CTX));

    // Assess
    expect(trade.isBuyerMaker).toBe(expected);
  });

  it.each(['yes', '1', '0', '', 'Tru', ' True'])('rejects is_buyer_maker %j with WRONG_TYPE', (text) => {
    // Prepare
    const l = line({ maker: text });

    // Act
    const r = parseCsvTrade(l, 'BTCUSDT', CTX);

    // Assess
    expectRejection(r, 'WRONG_TYPE');
  });

  it.each(['yes', '1', ''])('rejects is_best_match %j with WRONG_TYPE', (text) => {
    // Prepare
    const l = line({ best: text });

    // Act
    const r = parseCsvTrade(l, 'BTCUSDT', CTX);

    // Assess
    expectRejection(r, 'WRONG_TYPE');
  });
});

describe('quote_qty', () => {
  it('computes quote quantity as price x qty when quote_qty is empty', () => {
    // Prepare
    const l = line({ price: '97123.45', qty: '0.0012', quote: '' });

    // Act
    const trade = expectTrade(parseCsvTrade(l, 'BTCUSDT', CTX));

    // Assess
    expect(trade.quoteQuantity).toBe(Number('97123.45') * Number('0.0012'));
    expect(trade.quoteQuantity).toBeCloseTo(116.54814, 8);
  });

  it('accepts quote_qty rounded to 8 decimals as Binance writes it', () => {
    // Prepare: 0.00001234 x 3.33333333 = 0.0000411333332922, written as 0.00004113
    const l = line({ price: '0.00001234', qty: '3.33333333', quote: '0.00004113' });

    // Act
    const trade = expectTrade(parseCsvTrade(l, 'BTCUSDT', CTX));

    // Assess
    expect(trade.quoteQuantity).toBe(0.00004113);
  });

  it.each(['116.6', '0.00000001', '1165.4814', '11.654814'])('rejects quote_qty %s that is not price x qty', (quote) => {
    // Prepare
    const l = line({ price: '97123.45', qty: '0.0012', quote });

    // Act
    const r = parseCsvTrade(l, 'BTCUSDT', CTX);

    // Assess
    expectRejection(r, 'QUOTE_QTY_MISMATCH');
  });

  it('rejects a non-numeric quote_qty with BAD_NUMBER', () => {
    // Prepare
    const l = line({ quote: 'n/a' });

    // Act
    const r = parseCsvTrade(l, 'BTCUSDT', CTX);

    // Assess
    expectRejection(r, 'BAD_NUMBER');
  });
});

describe('rejections', () => {
  it.each([
    ['6 fields', '4221234567,97123.45,0.0012,116.54814,1730419200123,True'],
    ['8 fields', `${MS_ERA_LINE},True`],
    ['semicolon separated', MS_ERA_LINE.replaceAll(',', ';')],
    ['a single field', '4221234567'],
  ])('rejects %s with MALFORMED_CSV', (_name, text) => {
    // Prepare
    const input = text;

    // Act
    const r = parseCsvTrade(input, 'BTCUSDT', CTX);

    // Assess
    expectRejection(r, 'MALFORMED_CSV');
  });

  it.each(['abc', '', '1e5', '0x10', ' 97123.45', '97123.45 ', '97123.', '.5', 'NaN', 'Infinity', '97_123.45'])(
    'rejects price %j with BAD_NUMBER (not a plain unsigned decimal)',
    (price) => {
      // Prepare
      const l = line({ price, quote: '' });

      // Act
      const r = parseCsvTrade(l, 'BTCUSDT', CTX);

      // Assess
      expectRejection(r, 'BAD_NUMBER');
    },
  );

  it.each(['-97123.45', '-1', '+1', '-0'])('rejects a signed price %j with BAD_NUMBER (a sign is not a decimal)', (price) => {
    // Prepare
    const l = line({ price, quote: '' });

    // Act
    const r = parseCsvTrade(l, 'BTCUSDT', CTX);

    // Assess
    expectRejection(r, 'BAD_NUMBER');
  });

  it.each(['0', '0.00000000', '0.0'])('rejects zero price %j with NON_POSITIVE_PRICE', (price) => {
    // Prepare
    const l = line({ price, quote: '' });

    // Act
    const r = parseCsvTrade(l, 'BTCUSDT', CTX);

    // Assess
    expectRejection(r, 'NON_POSITIVE_PRICE');
  });

  it.each(['0', '0.00000000'])('rejects zero quantity %j with NON_POSITIVE_QUANTITY', (qty) => {
    // Prepare
    const l = line({ qty, quote: '' });

    // Act
    const r = parseCsvTrade(l, 'BTCUSDT', CTX);

    // Assess
    expectRejection(r, 'NON_POSITIVE_QUANTITY');
  });

  it.each(['-0.0012', 'abc', ''])('rejects quantity %j with BAD_NUMBER', (qty) => {
    // Prepare
    const l = line({ qty, quote: '' });

    // Act
    const r = parseCsvTrade(l, 'BTCUSDT', CTX);

    // Assess
    expectRejection(r, 'BAD_NUMBER');
  });

  it.each(['btcusdt', 'BTC/USDT', 'BTC-USDT', '', 'B', 'ABCDEFGHIJKLMNOPQRSTU', 'BTCUSDT '])('rejects symbol %j with BAD_SYMBOL', (symbol) => {
    // Prepare
    const l = MS_ERA_LINE;

    // Act
    const r = parseCsvTrade(l, symbol, CTX);

    // Assess
    expectRejection(r, 'BAD_SYMBOL');
  });

  it.each(['-1', 'abc', '', '1.5', '12345678901234567'])('rejects trade id %j with BAD_TRADE_ID', (id) => {
    // Prepare
    const l = line({ id });

    // Act
    const r = parseCsvTrade(l, 'BTCUSDT', CTX);

    // Assess
    expectRejection(r, 'BAD_TRADE_ID');
  });

  it.each(['', 'abc', '-1', '1730419200123.5', '1e12', '123456789012345678'])('rejects time %j with BAD_NUMBER', (time) => {
    // Prepare
    const l = line({ time });

    // Act
    const r = parseCsvTrade(l, 'BTCUSDT', CTX);

    // Assess
    expectRejection(r, 'BAD_NUMBER');
  });

  it.each(['', '\r', '  ', '\t \r'])('gives a blank line %j EMPTY_PAYLOAD, the code of an empty stream record', (blank) => {
    // Act
    const r = parseCsvTrade(blank, 'BTCUSDT', CTX);

    // Assess
    expectRejection(r, 'EMPTY_PAYLOAD');
  });
});

describe('trade time range', () => {
  const launchMs = Date.UTC(2017, 6, 1);

  it.each([
    ['1 ms before 2017-07-01 (ms)', String(launchMs - 1)],
    ['2017-06-30 12:00 (us)', String(Date.UTC(2017, 5, 30, 12) * 1000)],
    ['the epoch', '0'],
    ['1 us past now + 24 h (us)', String((NOW_MS + DAY_MS) * 1000 + 1)],
    ['1 ms past now + 24 h (ms)', String(NOW_MS + DAY_MS + 1)],
    ['year 2520 (ms)', String(Date.UTC(2520, 0, 1))],
    ['the largest ms value, 99999999999999', '99999999999999'],
    ['the largest 17-digit value', '99999999999999999'],
  ])('rejects %s with TIME_OUT_OF_RANGE', (_name, time) => {
    // Prepare
    const l = line({ time });

    // Act
    const r = parseCsvTrade(l, 'BTCUSDT', CTX);

    // Assess
    expectRejection(r, 'TIME_OUT_OF_RANGE');
  });

  it.each([
    ['exactly 2017-07-01 (ms)', String(launchMs), launchMs * 1000],
    ['exactly 2017-07-01 (us is ms * 1000)', String(launchMs * 1000), launchMs * 1000],
    ['exactly now + 24 h (us)', String((NOW_MS + DAY_MS) * 1000), (NOW_MS + DAY_MS) * 1000],
    ['exactly now + 24 h (ms)', String(NOW_MS + DAY_MS), (NOW_MS + DAY_MS) * 1000],
  ])('accepts %s', (_name, time, expectedUs) => {
    // Prepare
    const l = line({ time });

    // Act
    const trade = expectTrade(parseCsvTrade(l, 'BTCUSDT', CTX));

    // Assess
    expect(trade.tradeTimeUs).toBe(expectedUs);
  });

  it('measures the future limit from the context clock', () => {
    // Prepare
    const timeMs = NOW_MS + 2 * DAY_MS;
    const l = line({ time: String(timeMs) });
    const laterCtx: ValidationContext = { nowUs: (NOW_MS + DAY_MS) * 1000 };

    // Act
    const rejected = parseCsvTrade(l, 'BTCUSDT', CTX);
    const accepted = parseCsvTrade(l, 'BTCUSDT', laterCtx);

    // Assess
    expectRejection(rejected, 'TIME_OUT_OF_RANGE');
    expect(expectTrade(accepted).tradeTimeUs).toBe(timeMs * 1000);
  });
});

describe('parsePayload with CSV lines', () => {
  it('reads a non-JSON payload as a CSV line for the partition-key symbol', () => {
    // Prepare
    const payload = US_ERA_LINE;

    // Act
    const viaPayload = parsePayload(payload, 'BTCUSDT', CTX);
    const direct = parseCsvTrade(payload, 'BTCUSDT', CTX);

    // Assess
    expect(expectTrade(viaPayload)).toStrictEqual(expectTrade(direct));
  });

  it.each(['', ' ', '\r\n', '\t \n'])('rejects empty payload %j with EMPTY_PAYLOAD', (payload) => {
    // Prepare
    const input = payload;

    // Act
    const r = parsePayload(input, 'BTCUSDT', CTX);

    // Assess
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.rejection.code).toBe('EMPTY_PAYLOAD');
      expect(r.source).toBe('unknown');
    }
  });
});

// ---------------------------------------------------------------------------
// Property: format a CSV line as Binance does, parse it back.

const TEN = 10n;

/** Writes `units / 10^scale` as a plain decimal, optionally padded to `width` decimals. */
function decimalText(units: bigint, scale: number, width: number): string {
  const div = TEN ** BigInt(scale);
  const intPart = (units / div).toString();
  const frac = scale === 0 ? '' : (units % div).toString().padStart(scale, '0');
  const padded = frac.padEnd(width, '0');
  return padded.length === 0 ? intPart : `${intPart}.${padded}`;
}

/** Exact `a x b` (decimals sa, sb) rounded half up to 8 decimals, written with 8 decimals. */
function quoteText(a: bigint, sa: number, b: bigint, sb: number): string {
  const product = a * b;
  const scale = sa + sb;
  const units = scale <= 8 ? product * TEN ** BigInt(8 - scale) : (product + (5n * TEN ** BigInt(scale - 8)) / TEN) / TEN ** BigInt(scale - 8);
  return decimalText(units, 8, 8);
}

/** A positive decimal below 10^9 with 0-8 decimals (so price x qty fits Binance's 20 integer digits). */
const decimalArb = fc.integer({ min: 0, max: 8 }).chain((scale) =>
  fc.record({
    units: fc.oneof(fc.bigInt({ min: 1n, max: 10n ** 8n }), fc.bigInt({ min: 1n, max: 10n ** BigInt(9 + scale) })),
    scale: fc.constant(scale),
  }),
);

const csvTradeArb = fc.record({
  id: fc.oneof(fc.integer({ min: 0, max: 2 ** 32 }), fc.maxSafeNat()),
  price: decimalArb,
  qty: decimalArb,
  /** ms era: Binance launch to the end of 2024; us era: 2025 to the clock limit. */
  time: fc.oneof(
    fc.record({ unit: fc.constant('ms' as const), ms: fc.integer({ min: Date.UTC(2017, 6, 1), max: Date.UTC(2025, 0, 1) - 1 }) }),
    fc.record({ unit: fc.constant('us' as const), us: fc.integer({ min: Date.UTC(2025, 0, 1) * 1000, max: (NOW_MS + DAY_MS) * 1000 }) }),
  ),
  maker: fc.boolean(),
  best: fc.boolean(),
  boolStyle: fc.constantFrom('Title', 'lower'),
  padTo8: fc.boolean(),
  quoteStyle: fc.constantFrom('given', 'empty'),
  crlf: fc.boolean(),
  symbol: fc.stringMatching(/^[A-Z0-9]{2,20}$/),
});

describe('CSV round trip (property)', () => {
  it('formatting a valid trade as a Binance CSV line and parsing it returns the same values', () => {
    fc.assert(
      fc.property(csvTradeArb, (g) => {
        // Prepare
        const priceText = decimalText(g.price.units, g.price.scale, g.padTo8 ? 8 : 0);
        const qtyText = decimalText(g.qty.units, g.qty.scale, g.padTo8 ? 8 : 0);
        const quote = g.quoteStyle === 'given' ? quoteText(g.price.units, g.price.scale, g.qty.units, g.qty.scale) : '';
        const timeText = g.time.unit === 'ms' ? String(g.time.ms) : String(g.time.us);
        const expectedUs = g.time.unit === 'ms' ? g.time.ms * 1000 : g.time.us;
        const bool = (b: boolean): string => (g.boolStyle === 'Title' ? (b ? 'True' : 'False') : String(b));
        const text = [String(g.id), priceText, qtyText, quote, timeText, bool(g.maker), bool(g.best)].join(',') + (g.crlf ? '\r' : '');

        // Act
        const r = parseCsvTrade(text, g.symbol, CTX);

        // Assess
        const trade = expectTrade(r);
        expect(trade.symbol).toBe(g.symbol);
        expect(trade.tradeId).toBe(g.id);
        expect(trade.price).toBe(Number(priceText));
        expect(trade.quantity).toBe(Number(qtyText));
        expect(trade.quoteQuantity).toBe(quote === '' ? Number(priceText) * Number(qtyText) : Number(quote));
        expect(trade.isBuyerMaker).toBe(g.maker);
        expect(trade.tradeTimeUs).toBe(expectedUs);
        expect(trade.eventTimeUs).toBe(expectedUs);
        expect(trade.source).toBe('binance-csv');
      }),
      { numRuns: 1000 },
    );
  });

  it('the same instant written in ms and in us parses to the same trade', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2017, 6, 1), max: NOW_MS }), fc.maxSafeNat(), (ms, id) => {
        // Prepare
        const msLine = line({ id: String(id), time: String(ms) });
        const usLine = line({ id: String(id), time: String(ms * 1000) });

        // Act
        const a = expectTrade(parseCsvTrade(msLine, 'BTCUSDT', CTX));
        const b = expectTrade(parseCsvTrade(usLine, 'BTCUSDT', CTX));

        // Assess
        expect(a.tradeTimeUs).toBe(ms * 1000);
        expect(b).toStrictEqual(a);
      }),
      { numRuns: 300 },
    );
  });
});
