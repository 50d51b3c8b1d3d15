/**
 * Binance `<symbol>@trade` stream messages: the canonical-layout fast scanner, the
 * JSON.parse validator, and the payload dispatcher.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePayload, parseTradeMessage, tradeFromMessage } from '../../src/sources/binance-trades/binance.js';
import { scanTradeMessage } from '../../src/sources/binance-trades/binance-fast.js';
import { REASON_CODES, type ParseResult, type ReasonCode, type Trade } from '../../src/sources/binance-trades/trade.js';
import type { ValidationContext } from '../../src/sources/binance-trades/validate.js';

/** Processing clock used by every test: 2026-06-01T00:00:00Z. */
const NOW_MS = Date.UTC(2026, 5, 1);
const CTX: ValidationContext = { nowUs: NOW_MS * 1000 };
const DAY_MS = 24 * 3600 * 1000;
const LAUNCH_MS = Date.UTC(2017, 6, 1);

const TRADE_MS = Date.UTC(2025, 0, 1, 0, 0, 0, 123);
const EVENT_MS = TRADE_MS + 2;

/** A current message exactly as Binance sends it (no order ids). */
const CURRENT = `{"e":"trade","E":${EVENT_MS},"s":"BTCUSDT","t":5012345678,"p":"97123.45000000","q":"0.00120000","T":${TRADE_MS},"m":true,"M":true}`;
/** An older message carrying buyer and seller order ids. */
const OLDER = `{"e":"trade","E":${EVENT_MS},"s":"BTCUSDT","t":5012345678,"p":"97123.45000000","q":"0.00120000","b":33123456789,"a":33123456790,"T":${TRADE_MS},"m":true,"M":true}`;

/** The fields the fast scanner reads from CURRENT, and from OLDER (whose order ids it skips). */
const SCANNED = { E: EVENT_MS, s: 'BTCUSDT', t: 5012345678, p: '97123.45000000', q: '0.00120000', T: TRADE_MS, m: true };

const EXPECTED: Trade = {
  symbol: 'BTCUSDT',
  tradeId: 5012345678,
  price: 97123.45,
  quantity: 0.0012,
  quoteQuantity: 97123.45 * 0.0012,
  isBuyerMaker: true,
  tradeTimeUs: TRADE_MS * 1000,
  eventTimeUs: EVENT_MS * 1000,
  source: 'binance-ws',
};

/** Fields of a message in Binance's key order; `undefined` values are left out. */
function message(overrides: Record<string, unknown> = {}, drop: string[] = []): string {
  const base: Record<string, unknown> = { e: 'trade', ...SCANNED, M: true };
  const doc: Record<string, unknown> = {};
  for (const [k, v] of Object.entries({ ...base, ...overrides })) if (!drop.includes(k)) doc[k] = v;
  return JSON.stringify(doc);
}

function expectTrade(r: ParseResult): Trade {
  if (!r.ok) throw new Error(`expected a trade, got ${r.rejection.code}: ${r.rejection.message}`);
  return r.trade;
}

function expectRejection(r: ParseResult, code: ReasonCode, source = 'binance-ws'): string {
  expect(r.ok).toBe(false);
  if (r.ok) return '';
  expect(r.rejection.code).toBe(code);
  expect(r.source).toBe(source);
  expect(r.rejection.message.length).toBeGreaterThan(0);
  return r.rejection.message;
}

