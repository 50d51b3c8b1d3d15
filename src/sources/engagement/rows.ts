/** `engagement_events` and `engagement_partials` column builders (hand-specialised, see src/lake/rows.ts). */
import { hourIndex, PartitionedColumns } from '../../lake/rows.js';
import type { EngagementPartial } from './aggregate.js';
import type { EngagementEvent } from './event.js';
import { ENGAGEMENT_EVENTS, ENGAGEMENT_PARTIALS } from './tables.js';

function eventColumns() {
  return {
    event_time: [] as number[],
    user_id: [] as string[],
    video_id: [] as string[],
    category: [] as string[],
    watch_time: [] as number[],
    liked: [] as boolean[],
    ingest_time: [] as number[],
  };
}

/** `engagement_events` rows, partitioned by the hour of event_time. */
export class EngagementEventRows extends PartitionedColumns<ReturnType<typeof eventColumns>> {
  constructor() {
    super(ENGAGEMENT_EVENTS);
  }

  protected empty() {
    return eventColumns();
  }

  add(e: EngagementEvent, ingestUs: number): void {
    const c = this.part(hourIndex(e.event_time));
    c.event_time.push(e.event_time);
    c.user_id.push(e.user_id);
    c.video_id.push(e.video_id);
    c.category.push(e.category);
    c.watch_time.push(e.watch_time);
    c.liked.push(e.liked);
    c.ingest_time.push(ingestUs);
  }
}

function partialColumns() {
  return {
    window_start: [] as number[],
    category: [] as string[],
    views: [] as number[],
    likes: [] as number[],
    sum_watch_time_ms: [] as number[],
    max_watch_time_ms: [] as number[],
    batch_id: [] as string[],
  };
}

/** `engagement_partials` rows of one batch, partitioned by the hour of window_start. */
export class EngagementPartialRows extends PartitionedColumns<ReturnType<typeof partialColumns>> {
  constructor() {
    super(ENGAGEMENT_PARTIALS);
  }

  protected empty() {
    return partialColumns();
  }

  add(p: EngagementPartial, batchId: string): void {
    const c = this.part(hourIndex(p.window_start));
    c.window_start.push(p.window_start);
    c.category.push(p.category);
    c.views.push(p.views);
    c.likes.push(p.likes);
    c.sum_watch_time_ms.push(p.sum_watch_time_ms);
    c.max_watch_time_ms.push(p.max_watch_time_ms);
    c.batch_id.push(batchId);
  }
}
