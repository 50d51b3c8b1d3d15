/**
 * Parsers for the two Binance trade formats. Pure: strings in, {@link ParseResult} out.
 *
 * - Stream message (`<symbol>@trade`): `{"e":"trade","E":ms,"s":"BTCUSDT","t":id,
 *   "p":"price","q":"qty","T":ms,"m":bool,"M":true}`; older messages also carry
 *   `"b"`/`"a"` order ids (accepted, not kept). The combined-stream wrapper
 *   `{"stream":"btcusdt@trade","data":{...}}` is unwrapped.
 * - Historical spot CSV line: `id,price,qty,quote_qty,time,is_buyer_maker,is_best_match`.
 *   The file has no symbol column, so the caller supplies it (the stream's
 *   partition key, or --symbol / the file name). `time` is milliseconds before
 *   2025-01-01 and microseconds after; the two are told apart by magnitude.
 */
import { scanTradeMessage, type TradeMessageFields } from './binance-fast.js';
import type { ParseResult, Rejection, Trade } from './trade.js';
import {
  checkPriceQty,
  checkQuoteQty,
  checkSymbol,
  checkTradeId,
  checkTradeTime,
  isRejection,
  parseDecimal,
  reject,
  type ValidationContext,
} from './validate.js';

/** The header line newer Binance trade CSVs start with. */
export const BINANCE_CSV_HEADER = 'id,price,qty,quote_qty,time,is_buyer_maker,is_best_match';

/**
 * Epoch values at or above this are microseconds, below are milliseconds.
 * 1e14 ms is year 5138 and 1e14 us is 1973: no real trade time is ambiguous.
 */
export const MICROS_THRESHOLD = 1e14;

/** Converts a Binance CSV `time` in ms or us to microseconds. */
export function csvTimeToMicros(time: number): number {
  return time >= MICROS_THRESHOLD ? time : time * 1000;
}

/** A CSV `time` field (1-17 digits, ms or µs) in microseconds; undefined when it is not an integer. */
function csvTimeFieldToMicros(text: string): number | undefined {
  return /^\d{1,17}$/.test(text) ? csvTimeToMicros(Number(text)) : undefined;
}

/**
 * The trade time (µs) of a historical CSV line, read from its fifth field alone
 * by the rules {@link parseCsvTrade} applies to it (ms or µs, within the valid
 * range); undefined when that field does not give one. Other fields are not
 * checked: every line `parseCsvTrade` accepts has this time, so a caller can
 * route lines by their time (the backfill's day split) without parsing them.
 */
export function csvLineTimeUs(line: string, ctx: ValidationContext): number | undefined {
  const c1 = line.indexOf(',');
  const c2 = c1 < 0 ? -1 : line.indexOf(',', c1 + 1);
  const c3 = c2 < 0 ? -1 : line.indexOf(',', c2 + 1);
  const c4 = c3 < 0 ? -1 : line.indexOf(',', c3 + 1);
  if (c4 < 0) return undefined;
  const c5 = line.indexOf(',', c4 + 1);
  const timeUs = csvTimeFieldToMicros(line.slice(c4 + 1, c5 < 0 ? line.length : c5));
  return timeUs !== undefined && checkTradeTime(timeUs, ctx) === undefined ? timeUs : undefined;
}

function fail(source: 'binance-ws' | 'binance-csv' | 'unknown', rejection: Rejection): ParseResult {
  return { ok: false, source, rejection };
}

/** True when a CSV line is the Binance header (skip it). */
export function isCsvHeader(line: string): boolean {
  return line.startsWith('id,price');
}

/** Empty or whitespace-only (the characters RE2's `\s` matches, so the backfill SQL agrees). */
const BLANK_LINE = /^[\t\n\f\r ]*$/;

/**
 * Parses one historical CSV line for `symbol`.
 * @returns a trade, or a rejection with the reason.
 */