describe('parseTradeMessage on messages as Binance sends them', () => {
  it('parses a current message (no order ids) on the fast path', () => {
    // Prepare
    const text = CURRENT;

    // Act
    const scanned = scanTradeMessage(text);
    const r = parseTradeMessage(text, CTX);

    // Assess
    expect(scanned).toStrictEqual(SCANNED);
    expect(expectTrade(r)).toStrictEqual(EXPECTED);
  });

  it('parses an older message with "b" and "a" order ids to the same trade', () => {
    // Prepare
    const text = OLDER;

    // Act
    const scanned = scanTradeMessage(text);
    const r = parseTradeMessage(text, CTX);

    // Assess
    expect(scanned).toStrictEqual(SCANNED);
    expect(expectTrade(r)).toStrictEqual(EXPECTED);
  });

  it('unwraps the combined-stream wrapper', () => {
    // Prepare
    const wrapped = `{"stream":"btcusdt@trade","data":${CURRENT}}`;
    const wrappedOlder = `{"stream":"btcusdt@trade","data":${OLDER}}`;

    // Act
    const scanned = scanTradeMessage(wrapped);
    const r = parseTradeMessage(wrapped, CTX);
    const rOlder = parseTradeMessage(wrappedOlder, CTX);

    // Assess
    expect(scanned).toBeUndefined();
    expect(expectTrade(r)).toStrictEqual(EXPECTED);
    expect(expectTrade(rOlder)).toStrictEqual(EXPECTED);
  });

  it('reads m=false as a buyer-initiated trade', () => {
    // Prepare
    const text = message({ m: false });

    // Act
    const trade = expectTrade(parseTradeMessage(text, CTX));

    // Assess
    expect(trade.isBuyerMaker).toBe(false);
  });

  it('uses the trade time as event time when E is 0', () => {
    // Prepare
    const text = message({ E: 0 });

    // Act
    const trade = expectTrade(parseTradeMessage(text, CTX));

    // Assess
    expect(trade.eventTimeUs).toBe(TRADE_MS * 1000);
    expect(trade.tradeTimeUs).toBe(TRADE_MS * 1000);
  });

  it('accepts non-canonical JSON (whitespace, reordered keys, escapes) through the slow path', () => {
    // Prepare
    const text =
      '{ "M": true, "m": true, "T": ' +
      TRADE_MS +
      ', "q": "0.00120000", "p": "97123.45000000",\n "t": 5012345678, "s": "BTC\\u0055SDT", "E": ' +
      EVENT_MS +
      ', "e": "\\u0074rade" }\n';

    // Act
    const scanned = scanTradeMessage(text);
    const r = parseTradeMessage(text, CTX);

    // Assess
    expect(scanned).toBeUndefined();
    expect(expectTrade(r)).toStrictEqual(EXPECTED);
  });

  it('parsePayload dispatches a JSON payload to the message parser', () => {
    // Prepare
    const text = CURRENT;

    // Act
    const r = parsePayload(text, 'IGNORED', CTX);

    // Assess
    expect(expectTrade(r)).toStrictEqual(EXPECTED);
  });
});

