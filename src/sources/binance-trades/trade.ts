/**
 * Core market-data types. Pure: no AWS SDK, no file system.
 *
 * Precision: prices and quantities arrive as decimal strings with at most 8
 * decimals (Binance). They are held as IEEE-754 doubles, which keep 15-17
 * significant decimal digits: a BTC price such as "97123.45678901" (13 digits)
 * round-trips exactly as text, and sums over a minute keep ~1e-10 relative error.
 * Exact decimal arithmetic is not needed for analytics; the raw string is kept
 * in the raw landing table for audits.
 *
 * Times are integers in microseconds since the Unix epoch (UTC). 2^53 us is
 * year 2255, so a JavaScript number holds them exactly.
 */
import { CORE_REASON_CODES, type CoreReasonCode, type Rejection as CoreRejection } from '../../core/reasons.js';

/** Payload formats the stream transform understands. */
export type TradeSource = 'binance-ws' | 'binance-csv';

/** A validated trade, normalised from either Binance format. */
export interface Trade {
  /** Upper-case symbol, e.g. BTCUSDT. */
  readonly symbol: string;
  /** Exchange trade id, unique per symbol (safe integer). */
  readonly tradeId: number;
  readonly price: number;
  readonly quantity: number;
  /** price x quantity in quote currency. */
  readonly quoteQuantity: number;
  /** Binance `m`: the buyer was the maker (seller-initiated trade). */
  readonly isBuyerMaker: boolean;
  /** Trade time, microseconds since epoch, UTC. */
  readonly tradeTimeUs: number;
  /** Exchange event time, microseconds since epoch, UTC (= trade time for CSV). */
  readonly eventTimeUs: number;
  readonly source: TradeSource;
}

/** The trade source's own reasons, on top of the core set. */
export const TRADE_REASON_CODES = ['MALFORMED_CSV', 'NON_POSITIVE_PRICE', 'NON_POSITIVE_QUANTITY', 'QUOTE_QTY_MISMATCH', 'BAD_SYMBOL', 'BAD_TRADE_ID'] as const;

/** Every reason a Binance record is quarantined with: the core set and the trade source's own. */
export const REASON_CODES = [...CORE_REASON_CODES, ...TRADE_REASON_CODES] as const;
export type ReasonCode = CoreReasonCode | (typeof TRADE_REASON_CODES)[number];

/** Why a record is not a valid trade. */
export type Rejection = CoreRejection<ReasonCode>;

/** Result of parsing one payload: a trade, or the reason it is not one. */
export type ParseResult =
  | { readonly ok: true; readonly trade: Trade }
  | { readonly ok: false; readonly source: TradeSource | 'unknown'; readonly rejection: Rejection };

/** A Binance historical spot trade CSV row before normalisation (for writers). */
export interface BinanceCsvRow {
  id: number;
  price: string;
  qty: string;
  quoteQty: string;
  /** ms before 2025-01-01, us from then on in files Binance publishes. */
  time: number;
  isBuyerMaker: boolean;
  isBestMatch: boolean;
}

/** A Binance `<symbol>@trade` stream message, exactly as the exchange sends it. */
export interface BinanceTradeMessage {
  e: 'trade';
  /** Event time, ms. */
  E: number;
  s: string;
  t: number;
  p: string;
  q: string;
  /** Buyer order id (older messages only). */
  b?: number;
  /** Seller order id (older messages only). */
  a?: number;
  /** Trade time, ms. */
  T: number;
  m: boolean;
  M: boolean;
}
