/** A crypto quote as a time-series point (measurement `crypto_quote`): the price evolution per coin the old tracker's dashboard drew. */
import type { FieldValue, Point } from '../../core/point.js';
import type { CryptoQuote } from './quote.js';

export const CRYPTO_QUOTE_MEASUREMENT = 'crypto_quote';

/**
 * One point per coin and snapshot, at the snapshot time: a re-put snapshot
 * writes the same points again (an upsert). Fields the API left null are left
 * out, so every field keeps one type.
 */
export function cryptoQuotePoint(q: CryptoQuote): Point {
  const fields: Record<string, FieldValue> = { price: q.price, market_cap: q.market_cap, volume_24h: q.volume_24h };
  if (q.change_pct_24h !== null) fields.change_pct_24h = q.change_pct_24h;
  if (q.market_cap_rank !== null) fields.market_cap_rank = BigInt(q.market_cap_rank);
  return { measurement: CRYPTO_QUOTE_MEASUREMENT, tags: { symbol: q.symbol, vs_currency: q.vs_currency }, fields, time: q.snapshot_time };
}
