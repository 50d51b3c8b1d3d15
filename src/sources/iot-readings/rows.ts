/** `iot_readings` column builders (hand-specialised, see src/lake/rows.ts). */
import { hourIndex, PartitionedColumns } from '../../lake/rows.js';
import type { IotReading } from './reading.js';
import { IOT_READINGS } from './tables.js';

function iotReadingColumns() {
  return {
    device_id: [] as string[],
    seq: [] as number[],
    reading_time: [] as number[],
    temperature_c: [] as number[],
    humidity_pct: [] as number[],
    battery_v: [] as number[],
    topic: [] as string[],
    received_at: [] as (number | null)[],
    ingest_time: [] as number[],
  };
}

/** `iot_readings` rows, partitioned by the hour of reading_time. */
export class IotReadingRows extends PartitionedColumns<ReturnType<typeof iotReadingColumns>> {
  constructor() {
    super(IOT_READINGS);
  }

  protected empty() {
    return iotReadingColumns();
  }

  add(r: IotReading, ingestUs: number): void {
    const c = this.part(hourIndex(r.reading_time));
    c.device_id.push(r.device_id);
    c.seq.push(r.seq);
    c.reading_time.push(r.reading_time);
    c.temperature_c.push(r.temperature_c);
    c.humidity_pct.push(r.humidity_pct);
    c.battery_v.push(r.battery_v);
    c.topic.push(r.topic);
    c.received_at.push(r.received_at);
    c.ingest_time.push(ingestUs);
  }
}
