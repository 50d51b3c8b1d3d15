/** `stock_ticks` and `sector_volume` column builders (hand-specialised, see src/lake/rows.ts). */
import { hourIndex, PartitionedColumns } from '../../lake/rows.js';
import { STOCK_TICKS, SECTOR_VOLUME } from './tables.js';
import type { SectorVolume, StockTick } from './stock-tick.js';

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
  constructor() {
    super(STOCK_TICKS);
  }

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
  constructor() {
    super(SECTOR_VOLUME);
  }

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
