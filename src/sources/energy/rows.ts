/** `energy_readings` column builders (hand-specialised, see src/lake/rows.ts). */
import { hourIndex, PartitionedColumns } from '../../lake/rows.js';
import type { EnergyReading } from './reading.js';
import { ENERGY_READINGS } from './tables.js';

function energyColumns() {
  return {
    household: [] as string[],
    reading_time: [] as number[],
    interval_start: [] as number[],
    interval_minutes: [] as number[],
    kwh: [] as number[],
    hvac_kwh: [] as number[],
    water_heater_kwh: [] as number[],
    kitchen_kwh: [] as number[],
    laundry_kwh: [] as number[],
    other_kwh: [] as number[],
    ingest_time: [] as number[],
  };
}

/** `energy_readings` rows, partitioned by the hour of reading_time. */
export class EnergyReadingRows extends PartitionedColumns<ReturnType<typeof energyColumns>> {
  constructor() {
    super(ENERGY_READINGS);
  }

  protected empty() {
    return energyColumns();
  }

  add(r: EnergyReading, ingestUs: number): void {
    const c = this.part(hourIndex(r.reading_time));
    c.household.push(r.household);
    c.reading_time.push(r.reading_time);
    c.interval_start.push(r.interval_start);
    c.interval_minutes.push(r.interval_minutes);
    c.kwh.push(r.kwh);
    c.hvac_kwh.push(r.hvac_kwh);
    c.water_heater_kwh.push(r.water_heater_kwh);
    c.kitchen_kwh.push(r.kitchen_kwh);
    c.laundry_kwh.push(r.laundry_kwh);
    c.other_kwh.push(r.other_kwh);
    c.ingest_time.push(ingestUs);
  }
}
