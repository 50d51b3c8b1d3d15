/**
 * A local Kinesis event source mapping: one poller per shard that batches
 * records and invokes the stream handler with Kinesis-shaped events, with the
 * semantics of the mapping ticklake deploys:
 * - batch size and batching window;
 * - `ReportBatchItemFailures`: processing resumes from the first failed record;
 * - function errors are retried with exponential backoff, at most
 *   `maxRetryAttempts` times per batch, bisecting a failing batch so a poison
 *   record is isolated and its neighbours are delivered;
 * - records that exhaust their retries, or exceed `maxRecordAgeSeconds`, go to
 *   the on-failure destination and the shard moves on (never stalls);
 * - the checkpoint advances only past records the handler accepted.
 */
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { CheckpointStore, ShardCheckpoint } from './checkpoints.js';
import type { LocalStream, StreamRecord } from './local-stream.js';
import type { FailedBatch, OnFailureDestination } from './on-failure.js';

/** Event source mapping settings (names as in AWS::Lambda::EventSourceMapping). */
export interface EventSourceSettings {
  /** 1-10,000 records per invocation. */
  readonly batchSize: number;
  /** How long to gather records before invoking with a partial batch, ms (AWS: 0-300 s). */
  readonly maximumBatchingWindowMs: number;
  /** Retries of a failing batch before it goes to the on-failure destination (AWS: -1 = forever ... 10,000). */
  readonly maximumRetryAttempts: number;
  /** Split a failing batch in two and retry each half. */
  readonly bisectBatchOnFunctionError: boolean;
  /** Records older than this skip to the on-failure destination (-1 = no limit). */
  readonly maximumRecordAgeSeconds: number;
  /** First retry delay, ms (doubles per attempt, capped at 5 s). */
  readonly retryBackoffMs: number;
}

export const DEFAULT_EVENT_SOURCE_SETTINGS: EventSourceSettings = {
  batchSize: 10_000,
  maximumBatchingWindowMs: 1_000,
  maximumRetryAttempts: 3,
  bisectBatchOnFunctionError: true,
  maximumRecordAgeSeconds: 86_400,
  retryBackoffMs: 50,
};

/** Validates settings against the ranges AWS accepts; throws a readable error. */
export function checkEventSourceSettings(s: EventSourceSettings): EventSourceSettings {
  const bad = (m: string) => {
    throw new Error(`event source setting ${m}`);
  };
  if (!Number.isInteger(s.batchSize) || s.batchSize < 1 || s.batchSize > 10_000) bad(`batchSize must be 1-10000, got ${s.batchSize}`);
  if (!(s.maximumBatchingWindowMs >= 0 && s.maximumBatchingWindowMs <= 300_000))
    bad(`maximumBatchingWindowMs must be 0-300000, got ${s.maximumBatchingWindowMs}`);
  if (!Number.isInteger(s.maximumRetryAttempts) || s.maximumRetryAttempts < -1 || s.maximumRetryAttempts > 10_000)
    bad(`maximumRetryAttempts must be -1..10000, got ${s.maximumRetryAttempts}`);
  if (!(s.maximumRecordAgeSeconds === -1 || (s.maximumRecordAgeSeconds >= 60 && s.maximumRecordAgeSeconds <= 604_800)))
    bad(`maximumRecordAgeSeconds must be -1 or 60-604800, got ${s.maximumRecordAgeSeconds}`);
  return s;
}

export type KinesisHandler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse | undefined>;

/** Counters a poller keeps (for progress and summaries). */
export interface PollerStats {
  invocations: number;
  recordsDelivered: number;
  retries: number;
  bisections: number;
  deadLettered: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Pending {
  readonly records: readonly StreamRecord[];
  /** Offset of the first record (the checkpoint before the batch). */
  readonly startOffset: number;
  attempts: number;
}

export class ShardPoller {
  readonly stats: PollerStats = { invocations: 0, recordsDelivered: 0, retries: 0, bisections: 0, deadLettered: 0 };
  private checkpoint: ShardCheckpoint;
  private readonly shardId: string;

