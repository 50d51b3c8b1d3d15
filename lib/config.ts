/**
 * Typed deployment configuration, read from CDK context (`cdk.json` "context"
 * plus `-c key=value` on the command line) and validated before any construct
 * is created, so a typo or an impossible combination fails with one readable
 * message instead of a half-synthesized app.
 *
 * Values given with `-c` always arrive as strings; numbers and booleans are
 * coerced here.
 */
import { parseServiceConfig, ServiceConfigError } from '../src/cli/binance-live-service.js';
import { ENRICHED_RESULT_SOURCES } from '../src/enriched/lake-queries.js';
import { SCHEDULES } from '../src/orchestration/schedules.js';
import { SOURCES } from '../src/sources/index.js';
import { z } from 'zod';

/** CloudWatch Logs retention values accepted by CloudFormation (days). */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const SCHEDULE_FIELD = /^[0-9A-Z*?,\-/#LW]+$/;

/**
 * Checks an EventBridge Scheduler expression: `cron(min hour day-of-month month
 * day-of-week year)` with exactly one of the two day fields set to `?`, or
 * `rate(n unit)`.
 */
export function scheduleExpressionProblem(expr: string): string | undefined {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expr);
  if (rate) return Number(rate[1]) >= 1 ? undefined : 'rate value must be at least 1';
  const cron = /^cron\((.*)\)$/.exec(expr);
  if (!cron) return 'expected cron(minutes hours day-of-month month day-of-week year) or rate(n unit)';
  const fields = cron[1]!.trim().split(/\s+/);
  if (fields.length !== 6) {
    return `cron needs 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`;
  }
  const bad = fields.find((f) => !SCHEDULE_FIELD.test(f.toUpperCase()));
  if (bad) return `cron field "${bad}" has characters outside 0-9 * ? , - / # L W and names`;
  const [, , dom, , dow] = fields;
  if ((dom === '?') === (dow === '?')) return 'exactly one of day-of-month and day-of-week must be "?"';
  return undefined;
}

const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const boolFrom = z.preprocess((v) => {
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true' || s === '1' || s === 'yes') return true;
    if (s === 'false' || s === '0' || s === 'no') return false;
  }
  return v;
}, z.boolean());

const scheduleExpr = z.string().superRefine((s, ctx) => {
  const problem = scheduleExpressionProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: `${problem} (got "${s}")` });
});

const optionalString = z.preprocess((v) => (v === '' || v === null ? undefined : v), z.string().optional());

/** A list given as `A,B` (from -c) or as a JSON array (cdk.json). */
const commaList = z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((x) => x.trim()) : v), z.array(z.string()));
/** A list from `-c key=a,b` (a string) or cdk.json (a string or an array); blanks dropped, duplicates once. */
const idList = z.preprocess((v) => {
  const items = typeof v === 'string' ? v.split(',') : v;
  return Array.isArray(items) ? [...new Set(items.map((x) => (typeof x === 'string' ? x.trim() : x)).filter((x) => x !== ''))] : items;
}, z.array(z.string()));

/** Registry sources that enter by an HTTP poller (the ones `sourcePollers` may name). */
const POLLED_SOURCE_IDS = SOURCES.filter((s) => s.poller !== undefined).map((s) => s.id);

/** Registry sources with a simulator (the ones `simulators` may name). */
const SIMULATED_SOURCE_IDS = SOURCES.filter((s) => s.simulator !== undefined).map((s) => s.id);

/** Registry sources whose closed results the enriched publisher puts (the ones `enrichedPublisher` may name). */
const ENRICHED_SOURCE_IDS = Object.keys(ENRICHED_RESULT_SOURCES).filter((id) => SOURCES.some((s) => s.id === id));

