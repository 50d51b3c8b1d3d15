/** `trades` and `bar_partials` column builders (hand-specialised for the hot path, see src/lake/rows.ts). */
import type { BarPartial } from '../../core/bars.js';
import { hourIndex, PartitionedColumns } from '../../lake/rows.js';
import { TRADES, BAR_PARTIALS } from './tables.js';
import type { TradeRow } from './features.js';

function tradeColumns() {
  return {
    symbol: [] as string[],
    trade_id: [] as number[],
    price: [] as number[],
    quantity: [] as number[],
    quote_quantity: [] as number[],
    is_buyer_maker: [] as boolean[],
    trade_time: [] as number[],
    event_time: [] as number[],
    day_of_week: [] as number[],
    minute: [] as number[],
    ingest_time: [] as number[],
    source: [] as string[],
  };
}

/** `trades` rows, partitioned by the hour of trade_time (the `hour` feature is the partition value). */
export class TradeRows extends PartitionedColumns<ReturnType<typeof tradeColumns>> {
  constructor() {
    super(TRADES);
  }

  protected empty() {
    return tradeColumns();
  }

  add(r: TradeRow): void {
    const c = this.part(hourIndex(r.trade_time));
    c.symbol.push(r.symbol);
    c.trade_id.push(r.trade_id);
    c.price.push(r.price);
    c.quantity.push(r.quantity);
    c.quote_quantity.push(r.quote_quantity);
    c.is_buyer_maker.push(r.is_buyer_maker);
    c.trade_time.push(r.trade_time);
    c.event_time.push(r.event_time);
    c.day_of_week.push(r.day_of_week);
    c.minute.push(r.minute);
    c.ingest_time.push(r.ingest_time);
    c.source.push(r.source);
  }
}

function barPartialColumns() {
  return {
    symbol: [] as string[],
    minute_start: [] as number[],
    open_time: [] as number[],
    open_trade_id: [] as number[],
    open: [] as number[],
    close_time: [] as number[],
    close_trade_id: [] as number[],
    close: [] as number[],
    high: [] as number[],
    low: [] as number[],
    sum_price: [] as number[],
    volume: [] as number[],
    quote_volume: [] as number[],
    sum_quote_quantity: [] as number[],
    trade_count: [] as number[],
    buyer_maker_count: [] as number[],
    batch_id: [] as string[],
  };
}

/** `bar_partials` rows, partitioned by the hour of the minute. */
export class BarPartialRows extends PartitionedColumns<ReturnType<typeof barPartialColumns>> {
  constructor() {
    super(BAR_PARTIALS);
  }

  protected empty() {
    return barPartialColumns();
  }

  add(p: BarPartial, batchId: string): void {
    const c = this.part(hourIndex(p.minute_start));
    for (const k of Object.keys(p) as (keyof BarPartial)[]) (c[k] as (string | number)[]).push(p[k]);
    c.batch_id.push(batchId);
  }
}
