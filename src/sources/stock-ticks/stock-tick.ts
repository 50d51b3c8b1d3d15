/**
 * The stock-trading source (the old OLTP/OLAP lab): ticks for about ten tickers,
 * validated against the company_profile dimension, and per-batch sector volume
 * aggregates. Pure.
 *
 * Tick message on the stream (one stream, routed by `source`):
 * `{"source":"stock-ticks","id":1,"created_at":"2026-11-02T10:00:00.000Z","ticker":"AAPL",
 *   "sector":"Technology","volume":1200,"market_cap":3.4e12,"price":229.5}`
 */
import { CORE_REASON_CODES, type CoreReasonCode, reject as rejectAs, type Rejection as CoreRejection } from '../../core/reasons.js';
import { dateOfDay, dayNumber } from '../../core/time.js';
import { checkEventTime, type ValidationContext } from '../../core/validation.js';

/** The stock source's own reasons, on top of the core set (ids and prices share the trade source's names). */
export const STOCK_REASON_CODES = [
  'BAD_TRADE_ID',
  'NON_POSITIVE_PRICE',
  'NON_POSITIVE_VOLUME',
  'UNKNOWN_TICKER',
  'SECTOR_MISMATCH',
  'MARKET_CAP_MISMATCH',
] as const;
export type StockReasonCode = CoreReasonCode | (typeof STOCK_REASON_CODES)[number];
/** Every reason a stock tick is quarantined with. */
export const REASON_CODES = [...CORE_REASON_CODES, ...STOCK_REASON_CODES] as const;
export type Rejection = CoreRejection<StockReasonCode>;
const reject = (code: StockReasonCode, message: string): Rejection => rejectAs(code, message);

/** One row of the company_profile dimension. */
export interface CompanyProfile {
  readonly ticker: string;
  readonly company_name: string;
  readonly sector: string;
  readonly shares: number;
}

/** A validated stock tick (column names as in glue-schemas/stock_ticks.json). */
export interface StockTick {
  readonly id: number;
  /** Microseconds since epoch. */
  readonly created_at: number;
  readonly ticker: string;
  readonly sector: string;
  readonly volume: number;
  readonly market_cap: number;
  readonly price: number;
}

/** Market cap must equal price x shares within this relative tolerance (producers round). */
export const MARKET_CAP_REL_TOL = 1e-6;

export type StockTickResult = { readonly ok: true; readonly tick: StockTick } | { readonly ok: false; readonly rejection: Rejection };

const fail = (r: Rejection): StockTickResult => ({ ok: false, rejection: r });

/** True when a parsed JSON object claims to be a stock tick. */
export function isStockTickMessage(doc: unknown): doc is Record<string, unknown> {
  return typeof doc === 'object' && doc !== null && (doc as Record<string, unknown>).source === 'stock-ticks';
}

/** Validates a parsed stock tick message against the profile dimension. */
export function stockTickFrom(doc: Record<string, unknown>, profiles: ReadonlyMap<string, CompanyProfile>, ctx: ValidationContext): StockTickResult {
  for (const k of ['id', 'created_at', 'ticker', 'sector', 'volume', 'market_cap', 'price'] as const) {
    if (doc[k] === undefined || doc[k] === null) return fail(reject('MISSING_FIELD', `field "${k}" is missing`));
  }
  const { id, created_at, ticker, sector, volume, market_cap, price } = doc;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0)
    return fail(reject('BAD_TRADE_ID', `id ${JSON.stringify(id)} is not a non-negative integer`));
  if (typeof ticker !== 'string') return fail(reject('WRONG_TYPE', 'field "ticker" must be a string'));
  if (typeof sector !== 'string') return fail(reject('WRONG_TYPE', 'field "sector" must be a string'));
  if (typeof created_at !== 'string') return fail(reject('WRONG_TYPE', 'field "created_at" must be an ISO-8601 string'));
  if (typeof volume !== 'number' || typeof price !== 'number' || typeof market_cap !== 'number')
    return fail(reject('WRONG_TYPE', 'volume, price and market_cap must be numbers'));
  const ms = Date.parse(created_at);
  if (Number.isNaN(ms)) return fail(reject('BAD_NUMBER', `created_at ${JSON.stringify(created_at.slice(0, 40))} is not a date-time`));
  const tErr = checkEventTime(ms * 1000, ctx);
  if (tErr) return fail(tErr);
  const profile = profiles.get(ticker);
  if (!profile) return fail(reject('UNKNOWN_TICKER', `ticker ${JSON.stringify(ticker.slice(0, 20))} is not in company_profile`));
  if (profile.sector !== sector)
    return fail(reject('SECTOR_MISMATCH', `sector ${JSON.stringify(sector.slice(0, 40))} differs from the profile's ${profile.sector}`));
  if (!(price > 0) || !Number.isFinite(price)) return fail(reject('NON_POSITIVE_PRICE', `price ${price} is not a positive finite number`));
  if (!Number.isSafeInteger(volume) || volume <= 0) return fail(reject('NON_POSITIVE_VOLUME', `volume ${volume} is not a positive integer`));
  const expected = price * profile.shares;
  if (Math.abs(market_cap - expected) > MARKET_CAP_REL_TOL * expected)
    return fail(reject('MARKET_CAP_MISMATCH', `market_cap ${market_cap} differs from price x shares ${expected}`));
  return { ok: true, tick: { id, created_at: ms * 1000, ticker, sector, volume, market_cap, price } };
}

/** One sector_volume row (before the batch's processing id and time are attached). */
export interface SectorVolume {
  readonly sector: string;
  /** UTC date, yyyy-MM-dd. */
  readonly date: string;
  readonly total_volume: number;
}

/** Total volume by (date, sector) of one micro-batch of ticks. */
export function sectorVolumes(ticks: readonly StockTick[]): SectorVolume[] {
  const m = new Map<string, SectorVolume>();
  for (const t of ticks) {
    const date = dateOfDay(dayNumber(t.created_at));
    const k = `${date}|${t.sector}`;
    const prev = m.get(k);
    m.set(k, { sector: t.sector, date, total_volume: (prev?.total_volume ?? 0) + t.volume });
  }
  return [...m.values()].sort((a, b) => (a.date + a.sector).localeCompare(b.date + b.sector));
}
