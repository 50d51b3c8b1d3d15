/**
 * A time-series point: one row of one measurement at one instant, identified by
 * (measurement, tags, time). Sources build them from their records; the sinks
 * (src/timeseries/, src/adapters/) write them. Pure.
 */

/**
 * A field value. `number` is a 64-bit float, `bigint` a signed 64-bit integer
 * (InfluxDB `i` suffix, Timestream BIGINT, DuckDB BIGINT), so a field keeps
 * one type from point to point, as InfluxDB and Timestream require.
 */
export type FieldValue = number | bigint | boolean | string;

export interface Point {
  /** Measurement name (InfluxDB measurement, Timestream measure_name, embedded table). */
  readonly measurement: string;
  /** Indexed string dimensions; an empty value means "no such tag" and is left out. */
  readonly tags: Readonly<Record<string, string>>;
  /** At least one field. */
  readonly fields: Readonly<Record<string, FieldValue>>;
  /** Microseconds since the Unix epoch (UTC), a safe integer. */
  readonly time: number;
  /**
   * Sub-microsecond part of the timestamp, 0-999 ns (default 0). Used to keep
   * points that share a microsecond apart, e.g. trades of the same millisecond
   * (see `tradePoint`). Sinks write nanosecond precision when a point has it.
   */
  readonly nanos?: number;
}