describe('reason codes', () => {
  it.each(['{', '{"e":"trade",', 'not json', '{"e":"trade","E":1,}', "{'e':'trade'}", `${CURRENT}x`, `${CURRENT}}`])(
    'rejects %j with MALFORMED_JSON',
    (text) => {
      // Prepare
      const input = text;

      // Act
      const r = parseTradeMessage(input, CTX);

      // Assess
      expectRejection(r, 'MALFORMED_JSON');
    },
  );

  it.each(['E', 's', 't', 'p', 'q', 'T', 'm'])('rejects a message without required field %s with MISSING_FIELD', (field) => {
    // Prepare
    const text = message({}, [field]);

    // Act
    const r = parseTradeMessage(text, CTX);

    // Assess
    const msg = expectRejection(r, 'MISSING_FIELD');
    expect(msg).toContain(`"${field}"`);
  });

  it.each(['E', 's', 't', 'p', 'q', 'T', 'm'])('rejects a message with %s = null with MISSING_FIELD', (field) => {
    // Prepare
    const text = message({ [field]: null });

    // Act
    const r = parseTradeMessage(text, CTX);

    // Assess
    const msg = expectRejection(r, 'MISSING_FIELD');
    expect(msg).toContain(`"${field}"`);
  });

  it('rejects a message without the event type "e" with MISSING_FIELD', () => {
    // Prepare
    const text = message({}, ['e']);

    // Act
    const r = parseTradeMessage(text, CTX);

    // Assess
    const msg = expectRejection(r, 'MISSING_FIELD');
    expect(msg).toContain('"e"');
  });

  it('does not require "M" (best match), which the pipeline does not keep', () => {
    // Prepare
    const text = message({}, ['M']);

    // Act
    const r = parseTradeMessage(text, CTX);

    // Assess
    expect(expectTrade(r)).toStrictEqual(EXPECTED);
  });

  it.each([
    ['p', 97123.45],
    ['q', 0.0012],
    ['s', 42],
    ['t', '5012345678'],
    ['T', String(TRADE_MS)],
    ['E', String(EVENT_MS)],
    ['m', 'true'],
    ['m', 1],
    ['p', ['97123.45']],
    ['t', { id: 1 }],
  ])('rejects %s = %j with WRONG_TYPE', (field, value) => {
    // Prepare
    const text = message({ [field]: value });

    // Act
    const r = parseTradeMessage(text, CTX);

    // Assess
    const msg = expectRejection(r, 'WRONG_TYPE');
    expect(msg).toContain(`"${field}"`);
  });

  it.each(['aggTrade', 'depthUpdate', '24hrTicker', 'TRADE', '', 1, false])('rejects event type %j with UNKNOWN_FORMAT', (e) => {
    // Prepare
    const text = message({ e });

    // Act
    const r = parseTradeMessage(text, CTX);

    // Assess
    expectRejection(r, 'UNKNOWN_FORMAT', 'unknown');
  });

  it.each(['[]', `[${CURRENT}]`, '"trade"', '42', 'null', 'true'])('rejects non-object JSON %j with UNKNOWN_FORMAT', (text) => {
    // Prepare
    const input = text;

    // Act
    const r = parseTradeMessage(input, CTX);

    // Assess
    expectRejection(r, 'UNKNOWN_FORMAT', 'unknown');
  });

  it.each(['btcusdt', 'BTC-USDT', 'BTC USDT', 'B', '', 'ABCDEFGHIJKLMNOPQRSTU', 'BTCUSDT\n'])('rejects symbol %j with BAD_SYMBOL', (s) => {
    // Prepare
    const text = message({ s });

    // Act
    const r = parseTradeMessage(text, CTX);

    // Assess
    expectRejection(r, 'BAD_SYMBOL');
  });

  it.each([-1, 1.5, 2 ** 53, 1e300])('rejects trade id %j with BAD_TRADE_ID', (t) => {
    // Prepare
    const text = message({ t });

    // Act
    const r = parseTradeMessage(text, CTX);

    // Assess
    expectRejection(r, 'BAD_TRADE_ID');
  });

  it.each(['-97123.45', '1e5', 'abc', '', ' 97123.45', 'NaN'])('rejects price %j with BAD_NUMBER', (p) => {
    // Prepare
    const text = message({ p });

    // Act
    const r = parseTradeMessage(text, CTX);

    // Assess
    const msg = expectRejection(r, 'BAD_NUMBER');
    expect(msg).toContain('price');
  });

  it.each(['-0.0012', '1e-3', 'x'])('rejects quantity %j with BAD_NUMBER', (q) => {
    // Prepare
    const text = message({ q });

    // Act
    const r = parseTradeMessage(text, CTX);

    // Assess
    const msg = expectRejection(r, 'BAD_NUMBER');
    expect(msg).toContain('quantity');
  });

  it.each(['0', '0.00000000'])('rejects price %j with NON_POSITIVE_PRICE', (p) => {
    // Prepare
    const text = message({ p });

    // Act
    const r = parseTradeMessage(text, CTX);

    // Assess
    expectRejection(r, 'NON_POSITIVE_PRICE');
  });

  it.each(['0', '0.00000000'])('rejects quantity %j with NON_POSITIVE_QUANTITY', (q) => {
    // Prepare
    const text = message({ q });

    // Act
    const r = parseTradeMessage(text, CTX);

    // Assess
    expectRejection(r, 'NON_POSITIVE_QUANTITY');
  });

  it.each([
    ['1 ms before 2017-07-01', LAUNCH_MS - 1],
    ['the epoch', 0],
    ['negative', -1],
    ['1 ms past now + 24 h', NOW_MS + DAY_MS + 1],
    ['a microsecond value sent as ms', TRADE_MS * 1000],
    // biome-ignore lint/correctness/noPrecisionLoss: the value a 16-digit id rounds to is the point of the case
    ['the largest 16-digit value', 9999999999999999],
    ['a 17-digit value', 10000000000000000],
    ['1e300', 1e300],
    ['-1e300', -1e300],
  ])('rejects trade time %s with TIME_OUT_OF_RANGE', (_name, T) => {
    // Prepare
    const text = message({ T });

    // Act
    const r = parseTradeMessage(text, CTX);

    // Assess
    expectRejection(r, 'TIME_OUT_OF_RANGE');
  });

  it.each([
    ['exactly 2017-07-01', LAUNCH_MS],
    ['exactly now + 24 h', NOW_MS + DAY_MS],
  ])('accepts trade time %s', (_name, T) => {
    // Prepare
    const text = message({ T });

    // Act
    const trade = expectTrade(parseTradeMessage(text, CTX));

    // Assess
    expect(trade.tradeTimeUs).toBe(T * 1000);
  });

  it.each([
    ['T', `{"e":"trade","E":${EVENT_MS},"s":"BTCUSDT","t":1,"p":"1","q":"1","T":${TRADE_MS}.0005,"m":true,"M":true}`],
    ['T', `{"e":"trade","E":${EVENT_MS},"s":"BTCUSDT","t":1,"p":"1","q":"1","T":${TRADE_MS}.5,"m":true,"M":true}`],
  ])('rejects a fractional %s (times are whole milliseconds) with WRONG_TYPE', (field, text) => {
    // Prepare
    const input = text;

    // Act
    const r = parseTradeMessage(input, CTX);

    // Assess
    const msg = expectRejection(r, 'WRONG_TYPE');
    expect(msg).toContain(`"${field}"`);
  });

  it.each([
    ['fractional', `${EVENT_MS}.5`],
    ['fractional below a microsecond', `${EVENT_MS}.0005`],
    ['beyond 2^53 us', '9999999999999999'],
    ['negative', '-5'],
  ])('falls back to the trade time when E is %s', (_name, eText) => {
    // Prepare
    const text = `{"e":"trade","E":${eText},"s":"BTCUSDT","t":1,"p":"1","q":"1","T":${TRADE_MS},"m":true,"M":true}`;

    // Act
    const trade = expectTrade(parseTradeMessage(text, CTX));

    // Assess
    expect(trade.eventTimeUs).toBe(TRADE_MS * 1000);
    expect(Number.isSafeInteger(trade.eventTimeUs)).toBe(true);
  });

  it.each(['', ' ', '\n', '\r\n\t '])('parsePayload rejects %j with EMPTY_PAYLOAD', (text) => {
    // Prepare
    const input = text;

    // Act
    const r = parsePayload(input, 'BTCUSDT', CTX);

    // Assess
    expectRejection(r, 'EMPTY_PAYLOAD', 'unknown');
  });

  it('parsePayload reads a payload starting with "[" as JSON, not CSV', () => {
    // Prepare
    const text = `[${CURRENT}]`;

    // Act
    const r = parsePayload(text, 'BTCUSDT', CTX);

    // Assess
    expectRejection(r, 'UNKNOWN_FORMAT', 'unknown');
  });
});

