/** Argument parsers shared by the CLI's commands: each throws commander's one-line error. */
import { InvalidArgumentError } from 'commander';
import { checkSymbol } from '../sources/binance-trades/validate.js';
import { SYMBOL_PRESETS } from '../sources/binance-trades/market.js';

export const int = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
  return n;
};
export const positive = (name: string) => (v: string) => {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a positive number`);
  return n;
};
export const share = (v: string) => {
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('must be a share between 0 and 1, e.g. 0.001');
  return n;
};
export const symbols = (v: string) => {
  const list = v
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  const unknown = list.filter((s) => !SYMBOL_PRESETS[s]);
  if (list.length === 0) throw new InvalidArgumentError('give at least one symbol');
  if (unknown.length > 0) throw new InvalidArgumentError(`no simulator preset for ${unknown.join(', ')}; known: ${Object.keys(SYMBOL_PRESETS).join(', ')}`);
  return list;
};
/** One exchange symbol, upper-cased and checked by the same rule the parsers apply (a bad one would quarantine every line). */
export const exchangeSymbol = (v: string) => {
  const s = v.trim().toUpperCase();
  const bad = checkSymbol(s);
  if (bad) throw new InvalidArgumentError(bad.message);
  return s;
};
export const isoTime = (v: string) => {
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidArgumentError('must be an ISO date-time, e.g. 2026-11-02T00:00:00Z');
  return t;
};
