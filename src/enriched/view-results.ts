/**
 * Closed TV views of the viewing source as a kind of closed result
 * (closed-results.ts): a device's view runs from the `start` or `switch` that
 * opened it to the device's next event, or 4 hours on (`MAX_INTERVAL_MS`) once
 * the latest event in the lake is past that; it carries its `view_intervals`
 * rows. Its time is when it closed (at most the watermark), its version its
 * cap less its length (a late event only ever ends it earlier).
 *
 * Exact from a bounded read: a view closing in `(after, through]` opened at
 * most 4 hours before it closed, so after `after - 4 h`, by the device's last
 * event at or before `after` or by an event in `(after, through]`; and it
 * closed at its next event, which is then in `(after, through]`, or at its
 * cap, at or before `through`. So the reader returns, per device, the events
 * at its latest (event_time, seq) in `[after - 4 h, after]` and every event in
 * `(after, through]`; the TypeScript sessionizer (src/sources/viewing/sessionize.ts)
 * derives the views from them, with `through` as the watermark.
 */
import { type ClosedView, MAX_INTERVAL_MS, Sessionizer, type ViewingEvent } from '../sources/viewing/index.js';
import type { ClosedResultKind } from './closed-results.js';
import { viewEntry, viewVersion } from './records.js';

/** The events a read of the views closing in `(afterUs, throughUs]` needs. */
export interface ViewingEventsQuery {
  /** `afterUs` less the 4-hour cap. */
  readonly lookbackUs: number;
  readonly afterUs: number;
  readonly throughUs: number;
}

/** What the view publisher reads from the lake (bounded queries; `LakeResultsReader` on DuckDB and Athena). */
export interface ViewingLakeReader {
  /** The latest `viewing_events.event_time`, µs, from the UTC day of `fromUs` on (of the whole table when undefined); undefined when there is none. */
  latestViewingTimeUs(fromUs: number | undefined): Promise<number | undefined>;
  /**
   * At least, per user and device, the events at its latest (event_time, seq)
   * in `[lookbackUs, afterUs]`, and every event in `(afterUs, throughUs]`; any
   * other event of `[lookbackUs, throughUs]` may come too (it changes nothing).
   */
  viewingEvents(q: ViewingEventsQuery): Promise<ViewingEvent[]>;
}

/** The closed views of a device, keyed as the publication rule sees them: the device is the series, the opening the start. */
export const viewSeries = (v: Pick<ClosedView, 'user_id' | 'device_id'>): string => `${v.user_id}\u0000${v.device_id}`;

/** Closed views read through `reader`. */
export function viewResults(reader: ViewingLakeReader): ClosedResultKind<ClosedView> {
  return {
    kind: 'view_interval',
    stepUs: 1,
    watermarkUs: (fromUs) => reader.latestViewingTimeUs(fromUs),
    // A view is closed once what closes it is in the lake: its next event, or its cap at or before the watermark.
    closedThroughUs: (watermarkUs) => watermarkUs,
    async closedResults(afterUs, throughUs) {
      const lookbackUs = afterUs - MAX_INTERVAL_MS * 1000;
      const events = await reader.viewingEvents({ lookbackUs, afterUs, throughUs });
      const sessionizer = new Sessionizer();
      for (const e of events) if (e.event_time >= lookbackUs && e.event_time <= throughUs) sessionizer.add(e);
      return sessionizer.closedViews(throughUs).filter((v) => v.closed_at > afterUs && v.closed_at <= throughUs);
    },
    identify: (v) => ({ series: viewSeries(v), start: v.opened_at, version: viewVersion(v) }),
    // The version says how long the view is: it closed (cap - version + 1) ms after it opened.
    timeOf: (start, version) => start + (MAX_INTERVAL_MS - version + 1) * 1000,
    entry: viewEntry,
  };
}
