/**
 * Aggregates trades into minute bars (the shape of `bars_1m`). Used with the
 * trade simulator in tests; the lake's own aggregation job produces the same
 * columns.
 */
import { MINUTE_US, type Bar } from './bar.js';

/** The trade fields the aggregation reads; the simulator's `SimTrade` and parsed lake rows both fit. */
export interface TradeLike {
  readonly symbol: string;
  /** Price as a decimal string (exchange text) or a number. */
  readonly price: string | number;
  /** Quantity as a decimal string or a number. */
  readonly qty: string | number;
  /** Trade time, µs since epoch. */
  readonly tradeTimeUs: number;
  /** The buyer was the maker (seller-initiated trade). */
  readonly isBuyerMaker: boolean;
}

interface Acc {
  symbol: string;
  minuteStartUs: number;
  firstTimeUs: number;
  lastTimeUs: number;
  open: number;
  close: number;
  high: number;
  low: number;
  priceSum: number;
  volume: number;
  quoteVolume: number;
  count: number;
  buyerMaker: number;
}

/**
 * Minute bars of every symbol in `trades`, sorted by symbol then minute. Trades
 * may arrive in any order: open/close are the earliest/latest trade of the
 * minute (ties keep arrival order). Minutes without trades get no bar.
 */
export function barsFromTrades(trades: Iterable<TradeLike>): Bar[] {
  const accs = new Map<string, Acc>();
  for (const t of trades) {
    const price = typeof t.price === 'number' ? t.price : Number(t.price);
    const qty = typeof t.qty === 'number' ? t.qty : Number(t.qty);
    if (!(price > 0) || !(qty > 0) || !Number.isFinite(t.tradeTimeUs)) throw new Error(`invalid trade for ${t.symbol} at ${t.tradeTimeUs}`);
    const minute = Math.floor(t.tradeTimeUs / MINUTE_US) * MINUTE_US;
    const key = `${t.symbol}\u0000${minute}`;
    let a = accs.get(key);
    if (a === undefined) {
      a = { symbol: t.symbol, minuteStartUs: minute, firstTimeUs: t.tradeTimeUs, lastTimeUs: t.tradeTimeUs, open: price, close: price, high: price, low: price, priceSum: 0, volume: 0, quoteVolume: 0, count: 0, buyerMaker: 0 };
      accs.set(key, a);
    }
    if (t.tradeTimeUs < a.firstTimeUs) {
      a.firstTimeUs = t.tradeTimeUs;
      a.open = price;
    }
    if (t.tradeTimeUs >= a.lastTimeUs) {
      a.lastTimeUs = t.tradeTimeUs;
      a.close = price;
    }
    if (price > a.high) a.high = price;
    if (price < a.low) a.low = price;
    a.priceSum += price;
    a.volume += qty;
    a.quoteVolume += price * qty;
    a.count += 1;
    if (t.isBuyerMaker) a.buyerMaker += 1;
  }
  const bars: Bar[] = [];
  for (const a of accs.values()) {
    bars.push({
      symbol: a.symbol,
      minuteStartUs: a.minuteStartUs,
      open: a.open,
      high: a.high,
      low: a.low,
      close: a.close,
      vwap: a.quoteVolume / a.volume,
      avgPrice: a.priceSum / a.count,
      avgQuantity: a.volume / a.count,
      avgQuoteQuantity: a.quoteVolume / a.count,
      volume: a.volume,
      quoteVolume: a.quoteVolume,
      tradeCount: a.count,
      buyerMakerShare: a.buyerMaker / a.count,
    });
  }
  bars.sort((x, y) => (x.symbol < y.symbol ? -1 : x.symbol > y.symbol ? 1 : x.minuteStartUs - y.minuteStartUs));
  return bars;
}
