/**
 * Chooses the time-series sink for a Lambda function from its configuration
 * (`timeSeries` in the CDK configuration, passed to the writer function as
 * environment variables by the time-series stack). The embedded DuckDB store
 * is not offered here: DuckDB is a native addon that stays out of Lambda
 * bundles; `src/timeseries/factory.ts` adds it for the local runtime.
 *
 * Environment (all optional except as noted per engine):
 *
 * | variable | engine | meaning |
 * |---|---|---|
 * | `TIME_SERIES_ENGINE` | all | `none` (default), `timestream-liveanalytics`, `timestream-influxdb` |
 * | `TIMESTREAM_DATABASE` | liveanalytics | database name (required) |
 * | `TIMESTREAM_TABLES` | liveanalytics | tables that exist, e.g. `trades,minute_bars`; measurements mapped to other tables are rejected |
 * | `TIMESTREAM_TABLE_MAP` | liveanalytics | measurement=table pairs overriding the default `trade=trades,bar_1m=minute_bars,prediction=predictions` |
 * | `INFLUXDB_URL` | influxdb | base URL (required) |
 * | `INFLUXDB_API` | influxdb | `v2` (default; Timestream for InfluxDB) or `v1` |
 * | `INFLUXDB_ORG`, `INFLUXDB_BUCKET` | influxdb v2 | organization and bucket |
 * | `INFLUXDB_DATABASE`, `INFLUXDB_RETENTION_POLICY` | influxdb v1 | database and retention policy |
 * | `INFLUXDB_TOKEN` | influxdb | API token |
 * | `INFLUXDB_USERNAME`, `INFLUXDB_PASSWORD` | influxdb | user and password when there is no token |
 * | `INFLUXDB_SECRET_ARN` | influxdb | Secrets Manager secret, JSON with `token` or `username`/`password`, and optionally `organization`, `bucket`, `database`; used for whatever the variables above leave out |
 * | `TIME_SERIES_MAX_PARALLEL` | remote engines | requests in flight (default 4 for LiveAnalytics, 2 for InfluxDB) |
 * | `TIME_SERIES_POINTS_FUNCTION` | remote engines | name of the time-series points function: write through it ({@link FunctionSink}) instead of to the store directly; the store variables above are then the function's, not the caller's |
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { TimestreamWriteClient } from '@aws-sdk/client-timestream-write';
import { TIME_SERIES_ENGINES, type Point, type TimeSeriesEngine, type TimeSeriesSink, type WriteResult } from '../../../timeseries/point.js';
import { FunctionSink, type PointsInvoker } from './function-sink.js';
import { InfluxSink, type InfluxAuth } from './influxdb.js';
import { DEFAULT_TABLES, LiveAnalyticsSink } from './timestream-liveanalytics.js';

export interface LiveAnalyticsConfig {
  readonly engine: 'timestream-liveanalytics';
  readonly database: string;
  /** Measurement -> table; default DEFAULT_TABLES. */
  readonly tables?: Readonly<Record<string, string>>;
  readonly region?: string;
  readonly maxParallel?: number;
}

export interface InfluxConfig {
  readonly engine: 'timestream-influxdb';
  readonly url: string;
  readonly api?: 'v1' | 'v2';
  readonly org?: string;
  readonly bucket?: string;
  readonly database?: string;
  readonly retentionPolicy?: string;
  readonly token?: string;
  readonly username?: string;
  readonly password?: string;
  /** Secrets Manager secret with the credentials (see the table above). */
  readonly secretArn?: string;
  readonly region?: string;
  readonly maxParallel?: number;
  readonly gzip?: boolean;
}

/** Writes through the time-series points function of the time-series stack. */
export interface PointsFunctionConfig {
  readonly engine: 'timestream-liveanalytics' | 'timestream-influxdb';
  readonly pointsFunction: string;
}

export type CloudTimeSeriesConfig = { readonly engine: 'none' } | LiveAnalyticsConfig | InfluxConfig | PointsFunctionConfig;

/** Reads a secret's string value (injectable for tests). */
export type SecretReader = (arn: string) => Promise<string>;

export const readSecretFromSecretsManager =
  (region?: string): SecretReader =>
  async (arn) => {
    const client = new SecretsManagerClient(region ? { region } : {});
    try {
      const out = await client.send(new GetSecretValueCommand({ SecretId: arn }));
      if (out.SecretString === undefined) throw new Error(`secret ${arn} has no string value`);
      return out.SecretString;
    } finally {
      client.destroy();
    }
  };

/** The sink for `engine: none`: accepts calls and stores nothing (written stays 0). */
export class NoTimeSeriesSink implements TimeSeriesSink {
  readonly kind = 'none' as const;
  async write(_points: readonly Point[]): Promise<WriteResult> {
    return { written: 0, rejected: [], retried: 0, corrected: 0 };
  }
  async close(): Promise<void> {}
}

function pairs(spec: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (spec ?? '').split(',')) {
    const [k, v] = part.split('=').map((s) => s.trim());
    if (k && v) out[k] = v;
  }
  return out;
}

const nonEmpty = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());

