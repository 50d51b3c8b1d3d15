/**
 * The live-prediction step as a function of an event, for the `predict`
 * Lambda: either closed bars pushed by a producer (`{ bars: [...] }`, rows
 * shaped like `bars_1m`), or a one-minute EventBridge schedule (`{ time }`),
 * on which the minutes closed since the last run (watermark = time minus the
 * allowed lateness) are read from the bar source. Forecasts still waiting for
 * their target minute are kept in the model store between invocations, so a
 * new container resumes them; feature windows are refilled from the bar
 * source on a cold start. Run it with reserved concurrency 1 (one writer of
 * that state, bars in order).
 */
import { MINUTE_US } from '../bar.js';
import { type BarRow, fromBarRow } from '../../core/bars.js';
import type { BarSource } from './bar-source.js';
import type { PendingPrediction, PredictionService } from './live-predictions.js';
import type { MlModelStore } from './model-store.js';
import type { Bar } from '../../core/bars.js';

/** What the function is invoked with: closed bars as `bars_1m` rows (as the bar publisher's `onClosed` hands them over), or a schedule tick. */
export type PredictEvent = { readonly bars: readonly BarRow[] } | { readonly time: string };

/** What an invocation did. */
export interface PredictResult {
  readonly bars: number;
  readonly predictions: number;
  readonly rows: number;
  readonly points: number;
  readonly rejectedPoints: number;
  readonly pending: number;
}

/** State kept in the model store between invocations. */
interface PredictorState {
  readonly pending: readonly PendingPrediction[];
  /** Last minute fed on the scheduled path, µs. */
  readonly lastMinuteUs: number | null;
}

/** Dependencies of {@link createPredictHandler}. */
export interface PredictHandlerDeps {
  readonly service: PredictionService;
  readonly store: Pick<MlModelStore, 'getState' | 'putState'>;
  /** Needed for scheduled events. */
  readonly bars?: BarSource;
  /** Seconds after a minute's end before it counts as closed (default 10, as the stream's watermark rule). */
  readonly allowedLatenessSeconds?: number;
  /** At most this many minutes are caught up per scheduled run (default 60). */
  readonly maxCatchUpMinutes?: number;
  /** State document name (default `live-predictor`). */
  readonly stateName?: string;
}

/** The handler: feeds closed bars to the service, flushes, saves the pending forecasts. */
export function createPredictHandler(deps: PredictHandlerDeps): (event: PredictEvent) => Promise<PredictResult> {
  const name = deps.stateName ?? 'live-predictor';
  let lastMinuteUs: number | null | undefined;
  return async (event) => {
    if (lastMinuteUs === undefined) {
      const saved = (await deps.store.getState(name)) as PredictorState | undefined;
      deps.service.restorePending(saved?.pending ?? []);
      lastMinuteUs = saved?.lastMinuteUs ?? null;
    }
    let bars: Bar[];
    if ('bars' in event) bars = event.bars.map(fromBarRow);
    else {
      if (!deps.bars) throw new Error('a scheduled prediction run needs a bar source');
      const t = Date.parse(event.time);
      if (Number.isNaN(t)) throw new Error(`event time is not ISO 8601: ${event.time}`);
      const closedEndUs = Math.floor((t - (deps.allowedLatenessSeconds ?? 10) * 1000) / 60_000) * MINUTE_US;
      const floor = closedEndUs - (deps.maxCatchUpMinutes ?? 60) * MINUTE_US;
      const startUs = Math.max(lastMinuteUs === null ? closedEndUs - MINUTE_US : lastMinuteUs + MINUTE_US, floor);
      bars = startUs < closedEndUs ? await deps.bars.bars({ startUs, endUs: closedEndUs }) : [];
      lastMinuteUs = closedEndUs - MINUTE_US;
    }
    bars.sort((a, b) => a.minuteStartUs - b.minuteStartUs || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
    let predictions = 0;
    for (const b of bars) if ((await deps.service.onBar(b)) !== undefined) predictions++;
    const flushed = await deps.service.flush();
    const pending = deps.service.pending();
    await deps.store.putState(name, { pending, lastMinuteUs } satisfies PredictorState);
    return { bars: bars.length, predictions, rows: flushed.rows, points: flushed.points, rejectedPoints: flushed.rejectedPoints, pending: pending.length };
  };
}
