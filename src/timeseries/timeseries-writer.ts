/**
 * The time-series writer: a second consumer of the stream that routes every
 * record to its source, as the transform does, and writes the points the source
 * makes of it (Binance trades: the old pipeline's `trade` measurement; stock
 * ticks: `stock_tick`) to the configured store. Invalid records are skipped here: the stream transform
 * quarantines them. Points the store refuses are logged with their reason and
 * counted (never dropped silently); a failed write fails the batch so the event
 * source retries it, and retries upsert the same points (same time, tags).
 */
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { SourceDefinition } from '../sources/contract.js';
import { SOURCES } from '../sources/index.js';
import { SourceRouter } from '../ingest/source-router.js';
import type { Point, RejectedPoint, TimeSeriesSink } from './point.js';
import type { TransformLogger } from '../ingest/stream-transform.js';
import { logRejected } from './rejections.js';

export interface TimeSeriesWriterDeps {
  readonly sink: TimeSeriesSink;
  readonly clock?: () => number;
  readonly logger?: TransformLogger;
  /** Called once per invocation with what was written and refused. */
  readonly onBatch?: (s: { readonly points: number; readonly written: number; readonly rejected: readonly RejectedPoint[] }) => void;
  /** The sources records are routed to (default: the registry). */
  readonly sources?: readonly SourceDefinition[];
}

/** Builds the writer handler around a sink. */
export function createTimeSeriesWriter(deps: TimeSeriesWriterDeps): (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse> {
  const clock = deps.clock ?? Date.now;
  const sources = deps.sources ?? SOURCES;
  const router = new SourceRouter(sources);
  return async (event) => {
    const ctx = { ingestUs: clock() * 1000 };
    const points: Point[] = [];
    for (const r of event.Records ?? []) {
      const data = r.kinesis?.data;
      if (typeof data !== 'string') continue;
      const text = Buffer.from(data, 'base64').toString('utf8');
      const source = sources[router.route(text)];
      if (source?.points) points.push(...source.points(text, r.kinesis.partitionKey, router.json, ctx));
    }
    if (points.length === 0) return { batchItemFailures: [] };
    const res = await deps.sink.write(points);
    if (deps.logger) logRejected(deps.logger, 'stream record', res.rejected);
    deps.onBatch?.({ points: points.length, written: res.written, rejected: res.rejected });
    return { batchItemFailures: [] };
  };
}
