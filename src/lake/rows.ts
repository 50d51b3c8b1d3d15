/**
 * Column builders, one set of arrays per hour partition. Hand-specialised (one
 * array per column, fixed property names) because this is the per-record hot
 * path; the Parquet encoder still maps every column through `glue-schemas/`, and
 * a test checks each builder produces exactly the declared columns. The two
 * tables every source shares (`raw_events`, `quarantine`) are built here; each
 * source builds its own tables' rows in its folder on {@link PartitionedColumns}.
 */
import type { RecordOrigin } from '../core/origin.js';
import type { Rejection } from '../core/reasons.js';
import { dateOfDay, type HourPartition, US_PER_HOUR } from '../core/time.js';
import type { ColumnInput } from './parquet.js';
import { QUARANTINE, RAW_EVENTS, type TableSchema } from './table-schema.js';
import { PlainByteArrays } from './parquet/plain-byte-arrays.js';

export type { RecordOrigin } from '../core/origin.js';

/** Hours since the epoch: the partition index of a microsecond timestamp. */
export function hourIndex(timeUs: number): number {
  return Math.floor(timeUs / US_PER_HOUR);
}

export function partitionOfHourIndex(h: number): HourPartition {
  return { dt: dateOfDay(Math.floor(h / 24)), hour: ((h % 24) + 24) % 24 };
}

/** One hour partition's column arrays, ready for the Parquet encoder. */
export interface PartitionColumns {
  readonly partition: HourPartition;
  readonly columns: Readonly<Record<string, ColumnInput>>;
}

/** Column arrays per hour partition; subclasses add rows with fixed property names. */
export abstract class PartitionedColumns<C extends Record<string, unknown[] | PlainByteArrays>> {
  private readonly parts = new Map<number, C>();
  rows = 0;

  /** @param table the table these rows belong to (its schema encodes them) */
  constructor(readonly table: TableSchema) {}

  protected abstract empty(): C;

  private lastHour = NaN;
  private last: C | undefined;

  protected part(hour: number): C {
    this.rows++;
    // Consecutive records almost always share an hour: skip the map lookup then.
    if (hour === this.lastHour) return this.last!;
    let c = this.parts.get(hour);
    if (c === undefined) {
      c = this.empty();
      this.parts.set(hour, c);
    }
    this.lastHour = hour;
    this.last = c;
    return c;
  }

  /** Partitions and their column arrays, in first-seen order. */
  partitions(): PartitionColumns[] {
    return [...this.parts.entries()].map(([h, columns]) => ({ partition: partitionOfHourIndex(h), columns: columns as Record<string, ColumnInput> }));
  }
}

function rawColumns() {
  return {
    stream_name: [] as string[],
    shard_id: [] as string[],
    sequence_number: [] as string[],
    partition_key: [] as string[],
    arrival_time: [] as number[],
    data: new PlainByteArrays(),
    ingest_time: [] as number[],
  };
}

/** `raw_events` rows, partitioned by the hour of arrival. */
export class RawRows extends PartitionedColumns<ReturnType<typeof rawColumns>> {
  constructor() {
    super(RAW_EVENTS);
  }

  protected empty() {
    return rawColumns();
  }

  /**
   * Adds the record whose payload `base64` encodes, decoding it straight into
   * the `data` column, and returns the payload as text (U+FFFD for bytes that
   * are not UTF-8, which is also what is stored).
   */
  addBase64(o: RecordOrigin, base64: string, ingestUs: number): string {
    const c = this.part(hourIndex(o.arrivalUs));
    c.stream_name.push(o.streamName);
    c.shard_id.push(o.shardId);
    c.sequence_number.push(o.sequenceNumber);
    c.partition_key.push(o.partitionKey);
    c.arrival_time.push(o.arrivalUs);
    c.ingest_time.push(ingestUs);
    return c.data.appendBase64(base64);
  }
}

function quarantineColumns() {
  return {
    source: [] as string[],
    reason_code: [] as string[],
    reason_message: [] as string[],
    raw_payload: [] as string[],
    stream_name: [] as string[],
    shard_id: [] as string[],
    sequence_number: [] as string[],
    partition_key: [] as string[],
    arrival_time: [] as number[],
    ingest_time: [] as number[],
  };
}

/** `quarantine` rows, partitioned by the hour they were processed. */
export class QuarantineRows extends PartitionedColumns<ReturnType<typeof quarantineColumns>> {
  constructor() {
    super(QUARANTINE);
  }

  protected empty() {
    return quarantineColumns();
  }

  add(o: RecordOrigin, source: string, rejection: Rejection, payload: string, ingestUs: number): void {
    const c = this.part(hourIndex(ingestUs));
    c.source.push(source);
    c.reason_code.push(rejection.code);
    c.reason_message.push(rejection.message);
    c.raw_payload.push(payload);
    c.stream_name.push(o.streamName);
    c.shard_id.push(o.shardId);
    c.sequence_number.push(o.sequenceNumber);
    c.partition_key.push(o.partitionKey);
    c.arrival_time.push(o.arrivalUs);
    c.ingest_time.push(ingestUs);
  }
}
