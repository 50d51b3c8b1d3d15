/**
 * Puts closed view intervals of the viewing source on the enriched stream: per
 * device, each view from the start or switch that opened it to the device's
 * next event (or the 4-hour cap, once the latest event in the lake is past it),
 * with its `view_intervals` rows. The TypeScript sessionizer
 * (src/sources/viewing/sessionize.ts) derives them from every event in the
 * lake; a view is put once, and again with a higher version when a late event
 * ends it earlier (src/enriched/records.ts).
 */
import { viewEntry, viewVersion } from '../enriched/records.js';
import type { StreamProducer } from '../ingest/stream-producer.js';
import type { ViewingEvent } from '../sources/viewing/event.js';
import { type ClosedView, Sessionizer } from '../sources/viewing/sessionize.js';
import { publishVersioned, type VersionedPublishResult } from './enriched-publisher.js';
import type { LakeSql } from './lake-sql.js';

export interface ViewPublishOptions {
  readonly sql: LakeSql;
  readonly enriched: StreamProducer;
  /** Where published views are remembered between runs. */
  readonly statePath: string;
}

/** Publishes the views that closed (or changed) since the last run. */
export async function publishClosedViews(o: ViewPublishOptions): Promise<VersionedPublishResult> {
  const r = await o.sql.query(
    'SELECT epoch_us(event_time) AS event_time, seq, user_id, device_id, device_type, location, event_type, channel FROM viewing_events',
  );
  const sessionizer = new Sessionizer();
  let watermarkUs = Number.NEGATIVE_INFINITY;
  for (const [time, seq, user_id, device_id, device_type, location, event_type, channel] of r.rows) {
    const event_time = Number(time);
    sessionizer.add({
      event_time,
      seq: Number(seq),
      user_id: String(user_id),
      device_id: String(device_id),
      device_type: String(device_type),
      location: String(location),
      event_type: String(event_type) as ViewingEvent['event_type'],
      channel: String(channel),
    });
    watermarkUs = Math.max(watermarkUs, event_time);
  }
  return publishViews(o.enriched, o.statePath, sessionizer.closedViews(watermarkUs));
}

/** Puts the closed views that are new or changed (the publication rule's identity: the device as the series, the opening as the start). */
export function publishViews(enriched: StreamProducer, statePath: string, views: readonly ClosedView[]): Promise<VersionedPublishResult> {
  const identified = views.map((view) => ({
    symbol: `${view.user_id}\u0000${view.device_id}`,
    minute_start: view.opened_at,
    trade_count: viewVersion(view),
    view,
  }));
  return publishVersioned(enriched, statePath, identified, (v, correction) => viewEntry(v.view, correction));
}
