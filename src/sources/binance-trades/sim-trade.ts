/** The simulator's trade: shared by the market model and the Binance formatters (no import cycle between them). */

/**
 * One simulated trade with the exchange's own text for price and amounts, so it
 * can be written as a stream message or a CSV line without re-rounding.
 *
 * `price`, `qty` and `quoteQty` have exactly 8 decimals ("97123.45000000",
 * "0.00123000"), as Binance writes them in stream messages, REST responses and
 * the historical CSV files. `quoteQty` is the exact product price x qty (rounded
 * half-up to 8 decimals when the product has more).
 */
export interface SimTrade {
  readonly symbol: string;
  /** Trade id, +1 per trade within a symbol. */
  readonly id: number;
  readonly price: string;
  readonly qty: string;
  readonly quoteQty: string;
  /** Trade time, microseconds since epoch. Fills of one taker order share it. */
  readonly tradeTimeUs: number;
  /** Stream event time, ms since epoch; >= the trade time in ms. */
  readonly eventTimeMs: number;
  /** Binance `m`: the buyer was the maker, i.e. a seller-initiated trade at the bid. */
  readonly isBuyerMaker: boolean;
  /** Binance `M`; always true on today's spot market. */
  readonly isBestMatch: boolean;
  /** Buyer's order id (`b` of older stream messages). */
  readonly buyerOrderId: number;
  /** Seller's order id (`a` of older stream messages). */
  readonly sellerOrderId: number;
}
