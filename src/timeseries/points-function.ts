/**
 * The time-series points function: a small Lambda function of the time-series
 * stack that writes the points it is invoked with to the configured store and
 * answers with the per-point verdicts. Other functions (the predict function:
 * minute bars and predictions) reach the store through it
 * ({@link FunctionSink} in `function-sink.ts`), so only the time-series stack
 * holds the store's grants, credentials and network (the InfluxDB instance is
 * in private subnets of its own VPC; the callers are not).
 *
 * This module holds the request / response shapes and the handler logic; the
 * entry point is `lambdas/timeseries-points/handler.ts`.
 */
import { pointFromJson, type JsonPoint } from './point-json.js';
import { TimeSeriesWriteError, type Point, type RejectCode, type RejectedPoint, type TimeSeriesSink, type WriteResult } from './point.js';

/** What the function is invoked with. */
export interface PointsRequest {
  readonly points: readonly JsonPoint[];
  /** Record versions: one for all points, or one per point (same order); default the store sink's clock. */
  readonly versions?: number | readonly number[];
}

/** One refused point of a request: its position and why. */
export interface PointsRejection {
  readonly index: number;
  readonly code: RejectCode;
  readonly reason: string;
}

/** What the function answers: the write's verdicts, or why no verdict per point was possible. */
export type PointsResponse =
  | { readonly written: number; readonly retried: number; readonly corrected: number; readonly rejected: readonly PointsRejection[] }
  | { readonly error: { readonly message: string; readonly retryable: boolean } };

/** Dependencies of {@link createPointsHandler}. */
export interface PointsHandlerDeps {
  /** The store (never a {@link FunctionSink}: this function is the end of the line). */
  readonly sink: Pick<TimeSeriesSink, 'write'>;
  /** Called with each request's outcome (rejections carry their points), e.g. to log and count. */
  readonly onResult?: (result: WriteResult) => void;
}

/** The handler: decodes the points, writes them, returns the verdicts. */
export function createPointsHandler(deps: PointsHandlerDeps): (request: PointsRequest) => Promise<PointsResponse> {
  return async (request) => {
    if (!Array.isArray(request?.points)) throw new Error('expected { points: [...] }');
    const versions = request.versions;
    if (Array.isArray(versions) && versions.length !== request.points.length)
      throw new Error(`${versions.length} versions for ${request.points.length} points`);
    const undecodable: RejectedPoint[] = [];
    const points: Point[] = [];
    const positions: number[] = [];
    request.points.forEach((j, index) => {
      try {
        points.push(pointFromJson(j));
        positions.push(index);
      } catch (e) {
        const placeholder: Point = { measurement: String((j as Partial<JsonPoint>)?.measurement ?? ''), tags: {}, fields: {}, time: 0 };
        undecodable.push({ index, point: placeholder, code: 'invalid_point', reason: (e as Error).message });
      }
    });
    let result: WriteResult;
    try {
      const version = Array.isArray(versions) ? (_p: Point, i: number) => versions[positions[i]!]! : (versions as number | undefined);
      result =
        points.length > 0 ? await deps.sink.write(points, version === undefined ? {} : { version }) : { written: 0, rejected: [], retried: 0, corrected: 0 };
    } catch (e) {
      if (e instanceof TimeSeriesWriteError) return { error: { message: e.message, retryable: e.retryable } };
      throw e;
    }
    const rejected = [...undecodable, ...result.rejected.map((r) => ({ ...r, index: positions[r.index]! }))].sort((a, b) => a.index - b.index);
    deps.onResult?.({ ...result, rejected });
    return {
      written: result.written,
      retried: result.retried,
      corrected: result.corrected,
      rejected: rejected.map(({ index, code, reason }) => ({ index, code, reason })),
    };
  };
}
