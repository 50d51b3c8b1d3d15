/**
 * The Binance live connector as a long-running process: what the ECS Fargate
 * service of `-c binanceLive=true` runs (bin/binance-live.ts, built into the
 * image by the repository's Dockerfile).
 *
 * - **Configuration** from the environment ({@link SERVICE_ENV}): the stream
 *   (`STREAM_NAME`), the symbols, the Binance endpoint; the AWS region and
 *   credentials come from the SDK's default chain (`AWS_REGION` and the task
 *   role on Fargate). A bad or missing setting ends the process at once with one
 *   line on stderr and exit code 2.
 * - **Logs** are JSON lines on stdout (`level`, `message`, `timestamp`,
 *   `service`, plus the connector's fields), which the `awslogs` driver ships.
 * - **Heartbeat**: every `HEARTBEAT_SECONDS` (60) one line in CloudWatch
 *   Embedded Metric Format on stdout, which CloudWatch Logs turns into metrics
 *   (namespace `ticklake`, dimension `service`): `LastTradeAgeSeconds` (now minus
 *   the trade time of the newest trade the stream accepted, so a connector that
 *   receives trades but cannot put them ages too; left out until the first trade
 *   is put, so one that never puts any shows as missing data), and the counts
 *   since the previous heartbeat `TradesPut`, `Gaps`, `Reconnects`. The same line
 *   carries the other counters as plain fields for Logs Insights (among them the
 *   age of the newest trade received, and with `BINANCE_REST_URL` the trades
 *   healed and the heals failed).
 * - **Stopping**: SIGTERM (what ECS sends on a stop or a deployment) or SIGINT
 *   closes the connections, puts everything buffered (at most
 *   `STOP_TIMEOUT_SECONDS`, 20, inside ECS's 30 s before SIGKILL), writes a last
 *   heartbeat and ends with 0; 1 if records were left unput.
 */
import { type KinesisClient, KinesisClient as SdkKinesisClient } from '@aws-sdk/client-kinesis';
import { emfLine, type EmfMetric } from '../adapters/aws/emf.js';
import { KinesisStreamProducer } from '../adapters/aws/kinesis-stream-producer.js';
import {
  BINANCE_WS_URL,
  type BinanceLive,
  type BinanceLiveStatus,
  binanceStreamUrl,
  checkSymbols,
  type ConnectorLogger,
  inspectFrame,
  startBinanceLive,
} from '../adapters/binance/live-connector.js';
import { binanceRestBase } from '../adapters/binance/gap-healer.js';
import type { PutEntry, PutRecordsResult, StreamProducer } from '../ingest/stream-producer.js';

/** The environment variables the process reads, with their defaults. */
export const SERVICE_ENV = {
  /** Kinesis stream to put to (required). */
  STREAM_NAME: undefined,
  /** Comma-separated Binance symbols. */
  BINANCE_SYMBOLS: 'BTCUSDT,ETHUSDT',
  /** Binance stream endpoint (a base, `…/stream`, `…/ws`, or a full stream URL; see the connector). */
  BINANCE_WS_URL,
  /** Binance REST API to heal trade-id gaps from, e.g. `https://api.binance.com` (empty: no healing, gaps are only counted). */
  BINANCE_REST_URL: '',
  /** Partition sub-keys per symbol (1: the key is the symbol). */
  BINANCE_KEY_SPREAD: '1',
  /** Seconds between heartbeats. */
  HEARTBEAT_SECONDS: '60',
  /** Longest wait for the buffer to drain on SIGTERM, seconds. */
  STOP_TIMEOUT_SECONDS: '20',
  METRICS_NAMESPACE: 'ticklake',
  /** Value of the metrics' `service` dimension and of the logs' `service` field. */
  SERVICE_NAME: 'binance-live',
  LOG_LEVEL: 'INFO',
} as const;

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ServiceConfig {
  readonly streamName: string;
  readonly symbols: readonly string[];
  /** The endpoint as configured. */
  readonly wsUrl: string;
  /** The stream URL the connector opens (from the endpoint and the symbols). */
  readonly streamUrl: string;
  /** The REST base gaps are healed from, if any. */
  readonly restUrl?: string;
  readonly keySpread: number;
  readonly heartbeatMs: number;
  readonly stopTimeoutMs: number;
  readonly namespace: string;
  readonly service: string;
  readonly logLevel: LogLevel;
}

