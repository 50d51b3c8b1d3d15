/**
 * A fast path for the exact byte layout Binance sends on `<symbol>@trade`
 * streams. JSON.parse builds a generic object per message; this scanner reads
 * the fixed key sequence with charCodeAt and no allocation beyond the three
 * strings it returns. It accepts only the canonical layout (keys in Binance's
 * order, no whitespace, no escapes, optional `b`/`a`) and returns `undefined`
 * for anything else, in which case the caller falls back to JSON.parse and the
 * general validator: so it can never accept something the slow path rejects.
 * A property test checks both paths agree.
 */

/** Raw fields of a canonical trade message. */
export interface TradeMessageFields {
  E: number;
  s: string;
  t: number;
  p: string;
  q: string;
  T: number;
  m: boolean;
}

const PREFIX = '{"e":"trade","E":';
let lastSymbol = '';

export function scanTradeMessage(text: string): TradeMessageFields | undefined {
  if (!text.startsWith(PREFIX)) return undefined;
  const c = new Cursor(text, PREFIX.length);
  const E = c.int();
  if (E < 0 || !c.lit(',"s":"')) return undefined;
  const s = c.symbol();
  if (s === undefined || !c.lit(',"t":')) return undefined;
  const t = c.int();
  if (t < 0 || !c.lit(',"p":"')) return undefined;
  const p = c.str();
  if (p === undefined || !c.lit(',"q":"')) return undefined;
  const q = c.str();
  if (q === undefined) return undefined;
  if (c.lit(',"b":')) {
    if (c.int() < 0 || !c.lit(',"a":') || c.int() < 0) return undefined;
  }
  if (!c.lit(',"T":')) return undefined;
  const T = c.int();
  if (T < 0 || !c.lit(',"m":')) return undefined;
  const m = c.bool();
  if (m === undefined || !c.lit(',"M":') || c.bool() === undefined || !c.lit('}')) return undefined;
  if (!c.atEnd()) return undefined;
  return { E, s, t, p, q, T, m };
}

class Cursor {
  constructor(
    private readonly s: string,
    public i: number,
  ) {}

  lit(l: string): boolean {
    if (this.s.startsWith(l, this.i)) {
      this.i += l.length;
      return true;
    }
    return false;
  }

  /** Unsigned integer of 1-16 digits (always a safe integer), or -1. */
  int(): number {
    const s = this.s;
    let i = this.i;
    let v = 0;
    const start = i;
    for (; i < s.length; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    const n = i - start;
    if (n === 0 || n > 16 || (n > 1 && s.charCodeAt(start) === 48)) return -1;
    this.i = i;
    return v;
  }

  /** String body up to the closing quote; undefined if it holds an escape or control character. */
  str(): string | undefined {
    const s = this.s;
    for (let i = this.i; i < s.length; i++) {
      const ch = s.charCodeAt(i);
      if (ch === 34) {
        const out = s.slice(this.i, i);
        this.i = i + 1;
        return out;
      }
      if (ch === 92 || ch < 32) return undefined;
    }
    return undefined;
  }

  /**
   * Like str(), but a symbol equal to the previous message's is returned as that
   * same string: messages of a batch repeat a handful of symbols, so this saves
   * an allocation per message and makes later comparisons pointer-equal.
   */
  symbol(): string | undefined {
    const known = lastSymbol;
    if (known.length > 0 && this.s.startsWith(known, this.i) && this.s.charCodeAt(this.i + known.length) === 34) {
      this.i += known.length + 1;
      return known;
    }
    const s = this.str();
    if (s !== undefined) lastSymbol = s;
    return s;
  }

  bool(): boolean | undefined {
    if (this.lit('true')) return true;
    if (this.lit('false')) return false;
    return undefined;
  }

  atEnd(): boolean {
    const s = this.s;
    for (let i = this.i; i < s.length; i++) {
      const ch = s.charCodeAt(i);
      if (ch !== 32 && ch !== 10 && ch !== 13 && ch !== 9) return false;
    }
    return true;
  }
}
