/**
 * Column builders for the three tables the stream transform writes, one per
 * hour partition. Hand-specialised (one array per column, fixed property names)
 * because this is the per-record hot path; the Parquet encoder still maps every
 * column through `glue-schemas/`, and a test checks these builders produce
 * exactly the declared columns.
 */
import type { BarPartial } from '../../src/domain/bars.js';
import type { SectorVolume, StockTick } from '../../src/sources/stock-ticks/stock-tick.js';
import type { TradeRow } from '../../src/sources/binance-trades/features.js';
import { dateOfDay, type HourPartition, US_PER_HOUR } from '../../src/core/time.js';
import type { RecordSource, Rejection } from '../../src/sources/binance-trades/trade.js';
import type { ColumnInput } from './parquet.js';
import { PlainByteArrays } from './parquet/plain-byte-arrays.js';

/** Where a stream record came from. */
export interface RecordOrigin {
  readonly streamName: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly arrivalUs: number;
}

/** Hours since the epoch: the partition index of a microsecond timestamp. */
export function hourIndex(timeUs: number): number {
  return Math.floor(timeUs / US_PER_HOUR);
}

export function partitionOfHourIndex(h: number): HourPartition {
  return { dt: dateOfDay(Math.floor(h / 24)), hour: ((h % 24) + 24) % 24 };
}

abstract class PartitionedColumns<C extends Record<string, unknown[] | PlainByteArrays>> {
  private readonly parts = new Map<number, C>();
  rows = 0;

  protected abstract empty(): C;

  private lastHour = NaN;
  private last: C | undefined;

  protected part(hour: number): C {
    this.rows++;
    // Consecutive records almost always share an hour: skip the map lookup then.
    if (hour === this.lastHour) return this.last!;
    let c = this.parts.get(hour);
    if (c === undefined) {
      c = this.empty();
      this.parts.set(hour, c);
    }
    this.lastHour = hour;
    this.last = c;
    return c;
  }

  /** Partitions and their column arrays, in first-seen order. */
  partitions(): { partition: HourPartition; columns: Readonly<Record<string, ColumnInput>> }[] {
    return [...this.parts.entries()].map(([h, columns]) => ({ partition: partitionOfHourIndex(h), columns: columns as Record<string, ColumnInput> }));
  }
}

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

function rawColumns() {
  return {
    stream_name: [] as string[],
    shard_id: [] as string[],
    sequence_number: [] as string[],
    partition_key: [] as string[],
    arrival_time: [] as number[],
    data: new PlainByteArrays(),
    ingest_time: [] as number[],
  };
}

/** `raw_events` rows, partitioned by the hour of arrival. */
export class RawRows extends PartitionedColumns<ReturnType<typeof rawColumns>> {
  protected empty() {
    return rawColumns();
  }

  /**
   * Adds the record whose payload `base64` encodes, decoding it straight into
   * the `data` column, and returns the payload as text (U+FFFD for bytes that
   * are not UTF-8, which is also what is stored).
   */
  addBase64(o: RecordOrigin, base64: string, ingestUs: number): string {
    const c = this.part(hourIndex(o.arrivalUs));
    c.stream_name.push(o.streamName);
    c.shard_id.push(o.shardId);
    c.sequence_number.push(o.sequenceNumber);
    c.partition_key.push(o.partitionKey);
    c.arrival_time.push(o.arrivalUs);
    c.ingest_time.push(ingestUs);
    return c.data.appendBase64(base64);
  }
}

function quarantineColumns() {
  return {
    source: [] as string[],
    reason_code: [] as string[],
    reason_message: [] as string[],
    raw_payload: [] as string[],
    stream_name: [] as string[],
    shard_id: [] as string[],
    sequence_number: [] as string[],
    partition_key: [] as string[],
    arrival_time: [] as number[],
    ingest_time: [] as number[],
  };
}

/** `quarantine` rows, partitioned by the hour they were processed. */
export class QuarantineRows extends PartitionedColumns<ReturnType<typeof quarantineColumns>> {
  protected empty() {
    return quarantineColumns();
  }

  add(o: RecordOrigin, source: RecordSource, rejection: Rejection, payload: string, ingestUs: number): void {
    const c = this.part(hourIndex(ingestUs));
    c.source.push(source);
    c.reason_code.push(rejection.code);
    c.reason_message.push(rejection.message);
    c.raw_payload.push(payload);
    c.stream_name.push(o.streamName);
    c.shard_id.push(o.shardId);
    c.sequence_number.push(o.sequenceNumber);
    c.partition_key.push(o.partitionKey);
    c.arrival_time.push(o.arrivalUs);
    c.ingest_time.push(ingestUs);
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
  protected empty() {
    return barPartialColumns();
  }

  add(p: BarPartial, batchId: string): void {
    const c = this.part(hourIndex(p.minute_start));
    for (const k of Object.keys(p) as (keyof BarPartial)[]) (c[k] as (string | number)[]).push(p[k]);
    c.batch_id.push(batchId);
  }
}

function stockTickColumns() {
  return {
    id: [] as number[],
    created_at: [] as number[],
    ticker: [] as string[],
    sector: [] as string[],
    volume: [] as number[],
    market_cap: [] as number[],
    price: [] as number[],
    ingest_time: [] as number[],
  };
}

/** `stock_ticks` rows, partitioned by the hour of created_at. */
export class StockTickRows extends PartitionedColumns<ReturnType<typeof stockTickColumns>> {
  readonly ticks: StockTick[] = [];

  protected empty() {
    return stockTickColumns();
  }

  add(t: StockTick, ingestUs: number): void {
    const c = this.part(hourIndex(t.created_at));
    c.id.push(t.id);
    c.created_at.push(t.created_at);
    c.ticker.push(t.ticker);
    c.sector.push(t.sector);
    c.volume.push(t.volume);
    c.market_cap.push(t.market_cap);
    c.price.push(t.price);
    c.ingest_time.push(ingestUs);
    this.ticks.push(t);
  }
}

function sectorVolumeColumns() {
  return {
    processing_id: [] as string[],
    processed_at: [] as number[],
    sector: [] as string[],
    total_volume: [] as number[],
    date: [] as number[],
  };
}

/** `sector_volume` rows of one batch, partitioned by the hour it was processed. */
export class SectorVolumeRows extends PartitionedColumns<ReturnType<typeof sectorVolumeColumns>> {
  protected empty() {
    return sectorVolumeColumns();
  }

  add(v: SectorVolume, processingId: string, processedAtUs: number): void {
    const c = this.part(hourIndex(processedAtUs));
    c.processing_id.push(processingId);
    c.processed_at.push(processedAtUs);
    c.sector.push(v.sector);
    c.total_volume.push(v.total_volume);
    c.date.push(Date.parse(`${v.date}T00:00:00Z`) / 86_400_000);
  }
}
