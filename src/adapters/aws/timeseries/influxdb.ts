/**
 * Time-series sink for InfluxDB, i.e. Amazon Timestream for InfluxDB or any
 * InfluxDB 1.x / 2.x server, over the line protocol on HTTP.
 *
 * Endpoints:
 * - v1: `POST {url}/write?db=<database>[&rp=<retention policy>]&precision=u|ns`,
 *   authenticated with a token (`Authorization: Token …`), HTTP Basic
 *   (`username`/`password`) or the `u`/`p` query parameters.
 * - v2: `POST {url}/api/v2/write?org=<org>&bucket=<bucket>&precision=us|ns`,
 *   authenticated with `Authorization: Token <token>`; with a username and
 *   password instead (what Timestream for InfluxDB's admin secret holds) the
 *   sink signs in once (`POST /api/v2/signin`, Basic) and sends the session
 *   cookie, signing in again if the session expires.
 *
 * Points are encoded by `src/timeseries/line-protocol.ts` (points that cannot
 * be encoded are rejected before sending), at microsecond precision unless a
 * point carries nanoseconds, then cut into batches of at most
 * `maxLinesPerBatch` lines and `maxBytesPerBatch` bytes, gzip-compressed
 * (`Content-Encoding: gzip`) and sent with at most `maxParallel` requests in
 * flight.
 *
 * Responses: 204 (or 200) means written. 400/422 mean some line was refused
 * (InfluxDB writes the other lines of a batch and answers "partial write"):
 * the batch is split in halves and re-sent until each refused line is alone,
 * and that line is returned as rejected with the server's message; re-sending
 * the lines already written is harmless because a point with the same
 * series and time replaces itself. 413 splits the batch likewise. 429 and 503
 * are retried after the server's Retry-After (capped at `retry.maxDelayMs`),
 * other 5xx and network errors after exponential backoff with full jitter;
 * after `retry.maxRetries` retries the write throws TimeSeriesWriteError
 * (retryable). 401/403/404 throw TimeSeriesWriteError (not retryable:
 * credentials, database or bucket are wrong).
 */
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { encodeLine, precisionFor, type Precision } from '../../../timeseries/line-protocol.js';
import { TimeSeriesWriteError, type Point, type RejectedPoint, type TimeSeriesSink, type WriteResult } from '../../../timeseries/point.js';
import { backoffDelayMs, DEFAULT_RETRY, mapBounded, sleep, type RetryPolicy } from '../../../timeseries/retry.js';

const gzip = promisify(gzipCb);

export type InfluxAuth =
  | { readonly token: string }
  | {
      readonly username: string;
      readonly password: string /** v1 only: `basic` header (default) or `query` (u/p parameters). */;
      readonly mode?: 'basic' | 'query';
    };

export interface InfluxSinkOptions {
  /** Base URL, e.g. `https://<endpoint>:8086`. */
  readonly url: string;
  readonly api: 'v1' | 'v2';
  /** v1 database. */
  readonly database?: string;
  /** v1 retention policy (default: the database's default). */
  readonly retentionPolicy?: string;
  /** v2 organization (name or id). */
  readonly org?: string;
  /** v2 bucket. */
  readonly bucket?: string;
  readonly auth?: InfluxAuth;
  /** Lines per request (default 5000, InfluxDB's recommended batch size). */
  readonly maxLinesPerBatch?: number;
  /** Uncompressed bytes per request (default 1 MiB). */
  readonly maxBytesPerBatch?: number;
  /** Compress request bodies (default true). */
  readonly gzip?: boolean;
  /** Requests in flight at once (default 2). */
  readonly maxParallel?: number;
  readonly retry?: Partial<RetryPolicy>;
  /** Per-request timeout (default 15 s). */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

interface Line {
  readonly index: number;
  readonly point: Point;
  readonly text: string;
}

interface Outcome {
  written: number;
  retried: number;
  rejected: RejectedPoint[];
}

/** Seconds (integer) or an HTTP date, as milliseconds to wait; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, nowMs: number = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const s = header.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const at = Date.parse(s);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** The message of an InfluxDB error body (v1 `{"error": …}`, v2 `{"message": …}`), else the raw text. */
export function influxErrorMessage(body: string): string {
  try {
    const j = JSON.parse(body) as { error?: unknown; message?: unknown };
    if (typeof j.message === 'string') return j.message;
    if (typeof j.error === 'string') return j.error;
  } catch {
    // not JSON
  }
  return body.trim() || '(empty response)';
}

const PRECISION_PARAM: Record<'v1' | 'v2', Record<Precision, string>> = {
  v1: { us: 'u', ns: 'ns' },
  v2: { us: 'us', ns: 'ns' },
};

export class InfluxSink implements TimeSeriesSink {
  readonly kind = 'timestream-influxdb' as const;
  private readonly base: string;
  private readonly maxLines: number;
  private readonly maxBytes: number;
  private readonly retry: RetryPolicy;
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private session: Promise<string> | undefined;