export function parseCsvTrade(line: string, symbol: string, ctx: ValidationContext): ParseResult {
  // A blank line gets the code the stream gives an empty record (same whitespace as RE2's \s, for the SQL twin).
  if (BLANK_LINE.test(line)) return fail('binance-csv', reject('EMPTY_PAYLOAD', 'line is empty'));
  const f = line.split(',');
  if (f.length !== 7) {
    return fail('binance-csv', reject('MALFORMED_CSV', `expected 7 comma-separated fields, got ${f.length}`));
  }
  const symErr = checkSymbol(symbol);
  if (symErr) return fail('binance-csv', symErr);
  const idText = f[0]!;
  const id = /^\d{1,16}$/.test(idText) ? Number(idText) : NaN;
  const idErr = checkTradeId(id);
  if (idErr) return fail('binance-csv', idErr);
  const price = parseDecimal(f[1]!, 'price');
  if (isRejection(price)) return fail('binance-csv', price);
  const qty = parseDecimal(f[2]!, 'qty');
  if (isRejection(qty)) return fail('binance-csv', qty);
  const pqErr = checkPriceQty(price, qty);
  if (pqErr) return fail('binance-csv', pqErr);
  let quote: number;
  if (f[3] === '') {
    quote = price * qty;
  } else {
    const q = parseDecimal(f[3]!, 'quote_qty');
    if (isRejection(q)) return fail('binance-csv', q);
    const qErr = checkQuoteQty(price, qty, q);
    if (qErr) return fail('binance-csv', qErr);
    quote = q;
  }
  const timeText = f[4]!;
  const timeUs = csvTimeFieldToMicros(timeText);
  if (timeUs === undefined) return fail('binance-csv', reject('BAD_NUMBER', `time ${JSON.stringify(timeText.slice(0, 40))} is not an integer`));
  const tErr = checkTradeTime(timeUs, ctx);
  if (tErr) return fail('binance-csv', tErr);
  const maker = parseCsvBool(f[5]!);
  if (maker === undefined) return fail('binance-csv', reject('WRONG_TYPE', `is_buyer_maker ${JSON.stringify(f[5]!.slice(0, 20))} is not True/False`));
  const best = parseCsvBool(f[6]!.trimEnd());
  if (best === undefined) return fail('binance-csv', reject('WRONG_TYPE', `is_best_match ${JSON.stringify(f[6]!.slice(0, 20))} is not True/False`));
  const trade: Trade = {
    symbol,
    tradeId: id,
    price,
    quantity: qty,
    quoteQuantity: quote,
    isBuyerMaker: maker,
    tradeTimeUs: timeUs,
    eventTimeUs: timeUs,
    source: 'binance-csv',
  };
  return { ok: true, trade };
}

function parseCsvBool(s: string): boolean | undefined {
  switch (s) {
    case 'True':
    case 'true':
    case 'TRUE':
      return true;
    case 'False':
    case 'false':
    case 'FALSE':
      return false;
    default:
      return undefined;
  }
}

type Json = Record<string, unknown>;

/**
 * Parses one Binance trade stream message (JSON text).
 * @returns a trade, or a rejection with the reason.
 */
export function parseTradeMessage(text: string, ctx: ValidationContext): ParseResult {
  const fast = scanTradeMessage(text);
  if (fast) return tradeFromFields(fast, ctx);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return fail('binance-ws', reject('MALFORMED_JSON', `not valid JSON: ${(e as Error).message}`));
  }
  return tradeFromMessage(doc, ctx);
}

