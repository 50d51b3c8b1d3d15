/**
 * The enriched stream (`ticklake-enriched` locally, `ticklake-<stage>-enriched`
 * in the cloud): processed results put back on a stream for other consumers, as
 * the old organisation pipeline did. One JSON record per result, written first
 * with its kind so a consumer tells records apart in O(1):
 *
 * `{"enriched":"bar_1m","key":"BTCUSDT/1793620800000000","version":412,"correction":false,"bar":{…bars_1m row}}`
 * `{"enriched":"engagement_1m","key":"music/1793620800000000","version":97,"correction":false,"aggregate":{…engagement_by_minute row}}`
 * `{"enriched":"view_interval","key":"u00042/u00042-tv/1793620800000000","version":14399001,"correction":false,"view":{…opened_at, closed_at, rows}}`
 *
 * - **Natural key.** (`enriched`, `key`) names a result: a minute bar is its
 *   symbol and minute, a category aggregate its category and window, a view
 *   its user, device and opening time. The partition key (`bar_1m/<symbol>`,
 *   `engagement_1m/<category>`, `view_interval/<user>/<device>`) keeps one
 *   series on one shard, in order.
 * - **Version.** A result may be put again: a redelivery (the stream is at least
 *   once, like the first one), a retried publish, or a correction (a late trade
 *   added to a closed minute). Its version only grows (a bar's trade count, an
 *   aggregate's view count: both are only ever added to; a view's
 *   cap minus its length: a late event only ever ends it earlier), so a consumer
 *   keeps, per key, the highest version it has seen; equal versions are the same result.
 *
 * What runs where: bars come from the bar publisher (`ticklake up`; in the cloud
 * the predict function's tick); category aggregates and views from the
 * closed-results publisher (`closed-results.ts`, bounded reads): under
 * `ticklake up` every round on DuckDB, in the cloud (`enrichedPublisher`) every
 * minute on Athena in `lambdas/enriched-publisher/handler.ts`.
 *
 * Pure.
 */
import type { BarRow } from '../core/bars.js';
import type { PutEntry } from '../ingest/stream-producer.js';
import type { EngagementWindow } from '../sources/engagement/index.js';
import { type ClosedView, MAX_INTERVAL_MS } from '../sources/viewing/index.js';

/** Name of the local enriched stream (the cloud's is `<prefix>-enriched`). */
export const ENRICHED_STREAM = 'ticklake-enriched';

/** What every enriched record starts with. */
export const ENRICHED_PREFIX = '{"enriched":"';

/** A closed minute bar (a `bars_1m` row; `minute_start` in µs). */
export interface EnrichedBar {
  readonly enriched: 'bar_1m';
  readonly key: string;
  readonly version: number;
  /** A bar published before with fewer trades. */
  readonly correction: boolean;
  readonly bar: BarRow;
}

/** A closed 1-minute window of one short-video category: an `engagement_by_minute` row (times in µs). */
export type EngagementAggregate = EngagementWindow;

/** A closed category aggregate; its version is its view count (views are only ever added to a window). */
export interface EnrichedEngagement {
  readonly enriched: 'engagement_1m';
  readonly key: string;
  readonly version: number;
  readonly correction: boolean;
  readonly aggregate: EngagementAggregate;
}

/**
 * A closed view of one device: its `view_intervals` rows (one per show airing)
 * under one key, so that a late event ending it earlier replaces them all
 * (rows past the new end included). Its version grows as it gets shorter.
 */
export interface EnrichedView {
  readonly enriched: 'view_interval';
  readonly key: string;
  readonly version: number;
  readonly correction: boolean;
  readonly view: ClosedView;
}

/** Every kind of enriched record. */
export type EnrichedRecord = EnrichedBar | EnrichedEngagement | EnrichedView;

/** The kinds this code reads (others a consumer skips: a newer producer). */
export const ENRICHED_KINDS = ['bar_1m', 'engagement_1m', 'view_interval'] as const;

/** The natural key of a bar. */
export const barKey = (b: Pick<BarRow, 'symbol' | 'minute_start'>): string => `${b.symbol}/${b.minute_start}`;

/** The stream entry of a closed bar. */
export function barEntry(bar: BarRow, correction: boolean): PutEntry {
  const record: EnrichedBar = { enriched: 'bar_1m', key: barKey(bar), version: Math.max(1, Number(bar.trade_count)), correction, bar };
  return { partitionKey: `bar_1m/${bar.symbol}`, data: JSON.stringify(record) };
}

/** The natural key of a category aggregate. */
export const engagementKey = (a: Pick<EngagementAggregate, 'category' | 'window_start'>): string => `${a.category}/${a.window_start}`;

/** The stream entry of a closed category aggregate. */
export function engagementEntry(aggregate: EngagementAggregate, correction: boolean): PutEntry {
  const record: EnrichedEngagement = {
    enriched: 'engagement_1m',
    key: engagementKey(aggregate),
    version: Math.max(1, aggregate.views),
    correction,
    aggregate,
  };
  return { partitionKey: `engagement_1m/${aggregate.category}`, data: JSON.stringify(record) };
}

/** The natural key of a view: user, device (each URI-encoded, so the key names one view) and opening time. */
export const viewKey = (v: Pick<ClosedView, 'user_id' | 'device_id' | 'opened_at'>): string =>
  `${encodeURIComponent(v.user_id)}/${encodeURIComponent(v.device_id)}/${v.opened_at}`;

/** The version of a view: 1 at the 4-hour cap, one more per millisecond it is shorter (event times are whole ms). */
export const viewVersion = (v: Pick<ClosedView, 'opened_at' | 'closed_at'>): number => MAX_INTERVAL_MS - (v.closed_at - v.opened_at) / 1000 + 1;

/** The stream entry of a closed view. */
export function viewEntry(view: ClosedView, correction: boolean): PutEntry {
  const record: EnrichedView = { enriched: 'view_interval', key: viewKey(view), version: viewVersion(view), correction, view };
  return { partitionKey: `view_interval/${view.user_id}/${view.device_id}`, data: JSON.stringify(record) };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An enriched record of a kind this code knows, or undefined (not enriched, malformed, or a kind it does not know). */
export function parseEnriched(text: string): EnrichedRecord | undefined {
  if (!text.startsWith(ENRICHED_PREFIX)) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(doc) || typeof doc.key !== 'string' || !Number.isSafeInteger(doc.version)) return undefined;
  if (doc.enriched === 'bar_1m' && isObject(doc.bar) && typeof doc.bar.symbol === 'string' && Number.isSafeInteger(doc.bar.minute_start))
    return doc as unknown as EnrichedBar;
  const a = doc.aggregate;
  if (doc.enriched === 'engagement_1m' && isObject(a) && typeof a.category === 'string' && Number.isSafeInteger(a.window_start))
    return doc as unknown as EnrichedEngagement;
  const v = doc.view;
  if (doc.enriched === 'view_interval' && isObject(v) && typeof v.user_id === 'string' && Number.isSafeInteger(v.opened_at) && Array.isArray(v.rows))
    return doc as unknown as EnrichedView;
  return undefined;
}

/** Per natural key, the record of the highest version (the first of equal ones), in first-seen order. */
export function latestByKey<R extends EnrichedRecord>(records: readonly R[]): R[] {
  const latest = new Map<string, R>();
  for (const r of records) {
    const id = `${r.enriched}\u0000${r.key}`;
    const seen = latest.get(id);
    if (!seen || r.version > seen.version) latest.set(id, r);
  }
  return [...latest.values()];
}
