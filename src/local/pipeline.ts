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
import { join } from 'node:path';
import { createStreamTransform, type BatchSummary } from '../../lambdas/shared/stream-transform.js';
import type { ReasonCode } from '../domain/trade.js';
import { CheckpointStore } from './checkpoints.js';
import { DEFAULT_EVENT_SOURCE_SETTINGS, type EventSourceSettings, ShardPoller } from './event-source.js';
import { FileLakeWriter } from './file-lake-writer.js';
import { LocalStream } from './local-stream.js';
import { JsonlDeadLetters } from './on-failure.js';
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
  /** Processing clock (ms); the simulator's trades must not be 'in the future' of it. */
  readonly clock?: () => number;
}

export interface PipelineSummary {
  /** Records this run put on the stream. */
  readonly recordsIn: number;
  /** Records this run's handler invocations processed. */
  readonly recordsProcessed: number;
  readonly trades: number;
  readonly quarantined: number;
  readonly quarantinedByReason: Readonly<Partial<Record<ReasonCode, number>>>;
  readonly deadLettered: number;
  readonly invocations: number;
  readonly retries: number;
  readonly objectsWritten: number;
  readonly bytesWritten: number;
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
  const lake = new FileLakeWriter(paths.lake);
  const totals = { records: 0, trades: 0, quarantined: 0, objects: 0, bytes: 0 };
  const byReason: Partial<Record<ReasonCode, number>> = {};
  const onBatch = (s: BatchSummary) => {
    totals.records += s.records;
    totals.trades += s.trades;
    totals.quarantined += s.quarantined;
    totals.objects += s.objectsWritten;
    totals.bytes += s.bytesWritten;
    for (const [k, v] of Object.entries(s.quarantinedByReason)) byReason[k as ReasonCode] = (byReason[k as ReasonCode] ?? 0) + (v ?? 0);
  };
  // The same handler function Lambda runs, around a local lake writer.
  const handler = createStreamTransform({ lake, onBatch, ...(opts.clock ? { clock: opts.clock } : {}) });
  const settings: EventSourceSettings = { ...DEFAULT_EVENT_SOURCE_SETTINGS, ...opts.eventSource };
  const checkpoints = new CheckpointStore(paths.checkpoints);
  const dlq = new JsonlDeadLetters(paths.deadLetter);
  const pollers = stream.shardIds().map((_, i) => new ShardPoller(stream, i, handler, checkpoints, dlq, settings, opts.clock));

  let produced = before?.consumed ?? 0;
  let producerDone = alreadyComplete;
  // Once the producer is done the true total is known; until then use the hint.
  const report = () => {
    const total = producerDone ? produced : opts.totalHint;
    opts.onProgress?.({ produced, processed: totals.records + dlq.sent, ...(total ? { total } : {}) });
  };
  const ticker = setInterval(report, 250);
  let recordsIn = 0;
  try {
    const producing = alreadyComplete
      ? Promise.resolve(0)
      : produce(stream, opts.source(), {
          statePath,
          ...(opts.rate ? { rate: opts.rate } : {}),
          onProgress: (n) => {
            produced = n;
          },
        }).finally(() => {
          produced = loadProducerState(statePath)?.consumed ?? produced;
          producerDone = true;
        });
    const consuming = Promise.all(pollers.map((p) => p.run(() => producerDone)));
    [recordsIn] = await Promise.all([producing, consuming]);
  } finally {
    clearInterval(ticker);
    stream.close();
  }
  report();
  const stats = pollers.map((p) => p.stats);
  return {
    recordsIn,
    recordsProcessed: totals.records,
    trades: totals.trades,
    quarantined: totals.quarantined,
    quarantinedByReason: byReason,
    deadLettered: dlq.sent,
    invocations: stats.reduce((a, s) => a + s.invocations, 0),
    retries: stats.reduce((a, s) => a + s.retries, 0),
    objectsWritten: totals.objects,
    bytesWritten: totals.bytes,
    seconds: (performance.now() - started) / 1000,
    alreadyComplete,
    paths,
  };
}
