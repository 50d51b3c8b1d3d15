/**
 * The crypto price table (the old tracker's 5-minute scrape): a snapshot of
 * CoinGecko's `/coins/markets` becomes one stream record per coin, and each
 * record is validated on its own. Pure.
 *
 * Record (one per coin; the envelope first, then the API's item verbatim):
 * `{"source":"crypto-quotes","snapshot_time":"2026-11-02T10:05:00.000Z","fetched_at":"2026-11-02T10:05:00.412Z",
 *   "vs_currency":"usd","index":0,"symbols":["btc","eth",…],"coin":{"id":"bitcoin","symbol":"btc",…}}`
 *
 * - `snapshot_time` is the poll's wall-clock slot, not the fetch time, so a
 *   retried or repeated poll of the same slot yields the same natural key
 *   (snapshot_time, vs_currency, symbol).
 * - `symbols` lists every coin's symbol of the snapshot in response order, so
 *   each record can tell on its own whether its symbol already appeared at an
 *   earlier position (DUPLICATE_SYMBOL: the first occurrence, the higher market
 *   cap in CoinGecko's default order, is the one judged on its merits). No
 *   state across records is needed: a snapshot split over batches, shards or
 *   retries, or redelivered out of order, is judged the same.
 * - The partition key, `crypto-quotes/<snapshot_time>`, keeps a snapshot on one
 *   shard, in order, and usually in one batch.
 */
import { CORE_REASON_CODES, type CoreReasonCode, isRejection, reject as rejectAs, type Rejection as CoreRejection } from '../../core/reasons.js';
import { checkEventTime, type ValidationContext } from '../../core/validation.js';
import type { PollContext, PolledRecords, StreamRecord } from '../contract.js';

/** The source id, also its envelope value. */
export const CRYPTO_QUOTES_SOURCE = 'crypto-quotes';

/** The crypto source's own reasons, on top of the core set. */
export const CRYPTO_REASON_CODES = ['NON_POSITIVE_PRICE', 'DUPLICATE_SYMBOL', 'STALE_QUOTE', 'BAD_SYMBOL', 'BAD_SNAPSHOT'] as const;
export type CryptoReasonCode = CoreReasonCode | (typeof CRYPTO_REASON_CODES)[number];
/** Every reason a quote is quarantined with. */
export const REASON_CODES = [...CORE_REASON_CODES, ...CRYPTO_REASON_CODES] as const;
export type Rejection = CoreRejection<CryptoReasonCode>;
const reject = (code: CryptoReasonCode, message: string): Rejection => rejectAs(code, message);

/** A quote whose API update is older than this at fetch time is stale (six 5-minute polls). */
export const STALE_AFTER_MS = 30 * 60_000;
/** How far the API's update time may be after the fetch (clocks differ). */
export const AS_OF_SKEW_MS = 5 * 60_000;
/** How far a fetch may precede its slot (a poller whose clock runs a little behind). */
export const FETCH_SKEW_MS = 60_000;
/** Longest symbol accepted. */
export const MAX_SYMBOL_LENGTH = 32;

/** One item of CoinGecko's `/coins/markets` response (the fields ticklake reads; the API sends more). */
export interface CoinGeckoMarket {
  readonly id: string;
  readonly symbol: string;
  readonly name: string;
  readonly image?: string;
  readonly current_price: number | null;
  readonly market_cap: number | null;
  readonly market_cap_rank: number | null;
  readonly fully_diluted_valuation?: number | null;
  readonly total_volume: number | null;
  readonly high_24h?: number | null;
  readonly low_24h?: number | null;
  readonly price_change_24h?: number | null;
  readonly price_change_percentage_24h: number | null;
  readonly market_cap_change_24h?: number | null;
  readonly market_cap_change_percentage_24h?: number | null;
  readonly circulating_supply: number | null;
  readonly total_supply?: number | null;
  readonly max_supply?: number | null;
  readonly roi?: unknown;
  readonly last_updated: string;
}

/** The stream record of one coin of a snapshot (see the module comment). */
export interface QuoteRecord {
  readonly source: typeof CRYPTO_QUOTES_SOURCE;
  readonly snapshot_time: string;
  readonly fetched_at: string;
  readonly vs_currency: string;
  readonly index: number;
  readonly symbols: readonly (string | null)[];
  readonly coin: unknown;
}

