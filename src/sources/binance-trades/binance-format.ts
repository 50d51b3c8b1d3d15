/**
 * Binance wire formats for simulated trades, and a generator of malformed
 * records for exercising validation and quarantine. Pure.
 *
 * Decimal text: prices, quantities and quote quantities are written with
 * exactly 8 decimals ("97123.45000000", "0.00123000"), which is what Binance
 * sends on the trade stream and what its historical spot CSV files contain
 * (e.g. `14764081,7599.00000000,0.22477000,1708.02723000,1518048000016,True,True`).
 * `toCsvLine(..., { trimZeros: true })` writes minimal decimals instead, so
 * readers can be tested against both spellings.
 */
import type { ReasonCode } from './trade.js';
import type { SimTrade } from './sim-trade.js';
import type { Rng } from '../../core/random.js';

/** Payload formats the simulator writes: stream messages (one JSON per line) or CSV lines. */
export type RecordFormat = 'jsonl' | 'csv';

/** Binance switched spot CSV `time` from ms to us on this date. */
export const CSV_MICROS_FROM_US = Date.UTC(2025, 0, 1) * 1000;

/** Options of {@link toTradeMessage}. */
export interface TradeMessageOptions {
  /** Insert `"b"` (buyer order id) and `"a"` (seller order id) as older messages did. */
  readonly withOrderIds?: boolean;
}

/**
 * Formats a trade as a Binance `<symbol>@trade` stream message, keys in the
 * exchange's order: `{"e":"trade","E":…,"s":…,"t":…,"p":…,"q":…,["b":…,"a":…,]"T":…,"m":…,"M":true}`.
 * `T` is the trade time truncated to ms (the stream has ms precision).
 */
export function toTradeMessage(trade: SimTrade, options: TradeMessageOptions = {}): string {
  // Hand-built: JSON.stringify of an object is several times slower, and the
  // fields are known to need no escaping (symbols are [A-Z0-9], decimals are digits).
  const ids = options.withOrderIds ? `"b":${trade.buyerOrderId},"a":${trade.sellerOrderId},` : '';
  return (
    `{"e":"trade","E":${trade.eventTimeMs},"s":"${trade.symbol}","t":${trade.id},` +
    `"p":"${trade.price}","q":"${trade.qty}",${ids}"T":${Math.floor(trade.tradeTimeUs / 1000)},` +
    `"m":${trade.isBuyerMaker ? 'true' : 'false'},"M":${trade.isBestMatch ? 'true' : 'false'}}`
  );
}

/** Options of {@link toCsvLine}. */
export interface CsvLineOptions {
  /** Unit of the `time` column. Default: 'us' for trades from 2025-01-01 on, else 'ms', as Binance files. */
  readonly timeUnit?: 'ms' | 'us';
  /** Minimal decimals ("97123.45", "1") instead of Binance's 8. */
  readonly trimZeros?: boolean;
}

/** Drops trailing zeros and a bare trailing dot from an 8-decimal string. */
export function trimDecimal(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 48 /* 0 */) end--;
  if (end > 0 && s.charCodeAt(end - 1) === 46 /* . */) end--;
  return s.slice(0, end);
}

/** `time` column value for a trade in the given unit. */
export function csvTime(trade: SimTrade, unit: 'ms' | 'us' | undefined): number {
  const u = unit ?? (trade.tradeTimeUs >= CSV_MICROS_FROM_US ? 'us' : 'ms');
  return u === 'us' ? trade.tradeTimeUs : Math.floor(trade.tradeTimeUs / 1000);
}

/**
 * Formats a trade as a line of a Binance historical spot trades CSV:
 * `id,price,qty,quote_qty,time,is_buyer_maker,is_best_match`, booleans written
 * `True`/`False` as in Binance's files. No line terminator.
 */
export function toCsvLine(trade: SimTrade, options: CsvLineOptions = {}): string {
  const time = csvTime(trade, options.timeUnit);
  const m = trade.isBuyerMaker ? 'True' : 'False';
  const best = trade.isBestMatch ? 'True' : 'False';
  if (options.trimZeros) {
    return `${trade.id},${trimDecimal(trade.price)},${trimDecimal(trade.qty)},${trimDecimal(trade.quoteQty)},${time},${m},${best}`;
  }
  return `${trade.id},${trade.price},${trade.qty},${trade.quoteQty},${time},${m},${best}`;
}

// ---------------------------------------------------------------------------
// Byte encoders: the same text as the formatters, written straight into a
// buffer. Writing files through strings costs a rope per line that must be
// flattened and then UTF-8 encoded; encoding ASCII bytes directly is about
// twice as fast end to end, which matters for day-sized files.

/** Upper bound of the bytes one encoded record (with its newline) can take. */
export const MAX_ENCODED_RECORD_BYTES = 512;

