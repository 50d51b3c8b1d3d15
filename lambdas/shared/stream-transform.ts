/**
 * The stream transform: Kinesis records in, `trades` / `quarantine` / `raw_events`
 * / `bar_partials` Parquet objects out, partial batch response back. This is the code the Lambda
 * entry point (`lambdas/stream-transform/handler.ts`) and the local runtime both
 * run; only the injected {@link LakeWriter} differs.
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
import { parsePayload } from '../../src/domain/binance.js';
import { tradeFeatures } from '../../src/domain/features.js';
import type { ReasonCode, RecordSource, Rejection } from '../../src/domain/trade.js';
import { BAR_PARTIALS, QUARANTINE, RAW_EVENTS, SECTOR_VOLUME, STOCK_TICKS, TRADES } from '../../src/schema/table-schema.js';
import { type CompanyProfile, isStockTickMessage, sectorVolumes, stockTickFrom } from '../../src/domain/stocks.js';
import { COMPANY_PROFILES } from '../../src/sim/stocks.js';
import { BarAccumulator } from '../../src/domain/bars.js';
import { batchMarkerKey } from '../../src/lake/layout.js';
import { lakeKey, type LakeWriter } from './lake-writer.js';
import { encodeParquet } from './parquet.js';
import { BarPartialRows, QuarantineRows, RawRows, type RecordOrigin, SectorVolumeRows, StockTickRows, TradeRows } from './lake-rows.js';
import { KinesisBatchProcessor } from './kinesis-batch-processor.js';

/** What one invocation did (for metrics and the local runtime's summary). */
export interface BatchSummary {
  readonly records: number;
  readonly trades: number;
  readonly stockTicks: number;
  readonly quarantined: number;
  readonly quarantinedByReason: Readonly<Partial<Record<ReasonCode, number>>>;
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
  readonly lake: LakeWriter;
  /** Processing clock in ms since epoch (default `Date.now`). */
  readonly clock?: () => number;
  readonly logger?: TransformLogger;
  /** Called once per invocation after the objects are written. */
  readonly onBatch?: (summary: BatchSummary) => void;
}

export type StreamTransformHandler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>;

/**
 * The symbol a partition key names: producers use `SYMBOL` or, to spread a busy
 * symbol over shards, `SYMBOL/<n>`. CSV lines carry no symbol and rely on it.
 */
export function symbolOfKey(partitionKey: string): string {
  const i = partitionKey.indexOf('/');
  return i < 0 ? partitionKey : partitionKey.slice(0, i);
}

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

class BatchAccumulator {
  readonly trades = new TradeRows();
  readonly quarantine = new QuarantineRows();
  readonly raw = new RawRows();
  readonly bars = new BarAccumulator();
  readonly stocks = new StockTickRows();
  readonly byReason: Partial<Record<ReasonCode, number>> = {};
  readonly ctx: { nowUs: number };
  private lastArn: string | undefined;
  private lastStream = '';
  private lastShard = '\u0000';

  constructor(private readonly ingestUs: number) {
    this.ctx = { nowUs: ingestUs };
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
    // Decoded once, straight into the raw landing column; the text is what the parsers see.
    const text = this.raw.addBase64(origin, k.data, this.ingestUs);
    // Binance trade messages start with {"e":"trade"; only other JSON is searched for the stock source.
    if (text.charCodeAt(0) === 123 && !text.startsWith('{"e":"trade"') && text.includes('"stock-ticks"')) {
      this.addStockTick(origin, text);
      return;
    }
    const r = parsePayload(text, symbolOfKey(k.partitionKey), this.ctx);
    if (r.ok) {
      const row = tradeFeatures(r.trade, this.ingestUs);
      this.trades.add(row);
      this.bars.add(row);
      return;
    }
    this.reject(origin, r.source, r.rejection, text);
  }

  /** Routes a stock-ticks message (one stream carries every source; see README). */
  private addStockTick(origin: RecordOrigin, text: string): void {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      this.reject(origin, 'stock-ticks', { code: 'MALFORMED_JSON', message: `not valid JSON: ${(e as Error).message}` }, text);
      return;
    }
    if (!isStockTickMessage(doc)) {
      this.reject(origin, 'unknown', { code: 'UNKNOWN_FORMAT', message: 'JSON payload is neither a trade nor a stock tick' }, text);
      return;
    }
    const r = stockTickFrom(doc, PROFILES, this.ctx);
    if (r.ok) this.stocks.add(r.tick, this.ingestUs);
    else this.reject(origin, 'stock-ticks', r.rejection, text);
  }

  private reject(origin: RecordOrigin, source: RecordSource, rejection: Rejection, text: string): void {
    this.byReason[rejection.code] = (this.byReason[rejection.code] ?? 0) + 1;
    this.quarantine.add(origin, source, rejection, text, this.ingestUs);
  }
}

/** The company_profile dimension, bundled with the function. */
const PROFILES: ReadonlyMap<string, CompanyProfile> = new Map(COMPANY_PROFILES.map((p) => [p.ticker, p]));

/** The lake tables the stream transform writes (the processing stack grants exactly these). */
export const STREAM_TRANSFORM_TABLES = [RAW_EVENTS, QUARANTINE, TRADES, BAR_PARTIALS, STOCK_TICKS, SECTOR_VOLUME] as const;

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
  return async function streamTransform(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
    const records = event.Records ?? [];
    const ingestUs = clock() * 1000;
    // Validate and derive every record through the Powertools batch processor.
    let acc = new BatchAccumulator(ingestUs);
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
      acc = new BatchAccumulator(ingestUs);
      for (const r of written) acc.add(r);
      deps.logger?.warn('records failed; writing the prefix before the first failure', {
        failed: failedSeqs.size,
        firstFailedSequenceNumber: records[first]?.kinesis.sequenceNumber,
      });
    }
    // One Parquet object per table and hour partition, keyed by the written range.
    const keysWritten: string[] = [];
    let bytes = 0;
    if (written.length > 0) {
      const first = written[0]!;
      const last = written[written.length - 1]!;
      const batchId = `${shardIdOf(first.eventID)}-${first.kinesis.sequenceNumber}-${last.kinesis.sequenceNumber}`;
      const fileName = `${batchId}.parquet`;
      const barRows = new BarPartialRows();
      for (const p of acc.bars.partials()) barRows.add(p, batchId);
      const sectorRows = new SectorVolumeRows();
      for (const v of sectorVolumes(acc.stocks.ticks)) sectorRows.add(v, batchId, ingestUs);
      const objects: { key: string; body: Uint8Array }[] = [];
      const tables = [
        [RAW_EVENTS, acc.raw],
        [QUARANTINE, acc.quarantine],
        [TRADES, acc.trades],
        [BAR_PARTIALS, barRows],
        [STOCK_TICKS, acc.stocks],
        [SECTOR_VOLUME, sectorRows],
      ] as const;
      for (const [table, rows] of tables) {
        for (const p of rows.partitions()) {
          objects.push({ key: lakeKey(table, p.partition, fileName), body: encodeParquet(table, p.columns) });
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
        deps.logger?.error('lake write failed; removing this attempt\'s objects and failing the batch', { error: String(err) });
        await deps.lake.delete(keysWritten).catch(() => undefined);
        // The marker goes back to what it listed before this attempt (best effort, as above).
        const restore = previousMarker ? deps.lake.put(marker, previousMarker) : deps.lake.delete([marker]);
        await restore.catch(() => undefined);
        throw err;
      }
    }
    const summary: BatchSummary = {
      records: written.length,
      trades: acc.trades.rows,
      stockTicks: acc.stocks.rows,
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
