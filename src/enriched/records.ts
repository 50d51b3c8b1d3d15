/**
 * The enriched stream (`ticklake-enriched` locally, `ticklake-<stage>-enriched`
 * in the cloud): processed results put back on a stream for other consumers, as
 * the old organisation pipeline did. One JSON record per result, written first
 * with its kind so a consumer tells records apart in O(1):
 *
 * `{"enriched":"bar_1m","key":"BTCUSDT/1793620800000000","version":412,"correction":false,"bar":{…bars_1m row}}`
 *
 * - **Natural key.** (`enriched`, `key`) names a result: a minute bar is its
 *   symbol and minute. The partition key (`bar_1m/<symbol>`) keeps one
 *   series on one shard, in order.
 * - **Version.** A result may be put again: a redelivery (the stream is at least
 *   once, like the first one), a retried publish, or a correction (a late trade
 *   added to a closed minute). Its version only grows (a bar's trade count:
 *   trades are only ever added), so a consumer keeps, per key, the highest
 *   version it has seen; equal versions are the same result.
 *
 * Pure.
 */
import type { BarRow } from '../core/bars.js';
import type { PutEntry } from '../ingest/stream-producer.js';

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

/** Every kind of enriched record. */
export type EnrichedRecord = EnrichedBar;

/** The kinds a consumer may meet (others it skips: a newer producer). */
export const ENRICHED_KINDS = ['bar_1m'] as const;

/** The natural key of a bar. */
export const barKey = (b: Pick<BarRow, 'symbol' | 'minute_start'>): string => `${b.symbol}/${b.minute_start}`;

/** The stream entry of a closed bar. */
export function barEntry(bar: BarRow, correction: boolean): PutEntry {
  const record: EnrichedBar = { enriched: 'bar_1m', key: barKey(bar), version: Math.max(1, Number(bar.trade_count)), correction, bar };
  return { partitionKey: `bar_1m/${bar.symbol}`, data: JSON.stringify(record) };
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