  constructor(private readonly options: InfluxSinkOptions) {
    this.base = options.url.replace(/\/+$/, '');
    if (options.api === 'v1' && !options.database) throw new Error('InfluxDB v1 needs a database');
    if (options.api === 'v2' && (!options.org || !options.bucket)) throw new Error('InfluxDB v2 needs an org and a bucket');
    this.maxLines = Math.max(1, options.maxLinesPerBatch ?? 5000);
    this.maxBytes = Math.max(1, options.maxBytesPerBatch ?? 1024 * 1024);
    this.retry = { ...DEFAULT_RETRY, baseDelayMs: 200, ...options.retry };
    this.fetch = options.fetch ?? globalThis.fetch;
    this.sleep = options.sleep ?? sleep;
    this.random = options.random ?? Math.random;
  }

  /** The write URL for a precision. */
  writeUrl(precision: Precision): string {
    const o = this.options;
    const q = new URLSearchParams();
    if (o.api === 'v1') {
      q.set('db', o.database!);
      if (o.retentionPolicy) q.set('rp', o.retentionPolicy);
      q.set('precision', PRECISION_PARAM.v1[precision]);
      if (o.auth && 'username' in o.auth && o.auth.mode === 'query') {
        q.set('u', o.auth.username);
        q.set('p', o.auth.password);
      }
      return `${this.base}/write?${q}`;
    }
    q.set('org', o.org!);
    q.set('bucket', o.bucket!);
    q.set('precision', PRECISION_PARAM.v2[precision]);
    return `${this.base}/api/v2/write?${q}`;
  }

