/**
 * Publishes closed minute bars from the lake to the time-series store in the
 * cloud, once per schedule tick (the predict function's one-minute schedule).
 * Same rule as the local publisher (`src/timeseries/bar-publication.ts`:
 * closed = watermark at least the allowed lateness past the minute's end;
 * fresh bars; a published bar whose trade count changed is re-published as a
 * correction with version = trade count). What differs is what one run reads:
 * the local publisher scans the whole lake, a tick reads two small Athena
 * queries.
 *
 * A tick:
 * 1. reads the watermark, the latest trade time in `bar_partials` from the day
 *    the tick's window starts on;
 * 2. reads the `bars_1m` rows of the minutes closed since the last tick
 *    (at most `maxCatchUpMinutes` of them: a backlog, e.g. after a replay at
 *    full speed or an outage, is caught up over several ticks) and of the
 *    `correctionHorizonMinutes` before the last of those;
 * 3. writes the fresh bars and the corrections;
 * 4. saves its state (a small JSON document in the model store): the last
 *    minute handled and the trade counts published inside the horizon.
 *
 * Why a state document and not a stateless tick: publishing itself is
 * idempotent (an unchanged bar re-sent is the identical record), but a
 * stateless tick could only look back a fixed window from the watermark, and
 * the watermark can move further than that between two ticks (a replay at full
 * speed advances it by hours per minute; a stalled stream that resumes jumps
 * it): the minutes in between would never be published. The state says where
 * the last tick stopped, so a tick catches up exactly. It is also what keeps a
 * tick from re-sending every bar of the horizon every minute. It is not
 * needed for correctness of the store: a lost or stale state, or a tick run
 * twice, re-sends identical records (no-ops) — never a conflicting one.
 *
 * Limits (documented in src/timeseries/README.md): a trade later than the
 * correction horizon still corrects `bars_1m` but is not re-published by the
 * ticks; the first tick of a deployment starts `correctionHorizonMinutes`
 * before the watermark, and a tick anchored at `fromUs` (a manual invocation)
 * re-publishes history from that minute on.
 */
import type { StreamProducer } from '../ingest/stream-producer.js';
import { sendBars } from './bar-outlet.js';
import {
  DEFAULT_ALLOWED_LATENESS_SECONDS,
  lastClosedMinuteUs,
  MINUTE_US,
  planPublication,
  publishedSince,
  recordPublished,
  type PublishedBars,
} from './bar-publication.js';
import type { RejectedPoint, TimeSeriesSink } from './point.js';
import type { BarQuery } from '../ml/steps/bar-source.js';
import type { MlModelStore } from '../ml/steps/model-store.js';
import { toBarRow } from '../core/bars.js';
import type { Bar } from '../core/bars.js';

/** What the publisher reads from the lake (`AthenaBarSource` in the cloud). */
export interface LakeBarReader {
  /** The latest trade time from the UTC day of `fromUs` on, µs; undefined when there is none. */
  latestTradeTimeUs(fromUs: number): Promise<number | undefined>;
  /** The bars of a window. */
  bars(query: BarQuery): Promise<Bar[]>;
}

/** Dependencies and settings of {@link createCloudBarPublisher}. */
export interface CloudBarPublisherOptions {
  readonly lake: LakeBarReader;
  /** The store the bars are written to, unless `enriched` is given. */
  readonly sink: Pick<TimeSeriesSink, 'write'>;
  /** The enriched stream: bars are put there instead (the time-series writer consumes it). */
  readonly enriched?: StreamProducer;
  /** Where the state document lives (the model store of the predict function). */
  readonly state: Pick<MlModelStore, 'getState' | 'putState'>;
  /** Default 10 s, the stream's watermark rule. */
  readonly allowedLatenessSeconds?: number;
  /** How far back before the last closed minute a changed bar is re-published (default 60 minutes). */
  readonly correctionHorizonMinutes?: number;
  /** Newly closed minutes handled per tick at most (default 180). */
  readonly maxCatchUpMinutes?: number;
  /** State document name (default `bar-publisher`). */
  readonly stateName?: string;
}

/** One tick. */
export interface BarTick {
  /** The tick's time (the schedule's time), µs. */
  readonly timeUs: number;
  /** Re-publish from the minute holding this time on (a manual invocation), µs. */
  readonly fromUs?: number;
}

/** What a tick did. */
export interface BarTickResult {
  /** The lake's latest trade time, µs (undefined: no trade from the window's day on; nothing done). */
  readonly watermarkUs?: number;
  /** Last minute handled, µs. */
  readonly closedThroughUs?: number;
  readonly fresh: number;
  readonly corrections: number;
  readonly written: number;
  /** Corrections the store applied by re-sending with a higher version (LiveAnalytics). */
  readonly storeCorrected: number;
  /** Refused points, each with its reason: logged and counted by the caller; retried by the next ticks while inside the horizon. */
  readonly rejected: readonly RejectedPoint[];
  /** Closed minutes still to publish after this tick (a backlog being caught up). */
  readonly backlogMinutes: number;
}

