/**
 * The dashboard API as the Lambda function runs it: the shared Hono app
 * (src/dashboard/api.ts) over Athena and S3, behind the Cognito sign-in, with
 * its configuration read once from environment variables:
 *
 * | variable | meaning |
 * |---|---|
 * | `GLUE_DATABASE`, `ATHENA_WORKGROUP` | where the panel queries run |
 * | `LAKE_BUCKET` | the lake, listed for files per partition |
 * | `COGNITO_USER_POOL_ID` | whose ID tokens are accepted (required: the API is never open) |
 * | `COGNITO_CLIENT_ID` | when set, the app client the tokens must be issued to (see below) |
 * | `ATHENA_REUSE_MINUTES` | how old a reused query result may be (default 5) |
 * | `DASHBOARD_CLOCK_STEP_SECONDS` | the API's clock granularity (default 60), see below |
 * | `AWS_REGION` | set by Lambda: the user pool's region |
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { Hono } from 'hono';
import { createDashboardApi } from '../../dashboard/api.js';
import { AthenaPanelRunner } from './athena-panel-runner.js';
import { cognitoAuth } from './cognito-auth.js';
import { S3LakeStats } from './s3-lake-stats.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface CloudDashboardConfig {
  readonly region: string;
  readonly database: string;
  readonly workGroup: string;
  readonly lakeBucket: string;
  readonly userPoolId: string;
  /**
   * The audience tokens must have. Optional: the CDK stack cannot pass it (the
   * client's callback URL names the distribution, which reaches this function),
   * and the pool it creates has that one client, so issuer and token use pin it.
   */
  readonly clientId?: string;
  readonly reuseMinutes: number;
  readonly clockStepMs: number;
}

/** The configuration from the environment; every problem in one error. */
export function cloudDashboardConfigFromEnv(env: Env): CloudDashboardConfig {
  const problems: string[] = [];
  const required = (name: string): string => {
    const v = env[name]?.trim();
    if (!v) problems.push(`${name} is not set`);
    return v ?? '';
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const text = env[name]?.trim();
    if (!text) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) problems.push(`${name} must be an integer from ${min} to ${max}, not ${JSON.stringify(text)}`);
    return n;
  };
  const clientId = env.COGNITO_CLIENT_ID?.trim();
  const config: CloudDashboardConfig = {
    region: required('AWS_REGION'),
    database: required('GLUE_DATABASE'),
    workGroup: required('ATHENA_WORKGROUP'),
    lakeBucket: required('LAKE_BUCKET'),
    userPoolId: required('COGNITO_USER_POOL_ID'),
    ...(clientId ? { clientId } : {}),
    // Athena's own bounds for MaxAgeInMinutes: up to 7 days.
    reuseMinutes: int('ATHENA_REUSE_MINUTES', 5, 1, 10_080),
    clockStepMs: int('DASHBOARD_CLOCK_STEP_SECONDS', 60, 1, 3_600) * 1000,
  };
  if (problems.length > 0) throw new Error(`dashboard API configuration: ${problems.join('; ')}`);
  return config;
}

/** Clients the wiring may be given (tests). */
export interface CloudDashboardClients {
  readonly athena?: AthenaClient;
  readonly s3?: S3Client;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

/**
 * The app the function serves. Its clock moves in steps of `clockStepMs`: a
 * relative range (`from=now-6h`) then binds the same values for a whole step,
 * so every refresh within it is the identical query Athena can answer from a
 * reused result instead of scanning again.
 */
export function createCloudDashboard(config: CloudDashboardConfig, clients: CloudDashboardClients = {}): Hono {
  const now = clients.now ?? Date.now;
  const api = createDashboardApi({
    runner: new AthenaPanelRunner(clients.athena ?? new AthenaClient({}), {
      database: config.database,
      workGroup: config.workGroup,
      reuseMinutes: config.reuseMinutes,
    }),
    stats: new S3LakeStats(clients.s3 ?? new S3Client({}), { bucket: config.lakeBucket }),
    now: () => Math.floor(now() / config.clockStepMs) * config.clockStepMs,
  });
  const app = new Hono();
  app.use(
    '*',
    cognitoAuth({
      region: config.region,
      userPoolId: config.userPoolId,
      ...(config.clientId ? { clientId: config.clientId } : {}),
      ...(clients.fetch ? { fetch: clients.fetch } : {}),
    }),
  );
  // The API keeps its own error and not-found answers.
  app.all('*', (c) => api.fetch(c.req.raw, c.env));
  return app;
}
