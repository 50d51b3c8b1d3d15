/**
 * Time-series sink for Amazon Timestream for LiveAnalytics (WriteRecords).
 *
 * - One multi-measure record per point (MeasureValueType MULTI): dimensions
 *   are the point's tags, MeasureName is the measurement, the fields are the
 *   measure values (float DOUBLE, integer BIGINT, boolean BOOLEAN, string
 *   VARCHAR). Each measurement goes to its own table (`tables` mapping).
 * - At most 100 records per WriteRecords call (the service limit), calls in
 *   parallel up to `maxParallel`.
 * - RejectedRecordsException is handled per record, by reason. The records
 *   not listed were ingested. A record listed with `ExistingVersion` collided
 *   with a stored record of the same dimensions, time and measure name but
 *   other values and a version at least ours: it is re-sent with
 *   Version = ExistingVersion + 1, which Timestream applies as an upsert
 *   (API reference, RejectedRecord / WriteRecords "Upserts"). Every other
 *   reason (outside the memory-store retention, schema limits, ...) comes
 *   back as a rejected point with Timestream's reason, for the caller to
 *   quarantine. Points that cannot be valid records are rejected before
 *   sending. A ValidationException for a whole request is narrowed down by
 *   splitting the request until the offending record is alone.
 * - ThrottlingException, InternalServerException, 5xx and network errors are
 *   retried with exponential backoff and full jitter, at most
 *   `retry.maxRetries` times per request; then the write throws
 *   TimeSeriesWriteError(retryable) and the caller retries its batch later.
 *   Construct the client with `maxAttempts: 1` (as the factory does) so
 *   that this is the only retry layer.
 *
 * Versions: by default every record of one `write` call carries
 * Version = the sink's clock in epoch milliseconds at the call (the ingest
 * time), so a later write of the same point, e.g. a corrected bar, has a
 * higher version and replaces the stored one, and a retry of an identical
 * record is accepted as a duplicate. A caller that wants retries to send
 * byte-identical requests passes `version` explicitly: one number (e.g. the
 * stream record's arrival time in ms) or a function of the point (minute
 * bars use their trade count, `src/timeseries/bar-publication.ts`).
 * Timestream rejects a record only when its values differ from the stored
 * ones and its version is not higher (API reference, RejectedRecord), so an
 * identical record re-sent with the same version is accepted and changes
 * nothing. Versions only grow: a correction sets
 * ExistingVersion + 1, so the most recent write wins, as in InfluxDB and the
 * embedded store. Note that for records already in the magnetic store,
 * Timestream reports lower-version conflicts asynchronously (to the table's
 * rejected-data S3 location), not in the response.
 */
import { RejectedRecordsException, WriteRecordsCommand, type _Record, type MeasureValue, type TimestreamWriteClient } from '@aws-sdk/client-timestream-write';
import {
  canonicalTags,
  pointProblem,
  timeNs,
  TimeSeriesWriteError,
  type FieldValue,
  type Point,
  type RejectedPoint,
  type TimeSeriesSink,
  type WriteOptions,
  type WriteResult,
} from '../../../timeseries/point.js';
import { MEASUREMENT_TABLES } from '../../../timeseries/measurements.js';
import { backoffDelayMs, DEFAULT_RETRY, mapBounded, sleep, type RetryPolicy } from '../../../timeseries/retry.js';

/** WriteRecords accepts at most 100 records per call. */
export const MAX_RECORDS_PER_CALL = 100;

/** Default measurement -> table mapping (tables of the time-series stack). */
export const DEFAULT_TABLES: Readonly<Record<string, string>> = MEASUREMENT_TABLES;

export interface LiveAnalyticsSinkOptions {
  readonly client: Pick<TimestreamWriteClient, 'send'>;
  readonly database: string;
  /** Measurement -> table. Points of other measurements are rejected (`unmapped_measurement`). */
  readonly tables?: Readonly<Record<string, string>>;
  /** WriteRecords calls in flight at once (default 4). */
  readonly maxParallel?: number;
  /** Records per call, 1-100 (default 100). */
  readonly recordsPerCall?: number;
  readonly retry?: Partial<RetryPolicy>;
  /** Re-sends with a higher version per record before giving up (default 3). */
  readonly maxCorrections?: number;
  /** Epoch milliseconds; the default record version. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Called by `close` (e.g. to destroy a client the sink owns). */
  readonly onClose?: () => void;
}

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** Names Timestream reserves for its own columns. */
function reservedName(name: string): boolean {
  const n = name.toLowerCase();
  return n === 'time' || n === 'measure_name' || n.startsWith('ts_') || n.startsWith('measure_value');
}

