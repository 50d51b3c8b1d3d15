import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import type { webcrypto } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { sign } from 'hono/jwt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DASHBOARD_TOKEN_HEADER, cognitoIssuer } from '../../src/adapters/aws/cognito-auth.js';
import { type CloudDashboardConfig, cloudDashboardConfigFromEnv, createCloudDashboard } from '../../src/adapters/aws/dashboard-cloud.js';

const ENV = {
  AWS_REGION: 'eu-west-1',
  GLUE_DATABASE: 'ticklake_dev',
  ATHENA_WORKGROUP: 'ticklake-dev',
  LAKE_BUCKET: 'ticklake-dev-lake',
  COGNITO_USER_POOL_ID: 'eu-west-1_AbCdEf123',
  COGNITO_CLIENT_ID: 'client-abc',
};
const NOW = Date.UTC(2026, 10, 2, 12, 0, 42, 500);

const athena = mockClient(AthenaClient);
let athenaClient: AthenaClient;
let s3Client: S3Client;
let privateJwk: Record<string, unknown> & { kid: string };
let jwksFetches = 0;
const jwksFetch = (async (url: string | URL | Request) => {
  jwksFetches++;
  expect(String(url)).toBe(`${cognitoIssuer('eu-west-1', ENV.COGNITO_USER_POOL_ID)}/.well-known/jwks.json`);
  // The public half: no private members, and usable to verify.
  const { d, p, q, dp, dq, qi, key_ops, ...pub } = privateJwk;
  return new Response(JSON.stringify({ keys: [{ ...pub, alg: 'RS256', use: 'sig' }] }), { status: 200 });
}) as typeof fetch;

beforeAll(async () => {
  const pair = (await crypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['sign', 'verify'],
  )) as webcrypto.CryptoKeyPair;
  privateJwk = { ...(await crypto.subtle.exportKey('jwk', pair.privateKey)), kid: 'key-1' };
  athenaClient = new AthenaClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  s3Client = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
});
afterAll(() => {
  athenaClient.destroy();
  s3Client.destroy();
});
beforeEach(() => {
  athena.reset();
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q' });
  athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
  athena.on(GetQueryResultsCommand).resolves({
    ResultSet: {
      ResultSetMetadata: { ColumnInfo: [{ Name: 'symbol', Type: 'varchar' }] },
      Rows: [{ Data: [{ VarCharValue: 'symbol' }] }, { Data: [{ VarCharValue: 'BTCUSDT' }] }],
    },
  });
});

const token = (claims: Record<string, unknown> = {}) =>
  sign(
    {
      iss: cognitoIssuer('eu-west-1', ENV.COGNITO_USER_POOL_ID),
      aud: ENV.COGNITO_CLIENT_ID,
      token_use: 'id',
      sub: 'user-1',
      exp: Math.floor(Date.now() / 1000) + 600,
      iat: Math.floor(Date.now() / 1000) - 5,
      ...claims,
    },
    privateJwk as Parameters<typeof sign>[1],
    'RS256',
  );

function app(config: CloudDashboardConfig = cloudDashboardConfigFromEnv(ENV)) {
  return createCloudDashboard(config, { athena: athenaClient, s3: s3Client, fetch: jwksFetch, now: () => NOW });
}