// ---------------------------------------------------------------------------
// Properties

const decimalArb = fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.integer({ min: 0, max: 8 })).map(([units, scale]) => {
  const div = 10n ** BigInt(scale);
  return scale === 0 ? units.toString() : `${units / div}.${(units % div).toString().padStart(scale, '0')}`;
});

/** Field values a canonical message can hold: mostly valid, some that the validator rejects. */
const fieldsArb = fc.record({
  E: fc.oneof(fc.integer({ min: 0, max: NOW_MS + 2 * DAY_MS }), fc.maxSafeNat()),
  s: fc.oneof(fc.stringMatching(/^[A-Z0-9]{2,20}$/), fc.stringMatching(/^[A-Za-z0-9 /_-]{0,22}$/)),
  t: fc.oneof(fc.integer({ min: 0, max: 2 ** 40 }), fc.maxSafeNat()),
  p: fc.oneof({ weight: 5, arbitrary: decimalArb }, { weight: 1, arbitrary: fc.constantFrom('0', '-1', '1e3', '', 'abc', ' 1', '1.') }),
  q: fc.oneof({ weight: 5, arbitrary: decimalArb }, { weight: 1, arbitrary: fc.constantFrom('0', '-1', '1e3', '', 'abc', ' 1', '1.') }),
  orderIds: fc.option(fc.tuple(fc.maxSafeNat(), fc.maxSafeNat()), { nil: undefined }),
  T: fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: LAUNCH_MS, max: NOW_MS + DAY_MS }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }) },
  ),
  m: fc.boolean(),
  M: fc.boolean(),
});
type Fields = typeof fieldsArb extends fc.Arbitrary<infer F> ? F : never;

/** Canonical text: Binance's key order, no whitespace. */
function canonical(f: Fields): string {
  const ids = f.orderIds ? `"b":${f.orderIds[0]},"a":${f.orderIds[1]},` : '';
  return (
    `{"e":"trade","E":${f.E},"s":${JSON.stringify(f.s)},"t":${f.t},"p":${JSON.stringify(f.p)},"q":${JSON.stringify(f.q)},` +
    `${ids}"T":${f.T},"m":${f.m},"M":${f.M}}`
  );
}