/** Problems that keep a point from being a valid multi-measure record (Timestream quotas), or undefined. */
export function liveAnalyticsProblem(p: Point): string | undefined {
  const base = pointProblem(p);
  if (base) return base;
  if (p.time < 0) return 'time before 1970 cannot be written to Timestream';
  if (utf8(p.measurement) > 256) return 'measure name longer than 256 bytes';
  const dims = canonicalTags(p.tags);
  if (dims.length > 128) return 'more than 128 dimensions';
  for (const [k, v] of dims) {
    if (utf8(k) > 60) return `dimension name ${k} longer than 60 bytes`;
    if (reservedName(k)) return `dimension name ${k} is reserved by Timestream`;
    if (utf8(v) > 2048) return `dimension ${k} longer than 2 KB`;
  }
  const fields = Object.entries(p.fields);
  if (fields.length > 256) return 'more than 256 measures in one record';
  for (const [k, v] of fields) {
    if (utf8(k) > 256) return `measure name ${k} longer than 256 bytes`;
    if (reservedName(k)) return `measure name ${k} is reserved by Timestream`;
    if (typeof v === 'string' && utf8(v) > 2048) return `measure ${k} longer than 2 KB`;
  }
  return undefined;
}

function measureValue(name: string, v: FieldValue): MeasureValue {
  switch (typeof v) {
    case 'number':
      return { Name: name, Value: String(v), Type: 'DOUBLE' };
    case 'bigint':
      return { Name: name, Value: v.toString(), Type: 'BIGINT' };
    case 'boolean':
      return { Name: name, Value: v ? 'true' : 'false', Type: 'BOOLEAN' };
    default:
      return { Name: name, Value: v, Type: 'VARCHAR' };
  }
}

/** The multi-measure record of a point. */
export function toRecord(p: Point, version: number): _Record {
  const nanos = (p.nanos ?? 0) !== 0;
  return {
    Dimensions: canonicalTags(p.tags).map(([Name, Value]) => ({ Name, Value })),
    MeasureName: p.measurement,
    MeasureValueType: 'MULTI',
    MeasureValues: Object.entries(p.fields).map(([k, v]) => measureValue(k, v)),
    Time: nanos ? timeNs(p).toString() : String(p.time),
    TimeUnit: nanos ? 'NANOSECONDS' : 'MICROSECONDS',
    Version: version,
  };
}

interface Pending {
  readonly index: number;
  readonly point: Point;
  record: _Record;
  corrections: number;
}

interface Outcome {
  written: number;
  retried: number;
  corrected: number;
  rejected: RejectedPoint[];
}

const RETRYABLE_NAMES = new Set([
  'ThrottlingException',
  'InternalServerException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET']);

