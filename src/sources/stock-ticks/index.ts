import type { BatchContext, Quarantined, SourceBatch, SourceDefinition, TableRows } from '../contract.js';
import { SectorVolumeRows, StockTickRows } from './rows.js';
import { COMPANY_PROFILE_FILE, COMPANY_PROFILES } from './profiles.js';
import { simulateStockTicks } from './simulator.js';
import { volumeByDaySql, volumeTodaySql } from './sql.js';
import { STOCK_TICK_MEASUREMENT, stockTickPoint } from './points.js';
import { type CompanyProfile, isStockTickMessage, REASON_CODES, type StockTick, sectorVolumes, stockTickFrom } from './stock-tick.js';

export { STOCK_TICK_MEASUREMENT, stockTickPoint };
import { COMPANY_PROFILE, SECTOR_VOLUME, STOCK_TICKS } from './tables.js';
import { STOCK_PANELS } from './panels.js';
import { readJsonRecord } from '../json-record.js';
import { STOCK_TICK_MESSAGE } from './message-schema.js';

/** The source id, also its envelope value. */
export const STOCK_TICKS_SOURCE = 'stock-ticks';

/** The company_profile dimension, bundled with the function. */
const PROFILES: ReadonlyMap<string, CompanyProfile> = new Map(COMPANY_PROFILES.map((p) => [p.ticker, p]));

/** Parses and validates one tick message: the tick, or why it is quarantined. */
function readTick(text: string, json: unknown, nowUs: number): { ok: true; tick: StockTick } | ({ ok: false } & Quarantined) {
  return readJsonRecord(text, json, {
    schema: STOCK_TICK_MESSAGE,
    format: STOCK_TICKS_SOURCE,
    is: isStockTickMessage,
    notMine: 'JSON payload is neither a trade nor a stock tick',
    from: (doc) => stockTickFrom(doc, PROFILES, { nowUs }),
  });
}

class StockTickBatch implements SourceBatch {
  private readonly ticks = new StockTickRows();
  constructor(private readonly ingestUs: number) {}

  add(text: string, _partitionKey: string, json?: unknown): Quarantined | undefined {
    const r = readTick(text, json, this.ingestUs);
    if (!r.ok) return r;
    this.ticks.add(r.tick, this.ingestUs);
    return undefined;
  }

  outputs(batchId: string): readonly TableRows[] {
    const sectors = new SectorVolumeRows();
    for (const v of sectorVolumes(this.ticks.ticks)) sectors.add(v, batchId, this.ingestUs);
    return [this.ticks, sectors];
  }
}

export const stockTicks: SourceDefinition = {
  id: STOCK_TICKS_SOURCE,
  title: 'Stock ticks',
  description: 'Simulated ticks for about ten tickers, validated against the company_profile dimension, with sector volume per micro-batch',
  enters: ['stream'],
  recognition: { envelope: STOCK_TICKS_SOURCE },
  tables: [STOCK_TICKS, SECTOR_VOLUME],
  dimensions: [{ table: COMPANY_PROFILE, file: COMPANY_PROFILE_FILE }],
  namedViews: { volume_today: () => volumeTodaySql(SECTOR_VOLUME.name), volume_by_day: () => volumeByDaySql(SECTOR_VOLUME.name) },
  panels: STOCK_PANELS,
  reasonCodes: REASON_CODES,
  messageSchema: STOCK_TICK_MESSAGE,
  formats: [STOCK_TICKS_SOURCE, 'unknown'],
  newBatch: (ctx: BatchContext) => new StockTickBatch(ctx.ingestUs),
  measurements: [STOCK_TICK_MEASUREMENT],
  points(text, _partitionKey, json, ctx) {
    const r = readTick(text, json, ctx.ingestUs);
    return r.ok ? [stockTickPoint(r.tick)] : [];
  },
  simulator: {
    *simulate(o) {
      for (const t of simulateStockTicks({ minutes: o.minutes, seed: o.seed, startTimeMs: o.startTimeMs, firstId: 1 + (o.idBase ?? 0) })) yield t;
    },
    describe: () => `${COMPANY_PROFILES.length} tickers' ticks`,
    // One tick per ticker every ~10 s.
    expectedRecords: (o) => Math.round((COMPANY_PROFILES.length * o.minutes * 60) / 10),
  },
};