  constructor(
    private readonly stream: LocalStream,
    private readonly shardIndex: number,
    private readonly handler: KinesisHandler,
    private readonly checkpoints: CheckpointStore,
    private readonly onFailure: OnFailureDestination,
    private readonly settings: EventSourceSettings = DEFAULT_EVENT_SOURCE_SETTINGS,
    private readonly clock: () => number = Date.now,
  ) {
    checkEventSourceSettings(settings);
    this.shardId = stream.shardIds()[shardIndex]!;
    this.checkpoint = checkpoints.load(this.shardId);
  }

  /** Byte offset the shard has been processed to. */
  get position(): number {
    return this.checkpoint.offset;
  }

  /**
   * Polls until the shard is drained and `producerDone()` is true.
   * @param pollIntervalMs wait between polls of an empty shard
   */
  async run(producerDone: () => boolean, pollIntervalMs = 10): Promise<void> {
    const reader = this.stream.reader(this.shardIndex, this.checkpoint.offset);
    // Re-form a batch that was in flight when the process stopped.
    if (this.checkpoint.inflight) {
      const records = reader.read(this.checkpoint.inflight.count);
      if (records.length > 0) await this.deliver(records, this.checkpoint.offset);
    }
    let gathered: StreamRecord[] = [];
    let firstSeenAt = 0;
    for (;;) {
      const more = reader.read(this.settings.batchSize - gathered.length);
      if (more.length > 0) {
        if (gathered.length === 0) firstSeenAt = this.clock();
        gathered = gathered.length === 0 ? more : gathered.concat(more);
      }
      const done = producerDone() && this.stream.committedSize(this.shardIndex) <= reader.offset;
      const full = gathered.length >= this.settings.batchSize;
      const windowOver = gathered.length > 0 && this.clock() - firstSeenAt >= this.settings.maximumBatchingWindowMs;
      if (gathered.length > 0 && (full || windowOver || done)) {
        const batch = gathered;
        gathered = [];
        await this.deliver(batch, this.checkpoint.offset);
        reader.seek(this.checkpoint.offset);
        continue;
      }
      if (done) return;
      await sleep(pollIntervalMs);
    }
  }

  /** Delivers records, applying partial-failure, retry, bisect and on-failure rules. */
  private async deliver(records: readonly StreamRecord[], startOffset: number): Promise<void> {
    const queue: Pending[] = [{ records, startOffset, attempts: 0 }];
    while (queue.length > 0) {
      const head = queue[0]!;
      const expired = this.expiredPrefix(head.records);
      if (expired > 0) {
        this.deadLetter(head.records.slice(0, expired), 'RecordAgeExceeded', head.attempts);
        this.commit(head.records[expired - 1]!);
        queue[0] = { records: head.records.slice(expired), startOffset: head.records[expired - 1]!.endOffset, attempts: head.attempts };
        if (queue[0].records.length === 0) queue.shift();
        continue;
      }
      this.checkpoint = { ...this.checkpoint, inflight: { count: head.records.length } };
      this.checkpoints.save(this.shardId, this.checkpoint);
      let failedAt = -1;
      let error: unknown;
      try {
        this.stats.invocations++;
        const res = await this.handler(this.event(head.records));
        failedAt = this.firstFailure(head.records, res);
      } catch (e) {
        error = e;
      }
      if (error === undefined && failedAt < 0) {
        this.stats.recordsDelivered += head.records.length;
        this.commit(head.records[head.records.length - 1]!);
        queue.shift();
        continue;
      }
      // Records before the first reported failure were accepted: move past them.
      let rest = head.records;
      if (error === undefined && failedAt > 0) {
        this.stats.recordsDelivered += failedAt;
        this.commit(head.records[failedAt - 1]!);
        rest = head.records.slice(failedAt);
      }
      const restStart = rest === head.records ? head.startOffset : head.records[failedAt - 1]!.endOffset;
      if (this.settings.bisectBatchOnFunctionError && rest.length > 1 && (error !== undefined || failedAt === 0)) {
        // Split the failing batch and retry each half at once; splitting does not use up
        // retry attempts, and it is bounded by log2(batch size) levels.
        this.stats.bisections++;
        const mid = Math.ceil(rest.length / 2);
        queue.splice(
          0,
          1,
          { records: rest.slice(0, mid), startOffset: restStart, attempts: head.attempts },
          { records: rest.slice(mid), startOffset: rest[mid - 1]!.endOffset, attempts: head.attempts },
        );
        continue;
      }
      const attempts = head.attempts + 1;
      if (this.settings.maximumRetryAttempts >= 0 && attempts > this.settings.maximumRetryAttempts) {
        this.deadLetter(rest, 'RetryAttemptsExhausted', attempts, error);
        this.commit(rest[rest.length - 1]!);
        queue.shift();
        continue;
      }
      queue[0] = { records: rest, startOffset: restStart, attempts };
      this.stats.retries++;
      await sleep(Math.min(5_000, this.settings.retryBackoffMs * 2 ** (attempts - 1)));
    }
  }