function putAscii(buf: Uint8Array, off: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) buf[off + i] = s.charCodeAt(i);
  return off + n;
}

/** Writes a decimal, optionally without trailing zeros (see {@link trimDecimal}). */
function putDecimal(buf: Uint8Array, off: number, s: string, trim: boolean): number {
  let n = s.length;
  if (trim) {
    while (n > 0 && s.charCodeAt(n - 1) === 48) n--;
    if (n > 0 && s.charCodeAt(n - 1) === 46) n--;
  }
  for (let i = 0; i < n; i++) buf[off + i] = s.charCodeAt(i);
  return off + n;
}

/** Writes a non-negative safe integer in decimal without making a string. */
function putUint(buf: Uint8Array, off: number, n: number): number {
  if (n >= 1e8) {
    const hi = Math.floor(n / 1e8);
    off = putUint(buf, off, hi);
    let lo = n - hi * 1e8;
    for (let i = 7; i >= 0; i--) {
      const q = Math.floor(lo / 10);
      buf[off + i] = 48 + lo - q * 10;
      lo = q;
    }
    return off + 8;
  }
  let len = 1;
  for (let p = 10; p <= n; p *= 10) len++;
  let v = n;
  for (let i = len - 1; i >= 0; i--) {
    const q = Math.floor(v / 10);
    buf[off + i] = 48 + v - q * 10;
    v = q;
  }
  return off + len;
}

/** Writes a possibly negative safe integer (order ids are never negative, times may be in tests). */
function putInt(buf: Uint8Array, off: number, n: number): number {
  if (n < 0) {
    buf[off] = 45;
    return putUint(buf, off + 1, -n);
  }
  return putUint(buf, off, n);
}

/**
 * Encodes {@link toCsvLine}'s text plus `\n` into `buf` at `off`; the caller
 * keeps {@link MAX_ENCODED_RECORD_BYTES} free.
 * @returns the offset after the newline.
 */
export function encodeCsvLine(trade: SimTrade, buf: Uint8Array, off: number, options: CsvLineOptions = {}): number {
  const trim = options.trimZeros === true;
  off = putUint(buf, off, trade.id);
  buf[off++] = 44;
  off = putDecimal(buf, off, trade.price, trim);
  buf[off++] = 44;
  off = putDecimal(buf, off, trade.qty, trim);
  buf[off++] = 44;
  off = putDecimal(buf, off, trade.quoteQty, trim);
  buf[off++] = 44;
  off = putInt(buf, off, csvTime(trade, options.timeUnit));
  buf[off++] = 44;
  off = putAscii(buf, off, trade.isBuyerMaker ? 'True' : 'False');
  buf[off++] = 44;
  off = putAscii(buf, off, trade.isBestMatch ? 'True' : 'False');
  buf[off++] = 10;
  return off;
}

/**
 * Encodes {@link toTradeMessage}'s text plus `\n` into `buf` at `off`; the
 * caller keeps {@link MAX_ENCODED_RECORD_BYTES} free.
 * @returns the offset after the newline.
 */
export function encodeTradeMessage(trade: SimTrade, buf: Uint8Array, off: number, options: TradeMessageOptions = {}): number {
  off = putAscii(buf, off, '{"e":"trade","E":');
  off = putInt(buf, off, trade.eventTimeMs);
  off = putAscii(buf, off, ',"s":"');
  off = putAscii(buf, off, trade.symbol);
  off = putAscii(buf, off, '","t":');
  off = putUint(buf, off, trade.id);
  off = putAscii(buf, off, ',"p":"');
  off = putAscii(buf, off, trade.price);
  off = putAscii(buf, off, '","q":"');
  off = putAscii(buf, off, trade.qty);
  if (options.withOrderIds) {
    off = putAscii(buf, off, '","b":');
    off = putInt(buf, off, trade.buyerOrderId);
    off = putAscii(buf, off, ',"a":');
    off = putInt(buf, off, trade.sellerOrderId);
    off = putAscii(buf, off, ',"T":');
  } else {
    off = putAscii(buf, off, '","T":');
  }
  off = putInt(buf, off, Math.floor(trade.tradeTimeUs / 1000));
  off = putAscii(buf, off, trade.isBuyerMaker ? ',"m":true,"M":' : ',"m":false,"M":');
  off = putAscii(buf, off, trade.isBestMatch ? 'true}\n' : 'false}\n');
  return off;
}

// ---------------------------------------------------------------------------
// Malformed records

/** Every corruption the generator knows. */
export const MALFORMED_KINDS = [
  'empty-payload',
  'truncated-json',
  'not-json',
  'missing-field',
  'price-as-number',
  'id-as-string',
  'negative-price',
  'zero-price',
  'zero-qty',
  'bad-symbol',
  'bad-trade-id',
  'time-in-future',
  'time-before-2017',
  'non-numeric-price',
  'csv-column-count',
  'csv-quote-qty-mismatch',
  'csv-bad-boolean',
] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