/** A configuration problem: the process prints the message and exits with 2. */
export class ServiceConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`binance-live: ${problems.join('; ')}`);
    this.name = 'ServiceConfigError';
  }
}

/** Kinesis stream names: 1-128 of `a-zA-Z0-9_.-`. */
const STREAM_NAME_RE = /^[a-zA-Z0-9_.-]{1,128}$/;
const METRIC_NAME_RE = /^[^\s:]{1,255}$/;

/**
 * Reads the configuration from an environment (`process.env`). Every problem
 * is collected; the error's message is one line naming each.
 */
export function parseServiceConfig(env: Readonly<Record<string, string | undefined>>): ServiceConfig {
  const problems: string[] = [];
  const get = (key: keyof typeof SERVICE_ENV): string => {
    const v = env[key]?.trim();
    return v === undefined || v === '' ? (SERVICE_ENV[key] ?? '') : v;
  };
  const number = (key: keyof typeof SERVICE_ENV, min: number, max: number, integer: boolean): number => {
    const raw = get(key);
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      problems.push(`${key} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max} (got "${raw}")`);
      return min;
    }
    return n;
  };

  const streamName = get('STREAM_NAME');
  if (streamName === '') problems.push('STREAM_NAME is required (the Kinesis stream to put to)');
  else if (!STREAM_NAME_RE.test(streamName)) problems.push(`STREAM_NAME must be a Kinesis stream name (1-128 of a-z A-Z 0-9 _ . -), got "${streamName}"`);

  let symbols: string[] = [];
  try {
    symbols = checkSymbols(
      get('BINANCE_SYMBOLS')
        .split(',')
        .map((s) => s.trim()),
    );
  } catch (e) {
    problems.push(`BINANCE_SYMBOLS: ${(e as Error).message.replace(/^binance-live: /, '')}`);
  }
  const wsUrl = get('BINANCE_WS_URL');
  let streamUrl = '';
  try {
    streamUrl = binanceStreamUrl(wsUrl, symbols.length > 0 ? symbols : ['BTCUSDT']);
  } catch (e) {
    const message = e instanceof TypeError ? `not a URL: "${wsUrl}"` : (e as Error).message.replace(/^binance-live: /, '');
    problems.push(`BINANCE_WS_URL: ${message}`);
  }
  const restRaw = get('BINANCE_REST_URL');
  let restUrl: string | undefined;
  try {
    restUrl = restRaw === '' ? undefined : binanceRestBase(restRaw);
  } catch (e) {
    problems.push(`BINANCE_REST_URL: ${(e as Error).message.replace(/^binance-live: /, '')}`);
  }
  const keySpread = number('BINANCE_KEY_SPREAD', 1, 64, true);
  const heartbeatSeconds = number('HEARTBEAT_SECONDS', 0.05, 3600, false);
  const stopTimeoutSeconds = number('STOP_TIMEOUT_SECONDS', 1, 600, false);
  const namespace = get('METRICS_NAMESPACE');
  if (!METRIC_NAME_RE.test(namespace) || namespace.startsWith('AWS/')) problems.push(`METRICS_NAMESPACE is not a custom namespace: "${namespace}"`);
  const service = get('SERVICE_NAME');
  if (!METRIC_NAME_RE.test(service)) problems.push(`SERVICE_NAME must be 1-255 characters without spaces or ":", got "${service}"`);
  const logLevel = get('LOG_LEVEL').toUpperCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);

  if (problems.length > 0) throw new ServiceConfigError(problems);
  return {
    streamName,
    symbols,
    wsUrl,
    streamUrl,
    ...(restUrl === undefined ? {} : { restUrl }),
    keySpread,
    heartbeatMs: Math.round(heartbeatSeconds * 1000),
    stopTimeoutMs: Math.round(stopTimeoutSeconds * 1000),
    namespace,
    service,
    logLevel: logLevel as LogLevel,
  };
}

/** A JSON-lines logger (one object per line: level, message, timestamp, service, then the extra fields). */
export interface JsonLogger extends ConnectorLogger {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
}

export function jsonLogger(write: (line: string) => void, options: { service: string; level?: LogLevel; clock?: () => number }): JsonLogger {
  const min = LOG_LEVELS.indexOf(options.level ?? 'INFO');
  const clock = options.clock ?? Date.now;
  const log =
    (level: LogLevel) =>
    (message: string, ...extra: Record<string, unknown>[]) => {
      if (LOG_LEVELS.indexOf(level) < min) return;
      write(JSON.stringify({ level, message, timestamp: new Date(clock()).toISOString(), service: options.service, ...Object.assign({}, ...extra) }));
    };
  return { debug: log('DEBUG'), info: log('INFO'), warn: log('WARN'), error: log('ERROR') };
}