/** Validates an already-parsed stream message. */
export function tradeFromMessage(doc: unknown, ctx: ValidationContext): ParseResult {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return fail('unknown', reject('UNKNOWN_FORMAT', 'JSON payload is not an object'));
  }
  let m = doc as Json;
  if (typeof m.stream === 'string' && typeof m.data === 'object' && m.data !== null) m = m.data as Json;
  if (m.e === undefined) return fail('binance-ws', reject('MISSING_FIELD', 'field "e" (event type) is missing'));
  if (m.e !== 'trade') return fail('unknown', reject('UNKNOWN_FORMAT', `event type ${JSON.stringify(m.e)} is not "trade"`));
  // Required fields and their JSON types, in Binance's order.
  const missing = firstMissing(m);
  if (missing) return fail('binance-ws', reject('MISSING_FIELD', `field "${missing}" is missing`));
  const { E, s, t, p, q, T } = m;
  if (typeof s !== 'string') return fail('binance-ws', wrongType('s', 'a string', s));
  if (typeof p !== 'string') return fail('binance-ws', wrongType('p', 'a decimal string', p));
  if (typeof q !== 'string') return fail('binance-ws', wrongType('q', 'a decimal string', q));
  if (typeof t !== 'number') return fail('binance-ws', wrongType('t', 'a number', t));
  if (typeof T !== 'number') return fail('binance-ws', wrongType('T', 'a number', T));
  if (typeof E !== 'number') return fail('binance-ws', wrongType('E', 'a number', E));
  if (typeof m.m !== 'boolean') return fail('binance-ws', wrongType('m', 'a boolean', m.m));
  return tradeFromFields({ E, s, t, p, q, T, m: m.m }, ctx);
}

/** Validates typed message fields (from either the fast scanner or JSON.parse). */
function tradeFromFields({ E, s, t, p, q, T, m }: TradeMessageFields, ctx: ValidationContext): ParseResult {
  const symErr = checkSymbol(s);
  if (symErr) return fail('binance-ws', symErr);
  const idErr = checkTradeId(t);
  if (idErr) return fail('binance-ws', idErr);
  const price = parseDecimal(p, 'p (price)');
  if (isRejection(price)) return fail('binance-ws', price);
  const qty = parseDecimal(q, 'q (quantity)');
  if (isRejection(qty)) return fail('binance-ws', qty);
  const pqErr = checkPriceQty(price, qty);
  if (pqErr) return fail('binance-ws', pqErr);
  const timeUs = T * 1000;
  const tErr = checkTradeTime(timeUs, ctx);
  if (tErr) return fail('binance-ws', tErr);
  // Times are whole microseconds (the lake stores them as INT64).
  if (!Number.isInteger(T)) return fail('binance-ws', reject('WRONG_TYPE', `field "T" must be an integer (ms), got ${T}`));
  const eventUs = Number.isSafeInteger(E) && E > 0 && E * 1000 <= Number.MAX_SAFE_INTEGER ? E * 1000 : timeUs;
  return {
    ok: true,
    trade: {
      symbol: s,
      tradeId: t,
      price,
      quantity: qty,
      quoteQuantity: price * qty,
      isBuyerMaker: m,
      tradeTimeUs: timeUs,
      eventTimeUs: eventUs,
      source: 'binance-ws',
    },
  };
}

const REQUIRED = ['E', 's', 't', 'p', 'q', 'T', 'm'] as const;
function firstMissing(m: Json): string | undefined {
  for (const k of REQUIRED) if (m[k] === undefined || m[k] === null) return k;
  return undefined;
}

function wrongType(field: string, expected: string, got: unknown): Rejection {
  const kind = got === null ? 'null' : Array.isArray(got) ? 'array' : typeof got;
  return reject('WRONG_TYPE', `field "${field}" must be ${expected}, got ${kind}`);
}

/**
 * Parses one stream payload in either format: JSON messages start with `{`,
 * anything else is read as a historical CSV line whose symbol is `symbolHint`
 * (the Kinesis partition key).
 */
export function parsePayload(text: string, symbolHint: string, ctx: ValidationContext): ParseResult {
  if (text.length === 0 || text.trim().length === 0) {
    return fail('unknown', reject('EMPTY_PAYLOAD', 'payload is empty'));
  }
  const c = text.charCodeAt(0);
  if (c === 123 /* { */ || c === 91 /* [ */) return parseTradeMessage(text, ctx);
  if (text.indexOf(',') < 0) {
    return fail('unknown', reject('UNKNOWN_FORMAT', 'neither a JSON trade message nor a Binance CSV line'));
  }
  return parseCsvTrade(text, symbolHint, ctx);
}
