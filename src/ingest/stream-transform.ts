/**
 * The stream transform: Kinesis records in, Parquet objects of `raw_events`,
 * `quarantine` and each source's tables out, partial batch response back. It
 * knows no source: a {@link SourceRouter} built from the registry hands each
 * record to its source's batch, which parses, validates and builds rows. This is the code the Lambda
 * entry point (`lambdas/stream-transform/handler.ts`) and the local runtime both
 * run; only the injected {@link ObjectStore} differs.
 *
 * Delivery semantics (Kinesis is at-least-once):
 * - An invalid record is quarantined with its reason and is NOT reported as a
 *   failure, so it never blocks the shard.
 * - A record whose processing throws (an unexpected, possibly transient fault) is
 *   reported in `batchItemFailures`. Lambda resumes from the lowest reported
 *   sequence number, so only the records *before* it are written; everything
 *   from it on is redelivered and written by the retry.
 * - Object keys are `<shardId>-<firstSeq>-<lastSeq>.parquet` of the records
 *   written: a redelivered identical batch overwrites its own objects.
 * - A retry need not be identical: after a function error Lambda bisects the
 *   batch, and a partial failure shortens it. Each batch therefore leaves a
 *   small marker, `_batches/<stream>/<shardId>/<firstSeq>.json`, listing the
 *   objects it writes (updated before they are written, so an invocation
 *   killed mid-write is listed too); a later batch starting at the same record
 *   deletes the objects of the earlier attempt it supersedes (in every
 *   partition they touched) after writing its own. A superset file can never
 *   stay beside its subsets, so rows are not doubled.
 * - If writing fails, the objects this invocation already wrote are deleted
 *   (best effort) and the error is rethrown so the whole batch is retried.
 */
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { RecordOrigin } from '../core/origin.js';
import { reject } from '../core/reasons.js';
import type { Quarantined, SourceBatch, SourceDefinition, TableRows } from '../sources/contract.js';
import { SOURCES } from '../sources/index.js';
import { lakeKey } from '../lake/layout.js';
import type { ObjectStore } from '../lake/object-store.js';
import { encodeParquet } from '../lake/parquet.js';
import { QuarantineRows, RawRows } from '../lake/rows.js';
import { batchMarkerKey } from '../lake/layout.js';
import { KinesisBatchProcessor } from './kinesis-batch-processor.js';
import { SourceRouter, UNREGISTERED } from './source-router.js';

/** What one invocation did for one source. */
export interface SourceCounts {
  /** Records routed to the source. */
  readonly records: number;
  /** Rows it wrote, over all its tables. */
  readonly rows: number;
  readonly quarantined: number;
}

/** What one invocation did (for metrics and the local runtime's summary). */
export interface BatchSummary {
  readonly records: number;
  /** Rows written per table (tables without rows are absent). */
  readonly rowsByTable: Readonly<Record<string, number>>;
  /** Per source id, for the sources that had records. */
  readonly bySource: Readonly<Record<string, SourceCounts>>;
  readonly quarantined: number;
  readonly quarantinedByReason: Readonly<Record<string, number>>;
  /** Records reported back as failed (to be redelivered). */
  readonly failed: number;
  readonly objectsWritten: number;
  readonly bytesWritten: number;
}

/** Minimal logger shape (Powertools Logger satisfies it). */
export interface TransformLogger {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

export interface StreamTransformDeps {
  readonly lake: ObjectStore;
  /** Processing clock in ms since epoch (default `Date.now`). */
  readonly clock?: () => number;
  readonly logger?: TransformLogger;
  /** Called once per invocation after the objects are written. */
  readonly onBatch?: (summary: BatchSummary) => void;
  /** The sources records are routed to (default: the registry). */
  readonly sources?: readonly SourceDefinition[];
}

export type StreamTransformHandler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>;

/** `arn:aws:kinesis:region:acct:stream/NAME` -> `NAME`. */
export function streamNameOf(arn: string | undefined): string {
  if (!arn) return 'unknown';
  const i = arn.lastIndexOf('stream/');
  return i >= 0 ? arn.slice(i + 7) : arn;
}

/** `shardId-000000000001:4959...` -> `shardId-000000000001`. */
export function shardIdOf(eventId: string | undefined): string {
  if (!eventId) return 'shardId-unknown';
  const i = eventId.indexOf(':');
  return i >= 0 ? eventId.slice(0, i) : eventId;
}

/** One invocation's records: raw and quarantine rows, and a batch per source that had records. */
class BatchAccumulator {
  readonly quarantine = new QuarantineRows();
  readonly raw = new RawRows();
  readonly batches: (SourceBatch | undefined)[];
  readonly records: number[];
  readonly quarantined: number[];
  readonly byReason: Record<string, number> = {};
  private lastArn: string | undefined;
  private lastStream = '';
  private lastShard = '\u0000';

  constructor(
    private readonly ingestUs: number,
    private readonly sources: readonly SourceDefinition[],
    private readonly router: SourceRouter,
  ) {
    this.batches = sources.map(() => undefined);
    this.records = sources.map(() => 0);
    this.quarantined = sources.map(() => 0);
  }