/** A validated quote (column names as in glue-schemas/crypto_quotes.json; times in microseconds). */
export interface CryptoQuote {
  readonly snapshot_time: number;
  readonly symbol: string;
  readonly coin_id: string;
  readonly name: string;
  readonly vs_currency: string;
  readonly price: number;
  readonly change_pct_24h: number | null;
  readonly volume_24h: number;
  readonly market_cap: number;
  readonly market_cap_rank: number | null;
  readonly circulating_supply: number | null;
  readonly as_of: number;
  readonly fetched_at: number;
}

export type QuoteResult = { readonly ok: true; readonly quote: CryptoQuote } | { readonly ok: false; readonly rejection: Rejection };

const fail = (r: Rejection): QuoteResult => ({ ok: false, rejection: r });

/** The symbol as the table keys it: trimmed, upper case. */
export function normalizeSymbol(s: string): string {
  return s.trim().toUpperCase();
}

/** The partition key of every record of a snapshot. */
export function snapshotPartitionKey(snapshotIso: string): string {
  return `${CRYPTO_QUOTES_SOURCE}/${snapshotIso}`;
}

/** The `vs_currency` of a `/coins/markets` URL (CoinGecko requires it; `usd` when absent or unreadable). */
export function vsCurrencyOf(url: string): string {
  try {
    return new URL(url).searchParams.get('vs_currency')?.toLowerCase() || 'usd';
  } catch {
    return 'usd';
  }
}

/** A short description of what a body that is not an array is, for the poll's error (CoinGecko errors are `{"status":{"error_message":…}}`). */
function describeBody(body: unknown): string {
  if (body === null) return 'null';
  if (typeof body !== 'object') return `a ${typeof body}`;
  const status = (body as { status?: { error_message?: unknown } }).status;
  if (typeof status?.error_message === 'string') return `an error object: ${status.error_message.slice(0, 200)}`;
  const error = (body as { error?: unknown }).error;
  if (typeof error === 'string') return `an error object: ${error.slice(0, 200)}`;
  return `an object with keys ${Object.keys(body).slice(0, 8).join(', ')}`;
}

/**
 * The stream records of one `/coins/markets` response: one per item, in
 * response order, every item kept verbatim (bad ones are the transform's to
 * quarantine with a reason). A body that is not a non-empty array is an error:
 * the poll fails and nothing is put.
 */
export function marketsToRecords(body: unknown, poll: PollContext): PolledRecords {
  if (!Array.isArray(body)) return { error: `expected a JSON array of coins (CoinGecko /coins/markets), got ${describeBody(body)}` };
  if (body.length === 0) return { error: 'the price table is empty (no coins in the response)' };
  const snapshot = new Date(poll.slotMs).toISOString();
  const fetched = new Date(poll.fetchedAtMs).toISOString();
  const vs = vsCurrencyOf(poll.url);
  const symbols = body.map((c: unknown) => {
    const s = typeof c === 'object' && c !== null ? (c as { symbol?: unknown }).symbol : undefined;
    return typeof s === 'string' ? s : null;
  });
  const partitionKey = snapshotPartitionKey(snapshot);
  const records: StreamRecord[] = body.map((coin: unknown, index) => {
    const r: QuoteRecord = { source: CRYPTO_QUOTES_SOURCE, snapshot_time: snapshot, fetched_at: fetched, vs_currency: vs, index, symbols, coin };
    return { partitionKey, payload: JSON.stringify(r) };
  });
  return { records };
}

