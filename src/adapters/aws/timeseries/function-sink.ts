/**
 * A {@link TimeSeriesSink} that writes through the time-series points function
 * (`points-function.ts`): points go as JSON in a synchronous Lambda Invoke,
 * the per-point verdicts come back. Used by functions outside the time-series
 * stack (the predict function), whatever the store behind it.
 *
 * - Points that break the data model are rejected here, before sending.
 * - Record versions are resolved here (a per-point version function becomes
 *   one number per point) and travel with the points.
 * - At most `pointsPerCall` points per invocation (default 1,000: a few
 *   hundred KB, far below the 6 MB synchronous payload limit), one at a time.
 * - An invocation that fails (the SDK's own retries exhausted, a function
 *   error) or a store the function could not reach ends in
 *   {@link TimeSeriesWriteError}: no per-point verdict is possible then, and
 *   the caller retries later (the sink contract).
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { pointToJson } from '../../../timeseries/point-json.js';
import {
  pointProblem,
  TimeSeriesWriteError,
  type Point,
  type RejectedPoint,
  type TimeSeriesEngine,
  type TimeSeriesSink,
  type WriteOptions,
  type WriteResult,
} from '../../../timeseries/point.js';
import type { PointsRequest, PointsResponse } from '../../../timeseries/points-function.js';

/** Invokes the function with a JSON payload; resolves with its JSON answer and the function error, if any. */
export type PointsInvoker = (payload: string) => Promise<{ readonly payload: string; readonly functionError?: string }>;

export interface FunctionSinkOptions {
  /** The engine behind the function (what `kind` reports). */
  readonly kind: TimeSeriesEngine;
  /** Name or ARN of the points function. */
  readonly functionName: string;
  /** How to invoke it (default: a Lambda client, see {@link lambdaInvoker}). */
  readonly invoke?: PointsInvoker;
  /** Points per invocation (default 1,000). */
  readonly pointsPerCall?: number;
}

const decoder = new TextDecoder();

/** Synchronous invocation with a Lambda client. */
export function lambdaInvoker(client: Pick<LambdaClient, 'send'>, functionName: string): PointsInvoker {
  return async (payload) => {
    const out = await client.send(
      new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(payload) }),
    );
    return { payload: out.Payload ? decoder.decode(out.Payload) : '', ...(out.FunctionError ? { functionError: out.FunctionError } : {}) };
  };
}

export class FunctionSink implements TimeSeriesSink {
  readonly kind: TimeSeriesEngine;
  private readonly invoke: PointsInvoker;
  private readonly perCall: number;
  /** A client this sink made (and destroys on close). */
  private readonly owned: LambdaClient | undefined;

  constructor(private readonly options: FunctionSinkOptions) {
    this.kind = options.kind;
    this.owned = options.invoke ? undefined : new LambdaClient({});
    this.invoke = options.invoke ?? lambdaInvoker(this.owned!, options.functionName);
    this.perCall = Math.max(1, options.pointsPerCall ?? 1000);
  }

  async write(points: readonly Point[], options: WriteOptions = {}): Promise<WriteResult> {
    const rejected: RejectedPoint[] = [];
    const valid: { index: number; point: Point }[] = [];
    points.forEach((point, index) => {
      const problem = pointProblem(point);
      if (problem) rejected.push({ index, point, code: 'invalid_point', reason: problem });
      else valid.push({ index, point });
    });
    let written = 0;
    let retried = 0;
    let corrected = 0;
    for (let i = 0; i < valid.length; i += this.perCall) {
      const chunk = valid.slice(i, i + this.perCall);
      const v = options.version;
      const request: PointsRequest = {
        points: chunk.map((c) => pointToJson(c.point)),
        ...(v === undefined ? {} : { versions: typeof v === 'function' ? chunk.map((c) => v(c.point, c.index)) : v }),
      };
      const answer = await this.call(request);
      written += answer.written;
      retried += answer.retried;
      corrected += answer.corrected;
      for (const r of answer.rejected) {
        const sent = chunk[r.index];
        if (sent) rejected.push({ index: sent.index, point: sent.point, code: r.code, reason: r.reason });
      }
    }
    rejected.sort((a, b) => a.index - b.index);
    return { written, rejected, retried, corrected };
  }

  private async call(request: PointsRequest): Promise<Extract<PointsResponse, { written: number }>> {
    const name = this.options.functionName;
    let out: Awaited<ReturnType<PointsInvoker>>;
    try {
      out = await this.invoke(JSON.stringify(request));
    } catch (e) {
      throw new TimeSeriesWriteError(`invoking the time-series points function ${name} failed: ${(e as Error)?.message}`, true, e);
    }
    let answer: PointsResponse & { errorMessage?: string; errorType?: string };
    try {
      answer = JSON.parse(out.payload) as typeof answer;
    } catch {
      throw new TimeSeriesWriteError(`the time-series points function ${name} answered with something that is not JSON: ${out.payload.slice(0, 200)}`, true);
    }
    if (out.functionError) {
      throw new TimeSeriesWriteError(
        `the time-series points function ${name} failed (${out.functionError}): ${answer?.errorType ?? 'Error'}: ${answer?.errorMessage ?? out.payload.slice(0, 200)}`,
        true,
      );
    }
    if ('error' in answer) throw new TimeSeriesWriteError(`time-series store behind ${name}: ${answer.error.message}`, answer.error.retryable);
    return answer;
  }

  async close(): Promise<void> {
    this.owned?.destroy();
  }
}