/** The configuration schema: every key, its type, range and default. */
export const configSchema = z
  .object({
    /** Deployment name; prefixes stack and resource names. */
    stage: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,14}[a-z0-9]$/, '2-16 chars: lower case letters, digits and "-", starting with a letter')
      .default('dev'),
    /** Target account / region; default to the CLI's (CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION). */
    account: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z
        .string()
        .regex(/^\d{12}$/, '12 digits')
        .optional(),
    ),
    region: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z
        .string()
        .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'a region name such as eu-west-1')
        .optional(),
    ),

    /** Ingestion engine: a Kinesis data stream (default) or an MSK Serverless cluster. */
    ingestion: z.enum(['kinesis', 'msk']).default('kinesis'),
    kinesisCapacityMode: z.enum(['on-demand', 'provisioned']).default('on-demand'),
    /** Shards, required with kinesisCapacityMode=provisioned. */
    kinesisShardCount: intFrom(1, 500).optional(),
    /** Stream (Kinesis) retention in hours, 24 h to 365 days. */
    streamRetentionHours: intFrom(24, 8760).default(24),
    /** Kafka topic the MSK event source reads (created by you: MSK Serverless has no topic API). */
    mskTopic: z
      .string()
      .regex(/^[a-zA-Z0-9._-]{1,249}$/)
      .default('ticklake-events'),

    /** Time-series engine. LiveAnalytics is closed to new AWS customers since 2025-06-20. */
    timeSeries: z.enum(['timestream-liveanalytics', 'timestream-influxdb', 'none']).default('none'),
    timestreamMemoryRetentionHours: intFrom(1, 8766).default(24),
    timestreamMagneticRetentionDays: intFrom(1, 73000).default(365),
    influxDbInstanceType: z
      .enum([
        'db.influx.medium',
        'db.influx.large',
        'db.influx.xlarge',
        'db.influx.2xlarge',
        'db.influx.4xlarge',
        'db.influx.8xlarge',
        'db.influx.12xlarge',
        'db.influx.16xlarge',
      ])
      .default('db.influx.medium'),
    influxDbStorageGiB: intFrom(20, 16384).default(20),

    /** Lake retention per zone in days; 0 keeps the data forever. */
    rawRetentionDays: intFrom(0, 36500).default(30),
    quarantineRetentionDays: intFrom(0, 36500).default(90),
    curatedRetentionDays: intFrom(0, 36500).default(0),
    aggregateRetentionDays: intFrom(0, 36500).default(0),
    athenaResultsRetentionDays: intFrom(1, 3650).default(7),
    /** Athena per-query scan limit in GB (the workgroup cancels bigger scans). */
    athenaBytesScannedCutoffGb: z.coerce.number().min(0.01).max(1_000_000).default(10),

    /**
     * EventBridge Scheduler expressions (UTC unless scheduleTimeZone says
     * otherwise). The daily evaluation runs before the weekly training on the
     * training day, so the outgoing models are scored on their last day before
     * they are replaced.
     */
    trainingSchedule: scheduleExpr.default(SCHEDULES.weeklyTraining),
    evaluationSchedule: scheduleExpr.default(SCHEDULES.dailyEvaluation),
    /** Lake compaction of closed hour partitions (the compaction state machine), hourly by default. */
    compactionSchedule: scheduleExpr.default(SCHEDULES.compaction),
    /**
     * Minutes a compaction waits after a generation becomes visible before it
     * deletes the files the generation replaced: longer than any Athena query
     * that listed them can still run. Athena's DML query timeout is a service
     * quota of 30 minutes by default; raise this with the quota.
     */
    compactionGraceMinutes: z.coerce
      .number()
      .int()
      .min(31, {
        message:
          'must exceed the Athena DML query timeout (a service quota, 30 minutes by default) by at least a minute: a query that listed the replaced files may still read them until then',
      })
      .max(10080)
      .default(45),
    scheduleTimeZone: z
      .string()
      .refine(
        (tz) => {
          try {
            new Intl.DateTimeFormat('en', { timeZone: tz });
            return true;
          } catch {
            return false;
          }
        },
        { message: 'not an IANA time zone (e.g. UTC, Europe/Paris)' },
      )
      .default('UTC'),
    schedulesEnabled: boolFrom.default(true),
    /**
     * Registry sources polled in the cloud: a schedule per source (its poll
     * interval) invokes a poller function that puts the records on the Kinesis
     * stream. None by default: the app then calls no third-party API.
     */
    sourcePollers: idList.default([]),
    /**
     * Registry sources whose simulators produce in the cloud, for demos: a
     * schedule every 5 minutes invokes one generator function that puts the
     * last 5 minutes of their simulated records on the Kinesis stream. None by
     * default.
     */
    simulators: idList.default([]),
    /**
     * Registry sources whose closed results the enriched publisher puts on the
     * enriched stream in the cloud, as `ticklake up` does locally: `engagement`
     * (closed category minutes, `engagement_1m`), `viewing` (closed TV views,
     * `view_interval`). A one-minute schedule invokes one function that reads
     * bounded Athena windows (a few small queries a minute) and keeps its
     * state in one S3 object. None by default; the enriched stream is a
     * Kinesis stream with either ingestion.
     */
    enrichedPublisher: idList.default([]),

    /** Alarm notifications go to this address (a subscription to confirm by e-mail). */
    alarmEmail: z.preprocess((v) => (v === '' ? undefined : v), z.email('not an e-mail address').optional()),
    iteratorAgeAlarmSeconds: intFrom(30, 604800).default(300),

    /** What happens to data (buckets, stream, time-series store) when a stack is deleted. */
    removalPolicy: z.enum(['retain', 'destroy']).default('retain'),

    /** Lambda settings shared by the functions. */
    lambdaRuntime: z.enum(['nodejs22.x', 'nodejs24.x']).default('nodejs22.x'),
    lambdaArchitecture: z.enum(['arm64', 'x86_64']).default('arm64'),
    transformMemoryMb: intFrom(128, 10240).default(1024),
    transformTimeoutSeconds: intFrom(10, 900).default(120),
    logRetentionDays: z.coerce
      .number()
      .refine((n) => (LOG_RETENTION_DAYS as readonly number[]).includes(n), {
        message: `logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
      })
      .default(30),
    logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),

    /** Event source (stream -> Lambda) safety settings. */
    streamBatchSize: intFrom(1, 10000).default(5000),
    streamBatchingWindowSeconds: intFrom(0, 300).default(30),
    streamParallelizationFactor: intFrom(1, 10).default(2),
    streamRetryAttempts: intFrom(0, 10000).default(3),
    streamMaxRecordAgeHours: intFrom(1, 168).default(12),
    streamStartingPosition: z.enum(['TRIM_HORIZON', 'LATEST']).default('TRIM_HORIZON'),

    /**
     * The Binance live connector as an ECS Fargate service putting Binance trades
     * on the Kinesis stream (one task; off by default). Symbols and endpoint are
     * checked by the container's own configuration rules (src/cli/binance-live-service.ts).
     */
    binanceLive: boolFrom.default(false),
    /**
     * An AWS IoT Core topic rule on devices/+/telemetry with a Kinesis action
     * (the iot source; partition key the device id) and a CloudWatch Logs error
     * action (off by default).
     */
    iotTopicRule: boolFrom.default(false),
    /**
     * Change data capture in the cloud (the cdc source; off by default): AWS DMS
     * Serverless reading an RDS or Aurora PostgreSQL database (logical
     * replication) and putting each row change on the Kinesis stream. The
     * database's credentials stay in Secrets Manager (cdcSecretArn: a secret with
     * username, password, host and port); DMS runs in your database's subnets.
     */
    cdc: boolFrom.default(false),
    cdcEngine: z.enum(['postgres', 'aurora-postgresql']).default('postgres'),
    cdcSecretArn: optionalString,
    cdcDatabaseName: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/, 'a PostgreSQL database name')
      .default('postgres'),
    /** Subnets (two or more, in different AZs) DMS runs in: ones that reach the database. */
    cdcSubnetIds: idList.default([]),
    /** Security groups of DMS's network interfaces: allowed in by the database's security group. */
    cdcSecurityGroupIds: idList.default([]),
    /** DMS capacity units (1 DCU = 2 GB RAM) the replication may scale to. */
    cdcMaxCapacityUnits: z.coerce
      .number()
      .refine((n) => [1, 2, 4, 8, 16, 32, 64, 128, 192, 256, 384].includes(n), { message: 'one of 1, 2, 4, 8, 16, 32, 64, 128, 192, 256, 384' })
      .default(4),
    binanceLiveSymbols: commaList.default(['BTCUSDT', 'ETHUSDT']),
    /** Binance stream endpoint; default the connector's (wss://stream.binance.com:9443). */
    binanceLiveWsUrl: optionalString,
    /** Binance REST API the connector heals trade-id gaps from, e.g. https://api.binance.com (default: none, gaps are only counted). */
    binanceLiveRestUrl: optionalString,
    /** Alarm when the newest trade the connector put is older than this (or no heartbeat arrives) for 3 minutes. */
    binanceLiveStaleSeconds: intFrom(30, 86400).default(120),

    /**
     * The dashboard in the cloud (off by default): its page in a private S3
     * bucket behind CloudFront, its API as a Lambda function URL (IAM auth,
     * reached only through CloudFront) running the panel queries on Athena,
     * users signed in with a Cognito user pool whose users an admin creates.
     */
    dashboard: boolFrom.default(false),
    /** How old an Athena result the dashboard API may reuse for an identical panel query, in minutes. */
    dashboardResultReuseMinutes: intFrom(1, 10080).default(5),

    /** Description shown in the CloudFormation console; free text. */
    description: optionalString,
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.kinesisCapacityMode === 'provisioned' && c.kinesisShardCount === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['kinesisShardCount'],
        message: 'required when kinesisCapacityMode=provisioned (e.g. -c kinesisShardCount=1)',
      });
    }
    if (c.kinesisCapacityMode === 'on-demand' && c.kinesisShardCount !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['kinesisShardCount'],
        message: 'only applies when kinesisCapacityMode=provisioned; on-demand streams size themselves',
      });
    }
    if (c.ingestion === 'kinesis' && c.streamMaxRecordAgeHours >= c.streamRetentionHours) {
      ctx.addIssue({
        code: 'custom',
        path: ['streamMaxRecordAgeHours'],
        message: `must be shorter than streamRetentionHours (${c.streamRetentionHours}) so a record skipped to the dead-letter queue can still be re-read from the stream`,
      });
    }
    if (c.iotTopicRule && c.ingestion === 'msk') {
      ctx.addIssue({
        code: 'custom',
        path: ['iotTopicRule'],
        message: 'the IoT topic rule puts to a Kinesis stream, and ingestion=msk has none: use ingestion=kinesis or leave iotTopicRule off',
      });
    }
    if (c.cdc) {
      const need = (key: string, ok: boolean, message: string) => ok || ctx.addIssue({ code: 'custom', path: [key], message });
      need('cdc', c.ingestion === 'kinesis', 'DMS puts changes to a Kinesis stream, and ingestion=msk has none: use ingestion=kinesis or leave cdc off');
      need(
        'cdcSecretArn',
        c.cdcSecretArn !== undefined && /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/.test(c.cdcSecretArn),
        'required with cdc=true: the ARN of a Secrets Manager secret with the database username, password, host and port',
      );
      need(
        'cdcSubnetIds',
        c.cdcSubnetIds.length >= 2 && c.cdcSubnetIds.every((x) => /^subnet-[0-9a-f]{8,17}$/.test(x)),
        'required with cdc=true: two or more subnet ids (subnet-…) in different availability zones that reach the database',
      );
      need(
        'cdcSecurityGroupIds',
        c.cdcSecurityGroupIds.length >= 1 && c.cdcSecurityGroupIds.every((x) => /^sg-[0-9a-f]{8,17}$/.test(x)),
        'required with cdc=true: one or more security group ids (sg-…) the database lets in',
      );
    }
    if (c.binanceLive && c.ingestion === 'msk') {
      ctx.addIssue({
        code: 'custom',
        path: ['binanceLive'],
        message:
          'the Binance live connector puts to a Kinesis stream, and ingestion=msk has none (putting to MSK is not implemented): use ingestion=kinesis or leave binanceLive off',
      });
    }
    // The container's own rules, so that synth refuses exactly what the connector would refuse at start.
    try {
      parseServiceConfig({
        STREAM_NAME: 'stream',
        BINANCE_SYMBOLS: c.binanceLiveSymbols.join(','),
        BINANCE_WS_URL: c.binanceLiveWsUrl,
        BINANCE_REST_URL: c.binanceLiveRestUrl,
      });
    } catch (e) {
      if (!(e instanceof ServiceConfigError)) throw e;
      for (const problem of e.problems) {
        const [, envKey, message] = /^(BINANCE_SYMBOLS|BINANCE_WS_URL|BINANCE_REST_URL):? (.*)$/.exec(problem) ?? [undefined, undefined, problem];
        const key = envKey === 'BINANCE_WS_URL' ? 'binanceLiveWsUrl' : envKey === 'BINANCE_REST_URL' ? 'binanceLiveRestUrl' : 'binanceLiveSymbols';
        ctx.addIssue({ code: 'custom', path: [key], message: message! });
      }
    }
    const sourceIds = (key: 'sourcePollers' | 'simulators' | 'enrichedPublisher', allowed: readonly string[], lacking: string, label: string) => {
      for (const id of c[key]) {
        if (allowed.includes(id)) continue;
        const known = SOURCES.some((s) => s.id === id);
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `${known ? `source "${id}" ${lacking}` : `unknown source "${id}"`}; ${label}: ${allowed.join(', ')}`,
        });
      }
    };
    sourceIds('sourcePollers', POLLED_SOURCE_IDS, 'is not polled (it has no HTTP poller)', 'polled sources');
    sourceIds('simulators', SIMULATED_SOURCE_IDS, 'has no simulator', 'sources with a simulator');
    sourceIds('enrichedPublisher', ENRICHED_SOURCE_IDS, 'has no closed results the enriched publisher puts', 'sources it publishes');
    if (c.ingestion === 'msk' && c.simulators.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['simulators'],
        message:
          'the simulated producers put records with Kinesis PutRecords and have no Kafka producer; with ingestion=msk leave simulators empty (or use ingestion=kinesis)',
      });
    }
    if (c.ingestion === 'msk' && c.sourcePollers.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['sourcePollers'],
        message:
          'the source pollers put records with Kinesis PutRecords and have no Kafka producer; with ingestion=msk leave sourcePollers empty (or use ingestion=kinesis)',
      });
    }
    if (c.removalPolicy === 'destroy' && /^prod/.test(c.stage)) {
      ctx.addIssue({
        code: 'custom',
        path: ['removalPolicy'],
        message: `removalPolicy=destroy is refused for stage "${c.stage}": production data is only destroyed by deleting the retained buckets by hand`,
      });
    }
  });

export type TicklakeConfig = z.infer<typeof configSchema>;

/** Every configuration key (for the docs table and for typo detection). */
export const CONFIG_KEYS = Object.keys(configSchema.shape) as (keyof TicklakeConfig)[];

function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

/** Keys the CDK CLI or feature flags put into the context: never ticklake settings. */
function isForeignKey(key: string): boolean {
  return key.includes(':') || key.includes('/') || key.startsWith('@') || key === 'acknowledged-issue-numbers';
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid ticklake configuration (cdk.json "context" and -c key=value):\n${problems.map((p) => `  - ${p}`).join('\n')}\n` +
        'See docs/deploy.md#configuration for every key, its default and its range.',
    );
    this.name = 'ConfigError';
  }
}

