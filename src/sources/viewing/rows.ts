/** `viewing_events` column builders (hand-specialised, see src/lake/rows.ts). */
import { hourIndex, PartitionedColumns } from '../../lake/rows.js';
import type { ViewingEvent } from './event.js';
import { VIEWING_EVENTS } from './tables.js';

function eventColumns() {
  return {
    event_time: [] as number[],
    user_id: [] as string[],
    device_id: [] as string[],
    device_type: [] as string[],
    location: [] as string[],
    event_type: [] as string[],
    channel: [] as string[],
    seq: [] as number[],
    ingest_time: [] as number[],
  };
}

/** `viewing_events` rows, partitioned by the hour of event_time. */
export class ViewingEventRows extends PartitionedColumns<ReturnType<typeof eventColumns>> {
  constructor() {
    super(VIEWING_EVENTS);
  }

  protected empty() {
    return eventColumns();
  }

  add(e: ViewingEvent, ingestUs: number): void {
    const c = this.part(hourIndex(e.event_time));
    c.event_time.push(e.event_time);
    c.user_id.push(e.user_id);
    c.device_id.push(e.device_id);
    c.device_type.push(e.device_type);
    c.location.push(e.location);
    c.event_type.push(e.event_type);
    c.channel.push(e.channel);
    c.seq.push(e.seq);
    c.ingest_time.push(ingestUs);
  }
}