  private expiredPrefix(records: readonly StreamRecord[]): number {
    if (this.settings.maximumRecordAgeSeconds < 0) return 0;
    const cutoff = this.clock() - this.settings.maximumRecordAgeSeconds * 1000;
    let i = 0;
    while (i < records.length && records[i]!.arrivalMs < cutoff) i++;
    return i;
  }

  private firstFailure(records: readonly StreamRecord[], res: KinesisStreamBatchResponse | undefined): number {
    const failures = res?.batchItemFailures ?? [];
    if (failures.length === 0) return -1;
    const ids = new Set(failures.map((f) => f.itemIdentifier));
    const i = records.findIndex((r) => ids.has(r.sequenceNumber));
    // An identifier that matches no record is treated as a failure of the whole batch, as Lambda does.
    return Math.max(i, 0);
  }

  private commit(last: StreamRecord): void {
    this.checkpoint = { sequenceNumber: last.sequenceNumber, offset: last.endOffset };
    this.checkpoints.save(this.shardId, this.checkpoint);
  }

  private deadLetter(records: readonly StreamRecord[], condition: FailedBatch['requestContext']['condition'], attempts: number, error?: unknown): void {
    const first = records[0]!;
    const last = records[records.length - 1]!;
    this.stats.deadLettered += records.length;
    this.onFailure.send({
      requestContext: { condition, approximateInvokeCount: attempts, ...(error ? { functionError: String(error) } : {}) },
      KinesisBatchInfo: {
        shardId: this.shardId,
        startSequenceNumber: first.sequenceNumber,
        endSequenceNumber: last.sequenceNumber,
        approximateArrivalOfFirstRecord: new Date(first.arrivalMs).toISOString(),
        approximateArrivalOfLastRecord: new Date(last.arrivalMs).toISOString(),
        batchSize: records.length,
        streamArn: this.stream.arn,
      },
      timestamp: new Date(this.clock()).toISOString(),
      records: records.map((r) => ({ sequenceNumber: r.sequenceNumber, partitionKey: r.partitionKey, data: r.data })),
    });
  }

  private event(records: readonly StreamRecord[]): KinesisStreamEvent {
    const arn = this.stream.arn;
    const shard = this.shardId;
    return {
      Records: records.map(
        (r): KinesisStreamRecord => ({
          kinesis: {
            kinesisSchemaVersion: '1.0',
            partitionKey: r.partitionKey,
            sequenceNumber: r.sequenceNumber,
            data: r.data,
            approximateArrivalTimestamp: r.arrivalMs / 1000,
          },
          eventSource: 'aws:kinesis',
          eventVersion: '1.0',
          eventID: `${shard}:${r.sequenceNumber}`,
          eventName: 'aws:kinesis:record',
          invokeIdentityArn: 'arn:aws:iam::000000000000:role/ticklake-local',
          awsRegion: 'local',
          eventSourceARN: arn,
        }),
      ),
    };
  }
}
