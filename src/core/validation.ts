/**
 * Validation rules every source shares: the processing clock and the range an
 * event time must fall in. Pure.
 */
import { reject, type Rejection } from './reasons.js';

/** Context the rules need that is not in the record. */
export interface ValidationContext {
  /** Processing clock, microseconds since epoch: event times beyond now + skew are rejected. */
  readonly nowUs: number;
}

/** Earliest event time accepted (Binance spot opened in July 2017; anything earlier is a corrupt timestamp). */
export const MIN_TRADE_TIME_US = Date.UTC(2017, 6, 1) * 1000;
/** How far ahead of the processing clock an event time may be (producer clock skew). */
export const MAX_FUTURE_SKEW_US = 24 * 3600 * 1_000_000;

/**
 * An event time must fall between 2017-07-01 and shortly after the processing clock.
 * @param what how the message names the time (default `trade time`)
 */
export function checkEventTime(timeUs: number, ctx: ValidationContext, what = 'trade time'): Rejection<'TIME_OUT_OF_RANGE'> | undefined {
  if (!Number.isFinite(timeUs) || timeUs < MIN_TRADE_TIME_US) {
    return reject('TIME_OUT_OF_RANGE', `${what} ${timeUs} us is before 2017-07-01`);
  }
  if (timeUs > ctx.nowUs + MAX_FUTURE_SKEW_US) {
    // Date covers +-8.64e15 ms only; toISOString throws beyond it.
    const when = Math.abs(timeUs / 1000) <= 8.64e15 ? new Date(timeUs / 1000).toISOString() : `${timeUs} us`;
    return reject('TIME_OUT_OF_RANGE', `${what} ${when} is more than 24 h after the processing clock`);
  }
  return undefined;
}