  add(record: KinesisStreamRecord): void {
    const k = record.kinesis;
    if (typeof k?.data !== 'string') throw new TypeError('record has no base64 data');
    if (record.eventSourceARN !== this.lastArn) {
      this.lastArn = record.eventSourceARN;
      this.lastStream = streamNameOf(record.eventSourceARN);
    }
    // A Kinesis batch comes from one shard: reuse the shard id string while the prefix matches.
    const eventId = record.eventID ?? '';
    if (!(eventId.startsWith(this.lastShard) && eventId.charCodeAt(this.lastShard.length) === 58)) this.lastShard = shardIdOf(eventId);
    const origin: RecordOrigin = {
      streamName: this.lastStream,
      shardId: this.lastShard,
      sequenceNumber: k.sequenceNumber,
      partitionKey: k.partitionKey,
      arrivalUs: Math.round((k.approximateArrivalTimestamp ?? this.ingestUs / 1e6) * 1e6),
    };
    // Decoded once, straight into the raw landing column; the text is what the sources see.
    const text = this.raw.addBase64(origin, k.data, this.ingestUs);
    const i = this.router.route(text);
    if (i === UNREGISTERED) {
      const id = String((this.router.json as { source: string }).source).slice(0, 40);
      this.reject(
        origin,
        { source: 'unknown', rejection: reject('UNKNOWN_FORMAT', `no registered source ${JSON.stringify(id)} (known: ${this.router.known.join(', ')})`) },
        text,
      );
      return;
    }
    let batch = this.batches[i];
    if (batch === undefined) {
      batch = this.sources[i]!.newBatch({ ingestUs: this.ingestUs });
      this.batches[i] = batch;
    }
    this.records[i]!++;
    const q = batch.add(text, k.partitionKey, this.router.json);
    if (q === undefined) return;
    this.quarantined[i]!++;
    this.reject(origin, q, text);
  }

  private reject(origin: RecordOrigin, q: Quarantined, text: string): void {
    this.byReason[q.rejection.code] = (this.byReason[q.rejection.code] ?? 0) + 1;
    this.quarantine.add(origin, q.source, q.rejection, text, this.ingestUs);
  }

