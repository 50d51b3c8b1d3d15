/**
 * The local runtime: a producer puts records on the embedded stream while one
 * poller per shard feeds the very stream-transform handler that runs in Lambda,
 * writing to the local Parquet lake. Everything is resumable: kill the process
 * at any point and run the same job again to finish it with nothing lost or
 * doubled.
 *
 * Data directory layout:
 *   lake/<zone>/<table>/dt=YYYY-MM-DD/hour=HH/*.parquet   the lake (S3 stand-in)
 *   stream/<stream>/shardId-*.log, stream.json           the stream (Kinesis stand-in)
 *   stream/<stream>/producers/<job>.json                 producer progress
 *   checkpoints/<stream>/<consumer>/shardId-*.json       consumer checkpoints
 *   dead-letter/<stream>.jsonl                           on-failure destination (SQS stand-in)
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { BatchSummary } from '../ingest/stream-transform.js';
import { BatchTotals, startConsumers } from './consumers.js';
import { DEFAULT_EVENT_SOURCE_SETTINGS, type EventSourceSettings, type PollerStats } from './event-source.js';
import { LocalStream } from './local-stream.js';
import { loadProducerState, produce, type SourceRecord } from './producer.js';

export const DEFAULT_STREAM = 'ticklake-events';
export const DEFAULT_CONSUMER = 'stream-transform';
export const DEFAULT_SHARDS = 4;

/** Paths inside a data directory. */
export function dataPaths(dataDir: string, stream = DEFAULT_STREAM, consumer = DEFAULT_CONSUMER) {
  return {
    lake: join(dataDir, 'lake'),
    stream: join(dataDir, 'stream', stream),
    producers: join(dataDir, 'stream', stream, 'producers'),
    checkpoints: join(dataDir, 'checkpoints', stream, consumer),
    deadLetter: join(dataDir, 'dead-letter', `${stream}.jsonl`),
  };
}

export interface PipelineProgress {
  /** Records put on the stream so far (this job, all runs). */
  readonly produced: number;
  /** Records the handler accepted or that were dead-lettered (this run). */
  readonly processed: number;
  readonly total?: number;
}

export interface PipelineOptions {
  readonly dataDir: string;
  /** Identifies the job for resumption (same job id + same source = resume). */
  readonly jobId: string;
  /** Source records, in batches, in a deterministic order. */
  readonly source: () => Iterable<readonly SourceRecord[]> | AsyncIterable<readonly SourceRecord[]>;
  readonly totalHint?: number;
  readonly streamName?: string;
  readonly shards?: number;
  readonly rate?: number;
  readonly eventSource?: Partial<EventSourceSettings>;
  readonly onProgress?: (p: PipelineProgress) => void;
  /** Processing clock (ms); the simulator's trades must not be 'in the future' of it. In-process pollers only. */
  readonly clock?: () => number;
  /**
   * Worker threads running the shard pollers (0 = run them in this thread).
   * Default: one per core, at most one per shard.
   */
  readonly workers?: number;
}

/** Default worker threads for the shard pollers. */
export function defaultWorkers(shards: number): number {
  return Math.max(1, Math.min(shards, availableParallelism()));
}

/** A job's totals: the handler's per-batch counts summed over the run, and what the runtime adds. */
export interface PipelineSummary
  extends Pick<BatchSummary, 'rowsByTable' | 'bySource' | 'quarantined' | 'quarantinedByReason' | 'objectsWritten' | 'bytesWritten'> {
  /** Records this run put on the stream. */
  readonly recordsIn: number;
  /** Records this run's handler invocations processed. */
  readonly recordsProcessed: number;
  readonly deadLettered: number;
  readonly invocations: number;
  readonly retries: number;
  readonly seconds: number;
  /** True when an earlier run had already completed this job. */
  readonly alreadyComplete: boolean;
  readonly paths: ReturnType<typeof dataPaths>;
}

/** Runs (or resumes) one job to completion. */
export async function runPipeline(opts: PipelineOptions): Promise<PipelineSummary> {
  const started = performance.now();
  const streamName = opts.streamName ?? DEFAULT_STREAM;
  const paths = dataPaths(opts.dataDir, streamName);
  mkdirSync(paths.producers, { recursive: true });
  const stream = LocalStream.open(paths.stream, streamName, opts.shards ?? DEFAULT_SHARDS);
  const statePath = join(paths.producers, `${opts.jobId.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
  const before = loadProducerState(statePath);
  const alreadyComplete = before?.done === true;
  const totals = new BatchTotals();
  const settings: EventSourceSettings = { ...DEFAULT_EVENT_SOURCE_SETTINGS, ...opts.eventSource };
  const workers = opts.workers ?? (opts.clock ? 0 : defaultWorkers(stream.shardCount));
  let stats: readonly PollerStats[] = [];
  let deadLettered = 0;

  let produced = before?.consumed ?? 0;
  let producerDone = alreadyComplete;
  // Once the producer is done the true total is known; until then use the hint.
  const report = () => {
    const total = producerDone ? produced : opts.totalHint;
    opts.onProgress?.({ produced, processed: totals.records, ...(total ? { total } : {}) });
  };
  const ticker = setInterval(report, 250);
  let recordsIn = 0;
  try {
    // produce() truncates uncommitted appends synchronously, before readers start.
    const consumers = startConsumers({ stream, paths, settings, workers, onBatch: (s) => totals.add(s), ...(opts.clock ? { clock: opts.clock } : {}) });
    const producing = alreadyComplete
      ? Promise.resolve(0)
      : produce(stream, opts.source(), {
          statePath,
          ...(opts.rate ? { rate: opts.rate } : {}),
          onProgress: (n) => {
            produced = n;
          },
          onCommit: () => consumers.publish(),
        }).finally(() => {
          produced = loadProducerState(statePath)?.consumed ?? produced;
          producerDone = true;
        });
    // A consumer failure must not wait for the producer: race it, then let the consumers drain.
    recordsIn = await Promise.race([producing, consumers.done.then(() => producing)]);
    ({ stats, deadLettered } = await consumers.finish());
  } finally {
    clearInterval(ticker);
    stream.close();
  }
  report();
  return {
    recordsIn,
    recordsProcessed: totals.records,
    rowsByTable: totals.rowsByTable,
    bySource: totals.bySource,
    quarantined: totals.quarantined,
    quarantinedByReason: totals.byReason,
    deadLettered,
    invocations: stats.reduce((a, s) => a + s.invocations, 0),
    retries: stats.reduce((a, s) => a + s.retries, 0),
    objectsWritten: totals.objects,
    bytesWritten: totals.bytes,
    seconds: (performance.now() - started) / 1000,
    alreadyComplete,
    paths,
  };
}