describe('fast scanner and JSON.parse path agree (property)', () => {
  it('for canonical messages the fast path is taken and gives the JSON.parse-path result', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fieldsArb, (f) => {
        // Prepare
        const text = canonical(f);

        // Act
        const scanned = scanTradeMessage(text);
        const viaParser = parseTradeMessage(text, CTX);
        const viaJson = tradeFromMessage(JSON.parse(text), CTX);

        // Assess
        expect(scanned).toStrictEqual({ E: f.E, s: f.s, t: f.t, p: f.p, q: f.q, T: f.T, m: f.m });
        expect(viaParser).toStrictEqual(viaJson);
        if (viaParser.ok) accepted++;
      }),
      { numRuns: 1000 },
    );
    expect(accepted).toBeGreaterThan(100);
  });

  it('valid canonical messages carry their values into the trade', () => {
    const validArb = fc.record({
      E: fc.integer({ min: 1, max: NOW_MS }),
      s: fc.stringMatching(/^[A-Z0-9]{2,20}$/),
      t: fc.maxSafeNat(),
      p: decimalArb.filter((p) => Number(p) > 0),
      q: decimalArb.filter((q) => Number(q) > 0),
      orderIds: fc.option(fc.tuple(fc.maxSafeNat(), fc.maxSafeNat()), { nil: undefined }),
      T: fc.integer({ min: LAUNCH_MS, max: NOW_MS + DAY_MS }),
      m: fc.boolean(),
      M: fc.boolean(),
    });
    fc.assert(
      fc.property(validArb, (f) => {
        // Prepare
        const text = canonical(f);

        // Act
        const r = parseTradeMessage(text, CTX);

        // Assess
        expect(expectTrade(r)).toStrictEqual({
          symbol: f.s,
          tradeId: f.t,
          price: Number(f.p),
          quantity: Number(f.q),
          quoteQuantity: Number(f.p) * Number(f.q),
          isBuyerMaker: f.m,
          tradeTimeUs: f.T * 1000,
          eventTimeUs: f.E * 1000,
          source: 'binance-ws',
        });
      }),
      { numRuns: 300 },
    );
  });
});

// Mutations of a valid message.

type Entry = [string, unknown];

function entriesOf(f: Fields): Entry[] {
  const out: Entry[] = [
    ['e', 'trade'],
    ['E', f.E],
    ['s', f.s],
    ['t', f.t],
    ['p', f.p],
    ['q', f.q],
  ];
  if (f.orderIds) out.push(['b', f.orderIds[0]], ['a', f.orderIds[1]]);
  out.push(['T', f.T], ['m', f.m], ['M', f.M]);
  return out;
}

/** Serialisation choices: whitespace between tokens and which string characters to write as \u escapes. */
interface Style {
  ws: string[];
  escapes: number[];
  upperHex: boolean;
}

class Writer {
  private wsIndex = 0;
  private charIndex = 0;
  constructor(private readonly style: Style) {}

  gap(): string {
    const { ws } = this.style;
    return ws.length === 0 ? '' : ws[this.wsIndex++ % ws.length]!;
  }

  str(s: string): string {
    let out = '"';
    for (let i = 0; i < s.length; i++) {
      const k = this.charIndex++;
      if (this.style.escapes.includes(k % 32)) {
        const hex = s.charCodeAt(i).toString(16).padStart(4, '0');
        out += `\\u${this.style.upperHex ? hex.toUpperCase() : hex}`;
      } else {
        out += JSON.stringify(s[i]).slice(1, -1);
      }
    }
    return `${out}"`;
  }

  value(v: unknown): string {
    if (typeof v === 'string') return this.str(v);
    if (Array.isArray(v)) return `[${this.gap()}${v.map((x) => this.value(x)).join(`,${this.gap()}`)}${this.gap()}]`;
    if (typeof v === 'object' && v !== null) return this.object(Object.entries(v));
    return JSON.stringify(v);
  }

  object(entries: Entry[]): string {
    const parts = entries.map(([k, v]) => `${this.gap()}${this.str(k)}${this.gap()}:${this.gap()}${this.value(v)}${this.gap()}`);
    return `{${parts.join(',')}}`;
  }
}

type Structural =
  | { kind: 'none' }
  | { kind: 'shuffle'; order: number[] }
  | { kind: 'drop'; index: number }
  | { kind: 'duplicate'; index: number; value: unknown }
  | { kind: 'retype'; index: number; value: unknown }
  | { kind: 'wrap' }
  | { kind: 'extra'; key: string; value: unknown };

