/**
 * Validation of a panel request's query string. Only these parsed values ever
 * reach a query, and only as bound parameters.
 */
import type { PanelArgs, PanelParam } from '../sql/panel.js';

/** The longest range a panel can be asked for (a month of minutes). */
export const MAX_RANGE_MS = 31 * 86_400_000;
/** The range when none is given. */
export const DEFAULT_RANGE_MS = 6 * 3_600_000;
/** At most this many symbols in `symbols`. */
export const MAX_SYMBOLS = 20;
const SYMBOL = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,31}$/;

/** A request the API refuses, with the message it answers 400 with. */
export class BadRequest extends Error {}

/** Epoch ms from `1733300000000`, an ISO 8601 time, or `now-6h` / `now-30m` / `now-7d` / `now`. */
export function parseTime(text: string, nowMs: number, name: string): number {
  const rel = /^now(?:-(\d{1,5})([smhd]))?$/.exec(text);
  if (rel) {
    if (rel[1] === undefined) return nowMs;
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 's' | 'm' | 'h' | 'd'];
    return nowMs - Number(rel[1]) * unit;
  }
  if (/^\d{1,15}$/.test(text)) return Number(text);
  if (/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/.test(text)) {
    const ms = Date.parse(text);
    if (Number.isFinite(ms)) return ms;
  }
  throw new BadRequest(`${name} must be epoch milliseconds, an ISO 8601 time or now-<n><s|m|h|d>, not ${JSON.stringify(text.slice(0, 40))}`);
}

function symbolOf(text: string, name: string): string {
  if (!SYMBOL.test(text)) throw new BadRequest(`${name}: ${JSON.stringify(text.slice(0, 40))} is not a symbol (letters, digits, . _ / -, at most 32)`);
  return text;
}

/** The validated arguments of a request to a panel that reads `params`; throws {@link BadRequest}. */
export function parsePanelArgs(query: Readonly<Record<string, string | undefined>>, params: readonly PanelParam[], nowMs: number): PanelArgs {
  const known = new Set(['from', 'to', 'symbol', 'symbols']);
  for (const k of Object.keys(query))
    if (!known.has(k)) throw new BadRequest(`unknown parameter ${JSON.stringify(k.slice(0, 40))} (known: from, to, symbol, symbols)`);
  const toMs = query.to === undefined ? nowMs : parseTime(query.to, nowMs, 'to');
  const fromMs = query.from === undefined ? toMs - DEFAULT_RANGE_MS : parseTime(query.from, nowMs, 'from');
  if (!(fromMs < toMs)) throw new BadRequest('from must be before to');
  if (toMs - fromMs > MAX_RANGE_MS) throw new BadRequest(`the range is at most ${MAX_RANGE_MS / 86_400_000} days`);
  const symbols = query.symbols === undefined || query.symbols === '' ? [] : [...new Set(query.symbols.split(','))].map((s) => symbolOf(s, 'symbols'));
  if (symbols.length > MAX_SYMBOLS) throw new BadRequest(`symbols: at most ${MAX_SYMBOLS}`);
  const symbol = query.symbol === undefined || query.symbol === '' ? undefined : symbolOf(query.symbol, 'symbol');
  if (symbol !== undefined && !params.includes('symbol')) throw new BadRequest('this panel takes no symbol');
  if (symbols.length > 0 && !params.includes('symbols')) throw new BadRequest('this panel takes no symbols');
  return { fromUs: fromMs * 1000, toUs: toMs * 1000, ...(symbol === undefined ? {} : { symbol }), symbols, nowUs: nowMs * 1000 };
}
