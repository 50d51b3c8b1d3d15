/** Argument parsers shared by the CLI's commands: each throws commander's one-line error. */
import { InvalidArgumentError, Option } from 'commander';
import { checkSymbol, parseSignal, parseSymbols, signalOption } from '../sources/binance-trades/index.js';

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
/** Simulator preset symbols (the Binance source's parser, as a one-line CLI error). */
export const symbols = (v: string) => {
  try {
    return parseSymbols(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
};
/**
 * `--signal <x>` for commands that run the trade simulator themselves (`simulate`, `backtest`): the
 * binance-trades source's option, with the same parser, default and help.
 */
export const signalCliOption = () =>
  new Option(signalOption.flags, signalOption.description).default(signalOption.defaultValue).argParser((v: string) => {
    try {
      return parseSignal(v);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  });
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

/**
 * A comma-separated list of ids from `known`, or `all` (meaning `all`); unknown ids end in
 * a one-line error naming `what` they should be and the known ones.
 */
export function idList(v: string, o: { readonly all: readonly string[]; readonly known: readonly string[]; readonly what: string }): string[] {
  if (v.trim() === 'all') return [...o.all];
  const ids = v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  if (ids.length === 0) throw new InvalidArgumentError('give at least one source, or all');
  const unknown = ids.filter((id) => !o.known.includes(id));
  if (unknown.length > 0) throw new InvalidArgumentError(`no ${o.what} ${unknown.join(', ')}; known: ${o.known.join(', ')}`);
  return ids;
}

/** `45s`, `2m`, `2h`, `1h30m` → milliseconds. */
export function parseDuration(v: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?$/.exec(v.trim());
  if (!m || v.trim() === '' || (m[1] === undefined && m[2] === undefined && m[3] === undefined)) {
    throw new InvalidArgumentError('must be a duration such as 45s, 10m, 2h or 1h30m');
  }
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}