const oddValueArb = fc.oneof(
  fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, 1e300, '', 'trade', 'BTCUSDT', '1', [], {}),
  fc.integer(),
  fc.string({ maxLength: 6 }),
);

const structuralArb: fc.Arbitrary<Structural> = fc.oneof(
  fc.constant<Structural>({ kind: 'none' }),
  fc.array(fc.nat(), { minLength: 11, maxLength: 11 }).map((order): Structural => ({ kind: 'shuffle', order })),
  fc.nat().map((index): Structural => ({ kind: 'drop', index })),
  fc.record({ index: fc.nat(), value: oddValueArb }).map((r): Structural => ({ kind: 'duplicate', ...r })),
  fc.record({ index: fc.nat(), value: oddValueArb }).map((r): Structural => ({ kind: 'retype', ...r })),
  fc.constant<Structural>({ kind: 'wrap' }),
  fc.record({ key: fc.constantFrom('x', 'stream', 'data', 'B', 'e', 'M'), value: oddValueArb }).map((r): Structural => ({ kind: 'extra', ...r })),
);

type CharEdit = { kind: 'del' | 'ins' | 'rep'; pos: number; ch: string };

const editCharArb = fc.oneof(
  fc.constantFrom('{', '}', '[', ']', '"', ':', ',', '.', '-', '+', 'e', 'E', '0', '1', '9', ' ', '\n', '\\', 'u', 't', 'f', 'n'),
  fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }),
);
const charEditArb: fc.Arbitrary<CharEdit> = fc.record({ kind: fc.constantFrom('del', 'ins', 'rep'), pos: fc.nat(), ch: editCharArb });

const styleArb: fc.Arbitrary<Style> = fc.oneof(
  fc.constant<Style>({ ws: [], escapes: [], upperHex: false }),
  fc.record({
    ws: fc.array(fc.constantFrom('', '', '', ' ', '\n', '\t', '\r\n', '  '), { maxLength: 8 }),
    escapes: fc.array(fc.nat({ max: 31 }), { maxLength: 4 }),
    upperHex: fc.boolean(),
  }),
);

function applyStructural(entries: Entry[], s: Structural): { entries: Entry[]; wrap: boolean } {
  const e = entries.slice();
  const at = (i: number): number => i % e.length;
  switch (s.kind) {
    case 'none':
      return { entries: e, wrap: false };
    case 'shuffle': {
      const keyed = e.map((entry, i) => ({ entry, key: s.order[i] ?? 0, i }));
      keyed.sort((a, b) => a.key - b.key || a.i - b.i);
      return { entries: keyed.map((k) => k.entry), wrap: false };
    }
    case 'drop':
      e.splice(at(s.index), 1);
      return { entries: e, wrap: false };
    case 'duplicate': {
      const [k] = e[at(s.index)]!;
      e.push([k, s.value]);
      return { entries: e, wrap: false };
    }
    case 'retype': {
      const i = at(s.index);
      e[i] = [e[i]![0], s.value];
      return { entries: e, wrap: false };
    }
    case 'wrap':
      return { entries: e, wrap: true };
    case 'extra':
      e.splice(at(s.key.length), 0, [s.key, s.value]);
      return { entries: e, wrap: false };
  }
}

function applyEdits(text: string, edits: CharEdit[]): string {
  let t = text;
  for (const ed of edits) {
    const pos = ed.pos % (t.length + 1);
    if (ed.kind === 'ins') t = t.slice(0, pos) + ed.ch + t.slice(pos);
    else if (ed.kind === 'del') t = t.slice(0, pos) + t.slice(pos + 1);
    else t = t.slice(0, pos) + ed.ch + t.slice(pos + 1);
  }
  return t;
}

const mutatedArb = fc
  .record({
    fields: fieldsArb,
    structural: structuralArb,
    style: styleArb,
    edits: fc.oneof(fc.constant<CharEdit[]>([]), fc.array(charEditArb, { minLength: 1, maxLength: 4 })),
  })
  .map(({ fields, structural, style, edits }) => {
    const { entries, wrap } = applyStructural(entriesOf(fields), structural);
    const w = new Writer(style);
    const body = w.object(entries);
    const doc = wrap ? `{"stream":"btcusdt@trade","data":${body}}` : body;
    return applyEdits(doc, edits);
  });

