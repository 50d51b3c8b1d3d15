/**
 * The time-series data model shared by every sink: a point is one row of one
 * measurement at one instant, identified by (measurement, tags, time).
 * Writing a point whose identity already exists replaces the fields it
 * carries (an upsert), in every sink: InfluxDB merges fields of the same
 * series and timestamp, Timestream for LiveAnalytics upserts with a higher
 * record Version, and the embedded store upserts on its primary key. Retries
 * therefore never duplicate points. Pure: no I/O.
 */

export type { FieldValue, Point } from '../core/point.js';
import type { FieldValue, Point } from '../core/point.js';

/** Why a point was not written; the caller quarantines it. */
export type RejectCode =
  /** The point breaks the data model or a store's documented limits; caught before sending. */
  | 'invalid_point'
  /** The store refused the point (its reason is in `reason`). */
  | 'rejected_by_store'
  /** A field already exists in the store with another type. */
  | 'field_type_conflict'
  /** A newer version kept winning after the allowed number of corrections. */
  | 'version_conflict'
  /** The sink has no table for the point's measurement. */
  | 'unmapped_measurement';

export interface RejectedPoint {
  /** Position of the point in the array given to `write`. */
  readonly index: number;
  readonly point: Point;
  readonly code: RejectCode;
  /** Human-readable reason, including the store's own message when it gave one. */
  readonly reason: string;
}

export interface WriteResult {
  /** Points the store accepted (including corrections re-sent with a higher version). */
  readonly written: number;
  /** Points not written, each with its reason: nothing is dropped silently. */
  readonly rejected: readonly RejectedPoint[];
  /** Requests repeated after throttling, a 5xx or a network error. */
  readonly retried: number;
  /** Records re-sent with a higher version to replace different values (Timestream LiveAnalytics). */
  readonly corrected: number;
}

export interface WriteOptions {
  /**
   * Record version for stores that version records (Timestream LiveAnalytics):
   * one for every point of the call, or one per point (e.g. a bar's trade
   * count, so a corrected bar carries a higher version and an unchanged bar
   * re-sent is the identical record). Default: the sink's clock in
   * milliseconds at the call. Other stores ignore it. See the adapter.
   */
  readonly version?: number | ((point: Point, index: number) => number);
}

/** One interface, several stores: embedded (DuckDB), Timestream LiveAnalytics, InfluxDB. */
export interface TimeSeriesSink {
  readonly kind: TimeSeriesEngine;
  /**
   * Writes points. Resolves with what was written and what was rejected (per
   * point, with a reason). Rejects (throws) only when the store cannot be
   * reached or refuses the whole request for a reason unrelated to the points
   * (credentials, missing database, retries exhausted): then nothing can be
   * said per point and the caller retries the batch later.
   */
  write(points: readonly Point[], options?: WriteOptions): Promise<WriteResult>;
  close(): Promise<void>;
}

export const TIME_SERIES_ENGINES = ['none', 'embedded', 'timestream-liveanalytics', 'timestream-influxdb'] as const;
export type TimeSeriesEngine = (typeof TIME_SERIES_ENGINES)[number];

/** Raised when a store is unavailable or misconfigured; no per-point verdict is possible. */
export class TimeSeriesWriteError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'TimeSeriesWriteError';
  }
}

const INT64_MIN = -(2n ** 63n);
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const nativeWellFormed = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed;

/** True when a string is well-formed UTF-16 (it can be encoded as UTF-8 and read back unchanged). */
export function isWellFormed(s: string): boolean {
  return nativeWellFormed ? nativeWellFormed.call(s) : !LONE_SURROGATE.test(s);
}
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Store-independent validation. Returns the first problem, or undefined when
 * the point is valid. Store adapters add their own limits on top.
 */
export function pointProblem(p: Point): string | undefined {
  if (typeof p.measurement !== 'string' || p.measurement.length === 0) return 'measurement name is empty';
  if (!isWellFormed(p.measurement)) return 'measurement name is not well-formed Unicode';
  if (!Number.isSafeInteger(p.time)) return `time ${String(p.time)} is not an integer number of microseconds`;
  if (p.nanos !== undefined && !(Number.isInteger(p.nanos) && p.nanos >= 0 && p.nanos <= 999)) {
    return `nanos ${String(p.nanos)} is not an integer in 0-999`;
  }
  for (const [k, v] of Object.entries(p.tags)) {
    if (k.length === 0) return 'a tag key is empty';
    if (typeof v !== 'string') return `tag ${k} is not a string`;
    if (!isWellFormed(k) || !isWellFormed(v)) return `tag ${k} is not well-formed Unicode`;
  }
  const fields = Object.entries(p.fields);
  if (fields.length === 0) return 'a point needs at least one field';
  for (const [k, v] of fields) {
    if (k.length === 0) return 'a field key is empty';
    if (!isWellFormed(k)) return `field key ${k} is not well-formed Unicode`;
    if (k in p.tags && p.tags[k] !== '') return `"${k}" is both a tag and a field`;
    switch (typeof v) {
      case 'number':
        if (!Number.isFinite(v)) return `field ${k} is ${String(v)}, not a finite number`;
        break;
      case 'bigint':
        if (v < INT64_MIN || v > INT64_MAX) return `field ${k} is outside the signed 64-bit integer range`;
        break;
      case 'boolean':
        break;
      case 'string':
        if (!isWellFormed(v)) return `field ${k} is not well-formed Unicode`;
        break;
      default:
        return `field ${k} has unsupported type ${typeof v}`;
    }
  }
  return undefined;
}

/** Tags with empty values removed, sorted by key (the canonical tag set). */
export function canonicalTags(tags: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(tags)
    .filter(([, v]) => v !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Time of a point in nanoseconds since the epoch. */
export function timeNs(p: Pick<Point, 'time' | 'nanos'>): bigint {
  return BigInt(p.time) * 1000n + BigInt(p.nanos ?? 0);
}

/** Type name of a field value as the stores call it. */
export function fieldType(v: FieldValue): 'float' | 'integer' | 'boolean' | 'string' {
  switch (typeof v) {
    case 'number':
      return 'float';
    case 'bigint':
      return 'integer';
    case 'boolean':
      return 'boolean';
    default:
      return 'string';
  }
}
