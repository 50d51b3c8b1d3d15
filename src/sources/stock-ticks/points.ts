/** A stock tick as a time-series point (measurement `stock_tick`): the price lines per ticker the old lab's dashboard drew. */
import type { Point } from '../../core/point.js';
import type { StockTick } from './stock-tick.js';

export const STOCK_TICK_MEASUREMENT = 'stock_tick';

/** Ticks of one ticker share a time only by chance; `nanos = id mod 1000` keeps them apart (ids are unique per producer run). */
export function stockTickPoint(t: StockTick): Point {
  return {
    measurement: STOCK_TICK_MEASUREMENT,
    tags: { ticker: t.ticker, sector: t.sector },
    fields: { price: t.price, market_cap: t.market_cap, volume: BigInt(t.volume), id: BigInt(t.id) },
    time: t.created_at,
    nanos: t.id % 1000,
  };
}
