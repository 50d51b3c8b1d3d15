/**
 * Nothing dropped silently: points a store refuses are logged with their
 * reason (the first ones one by one, then a count) and counted by the caller.
 */
import { TimeSeriesWriteError, type Point, type RejectedPoint, type TimeSeriesSink, type WriteOptions, type WriteResult } from './point.js';

/** Where the lines go (a Powertools logger fits). */
export interface WarnLog {
  warn(message: string, attributes: Record<string, unknown>): void;
}

/** Logs refused points: each of the first `limit` with its reason and identity, then how many more. */
export function logRejected(log: WarnLog, what: string, rejected: readonly RejectedPoint[], limit = 20): void {
  for (const r of rejected.slice(0, limit)) {
    log.warn(`time-series store refused a ${what} point`, {
      code: r.code,
      reason: r.reason,
      measurement: r.point.measurement,
      tags: r.point.tags,
      time: r.point.time,
    });
  }
  if (rejected.length > limit)
    log.warn(`time-series store refused more ${what} points than were logged one by one`, { refused: rejected.length, logged: limit });
}

/**
 * A sink that logs what is refused. With `unavailableAsRejected`, a write that
 * throws {@link TimeSeriesWriteError} (store unreachable) resolves with every
 * point refused for that reason instead: for points that are derived from the
 * lake and would not be written again anyway (predictions), so that a store
 * outage is logged and counted without failing the caller.
 */
export function reportingSink(
  sink: Pick<TimeSeriesSink, 'write'>,
  log: WarnLog,
  what: string,
  o: { unavailableAsRejected?: boolean } = {},
): Pick<TimeSeriesSink, 'write'> {
  return {
    async write(points: readonly Point[], options?: WriteOptions): Promise<WriteResult> {
      let result: WriteResult;
      try {
        result = await sink.write(points, options);
      } catch (e) {
        if (!(o.unavailableAsRejected && e instanceof TimeSeriesWriteError)) throw e;
        result = {
          written: 0,
          retried: 0,
          corrected: 0,
          rejected: points.map((point, index) => ({ index, point, code: 'rejected_by_store', reason: `store unavailable: ${e.message}` })),
        };
      }
      logRejected(log, what, result.rejected);
      return result;
    },
  };
}