/** The state document. */
interface PublisherState {
  readonly closedThroughUs: number;
  readonly published: PublishedBars;
}

const floorMinute = (us: number) => Math.floor(us / MINUTE_US) * MINUTE_US;

/** Builds the tick function. Run one tick at a time (the predict function has reserved concurrency 1). */
export function createCloudBarPublisher(o: CloudBarPublisherOptions): (tick: BarTick) => Promise<BarTickResult> {
  const name = o.stateName ?? 'bar-publisher';
  const lateness = o.allowedLatenessSeconds ?? DEFAULT_ALLOWED_LATENESS_SECONDS;
  const horizon = Math.max(1, o.correctionHorizonMinutes ?? 60) * MINUTE_US;
  const catchUp = Math.max(1, o.maxCatchUpMinutes ?? 180) * MINUTE_US;
  return async (tick) => {
    const saved = (await o.state.getState(name)) as PublisherState | undefined;
    // A manual tick re-publishes from its minute on, whatever was published before.
    const published: PublishedBars = tick.fromUs === undefined ? (saved?.published ?? {}) : {};
    const handled = tick.fromUs !== undefined ? floorMinute(tick.fromUs) - MINUTE_US : saved?.closedThroughUs;
    const watermarkUs = await o.lake.latestTradeTimeUs((handled ?? floorMinute(tick.timeUs)) - horizon);
    if (watermarkUs === undefined)
      return {
        fresh: 0,
        corrections: 0,
        written: 0,
        storeCorrected: 0,
        rejected: [],
        backlogMinutes: 0,
        ...(handled === undefined ? {} : { closedThroughUs: handled }),
      };
    const lastClosed = lastClosedMinuteUs(watermarkUs, lateness);
    const start = handled === undefined ? lastClosed - horizon + MINUTE_US : handled + MINUTE_US;
    const upper = Math.min(lastClosed, start + catchUp - MINUTE_US);
    const closedThroughUs = Math.max(upper, handled ?? upper);
    const readFrom = Math.min(start, closedThroughUs + MINUTE_US - horizon);
    const rows = (await o.lake.bars({ startUs: readFrom, endUs: closedThroughUs + MINUTE_US })).map(toBarRow);
    const { fresh, corrections } = planPublication(rows, published, watermarkUs, lateness);
    const toWrite = [...fresh, ...corrections];
    const result = await sendBars(o.enriched ? { enriched: o.enriched } : { sink: o.sink }, fresh, corrections);
    const refused = new Set(result.rejected.map((r) => r.index));
    recordPublished(
      published,
      toWrite.filter((_, i) => !refused.has(i)),
    );
    await o.state.putState(name, { closedThroughUs, published: publishedSince(published, readFrom) } satisfies PublisherState);
    return {
      watermarkUs,
      closedThroughUs,
      fresh: fresh.length,
      corrections: corrections.length,
      written: result.written,
      storeCorrected: result.corrected,
      rejected: result.rejected,
      backlogMinutes: Math.max(0, (lastClosed - closedThroughUs) / MINUTE_US),
    };
  };
}

/** Hooks of {@link withBarPublishing}. */
export interface BarPublishingHooks {
  /** A tick's outcome (log it, count it, log its refused points). */
  readonly onTick?: (result: BarTickResult) => void;
  /** A tick that failed (the store or Athena unreachable, ...). */
  readonly onError?: (error: unknown) => void;
}

/**
 * Wraps a scheduled handler (events `{ time }`, ISO 8601): each tick first
 * publishes the closed bars, then runs the handler (the predictions) whatever
 * the publishing did, and fails afterwards if the publishing failed, so that
 * the schedule retries the tick and its dead-letter queue sees a failure that
 * lasts. `republishBarsFrom` (ISO 8601) anchors the tick there (a manual
 * re-publish). Events without `time` go straight to the handler.
 */
export function withBarPublishing<E extends object, R>(
  handler: (event: E) => Promise<R>,
  publish: (tick: BarTick) => Promise<BarTickResult>,
  hooks: BarPublishingHooks = {},
): (event: E & { readonly time?: string; readonly republishBarsFrom?: string }) => Promise<R> {
  return async (event) => {
    let failure: { error: unknown } | undefined;
    const timeMs = typeof event.time === 'string' ? Date.parse(event.time) : Number.NaN;
    // A bad time is the handler's to report.
    if (!Number.isNaN(timeMs)) {
      try {
        const fromMs = event.republishBarsFrom === undefined ? undefined : Date.parse(event.republishBarsFrom);
        if (fromMs !== undefined && Number.isNaN(fromMs)) throw new Error(`republishBarsFrom is not ISO 8601: ${event.republishBarsFrom}`);
        const result = await publish({ timeUs: timeMs * 1000, ...(fromMs === undefined ? {} : { fromUs: fromMs * 1000 }) });
        hooks.onTick?.(result);
      } catch (error) {
        failure = { error };
        hooks.onError?.(error);
      }
    }
    const result = await handler(event);
    if (failure) throw failure.error;
    return result;
  };
}
