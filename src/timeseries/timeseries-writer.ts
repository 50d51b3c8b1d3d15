/**
 * The time-series writer: a second consumer of the stream that routes every
 * record to its source, as the transform does, and writes the points the source
 * makes of it (Binance trades: the old pipeline's `trade` measurement; stock
 * ticks: `stock_tick`) to the configured store. It also consumes the enriched
 * stream (src/enriched/): the closed minute bars the bar publisher put there
 * become `bar_1m` points (version = trade count, so a correction replaces the
 * bar and a redelivery changes nothing), the highest version per bar of a batch
 * only. Invalid records are skipped here: the stream transform
 * quarantines them. Points the store refuses are logged with their reason and
 * counted (never dropped silently); a failed write fails the batch so the event
 * source retries it, and retries upsert the same points (same time, tags).
 */
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { SourceDefinition } from '../sources/contract.js';
import { SOURCES } from '../sources/index.js';
import { SourceRouter } from '../ingest/source-router.js';
import { type EnrichedBar, ENRICHED_PREFIX, latestByKey, parseEnriched } from '../enriched/records.js';
import { BAR_WRITE_OPTIONS } from './bar-publication.js';
import { barPoint } from './measurements.js';
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
  /** Called with the enriched bars of a batch once their points are written (the store's verdict aside). */
  readonly onBars?: (bars: readonly EnrichedBar[]) => void | Promise<void>;
}

/** Builds the writer handler around a sink. */
export function createTimeSeriesWriter(deps: TimeSeriesWriterDeps): (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse> {
  const clock = deps.clock ?? Date.now;
  const sources = deps.sources ?? SOURCES;
  const router = new SourceRouter(sources);
  return async (event) => {
    const ctx = { ingestUs: clock() * 1000 };
    const points: Point[] = [];
    const enriched: EnrichedBar[] = [];
    let unknown = 0;
    for (const r of event.Records ?? []) {
      const data = r.kinesis?.data;
      if (typeof data !== 'string') continue;
      const text = Buffer.from(data, 'base64').toString('utf8');
      if (text.startsWith(ENRICHED_PREFIX)) {
        const e = parseEnriched(text);
        // Other kinds (category aggregates, view intervals) are for other consumers.
        if (e?.enriched === 'bar_1m') enriched.push(e);
        else if (!e) unknown++;
        continue;
      }
      const source = sources[router.route(text)];
      if (source?.points) points.push(...source.points(text, r.kinesis.partitionKey, router.json, ctx));
    }
    // A malformed or newer kind of enriched record is not this consumer's to fail on.
    if (unknown > 0) deps.logger?.warn('skipped enriched records of an unknown kind or malformed', { records: unknown });
    const bars = latestByKey(enriched);
    if (points.length === 0 && bars.length === 0) return { batchItemFailures: [] };
    const trades = points.length > 0 ? await deps.sink.write(points) : undefined;
    const barWrite =
      bars.length > 0
        ? await deps.sink.write(
            bars.map((b) => barPoint(b.bar)),
            BAR_WRITE_OPTIONS,
          )
        : undefined;
    const rejected = [...(trades?.rejected ?? []), ...(barWrite?.rejected ?? [])];
    if (deps.logger) logRejected(deps.logger, 'stream record', rejected);
    if (bars.length > 0) await deps.onBars?.(bars);
    deps.onBatch?.({ points: points.length + bars.length, written: (trades?.written ?? 0) + (barWrite?.written ?? 0), rejected });
    return { batchItemFailures: [] };
  };
}
