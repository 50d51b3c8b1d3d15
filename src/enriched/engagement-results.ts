/**
 * Closed 1-minute short-video category aggregates (`engagement_by_minute`
 * rows) as a kind of closed result (closed-results.ts): a window is closed once
 * the latest view in the lake is the allowed lateness past its end (the bar
 * rule, src/timeseries/bar-publication.ts); its version is its view count
 * (views are only ever added to a window), its time its start.
 */
import { DEFAULT_ALLOWED_LATENESS_SECONDS, lastClosedMinuteUs, MINUTE_US } from '../timeseries/bar-publication.js';
import type { ClosedResultKind } from './closed-results.js';
import { type EngagementAggregate, engagementEntry } from './records.js';

/** What the engagement publisher reads from the lake (bounded queries; `LakeResultsReader` on DuckDB and Athena). */
export interface EngagementLakeReader {
  /** The latest `engagement_events.event_time`, µs, from the UTC day of `fromUs` on (of the whole table when undefined); undefined when there is none. */
  latestEngagementTimeUs(fromUs: number | undefined): Promise<number | undefined>;
  /** The `engagement_by_minute` rows whose window starts in `(afterUs, throughUs]`, by window then category. */
  engagementWindows(afterUs: number, throughUs: number): Promise<EngagementAggregate[]>;
}

/** Closed category minutes read through `reader`. */
export function engagementResults(
  reader: EngagementLakeReader,
  allowedLatenessSeconds = DEFAULT_ALLOWED_LATENESS_SECONDS,
): ClosedResultKind<EngagementAggregate> {
  return {
    kind: 'engagement_1m',
    stepUs: MINUTE_US,
    watermarkUs: (fromUs) => reader.latestEngagementTimeUs(fromUs),
    closedThroughUs: (watermarkUs) => lastClosedMinuteUs(watermarkUs, allowedLatenessSeconds),
    async closedResults(afterUs, throughUs) {
      const windows = await reader.engagementWindows(afterUs, throughUs);
      return windows.filter((w) => w.window_start > afterUs && w.window_start <= throughUs);
    },
    identify: (a) => ({ series: a.category, start: a.window_start, version: a.views }),
    timeOf: (start) => start,
    entry: engagementEntry,
  };
}