/** Kinds that apply to stream messages: all but the CSV-only ones. */
export const JSONL_MALFORMED_KINDS: readonly MalformedKind[] = MALFORMED_KINDS.filter((k) => !k.startsWith('csv-'));

/** Kinds that only make sense for JSON (no JSON text, no JSON types, no symbol field in a CSV line). */
const JSON_ONLY_KINDS: ReadonlySet<MalformedKind> = new Set(['truncated-json', 'not-json', 'missing-field', 'price-as-number', 'bad-symbol']);

/** Kinds that apply to CSV lines (no symbol column, no JSON types). */
export const CSV_MALFORMED_KINDS: readonly MalformedKind[] = MALFORMED_KINDS.filter((k) => !JSON_ONLY_KINDS.has(k));

/** A corrupted record and the reason a validator should reject it with. */
export interface MalformedRecord {
  readonly payload: string;
  readonly kind: MalformedKind;
  /**
   * Expected rejection code. Where two readings are possible the code follows
   * the project's rules: Binance decimals are unsigned, so "-5.0" is a BAD_NUMBER;
   * text that is neither JSON nor comma-separated is UNKNOWN_FORMAT, while a
   * comma-separated line with the wrong number of fields is MALFORMED_CSV.
   */
  readonly reason: ReasonCode;
}

const NOT_JSON = [
  '<html><body><h1>502 Bad Gateway</h1></body></html>',
  'ping',
  'trade BTCUSDT 97123.45 0.001',
  'undefined',
  'Internal Server Error',
  '\u0000\u0001\u0002\u00ff\ufffd',
];
const EMPTY = ['', ' ', '\t', '   '];
const NON_NUMERIC = ['', 'NaN', 'abc', '9.7e4', '97123.45.1', 'Infinity', ' 97123.45', '0x1F', '97 123.45'];
const MISSING_KEYS = ['E', 's', 't', 'p', 'q', 'T', 'm'] as const;
/** 2016-06-01T00:00:00Z: before Binance opened. */
const BEFORE_2017_MS = Date.UTC(2016, 5, 1);
const YEAR_MS = 365 * 86_400_000;

type Msg = Record<string, unknown>;

/**
 * Corrupts a valid record in a deterministic way chosen by `rng`.
 *
 * @param rng drives the choice of kind and its details (same state, same output).
 * @param valid a valid stream message (jsonl) or CSV line (csv) from the formatters above.
 * @param format the format of `valid`.
 * @param kind force a kind (it must apply to the format); random otherwise.
 * @returns the bad payload, its kind and the expected rejection code.
 */
export function makeMalformed(rng: Rng, valid: string, format: RecordFormat, kind?: MalformedKind): MalformedRecord {
  const kinds = format === 'csv' ? CSV_MALFORMED_KINDS : JSONL_MALFORMED_KINDS;
  const k = kind ?? rng.pick(kinds);
  if (!kinds.includes(k)) throw new RangeError(`malformed kind ${k} does not apply to ${format}`);
  if (k === 'empty-payload') return { payload: rng.pick(EMPTY), kind: k, reason: 'EMPTY_PAYLOAD' };
  return format === 'csv' ? malformCsv(rng, valid, k) : malformJson(rng, valid, k);
}