/** The heartbeat's metrics (what the CDK alarms on and graphs). */
export const HEARTBEAT_METRICS = {
  lastTradeAge: 'LastTradeAgeSeconds',
  tradesPut: 'TradesPut',
  gaps: 'Gaps',
  reconnects: 'Reconnects',
} as const;

/**
 * A producer that remembers the trade time of the newest trade the stream
 * accepted (entries a call reports as failed do not count): what the heartbeat's
 * `LastTradeAgeSeconds` is measured from.
 */
export class PutTracker implements StreamProducer {
  /** Trade time (ms) of the newest trade put, if any. */
  newestTradeMs: number | undefined;
  constructor(private readonly inner: StreamProducer) {}

  async putRecords(entries: readonly PutEntry[]): Promise<PutRecordsResult> {
    const result = await this.inner.putRecords(entries);
    const failed = new Set(result.failed.map((f) => f.index));
    for (let i = 0; i < entries.length; i++) {
      if (failed.has(i)) continue;
      const t = inspectFrame(entries[i]!.data).trade?.timeMs;
      if (t !== undefined && (this.newestTradeMs === undefined || t > this.newestTradeMs)) this.newestTradeMs = t;
    }
    return result;
  }
}

/** The counters a heartbeat reports as differences from the previous one. */
type Counters = Pick<
  BinanceLiveStatus,
  'tradesPut' | 'gaps' | 'gapTrades' | 'healedTrades' | 'healFailures' | 'reconnects' | 'connectFailures' | 'malformed' | 'duplicates'
>;
const NO_COUNTS: Counters = {
  tradesPut: 0,
  gaps: 0,
  gapTrades: 0,
  healedTrades: 0,
  healFailures: 0,
  reconnects: 0,
  connectFailures: 0,
  malformed: 0,
  duplicates: 0,
};

/**
 * One heartbeat: an EMF line (see the module comment) for `status`, counting
 * from `previous` (the status of the previous heartbeat; none for the first).
 * `newestPutTradeMs` is the trade time of the newest trade put ({@link PutTracker}).
 */
export function heartbeatLine(
  status: BinanceLiveStatus,
  previous: Counters | undefined,
  options: { namespace: string; service: string; timestampMs: number; newestPutTradeMs: number | undefined },
): string {
  const before = previous ?? NO_COUNTS;
  const delta = (k: keyof Counters) => Math.max(0, status[k] - before[k]);
  const metrics: EmfMetric[] = [];
  if (options.newestPutTradeMs !== undefined) {
    metrics.push({ name: HEARTBEAT_METRICS.lastTradeAge, unit: 'Seconds', value: Math.max(0, options.timestampMs - options.newestPutTradeMs) / 1000 });
  }
  metrics.push(
    { name: HEARTBEAT_METRICS.tradesPut, unit: 'Count', value: delta('tradesPut') },
    { name: HEARTBEAT_METRICS.gaps, unit: 'Count', value: delta('gaps') },
    { name: HEARTBEAT_METRICS.reconnects, unit: 'Count', value: delta('reconnects') },
  );
  return emfLine({
    namespace: options.namespace,
    dimensions: { service: options.service },
    metrics,
    timestampMs: options.timestampMs,
    properties: {
      level: 'INFO',
      message: 'heartbeat',
      timestamp: new Date(options.timestampMs).toISOString(),
      connected: status.connected,
      ...(status.lastTradeAgeMs === undefined ? {} : { lastReceivedTradeAgeSeconds: status.lastTradeAgeMs / 1000 }),
      gapTrades: delta('gapTrades'),
      ...(status.healUrl === undefined ? {} : { healedTrades: delta('healedTrades'), healFailures: delta('healFailures') }),
      connectFailures: delta('connectFailures'),
      malformed: delta('malformed'),
      duplicates: delta('duplicates'),
      messagesPerSecond: status.messagesPerSecond,
      buffered: status.buffered,
      paused: status.paused,
      totalTradesPut: status.tradesPut,
      ...(status.putter.lastError ? { lastPutError: status.putter.lastError } : {}),
    },
  });
}

