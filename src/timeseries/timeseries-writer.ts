/**
 * The time-series writer: a second consumer of the stream that writes every
 * valid trade as a `trade` point (the old pipeline's InfluxDB measurement:
 * price, quantity, quote quantity, market maker, day of week, hour, minute) to
 * the configured store. Invalid records are skipped here: the stream transform
 * quarantines them. Points the store refuses are logged with their reason and
 * counted (never dropped silently); a failed write fails the batch so the event
 * source retries it, and retries upsert the same points (same time, tags).
 */
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { parsePayload } from '../sources/binance-trades/index.js';
import { tradeFeatures } from '../sources/binance-trades/index.js';
import { tradePoint } from './measurements.js';
import type { Point, RejectedPoint, TimeSeriesSink } from './point.js';
import type { TransformLogger } from '../ingest/stream-transform.js';
import { symbolOfKey } from '../sources/binance-trades/index.js';
import { logRejected } from './rejections.js';

export interface TimeSeriesWriterDeps {
  readonly sink: TimeSeriesSink;
  readonly clock?: () => number;
  readonly logger?: TransformLogger;
  /** Called once per invocation with what was written and refused. */
  readonly onBatch?: (s: { readonly points: number; readonly written: number; readonly rejected: readonly RejectedPoint[] }) => void;
}

/** Builds the writer handler around a sink. */
export function createTimeSeriesWriter(deps: TimeSeriesWriterDeps): (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse> {
  const clock = deps.clock ?? Date.now;
  return async (event) => {
    const ctx = { nowUs: clock() * 1000 };
    const points: Point[] = [];
    for (const r of event.Records ?? []) {
      const data = r.kinesis?.data;
      if (typeof data !== 'string') continue;
      const text = Buffer.from(data, 'base64').toString('utf8');
      const p = parsePayload(text, symbolOfKey(r.kinesis.partitionKey), ctx);
      if (p.ok) points.push(tradePoint(tradeFeatures(p.trade, ctx.nowUs)));
    }
    if (points.length === 0) return { batchItemFailures: [] };
    const res = await deps.sink.write(points);
    if (deps.logger) logRejected(deps.logger, 'trade', res.rejected);
    deps.onBatch?.({ points: points.length, written: res.written, rejected: res.rejected });
    return { batchItemFailures: [] };
  };
}