function malformJson(rng: Rng, valid: string, kind: MalformedKind): MalformedRecord {
  const out = (payload: string, reason: ReasonCode): MalformedRecord => ({ payload, kind, reason });
  switch (kind) {
    case 'truncated-json':
      // Any strict prefix of an object leaves a brace open: never valid JSON.
      return out(valid.slice(0, 1 + rng.int(valid.length - 1)), 'MALFORMED_JSON');
    case 'not-json':
      return out(rng.pick(NOT_JSON), 'UNKNOWN_FORMAT');
    default:
      break;
  }
  const m = JSON.parse(valid) as Msg;
  const ms = typeof m.T === 'number' ? m.T : 0;
  switch (kind) {
    case 'missing-field':
      delete m[rng.pick(MISSING_KEYS)];
      return out(JSON.stringify(m), 'MISSING_FIELD');
    case 'price-as-number':
      m.p = Number(m.p);
      return out(JSON.stringify(m), 'WRONG_TYPE');
    case 'id-as-string':
      m.t = String(m.t);
      return out(JSON.stringify(m), 'WRONG_TYPE');
    case 'negative-price':
      m.p = `-${String(m.p)}`;
      return out(JSON.stringify(m), 'BAD_NUMBER');
    case 'zero-price':
      m.p = rng.pick(['0.00000000', '0', '0.0']);
      return out(JSON.stringify(m), 'NON_POSITIVE_PRICE');
    case 'zero-qty':
      m.q = rng.pick(['0.00000000', '0', '0.0']);
      return out(JSON.stringify(m), 'NON_POSITIVE_QUANTITY');
    case 'bad-symbol': {
      const s = String(m.s);
      m.s = rng.pick([s.toLowerCase(), `${s} `, `${s.slice(0, 3)} ${s.slice(3)}`, `${s}${s}${s}XYZ`, '', `${s}-PERP`]);
      return out(JSON.stringify(m), 'BAD_SYMBOL');
    }
    case 'bad-trade-id':
      m.t = rng.pick([-1, -Number(m.t), Number(m.t) + 0.5, 2 ** 53 + 2]);
      return out(JSON.stringify(m), 'BAD_TRADE_ID');
    case 'time-in-future': {
      const t = ms + (1 + rng.int(20)) * YEAR_MS;
      m.T = t;
      m.E = t + 3;
      return out(JSON.stringify(m), 'TIME_OUT_OF_RANGE');
    }
    case 'time-before-2017': {
      const t = rng.pick([0, 1, BEFORE_2017_MS, BEFORE_2017_MS - rng.int(YEAR_MS)]);
      m.T = t;
      m.E = t + 3;
      return out(JSON.stringify(m), 'TIME_OUT_OF_RANGE');
    }
    case 'non-numeric-price':
      m.p = rng.pick(NON_NUMERIC);
      return out(JSON.stringify(m), 'BAD_NUMBER');
    default:
      throw new RangeError(`malformed kind ${kind} does not apply to jsonl`);
  }
}

function malformCsv(rng: Rng, valid: string, kind: MalformedKind): MalformedRecord {
  const out = (payload: string, reason: ReasonCode): MalformedRecord => ({ payload, kind, reason });
  const f = valid.split(',');
  if (f.length !== 7) throw new RangeError(`not a 7-field CSV line: ${valid.slice(0, 80)}`);
  const join = (): string => f.join(',');
  const time = Number(f[4]);
  const micros = time >= 1e14;
  const unit = micros ? 1000 : 1;
  switch (kind) {
    case 'id-as-string':
      f[0] = rng.pick([`id${f[0]}`, 'abc', `${f[0]}L`, `"${f[0]}"`]);
      return out(join(), 'BAD_TRADE_ID');
    case 'bad-trade-id':
      f[0] = rng.pick(['-1', `-${f[0]}`, `${f[0]}.5`, '']);
      return out(join(), 'BAD_TRADE_ID');
    case 'negative-price':
      f[1] = `-${f[1]}`;
      f[3] = `-${f[3]}`;
      return out(join(), 'BAD_NUMBER');
    case 'zero-price':
      f[1] = '0.00000000';
      f[3] = '0.00000000';
      return out(join(), 'NON_POSITIVE_PRICE');
    case 'zero-qty':
      f[2] = '0.00000000';
      f[3] = '0.00000000';
      return out(join(), 'NON_POSITIVE_QUANTITY');
    case 'time-in-future':
      f[4] = String(time + (1 + rng.int(20)) * YEAR_MS * unit);
      return out(join(), 'TIME_OUT_OF_RANGE');
    case 'time-before-2017':
      f[4] = String(rng.pick([1, BEFORE_2017_MS, BEFORE_2017_MS - rng.int(YEAR_MS)]) * unit);
      return out(join(), 'TIME_OUT_OF_RANGE');
    case 'non-numeric-price':
      f[1] = rng.pick(NON_NUMERIC);
      return out(join(), 'BAD_NUMBER');
    case 'csv-column-count': {
      const variant = rng.int(4);
      if (variant === 0) f.pop();
      else if (variant === 1) f.push('True');
      else if (variant === 2) f.splice(1 + rng.int(5), 1);
      // A line cut short keeps at least one comma: it is still recognisably CSV.
      else return out(f.slice(0, 2 + rng.int(4)).join(','), 'MALFORMED_CSV');
      return out(join(), 'MALFORMED_CSV');
    }
    case 'csv-quote-qty-mismatch': {
      // Off by 1.5x-10x, or a price typed into the quote column: far beyond rounding.
      const quote = Number(f[3]);
      const factor = rng.pick([1.5, 2, 10, 0.5, 0.1]);
      f[3] = rng.chance(0.2) ? f[1]! : (quote * factor).toFixed(8);
      if (f[3] === f[1] && Math.abs(Number(f[1]) - quote) <= 1e-6 * quote) f[3] = (quote * 2).toFixed(8);
      return out(join(), 'QUOTE_QTY_MISMATCH');
    }
    case 'csv-bad-boolean':
      f[5] = rng.pick(['1', 'yes', 'T', 'maybe', '']);
      return out(join(), 'WRONG_TYPE');
    default:
      throw new RangeError(`malformed kind ${kind} does not apply to csv`);
  }
}