/** What the process needs from its surroundings (tests replace them). */
export interface ServiceIo {
  /** stdout: JSON logs and heartbeats, one line each (newline added). */
  readonly out: (line: string) => void;
  /** stderr: the one-line configuration error. */
  readonly err: (line: string) => void;
  /** Where SIGTERM/SIGINT arrive (`process`). */
  readonly signals: Pick<NodeJS.Process, 'once' | 'off'>;
  /** The stream producer for a configuration (default: Kinesis PutRecords, SDK default chain). */
  readonly producer?: (config: ServiceConfig) => Promise<StreamProducer>;
  readonly clock?: () => number;
}

/** Exit codes. */
export const EXIT = { ok: 0, unput: 1, config: 2 } as const;

async function kinesisProducer(config: ServiceConfig): Promise<{ producer: StreamProducer; client: KinesisClient }> {
  const client = new SdkKinesisClient({});
  let region: string | undefined;
  try {
    region = await client.config.region();
  } catch {
    region = undefined;
  }
  if (!region) {
    client.destroy();
    throw new ServiceConfigError(['no AWS region: set AWS_REGION (ECS sets it on Fargate) or use a profile with a region']);
  }
  return { producer: new KinesisStreamProducer(client, { streamName: config.streamName }), client };
}

/**
 * Runs the connector until SIGTERM or SIGINT; resolves with the exit code
 * ({@link EXIT}). Never throws for a configuration problem (exit 2).
 */
export async function runBinanceLiveService(env: Readonly<Record<string, string | undefined>>, io: ServiceIo): Promise<number> {
  const clock = io.clock ?? Date.now;
  let config: ServiceConfig;
  let stream: StreamProducer;
  let client: KinesisClient | undefined;
  try {
    config = parseServiceConfig(env);
    if (io.producer) stream = await io.producer(config);
    else ({ producer: stream, client } = await kinesisProducer(config));
  } catch (e) {
    if (!(e instanceof ServiceConfigError)) throw e;
    io.err(e.message);
    return EXIT.config;
  }

  const logger = jsonLogger(io.out, { service: config.service, level: config.logLevel, clock });
  const producer = new PutTracker(stream);
  let previous: Counters | undefined;
  const heartbeat = (s: BinanceLiveStatus) => {
    const options = { namespace: config.namespace, service: config.service, timestampMs: clock(), newestPutTradeMs: producer.newestTradeMs };
    io.out(heartbeatLine(s, previous, options));
    previous = { ...s };
  };

  let signalled!: (signal: string) => void;
  const stopSignal = new Promise<string>((resolve) => {
    signalled = resolve;
  });
  const onTerm = () => signalled('SIGTERM');
  const onInt = () => signalled('SIGINT');
  io.signals.once('SIGTERM', onTerm);
  io.signals.once('SIGINT', onInt);

  logger.info('binance-live: starting', {
    stream: config.streamName,
    symbols: config.symbols,
    url: config.streamUrl,
    ...(config.restUrl === undefined ? {} : { healFrom: config.restUrl }),
    heartbeatSeconds: config.heartbeatMs / 1000,
  });
  let live: BinanceLive;
  try {
    live = startBinanceLive({
      url: config.wsUrl,
      symbols: config.symbols,
      producer,
      logger,
      keySpread: config.keySpread,
      ...(config.restUrl === undefined ? {} : { heal: { url: config.restUrl } }),
      onStatus: heartbeat,
      statusIntervalMs: config.heartbeatMs,
    });
  } catch (e) {
    io.signals.off('SIGTERM', onTerm);
    io.signals.off('SIGINT', onInt);
    client?.destroy();
    throw e;
  }

  const signal = await stopSignal;
  io.signals.off('SIGTERM', onTerm);
  io.signals.off('SIGINT', onInt);
  logger.info('binance-live: stopping', { signal, stopTimeoutSeconds: config.stopTimeoutMs / 1000 });
  const final = await live.stop(config.stopTimeoutMs);
  heartbeat(final);
  client?.destroy();
  if (final.buffered > 0) {
    logger.error('binance-live: exiting with records not put', { buffered: final.buffered });
    return EXIT.unput;
  }
  logger.info('binance-live: exiting', { tradesPut: final.tradesPut, malformedPut: final.malformedPut, gaps: final.gaps, reconnects: final.reconnects });
  return EXIT.ok;
}