export function isRetryableAwsError(e: unknown): boolean {
  const err = e as { name?: string; code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (!err || typeof err !== 'object') return false;
  if (err.name && RETRYABLE_NAMES.has(err.name)) return true;
  if (err.code && RETRYABLE_CODES.has(err.code)) return true;
  if (err.$retryable) return true;
  const status = err.$metadata?.httpStatusCode ?? 0;
  return status === 429 || status >= 500;
}

export class LiveAnalyticsSink implements TimeSeriesSink {
  readonly kind = 'timestream-liveanalytics' as const;
  private readonly tables: Readonly<Record<string, string>>;
  private readonly maxParallel: number;
  private readonly perCall: number;
  private readonly retry: RetryPolicy;
  private readonly maxCorrections: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly options: LiveAnalyticsSinkOptions) {
    this.tables = options.tables ?? DEFAULT_TABLES;
    this.maxParallel = Math.max(1, options.maxParallel ?? 4);
    this.perCall = Math.min(MAX_RECORDS_PER_CALL, Math.max(1, options.recordsPerCall ?? MAX_RECORDS_PER_CALL));
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.maxCorrections = options.maxCorrections ?? 3;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleep;
    this.random = options.random ?? Math.random;
  }

  async write(points: readonly Point[], options: WriteOptions = {}): Promise<WriteResult> {
    const fixed = typeof options.version === 'function' ? undefined : (options.version ?? this.now());
    const validVersion = (v: number) => Number.isSafeInteger(v) && v >= 1;
    if (fixed !== undefined && !validVersion(fixed)) throw new TimeSeriesWriteError(`invalid record version ${fixed}`, false);
    const versionOf = typeof options.version === 'function' ? options.version : () => fixed!;
    const rejected: RejectedPoint[] = [];
    const byTable = new Map<string, Pending[]>();
    points.forEach((point, index) => {
      const table = this.tables[point.measurement];
      if (table === undefined) {
        rejected.push({ index, point, code: 'unmapped_measurement', reason: `no Timestream table for measurement ${point.measurement}` });
        return;
      }
      const version = versionOf(point, index);
      const problem = liveAnalyticsProblem(point) ?? (validVersion(version) ? undefined : `invalid record version ${version}`);
      if (problem) {
        rejected.push({ index, point, code: 'invalid_point', reason: problem });
        return;
      }
      const list = byTable.get(table) ?? [];
      list.push({ index, point, record: toRecord(point, version), corrections: 0 });
      byTable.set(table, list);
    });

    const chunks: { table: string; items: Pending[] }[] = [];
    for (const [table, items] of byTable) {
      for (let i = 0; i < items.length; i += this.perCall) chunks.push({ table, items: items.slice(i, i + this.perCall) });
    }
    const outcomes = await mapBounded(chunks, this.maxParallel, (c) => this.sendChunk(c.table, c.items));
    let written = 0;
    let retried = 0;
    let corrected = 0;
    for (const o of outcomes) {
      written += o.written;
      retried += o.retried;
      corrected += o.corrected;
      rejected.push(...o.rejected);
    }
    rejected.sort((a, b) => a.index - b.index);
    return { written, rejected, retried, corrected };
  }

  /** Sends one chunk (≤ 100 records), then its corrections, until every record is written or rejected. */
  private async sendChunk(table: string, items: Pending[]): Promise<Outcome> {
    const outcome: Outcome = { written: 0, retried: 0, corrected: 0, rejected: [] };
    let queue = items;
    while (queue.length > 0) {
      const resend: Pending[] = [];
      await this.sendRequest(table, queue, outcome, resend);
      queue = resend;
    }
    return outcome;
  }

  private async sendRequest(table: string, items: Pending[], outcome: Outcome, resend: Pending[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.options.client.send(new WriteRecordsCommand({ DatabaseName: this.options.database, TableName: table, Records: items.map((i) => i.record) }));
        outcome.written += items.length;
        return;
      } catch (error) {
        if (error instanceof RejectedRecordsException || (error as Error)?.name === 'RejectedRecordsException') {
          this.handleRejections(items, (error as RejectedRecordsException).RejectedRecords ?? [], outcome, resend);
          return;
        }
        if ((error as Error)?.name === 'ValidationException') {
          if (items.length === 1) {
            const item = items[0]!;
            outcome.rejected.push({ index: item.index, point: item.point, code: 'rejected_by_store', reason: (error as Error).message });
            return;
          }
          const half = Math.ceil(items.length / 2);
          await this.sendRequest(table, items.slice(0, half), outcome, resend);
          await this.sendRequest(table, items.slice(half), outcome, resend);
          return;
        }
        if (!isRetryableAwsError(error)) {
          throw new TimeSeriesWriteError(`Timestream WriteRecords to ${this.options.database}.${table} failed: ${(error as Error)?.message}`, false, error);
        }
        if (attempt >= this.retry.maxRetries) {
          throw new TimeSeriesWriteError(
            `Timestream WriteRecords to ${this.options.database}.${table} still failing after ${attempt + 1} attempts: ${(error as Error)?.message}`,
            true,
            error,
          );
        }
        outcome.retried++;
        await this.sleep(backoffDelayMs(attempt, this.retry, this.random));
      }
    }
  }

  private handleRejections(
    items: Pending[],
    list: readonly { RecordIndex?: number; Reason?: string; ExistingVersion?: number }[],
    outcome: Outcome,
    resend: Pending[],
  ): void {
    const byIndex = new Map<number, (typeof list)[number]>();
    for (const r of list) if (r.RecordIndex !== undefined && r.RecordIndex < items.length) byIndex.set(r.RecordIndex, r);
    if (byIndex.size === 0) {
      // A rejection without usable indexes: nothing can be assumed ingested.
      for (const item of items) {
        outcome.rejected.push({
          index: item.index,
          point: item.point,
          code: 'rejected_by_store',
          reason: list[0]?.Reason ?? 'rejected without a record index',
        });
      }
      return;
    }
    items.forEach((item, i) => {
      const r = byIndex.get(i);
      if (!r) {
        outcome.written++;
        return;
      }
      const reason = r.Reason ?? 'rejected by Timestream';
      if (r.ExistingVersion !== undefined && r.ExistingVersion !== null) {
        if (item.corrections >= this.maxCorrections) {
          outcome.rejected.push({
            index: item.index,
            point: item.point,
            code: 'version_conflict',
            reason: `${reason} (still conflicting after ${item.corrections} re-sends; existing version ${r.ExistingVersion})`,
          });
          return;
        }
        item.corrections++;
        item.record = { ...item.record, Version: Number(r.ExistingVersion) + 1 };
        outcome.corrected++;
        resend.push(item);
        return;
      }
      outcome.rejected.push({ index: item.index, point: item.point, code: 'rejected_by_store', reason });
    });
  }

  async close(): Promise<void> {
    this.options.onClose?.();
  }
}