/** The configuration encoded in a Lambda function's environment. */
export function cloudConfigFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): CloudTimeSeriesConfig {
  const engine = (nonEmpty(env.TIME_SERIES_ENGINE) ?? 'none') as TimeSeriesEngine;
  if (!(TIME_SERIES_ENGINES as readonly string[]).includes(engine) || engine === 'embedded') {
    throw new Error(`TIME_SERIES_ENGINE must be none, timestream-liveanalytics or timestream-influxdb (got "${engine}")`);
  }
  const maxParallel = nonEmpty(env.TIME_SERIES_MAX_PARALLEL) ? Number(env.TIME_SERIES_MAX_PARALLEL) : undefined;
  if (maxParallel !== undefined && !(Number.isInteger(maxParallel) && maxParallel >= 1)) {
    throw new Error(`TIME_SERIES_MAX_PARALLEL must be a positive integer (got "${env.TIME_SERIES_MAX_PARALLEL}")`);
  }
  if (engine === 'none') return { engine };
  const pointsFunction = nonEmpty(env.TIME_SERIES_POINTS_FUNCTION);
  if (pointsFunction) return { engine, pointsFunction };
  if (engine === 'timestream-liveanalytics') {
    const database = nonEmpty(env.TIMESTREAM_DATABASE);
    if (!database) throw new Error('TIMESTREAM_DATABASE is required for timestream-liveanalytics');
    let tables: Record<string, string> = { ...DEFAULT_TABLES, ...pairs(env.TIMESTREAM_TABLE_MAP) };
    const existing = nonEmpty(env.TIMESTREAM_TABLES)
      ?.split(',')
      .map((s) => s.trim());
    if (existing) tables = Object.fromEntries(Object.entries(tables).filter(([, t]) => existing.includes(t)));
    return { engine, database, tables, region: nonEmpty(env.AWS_REGION), maxParallel };
  }
  const url = nonEmpty(env.INFLUXDB_URL);
  if (!url) throw new Error('INFLUXDB_URL is required for timestream-influxdb');
  const api = nonEmpty(env.INFLUXDB_API) ?? 'v2';
  if (api !== 'v1' && api !== 'v2') throw new Error(`INFLUXDB_API must be v1 or v2 (got "${api}")`);
  return {
    engine,
    url,
    api,
    org: nonEmpty(env.INFLUXDB_ORG),
    bucket: nonEmpty(env.INFLUXDB_BUCKET),
    database: nonEmpty(env.INFLUXDB_DATABASE),
    retentionPolicy: nonEmpty(env.INFLUXDB_RETENTION_POLICY),
    token: nonEmpty(env.INFLUXDB_TOKEN),
    username: nonEmpty(env.INFLUXDB_USERNAME),
    password: env.INFLUXDB_PASSWORD,
    secretArn: nonEmpty(env.INFLUXDB_SECRET_ARN),
    region: nonEmpty(env.AWS_REGION),
    maxParallel,
  };
}

/** Fills credentials (and org / bucket / database) left out of the configuration from the secret. */
export async function resolveInfluxConfig(config: InfluxConfig, readSecret?: SecretReader): Promise<InfluxConfig> {
  const hasCredentials = config.token !== undefined || (config.username !== undefined && config.password !== undefined);
  const needsMore = !hasCredentials || (config.api !== 'v1' && (!config.org || !config.bucket));
  if (!config.secretArn || !needsMore) return config;
  const raw = await (readSecret ?? readSecretFromSecretsManager(config.region))(config.secretArn);
  let secret: Record<string, unknown>;
  try {
    secret = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    // A plain-text secret is the token itself.
    secret = { token: raw.trim() };
  }
  const str = (k: string) => (typeof secret[k] === 'string' && secret[k] !== '' ? (secret[k] as string) : undefined);
  return {
    ...config,
    token: hasCredentials ? config.token : str('token'),
    username: hasCredentials ? config.username : str('username'),
    password: hasCredentials ? config.password : str('password'),
    org: config.org ?? str('organization') ?? str('org'),
    bucket: config.bucket ?? str('bucket'),
    database: config.database ?? str('database'),
  };
}

function influxAuth(c: InfluxConfig): InfluxAuth | undefined {
  if (c.token) return { token: c.token };
  if (c.username !== undefined && c.password !== undefined) return { username: c.username, password: c.password };
  return undefined;
}

export interface CloudSinkDependencies {
  readonly timestreamClient?: TimestreamWriteClient;
  /** How the points function is invoked (default: a Lambda client). */
  readonly invokePoints?: PointsInvoker;
  readonly readSecret?: SecretReader;
  readonly fetch?: typeof fetch;
}

/** Builds the sink a configuration names (none, LiveAnalytics or InfluxDB). */
export async function createCloudSink(config: CloudTimeSeriesConfig, deps: CloudSinkDependencies = {}): Promise<TimeSeriesSink> {
  if ('pointsFunction' in config)
    return new FunctionSink({ kind: config.engine, functionName: config.pointsFunction, ...(deps.invokePoints ? { invoke: deps.invokePoints } : {}) });
  switch (config.engine) {
    case 'none':
      return new NoTimeSeriesSink();
    case 'timestream-liveanalytics': {
      // maxAttempts 1: the sink does its own bounded, jittered retries per request.
      const owned = deps.timestreamClient === undefined;
      const client = deps.timestreamClient ?? new TimestreamWriteClient({ ...(config.region ? { region: config.region } : {}), maxAttempts: 1 });
      return new LiveAnalyticsSink({
        client,
        database: config.database,
        tables: config.tables,
        maxParallel: config.maxParallel,
        onClose: owned ? () => client.destroy() : undefined,
      });
    }
    case 'timestream-influxdb': {
      const c = await resolveInfluxConfig(config, deps.readSecret);
      const api = c.api ?? 'v2';
      return new InfluxSink({
        url: c.url,
        api,
        org: c.org,
        bucket: c.bucket,
        database: c.database ?? (api === 'v1' ? c.bucket : undefined),
        retentionPolicy: c.retentionPolicy,
        auth: influxAuth(c),
        maxParallel: c.maxParallel,
        gzip: c.gzip,
        fetch: deps.fetch,
      });
    }
    default:
      throw new Error(`unknown time-series engine ${(config as { engine: string }).engine}`);
  }
}