describe('the cloud dashboard API', () => {
  it('refuses a request without a token, with a bad token, or with a token of another client or pool (401, no query runs)', async () => {
    // Prepare
    const a = app();
    const cases: Record<string, string>[] = [
      {},
      { [DASHBOARD_TOKEN_HEADER]: 'Bearer not-a-jwt' },
      { [DASHBOARD_TOKEN_HEADER]: `Bearer ${await token({ aud: 'other-client' })}` },
      { [DASHBOARD_TOKEN_HEADER]: `Bearer ${await token({ iss: cognitoIssuer('eu-west-1', 'eu-west-1_Other') })}` },
      { [DASHBOARD_TOKEN_HEADER]: `Bearer ${await token({ token_use: 'access' })}` },
      { [DASHBOARD_TOKEN_HEADER]: `Bearer ${await token({ exp: Math.floor(Date.now() / 1000) - 60 })}` },
      // CloudFront's SigV4 signature lives in Authorization: a token there is not looked at.
      { authorization: `Bearer ${await token()}` },
    ];

    // Act
    const statuses = await Promise.all(cases.map(async (headers) => (await a.request('/api/panels', { headers })).status));

    // Assess
    expect(statuses).toEqual(cases.map(() => 401));
    expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(0);
  });

  it('serves the panels to a signed-in user, on Athena, with the clock in steps (so refreshes reuse results)', async () => {
    // Prepare
    const a = app();
    const headers = { [DASHBOARD_TOKEN_HEADER]: `Bearer ${await token()}` };
    const before = jwksFetches;

    // Act
    const list = await a.request('/api/panels', { headers });
    const body = (await list.json()) as { engine: string; groups: { panels: unknown[] }[] };
    const panels = body.groups.flatMap((g) => g.panels) as { id: string; params: string[] }[];
    const ranged = panels.find((p) => p.params.includes('range'))!;
    const first = await a.request(`/api/panels/${ranged.id}?from=now-1h`, { headers });
    const firstCalls = athena.commandCalls(StartQueryExecutionCommand).length;
    const again = await a.request(`/api/panels/${ranged.id}?from=now-1h`, { headers });

    // Assess
    expect(list.status).toBe(200);
    expect(body.engine).toBe('athena');
    expect(first.status).toBe(200);
    expect(((await first.json()) as { id: string }).id).toBe(ranged.id);
    expect(again.status).toBe(200);
    const params = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input.ExecutionParameters);
    // Both requests bound the same values: the clock stood at 12:00:00, not 12:00:42.5.
    expect(params.slice(firstCalls)).toEqual(params.slice(0, firstCalls));
    const times = params.flat().filter((v) => v?.startsWith('TIMESTAMP'));
    expect(times.length).toBeGreaterThan(0);
    for (const t of times) expect(t).toMatch(/^TIMESTAMP '2026-11-02 1[12]:00:00\.000000'$/);
    // The key set is fetched once, not per request.
    expect(jwksFetches - before).toBeLessThanOrEqual(1);
  });

  it('checks the audience only when COGNITO_CLIENT_ID is set (the stack pins the pool; its one client is implied)', async () => {
    // Prepare
    const { COGNITO_CLIENT_ID, ...withoutClient } = ENV;
    const headers = { [DASHBOARD_TOKEN_HEADER]: `Bearer ${await token({ aud: 'the-pools-client' })}` };

    // Act
    const pinned = await app().request('/api/health', { headers });
    const open = await app(cloudDashboardConfigFromEnv(withoutClient)).request('/api/health', { headers });
    const otherPool = await app(cloudDashboardConfigFromEnv(withoutClient)).request('/api/health', {
      headers: { [DASHBOARD_TOKEN_HEADER]: `Bearer ${await token({ iss: cognitoIssuer('eu-west-1', 'eu-west-1_Other') })}` },
    });

    // Assess
    expect(pinned.status).toBe(401);
    expect(open.status).toBe(200);
    expect(otherPool.status).toBe(401);
  });

  it('keeps the API answers for bad requests (400 with a message) behind the sign-in', async () => {
    // Prepare
    const headers = { [DASHBOARD_TOKEN_HEADER]: `Bearer ${await token()}` };

    // Act
    const r = await app().request('/api/panels/no-such-panel', { headers });

    // Assess
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: string }).error).toMatch(/unknown panel/);
  });
});

describe('cloudDashboardConfigFromEnv', () => {
  it('reads the environment with defaults', () => {
    // Prepare / Act
    const c = cloudDashboardConfigFromEnv({ ...ENV, ATHENA_REUSE_MINUTES: '15' });

    // Assess
    expect(c).toEqual({
      region: 'eu-west-1',
      database: 'ticklake_dev',
      workGroup: 'ticklake-dev',
      lakeBucket: 'ticklake-dev-lake',
      userPoolId: 'eu-west-1_AbCdEf123',
      clientId: 'client-abc',
      reuseMinutes: 15,
      clockStepMs: 60_000,
    });
  });

  it('names every missing or bad variable at once: the API never starts without its sign-in', () => {
    // Prepare
    const { COGNITO_USER_POOL_ID, ...rest } = ENV;

    // Act
    const read = () => cloudDashboardConfigFromEnv({ ...rest, ATHENA_REUSE_MINUTES: '0', DASHBOARD_CLOCK_STEP_SECONDS: 'soon' });

    // Assess
    expect(read).toThrow(/COGNITO_USER_POOL_ID is not set; ATHENA_REUSE_MINUTES must be .*; DASHBOARD_CLOCK_STEP_SECONDS must be/);
  });
});