/** True when a parsed JSON document claims to be a crypto quote record. */
export function isQuoteRecord(doc: unknown): doc is Record<string, unknown> {
  return typeof doc === 'object' && doc !== null && !Array.isArray(doc) && (doc as Record<string, unknown>).source === CRYPTO_QUOTES_SOURCE;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/** Milliseconds of an ISO-8601 date-time, or NaN (Date.parse alone accepts far more than ISO). */
export function isoMs(s: string): number {
  return ISO_TIME.test(s) ? Date.parse(s) : Number.NaN;
}

const isMissing = (v: unknown) => v === undefined || v === null;
// Printable, no white space, no control characters.
const SYMBOL = /^[^\s\p{Cc}]+$/u;

/** Names a coin in messages: its id and symbol when it has them. */
function coinLabel(coin: Record<string, unknown>): string {
  const id = typeof coin.id === 'string' ? coin.id.slice(0, 60) : undefined;
  const sym = typeof coin.symbol === 'string' ? coin.symbol.slice(0, 40) : undefined;
  if (id && sym) return `coin ${JSON.stringify(id)} (${sym})`;
  return id || sym ? `coin ${JSON.stringify(id ?? sym)}` : 'coin';
}

/** An optional number field: null when absent, the number, or a rejection for another type. */
function optionalNumber(coin: Record<string, unknown>, k: string): number | null | Rejection {
  const v = coin[k];
  if (isMissing(v)) return null;
  if (typeof v !== 'number') return reject('WRONG_TYPE', `${coinLabel(coin)}: field "${k}" must be a number or null`);
  return v;
}

/**
 * Validates one quote record. In order: the envelope (snapshot time, fetch
 * time, currency, position, the snapshot's symbols), the coin's required fields
 * and types, its symbol, its place in the snapshot (DUPLICATE_SYMBOL when its
 * symbol is at an earlier position too), its price and numbers, its as-of time
 * and staleness (against the record's own fetch time, so a replay judges alike).
 */
export function quoteFrom(doc: Record<string, unknown>, ctx: ValidationContext): QuoteResult {
  for (const k of ['snapshot_time', 'fetched_at', 'vs_currency', 'index', 'symbols', 'coin'] as const) {
    if (isMissing(doc[k])) return fail(reject('MISSING_FIELD', `field "${k}" is missing`));
  }
  const { snapshot_time, fetched_at, vs_currency, index, symbols, coin } = doc;
  if (typeof snapshot_time !== 'string' || typeof fetched_at !== 'string')
    return fail(reject('WRONG_TYPE', 'snapshot_time and fetched_at must be ISO-8601 strings'));
  if (typeof vs_currency !== 'string' || vs_currency.length === 0 || vs_currency.length > 16)
    return fail(reject('WRONG_TYPE', 'vs_currency must be a currency code string'));
  if (!Array.isArray(symbols)) return fail(reject('WRONG_TYPE', 'symbols must be an array'));
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0 || index >= symbols.length)
    return fail(reject('BAD_SNAPSHOT', `index ${JSON.stringify(index)} is not a position among the snapshot's ${symbols.length} symbols`));
  const snapshotMs = isoMs(snapshot_time);
  if (Number.isNaN(snapshotMs)) return fail(reject('BAD_NUMBER', `snapshot_time ${JSON.stringify(snapshot_time.slice(0, 40))} is not a date-time`));
  const fetchedMs = isoMs(fetched_at);
  if (Number.isNaN(fetchedMs)) return fail(reject('BAD_NUMBER', `fetched_at ${JSON.stringify(fetched_at.slice(0, 40))} is not a date-time`));
  const tErr = checkEventTime(snapshotMs * 1000, ctx, 'snapshot time');
  if (tErr) return fail(tErr);
  if (fetchedMs < snapshotMs - FETCH_SKEW_MS) return fail(reject('BAD_SNAPSHOT', `fetched_at ${fetched_at} is before the snapshot's slot ${snapshot_time}`));
  if (typeof coin !== 'object' || Array.isArray(coin)) return fail(reject('WRONG_TYPE', 'coin must be a JSON object (a /coins/markets item)'));
  const c = coin as Record<string, unknown>;

  for (const k of ['id', 'symbol', 'name', 'current_price', 'market_cap', 'total_volume', 'last_updated'] as const) {
    if (isMissing(c[k])) return fail(reject('MISSING_FIELD', `${coinLabel(c)}: field "${k}" is missing`));
  }
  const { id, symbol, name, current_price, market_cap, total_volume, last_updated } = c;
  if (typeof id !== 'string' || typeof symbol !== 'string' || typeof name !== 'string' || typeof last_updated !== 'string')
    return fail(reject('WRONG_TYPE', `${coinLabel(c)}: id, symbol, name and last_updated must be strings`));
  if (typeof current_price !== 'number' || typeof market_cap !== 'number' || typeof total_volume !== 'number')
    return fail(reject('WRONG_TYPE', `${coinLabel(c)}: current_price, market_cap and total_volume must be numbers`));
  const change = optionalNumber(c, 'price_change_percentage_24h');
  if (isRejection(change)) return fail(change);
  const rank = optionalNumber(c, 'market_cap_rank');
  if (isRejection(rank)) return fail(rank);
  const supply = optionalNumber(c, 'circulating_supply');
  if (isRejection(supply)) return fail(supply);

  const sym = normalizeSymbol(symbol);
  if (sym.length === 0 || sym.length > MAX_SYMBOL_LENGTH || !SYMBOL.test(sym))
    return fail(reject('BAD_SYMBOL', `symbol ${JSON.stringify(symbol.slice(0, 40))} is not 1-${MAX_SYMBOL_LENGTH} printable characters without spaces`));
  const listed = symbols[index];
  if (typeof listed !== 'string' || normalizeSymbol(listed) !== sym)
    return fail(
      reject('BAD_SNAPSHOT', `the snapshot lists ${JSON.stringify(listed ?? null)} at position ${index}, the coin's symbol is ${JSON.stringify(symbol)}`),
    );
  for (let i = 0; i < index; i++) {
    const other = symbols[i];
    if (typeof other === 'string' && normalizeSymbol(other) === sym)
      return fail(
        reject('DUPLICATE_SYMBOL', `symbol ${sym} of ${coinLabel(c)} at position ${index} already appears at position ${i} of the snapshot ${snapshot_time}`),
      );
  }

  if (!(current_price > 0) || !Number.isFinite(current_price))
    return fail(reject('NON_POSITIVE_PRICE', `${coinLabel(c)}: current_price ${current_price} is not a positive finite number`));
  if (!(market_cap >= 0) || !Number.isFinite(market_cap))
    return fail(reject('BAD_NUMBER', `${coinLabel(c)}: market_cap ${market_cap} is not a non-negative finite number`));
  if (!(total_volume >= 0) || !Number.isFinite(total_volume))
    return fail(reject('BAD_NUMBER', `${coinLabel(c)}: total_volume ${total_volume} is not a non-negative finite number`));
  if (change !== null && (!Number.isFinite(change) || change <= -100))
    return fail(reject('BAD_NUMBER', `${coinLabel(c)}: price_change_percentage_24h ${change} is not a change above -100 %`));
  if (rank !== null && (!Number.isSafeInteger(rank) || rank < 1 || rank > 2 ** 31 - 1))
    return fail(reject('BAD_NUMBER', `${coinLabel(c)}: market_cap_rank ${rank} is not a positive integer`));
  if (supply !== null && (!(supply >= 0) || !Number.isFinite(supply)))
    return fail(reject('BAD_NUMBER', `${coinLabel(c)}: circulating_supply ${supply} is not a non-negative finite number`));

  const asOfMs = isoMs(last_updated);
  if (Number.isNaN(asOfMs)) return fail(reject('BAD_NUMBER', `${coinLabel(c)}: last_updated ${JSON.stringify(last_updated.slice(0, 40))} is not a date-time`));
  const aErr = checkEventTime(asOfMs * 1000, ctx, 'as-of time');
  if (aErr) return fail(aErr);
  if (asOfMs > fetchedMs + AS_OF_SKEW_MS)
    return fail(reject('TIME_OUT_OF_RANGE', `${coinLabel(c)}: last_updated ${last_updated} is more than 5 minutes after the fetch (${fetched_at})`));
  if (fetchedMs - asOfMs > STALE_AFTER_MS) {
    const minutes = Math.round((fetchedMs - asOfMs) / 60_000);
    return fail(
      reject('STALE_QUOTE', `${coinLabel(c)}: last updated ${last_updated}, ${minutes} minutes before the fetch (stale after ${STALE_AFTER_MS / 60_000})`),
    );
  }
  return {
    ok: true,
    quote: {
      snapshot_time: snapshotMs * 1000,
      symbol: sym,
      coin_id: id,
      name,
      vs_currency: vs_currency.toLowerCase(),
      price: current_price,
      change_pct_24h: change,
      volume_24h: total_volume,
      market_cap,
      market_cap_rank: rank,
      circulating_supply: supply,
      as_of: asOfMs * 1000,
      fetched_at: fetchedMs * 1000,
    },
  };
}