function tryJson(text: string): { valid: true; doc: unknown } | { valid: false } {
  try {
    return { valid: true, doc: JSON.parse(text) };
  } catch {
    return { valid: false };
  }
}

describe('mutated messages (property)', () => {
  it('parseTradeMessage never throws, matches the JSON.parse path on valid JSON and is MALFORMED_JSON otherwise', () => {
    const seen = { fast: 0, ok: 0, invalidJson: 0, rejectedJson: 0 };
    fc.assert(
      fc.property(mutatedArb, (text) => {
        // Prepare
        const json = tryJson(text);

        // Act
        let result: ParseResult | undefined;
        expect(() => {
          result = parseTradeMessage(text, CTX);
        }).not.toThrow();

        // Assess
        if (scanTradeMessage(text) !== undefined) seen.fast++;
        if (json.valid) {
          const slow = tradeFromMessage(json.doc, CTX);
          expect(result).toStrictEqual(slow);
          if (slow.ok) seen.ok++;
          else seen.rejectedJson++;
        } else {
          seen.invalidJson++;
          expect(result).toStrictEqual({
            ok: false,
            source: 'binance-ws',
            rejection: { code: 'MALFORMED_JSON', message: expect.stringContaining('not valid JSON') },
          });
        }
      }),
      { numRuns: 3000 },
    );
    // The generator must exercise every branch for the property to mean anything.
    expect(seen.fast).toBeGreaterThan(50);
    expect(seen.ok).toBeGreaterThan(50);
    expect(seen.invalidJson).toBeGreaterThan(50);
    expect(seen.rejectedJson).toBeGreaterThan(50);
  });

  it('a message whose only change is a \\u escape inside the symbol still parses, on the slow path', () => {
    // Prepare
    const text = CURRENT.replace('"s":"BTCUSDT"', '"s":"BTC\\u0055SDT"');

    // Act
    const scanned = scanTradeMessage(text);
    const r = parseTradeMessage(text, CTX);

    // Assess
    expect(scanned).toBeUndefined();
    expect(expectTrade(r)).toStrictEqual(EXPECTED);
  });
});

describe('parsePayload on arbitrary text (property)', () => {
  const reasonCodes: readonly string[] = REASON_CODES;

  function assessShape(r: ParseResult): void {
    if (r.ok) {
      expect(typeof r.trade.price).toBe('number');
      expect(r.trade.price).toBeGreaterThan(0);
      expect(r.trade.quantity).toBeGreaterThan(0);
      expect(Number.isSafeInteger(r.trade.tradeTimeUs)).toBe(true);
      expect(Number.isSafeInteger(r.trade.eventTimeUs)).toBe(true);
    } else {
      expect(reasonCodes).toContain(r.rejection.code);
      expect(typeof r.rejection.message).toBe('string');
      expect(r.rejection.message.length).toBeGreaterThan(0);
      expect(['binance-ws', 'binance-csv', 'unknown']).toContain(r.source);
    }
  }

  it.each([
    ['fc.string()', fc.string()],
    ['grapheme strings', fc.string({ unit: 'grapheme' })],
    ['binary strings', fc.string({ unit: 'binary' })],
    ['JSON documents', fc.json()],
    ['JSON-looking text', fc.string({ unit: fc.constantFrom('{', '}', '[', ']', '"', ':', ',', '1', 'e', 'T', '\\', 'u', ' ') })],
    ['CSV-looking text', fc.string({ unit: fc.constantFrom(',', '1', '0', '.', 'T', 'r', 'u', 'e', 'F', '-', '\r', ' ') })],
  ] as const)('never throws for %s and returns a trade or a coded rejection', (_name, arb) => {
    fc.assert(
      fc.property(arb, fc.string({ maxLength: 24 }), (text, symbolHint) => {
        // Prepare
        const input = text;

        // Act
        let result: ParseResult | undefined;
        expect(() => {
          result = parsePayload(input, symbolHint, CTX);
        }).not.toThrow();

        // Assess
        assessShape(result!);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws for mutated messages given as payloads', () => {
    fc.assert(
      fc.property(mutatedArb, (text) => {
        // Prepare
        const input = text;

        // Act
        let result: ParseResult | undefined;
        expect(() => {
          result = parsePayload(input, 'BTCUSDT', CTX);
        }).not.toThrow();

        // Assess
        assessShape(result!);
      }),
      { numRuns: 1000 },
    );
  });
});
