/**
 * Field-level validation rules shared by both Binance formats. Pure.
 *
 * These checks sit on the hot path (hundreds of thousands of records per
 * second), so they are hand-written predicates returning a {@link Rejection}
 * with a machine-readable code instead of a schema library, which would
 * allocate an issue tree per record and could not name our reason codes.
 */
import { checkEventTime, type ValidationContext } from '../../core/validation.js';
import type { Rejection } from '../../core/reasons.js';
import type { ReasonCode } from './trade.js';

export { isRejection } from '../../core/reasons.js';
export { MAX_FUTURE_SKEW_US, MIN_TRADE_TIME_US, type ValidationContext } from '../../core/validation.js';

/** Upper-case letters and digits, 2-20 characters: every Binance spot symbol. */
const SYMBOL_RE = /^[A-Z0-9]{2,20}$/;
/** An unsigned decimal string as Binance writes prices and quantities. */
/**
 * Whether `text` is a plain unsigned decimal, /^\d{1,20}(\.\d{1,18})?$/, checked
 * by hand: it runs twice per trade and a character loop is about twice as
 * fast as the regular expression (test/domain/validate.test.ts checks they agree).
 */
export function isPlainDecimal(text: string): boolean {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i++;
  }
  if (i === 0 || i > 20) return false;
  if (i === n) return true;
  if (text.charCodeAt(i) !== 46) return false;
  const fraction = n - i - 1;
  if (fraction < 1 || fraction > 18) return false;
  for (let j = i + 1; j < n; j++) {
    const c = text.charCodeAt(j);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Relative tolerance when checking quote_qty against price x qty (Binance rounds to 8 decimals). */
export const QUOTE_QTY_REL_TOL = 1e-6;
const QUOTE_QTY_ABS_TOL = 1e-8;

/** A Binance rejection (its codes: the core set and the trade source's own). */
export function reject(code: ReasonCode, message: string): Rejection<ReasonCode> {
  return { code, message };
}

let lastValidSymbol: string | undefined;

/** Validates a symbol; returns a rejection or undefined. */
export function checkSymbol(symbol: string): Rejection<ReasonCode> | undefined {
  // Symbols repeat from record to record: remember the last valid one.
  if (symbol === lastValidSymbol) return undefined;
  if (SYMBOL_RE.test(symbol)) {
    lastValidSymbol = symbol;
    return undefined;
  }
  return reject('BAD_SYMBOL', `symbol ${JSON.stringify(symbol.slice(0, 40))} is not 2-20 upper-case letters or digits`);
}

/**
 * Parses a Binance decimal string. Returns the number, or a rejection when the
 * text is not a plain unsigned decimal (no exponent, sign, spaces, NaN).
 */
export function parseDecimal(text: string, field: string): number | Rejection<ReasonCode> {
  if (!isPlainDecimal(text)) {
    return reject('BAD_NUMBER', `${field} ${JSON.stringify(text.slice(0, 40))} is not a decimal number`);
  }
  return Number(text);
}

/** Price and quantity must be finite and strictly positive. */
export function checkPriceQty(price: number, qty: number): Rejection<ReasonCode> | undefined {
  if (!(price > 0) || !Number.isFinite(price)) return reject('NON_POSITIVE_PRICE', `price ${price} is not a positive finite number`);
  if (!(qty > 0) || !Number.isFinite(qty)) return reject('NON_POSITIVE_QUANTITY', `quantity ${qty} is not a positive finite number`);
  return undefined;
}

/** quote_qty, when the source gives it, must equal price x qty within rounding. */
export function checkQuoteQty(price: number, qty: number, quote: number): Rejection<ReasonCode> | undefined {
  const expected = price * qty;
  if (Math.abs(quote - expected) <= QUOTE_QTY_ABS_TOL + QUOTE_QTY_REL_TOL * expected) return undefined;
  return reject('QUOTE_QTY_MISMATCH', `quote_qty ${quote} differs from price x qty ${expected}`);
}

/** Trade ids are non-negative safe integers. */
export function checkTradeId(id: number): Rejection<ReasonCode> | undefined {
  return Number.isSafeInteger(id) && id >= 0 ? undefined : reject('BAD_TRADE_ID', `trade id ${id} is not a non-negative integer`);
}

/** Trade time must fall between Binance's launch and shortly after the processing clock. */
export function checkTradeTime(timeUs: number, ctx: ValidationContext): Rejection<ReasonCode> | undefined {
  return checkEventTime(timeUs, ctx);
}