  /** Every table's rows: raw and quarantine, then each source's outputs. */
  outputs(batchId: string): { tables: TableRows[]; bySource: Record<string, SourceCounts> } {
    const tables: TableRows[] = [this.raw, this.quarantine];
    const bySource: Record<string, SourceCounts> = {};
    this.batches.forEach((b, i) => {
      if (!b) return;
      const out = b.outputs(batchId);
      tables.push(...out);
      bySource[this.sources[i]!.id] = { records: this.records[i]!, rows: out.reduce((a, t) => a + t.rows, 0), quarantined: this.quarantined[i]! };
    });
    return { tables, bySource };
  }
}

/** Metrics of a whole invocation (namespace `ticklake`, dimension `service`). */
export const STREAM_TRANSFORM_METRICS = ['RecordsProcessed', 'QuarantinedRecords', 'FailedRecords', 'LakeObjectsWritten', 'LakeBytesWritten'] as const;
/** Metrics per source (dimensions `service` and `source`: one series per registry entry). */
export const SOURCE_METRICS = ['SourceRecords', 'SourceRows', 'SourceQuarantined'] as const;

/** A metric value to publish. */
export interface MetricValue<Name extends string = string> {
  readonly name: Name;
  readonly unit: 'Count' | 'Bytes';
  readonly value: number;
  /** The source dimension of a per-source metric. */
  readonly source?: string;
}

/** The metrics one invocation publishes: the invocation's, then each source's (sources without records are left out). */
export function batchMetrics(s: BatchSummary): MetricValue<(typeof STREAM_TRANSFORM_METRICS)[number] | (typeof SOURCE_METRICS)[number]>[] {
  return [
    { name: 'RecordsProcessed', unit: 'Count', value: s.records },
    { name: 'QuarantinedRecords', unit: 'Count', value: s.quarantined },
    { name: 'FailedRecords', unit: 'Count', value: s.failed },
    { name: 'LakeObjectsWritten', unit: 'Count', value: s.objectsWritten },
    { name: 'LakeBytesWritten', unit: 'Bytes', value: s.bytesWritten },
    ...Object.entries(s.bySource).flatMap(([source, c]) => [
      { name: 'SourceRecords' as const, unit: 'Count' as const, value: c.records, source },
      { name: 'SourceRows' as const, unit: 'Count' as const, value: c.rows, source },
      { name: 'SourceQuarantined' as const, unit: 'Count' as const, value: c.quarantined, source },
    ]),
  ];
}

/** What a batch wrote, kept so a later attempt at the same batch can replace it. */
interface BatchMarker {
  readonly objects: readonly string[];
  readonly lastSequenceNumber: string;
  readonly records: number;
}

/** The objects a marker lists (none when there is no marker). */
function markerObjects(body: Uint8Array | undefined): readonly string[] {
  return body ? (JSON.parse(Buffer.from(body).toString('utf8')) as BatchMarker).objects : [];
}

/**
 * Builds the stream-transform handler around a lake writer.
 * @example
 *   export const handler = createStreamTransform({ lake: new S3ObjectStore(s3, bucket) });
 */
export function createStreamTransform(deps: StreamTransformDeps): StreamTransformHandler {
  const clock = deps.clock ?? Date.now;
  // Reused across invocations: register() resets it and processing is synchronous.
  const processor = new KinesisBatchProcessor();
  const sources = deps.sources ?? SOURCES;
  const router = new SourceRouter(sources);
  return async function streamTransform(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
    const records = event.Records ?? [];
    const ingestUs = clock() * 1000;
    // Validate and derive every record through the Powertools batch processor.
    let acc = new BatchAccumulator(ingestUs, sources, router);
    const current = () => acc;
    processor.register(records, (r: KinesisStreamRecord) => current().add(r), { throwOnFullBatchFailure: true });
    processor.processSync();
    const response = processor.response() as KinesisStreamBatchResponse;
    const failedSeqs = new Set(processor.failureMessages.map((m) => (m as KinesisStreamRecord).kinesis.sequenceNumber));
    let written = records;
    if (failedSeqs.size > 0) {
      // Lambda redelivers from the first failed record on: write only the prefix before it.
      const first = records.findIndex((r) => failedSeqs.has(r.kinesis.sequenceNumber));
      written = records.slice(0, first);
      acc = new BatchAccumulator(ingestUs, sources, router);
      for (const r of written) acc.add(r);
      deps.logger?.warn('records failed; writing the prefix before the first failure', {
        failed: failedSeqs.size,
        firstFailedSequenceNumber: records[first]?.kinesis.sequenceNumber,
      });
    }
    // One Parquet object per table and hour partition, keyed by the written range.
    const keysWritten: string[] = [];
    let bytes = 0;
    const rowsByTable: Record<string, number> = {};
    let bySource: Record<string, SourceCounts> = {};
    if (written.length > 0) {
      const first = written[0]!;
      const last = written[written.length - 1]!;
      const batchId = `${shardIdOf(first.eventID)}-${first.kinesis.sequenceNumber}-${last.kinesis.sequenceNumber}`;
      const fileName = `${batchId}.parquet`;
      const out = acc.outputs(batchId);
      bySource = out.bySource;
      const objects: { key: string; body: Uint8Array }[] = [];
      for (const rows of out.tables) {
        if (rows.rows > 0) rowsByTable[rows.table.name] = (rowsByTable[rows.table.name] ?? 0) + rows.rows;
        for (const p of rows.partitions()) {
          objects.push({ key: lakeKey(rows.table, p.partition, fileName), body: encodeParquet(rows.table, p.columns) });
        }
      }
      const marker = batchMarkerKey(streamNameOf(first.eventSourceARN), shardIdOf(first.eventID), first.kinesis.sequenceNumber);
      let previousMarker: Uint8Array | undefined;
      try {
        previousMarker = await deps.lake.get(marker);
        const previous = markerObjects(previousMarker);
        const current = objects.map((o) => o.key);
        const currentSet = new Set(current);
        const stale = previous.filter((k) => !currentSet.has(k));
        const markerBody = (keys: readonly string[]) => {
          const body: BatchMarker = { objects: keys, lastSequenceNumber: last.kinesis.sequenceNumber, records: written.length };
          return Buffer.from(JSON.stringify(body));
        };
        // The marker lists this attempt's objects before any is written: an invocation
        // killed mid-write (a timeout runs no catch) leaves no object a later attempt
        // starting at the same record cannot find and replace.
        const previousSet = new Set(previous);
        if (current.some((k) => !previousSet.has(k))) await deps.lake.put(marker, markerBody([...stale, ...current]));
        // Every put settles before a failure is handled, so the clean-up below sees all that landed.
        const puts = await Promise.allSettled(
          objects.map(async (o) => {
            await deps.lake.put(o.key, o.body);
            keysWritten.push(o.key);
            bytes += o.body.byteLength;
          }),
        );
        const failed = puts.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
        if (stale.length > 0) {
          await deps.lake.delete(stale);
          await deps.lake.put(marker, markerBody(current));
          deps.logger?.info('replaced the objects of an earlier attempt at this batch', { stale: stale.length });
        }
      } catch (err) {
        deps.logger?.error("lake write failed; removing this attempt's objects and failing the batch", { error: String(err) });
        await deps.lake.delete(keysWritten).catch(() => undefined);
        // The marker goes back to what it listed before this attempt (best effort, as above).
        const restore = previousMarker ? deps.lake.put(marker, previousMarker) : deps.lake.delete([marker]);
        await restore.catch(() => undefined);
        throw err;
      }
    }
    const summary: BatchSummary = {
      records: written.length,
      rowsByTable,
      bySource,
      quarantined: acc.quarantine.rows,
      quarantinedByReason: acc.byReason,
      failed: failedSeqs.size,
      objectsWritten: keysWritten.length,
      bytesWritten: bytes,
    };
    deps.onBatch?.(summary);
    return { batchItemFailures: response.batchItemFailures ?? [] };
  };
}