/**
 * Builds the configuration from a flat context object. Unknown keys that look
 * like a typo of a known key are errors; other foreign keys (CDK feature flags,
 * CLI settings) are ignored.
 */
export function parseConfig(context: Record<string, unknown>): TicklakeConfig {
  const known = new Set<string>(CONFIG_KEYS);
  const input: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(context)) {
    if (known.has(key)) {
      input[key] = value;
      continue;
    }
    if (isForeignKey(key)) continue;
    const close = CONFIG_KEYS.filter((k) => levenshtein(k.toLowerCase(), key.toLowerCase()) <= 2);
    if (close.length > 0) problems.push(`unknown key "${key}": did you mean "${close.join('" or "')}"?`);
  }
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path.join('.') || '(config)';
      const given = issue.path.length > 0 ? input[String(issue.path[0])] : undefined;
      problems.push(`${key}: ${issue.message}${given !== undefined ? ` (given: ${JSON.stringify(given)})` : ''}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return parsed.data!;
}

/** Reads and validates the configuration visible at `scope` (cdk.json, cdk.context.json, -c). */
export function configFromContext(scope: { node: { getAllContext(): Record<string, unknown> } }): TicklakeConfig {
  return parseConfig(scope.node.getAllContext());
}

/** Lower-case, hyphenated resource name prefix, e.g. `ticklake-dev`. */
export function namePrefix(config: Pick<TicklakeConfig, 'stage'>): string {
  return `ticklake-${config.stage}`;
}

/** Glue / Athena identifiers allow no hyphens. */
export function catalogName(config: Pick<TicklakeConfig, 'stage'>): string {
  return `ticklake_${config.stage.replace(/-/g, '_')}`;
}