  async write(points: readonly Point[]): Promise<WriteResult> {
    const precision = precisionFor(points);
    const rejected: RejectedPoint[] = [];
    const lines: Line[] = [];
    points.forEach((point, index) => {
      const r = encodeLine(point, precision);
      if (r.ok) lines.push({ index, point, text: r.line });
      else rejected.push({ index, point, code: 'invalid_point', reason: r.problem });
    });
    const batches: Line[][] = [];
    let batch: Line[] = [];
    let bytes = 0;
    for (const line of lines) {
      const size = Buffer.byteLength(line.text, 'utf8') + 1;
      if (batch.length > 0 && (batch.length >= this.maxLines || bytes + size > this.maxBytes)) {
        batches.push(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(line);
      bytes += size;
    }
    if (batch.length > 0) batches.push(batch);

    const outcomes = await mapBounded(batches, Math.max(1, this.options.maxParallel ?? 2), async (b) => {
      const outcome: Outcome = { written: 0, retried: 0, rejected: [] };
      await this.sendLines(b, precision, outcome);
      return outcome;
    });
    let written = 0;
    let retried = 0;
    for (const o of outcomes) {
      written += o.written;
      retried += o.retried;
      rejected.push(...o.rejected);
    }
    rejected.sort((a, b) => a.index - b.index);
    return { written, rejected, retried, corrected: 0 };
  }

  private async sendLines(lines: Line[], precision: Precision, outcome: Outcome): Promise<void> {
    const res = await this.post(lines, precision, outcome);
    if (res.status === 204 || res.status === 200) {
      outcome.written += lines.length;
      return;
    }
    const message = influxErrorMessage(res.body);
    if (res.status === 400 || res.status === 422 || res.status === 413) {
      if (lines.length === 1) {
        const l = lines[0]!;
        outcome.rejected.push({ index: l.index, point: l.point, code: 'rejected_by_store', reason: `InfluxDB ${res.status}: ${message}` });
        return;
      }
      const half = Math.ceil(lines.length / 2);
      await this.sendLines(lines.slice(0, half), precision, outcome);
      await this.sendLines(lines.slice(half), precision, outcome);
      return;
    }
    throw new TimeSeriesWriteError(`InfluxDB write ${this.redacted(this.writeUrl(precision))} answered ${res.status}: ${message}`, false);
  }

  /** One request with retries; resolves with the first non-retryable response. */
  private async post(lines: Line[], precision: Precision, outcome: Outcome): Promise<{ status: number; body: string }> {
    const text = `${lines.map((l) => l.text).join('\n')}\n`;
    const compress = this.options.gzip !== false;
    const body = compress ? await gzip(Buffer.from(text, 'utf8')) : Buffer.from(text, 'utf8');
    const url = this.writeUrl(precision);
    let signedInAgain = false;
    for (let attempt = 0; ; attempt++) {
      let wait: number | undefined;
      let failure: string;
      try {
        const headers: Record<string, string> = { 'Content-Type': 'text/plain; charset=utf-8' };
        if (compress) headers['Content-Encoding'] = 'gzip';
        Object.assign(headers, await this.authHeaders());
        const res = await this.fetch(url, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
        });
        const resBody = await res.text();
        if (res.status === 401 && this.usesSession() && !signedInAgain) {
          // The session expired: sign in again once.
          this.session = undefined;
          signedInAgain = true;
          attempt--;
          continue;
        }
        if (res.status !== 429 && res.status < 500) return { status: res.status, body: resBody };
        failure = `${res.status} ${influxErrorMessage(resBody)}`;
        if (res.status === 429 || res.status === 503) wait = retryAfterMs(res.headers.get('retry-after'));
      } catch (error) {
        if (error instanceof TimeSeriesWriteError) {
          if (!error.retryable) throw error;
          failure = error.message;
        } else {
          failure = describeNetworkError(error);
        }
      }
      if (attempt >= this.retry.maxRetries) {
        throw new TimeSeriesWriteError(`InfluxDB write ${this.redacted(url)} still failing after ${attempt + 1} attempts: ${failure}`, true);
      }
      outcome.retried++;
      const delay = wait !== undefined ? Math.min(wait, this.retry.maxDelayMs) : backoffDelayMs(attempt, this.retry, this.random);
      await this.sleep(delay);
    }
  }

  private usesSession(): boolean {
    return this.options.api === 'v2' && this.options.auth !== undefined && 'username' in this.options.auth;
  }

  private async authHeaders(): Promise<Record<string, string>> {
    const auth = this.options.auth;
    if (!auth) return {};
    if ('token' in auth) return { Authorization: `Token ${auth.token}` };
    if (this.options.api === 'v2') {
      this.session ??= this.signIn(auth.username, auth.password);
      try {
        return { Cookie: await this.session };
      } catch (error) {
        this.session = undefined;
        throw error;
      }
    }
    if (auth.mode === 'query') return {};
    return { Authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };
  }

  /** InfluxDB 2.x sign-in: Basic credentials for a session cookie. */
  private async signIn(username: string, password: string): Promise<string> {
    let res: Response;
    try {
      res = await this.fetch(`${this.base}/api/v2/signin`, {
        method: 'POST',
        headers: { Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
      });
    } catch (error) {
      throw new TimeSeriesWriteError(`InfluxDB sign-in failed: ${describeNetworkError(error)}`, true, error);
    }
    const body = await res.text();
    if (res.status !== 204 && res.status !== 200) {
      throw new TimeSeriesWriteError(`InfluxDB sign-in answered ${res.status}: ${influxErrorMessage(body)}`, res.status >= 500 || res.status === 429);
    }
    const cookies = (res.headers.getSetCookie?.() ?? [res.headers.get('set-cookie') ?? '']).map((c) => c.split(';')[0]!.trim()).filter(Boolean);
    if (cookies.length === 0) throw new TimeSeriesWriteError('InfluxDB sign-in returned no session cookie', false);
    return cookies.join('; ');
  }

  private redacted(url: string): string {
    return url.replace(/([?&]p=)[^&]*/, '$1***');
  }

  async close(): Promise<void> {
    this.session = undefined;
  }
}

function describeNetworkError(error: unknown): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  const cause = e?.cause?.code ?? e?.cause?.message;
  return `${e?.name ?? 'Error'}: ${e?.message ?? String(error)}${cause ? ` (${cause})` : ''}`;
}
