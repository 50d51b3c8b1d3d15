/**
 * The dashboard in the cloud (`-c dashboard=true`): off by default; when on, a
 * private page bucket only CloudFront's origin access control reads, `/api/*`
 * to a function URL with AWS_IAM auth (CloudFront's OAC for Lambda signs),
 * the API function's grants limited to the panel queries, a Cognito pool
 * without self sign-up, and the configuration's checks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../lib/config.js';
import { DERIVED_VIEWS } from '../../lib/catalog/derived-views.js';
import { tablePrefix } from '../../lib/lake-layout.js';
import { compactableTables, TABLES } from '../../src/catalog.js';
import { type BuiltApp, CDK_JSON_CONTEXT, actionsOf, buildApp, evaluate, policyStatements, resourcesOf } from './helpers.js';

let off: BuiltApp;
let on: BuiltApp;
beforeAll(() => {
  off = buildApp();
  on = buildApp({ dashboard: 'true', dashboardResultReuseMinutes: '10' });
});

const template = () => on.template(on.stacks.dashboard!);

function one(type: string): [string, Record<string, any>] {
  const found = resourcesOf(template(), type);
  expect(found, type).toHaveLength(1);
  return [found[0]![0], found[0]![1].Properties];
}

/** The logical id a `Ref` or `Fn::GetAtt` points at. */
const target = (v: any): string | undefined => v?.Ref ?? v?.['Fn::GetAtt']?.[0];

describe('dashboard off (the default)', () => {
  it('creates no dashboard stack and no CloudFront distribution, user pool or function URL anywhere', () => {
    // Prepare / Act / Assess
    expect(off.config.dashboard).toBe(false);
    expect(off.stacks.dashboard).toBeUndefined();
    for (const stack of Object.values(off.stacks)) {
      if (!stack) continue;
      for (const type of ['AWS::CloudFront::Distribution', 'AWS::Cognito::UserPool', 'AWS::Lambda::Url']) {
        expect(resourcesOf(off.template(stack), type), `${stack.stackName} ${type}`).toEqual([]);
      }
    }
  });
});

describe('dashboard on', () => {
  it('adds the dashboard stack after storage and catalog', () => {
    // Prepare
    const stack = on.stacks.dashboard!;

    // Act
    const deps = stack.dependencies.map((d) => d.stackName);

    // Assess
    expect(stack.stackName).toBe('ticklake-dev-dashboard');
    expect(deps).toEqual(expect.arrayContaining(['ticklake-dev-storage', 'ticklake-dev-catalog']));
  });

  it('keeps the page bucket private: public access blocked, encrypted, access-logged, TLS only, readable only by this distribution', () => {
    // Prepare
    const [distributionId] = one('AWS::CloudFront::Distribution');
    const buckets = resourcesOf(template(), 'AWS::S3::Bucket');
    const [assetsId, assets] = buckets.find(([, b]) => b.Properties.LoggingConfiguration)!;

    // Act
    const policy = resourcesOf(template(), 'AWS::S3::BucketPolicy').find(([, p]) => target(p.Properties.Bucket) === assetsId)![1].Properties;
    const statements = policy.PolicyDocument.Statement as Record<string, any>[];
    const allows = statements.filter((s) => s.Effect === 'Allow');

    // Assess
    expect(assets.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(assets.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    expect(assets.Properties.LoggingConfiguration.LogFilePrefix).toBe('assets/');
    expect(statements.some((s) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false')).toBe(true);
    // Allows only for CloudFront, only reads, only from this distribution (the deployment function writes with its role).
    expect(allows).toHaveLength(1);
    expect(allows[0]!.Principal).toEqual({ Service: 'cloudfront.amazonaws.com' });
    expect(actionsOf(allows[0]!)).toEqual(['s3:GetObject']);
    expect(JSON.stringify(allows[0]!.Condition.StringEquals['AWS:SourceArn'])).toContain(distributionId);
  });

  it('serves HTTPS only, index.html at the root, security headers and logs, the page from the bucket through OAC', () => {
    // Prepare
    const [, d] = one('AWS::CloudFront::Distribution');
    const config = d.DistributionConfig;
    const origins = config.Origins as Record<string, any>[];

    // Act
    const pageOrigin = origins.find((o) => o.S3OriginConfig)!;
    const oacs = resourcesOf(template(), 'AWS::CloudFront::OriginAccessControl').map(([id, o]) => [id, o.Properties.OriginAccessControlConfig]);
    const s3Oac = oacs.find(([, c]) => c.OriginAccessControlOriginType === 's3')!;

    // Assess
    expect(config.DefaultRootObject).toBe('index.html');
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config.DefaultCacheBehavior.ResponseHeadersPolicyId).toBeDefined();
    expect(config.Logging.Prefix).toBe('cloudfront/');
    expect(target(pageOrigin.OriginAccessControlId)).toBe(s3Oac[0]);
    expect(s3Oac[1].SigningBehavior).toBe('always');
    const [, headers] = one('AWS::CloudFront::ResponseHeadersPolicy');
    const security = headers.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    expect(security.StrictTransportSecurity.AccessControlMaxAgeSec).toBe(365 * 86_400);
    expect(security.FrameOptions.FrameOption).toBe('DENY');
    expect(JSON.stringify(security.ContentSecurityPolicy.ContentSecurityPolicy)).toContain("script-src 'self'");
  });

  it('routes /api/* to the function URL with AWS_IAM auth, signed by the OAC for Lambda, never cached, GET only', () => {
    // Prepare
    const [distributionId, d] = one('AWS::CloudFront::Distribution');
    const [urlId, url] = one('AWS::Lambda::Url');
    const api = (d.DistributionConfig.CacheBehaviors as Record<string, any>[]).find((b) => b.PathPattern === '/api/*')!;

    // Act
    const origin = (d.DistributionConfig.Origins as Record<string, any>[]).find((o) => o.Id === api.TargetOriginId)!;
    const oac = resourcesOf(template(), 'AWS::CloudFront::OriginAccessControl').find(([id]) => id === target(origin.OriginAccessControlId))!;
    const permissions = resourcesOf(template(), 'AWS::Lambda::Permission').map(([, p]) => p.Properties);

    // Assess
    expect(url.AuthType).toBe('AWS_IAM');
    // The origin is the host of that function URL.
    expect(origin.DomainName['Fn::Select'][1]['Fn::Split'][1]).toEqual({ 'Fn::GetAtt': [urlId, 'FunctionUrl'] });
    expect(oac[1].Properties.OriginAccessControlConfig.OriginAccessControlOriginType).toBe('lambda');
    expect(api.ViewerProtocolPolicy).toBe('https-only');
    expect(api.AllowedMethods).toEqual(['GET', 'HEAD']);
    // CloudFront's managed CachingDisabled policy.
    expect(api.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad');
    const cloudFront = permissions.filter((p) => p.Principal === 'cloudfront.amazonaws.com');
    expect(cloudFront.map((p) => p.Action).sort()).toEqual(['lambda:InvokeFunction', 'lambda:InvokeFunctionUrl']);
    for (const p of cloudFront) expect(JSON.stringify(p.SourceArn)).toContain(distributionId);
    // Nobody else may invoke it.
    expect(permissions.filter((p) => p.Principal !== 'cloudfront.amazonaws.com')).toEqual([]);
  });

  it('forwards the sign-in header and the query string to the API, and not the viewer host', () => {
    // Prepare / Act
    const [, policy] = one('AWS::CloudFront::OriginRequestPolicy');
    const c = policy.OriginRequestPolicyConfig;

    // Assess
    expect(c.HeadersConfig).toEqual({ HeaderBehavior: 'whitelist', Headers: ['x-ticklake-authorization'] });
    expect(c.QueryStringsConfig.QueryStringBehavior).toBe('all');
    expect(c.CookiesConfig.CookieBehavior).toBe('none');
  });

  it('gives the API function only the panel queries: Athena on the workgroup, Glue read, table files, lake listing, the results prefix', () => {
    // Prepare
    const [fnId, fn] = resourcesOf(template(), 'AWS::Lambda::Function').find(([, f]) => f.Properties.FunctionName === 'ticklake-dev-dashboard-api')!;
    const roleId = target(fn.Properties.Role)!;

    // Act
    const statements = policyStatements(template(), roleId).map((s) => ({
      actions: actionsOf(s),
      resources: [s.Resource].flat().map((r) => String(evaluate(r))),
    }));
    const withAction = (a: string) => statements.filter((s) => s.actions.includes(a));

    // Assess
    expect(fnId).toBeDefined();
    const actions = new Set(statements.flatMap((s) => s.actions));
    expect(
      [...actions].filter(
        (a) => !/^(athena:(StartQueryExecution|GetQueryExecution|GetQueryResults)|glue:Get(Database|Table|Partitions)|s3:|logs:|xray:)/.test(a),
      ),
    ).toEqual([]);
    expect(actions.has('s3:DeleteObject')).toBe(false);
    for (const a of actions) expect(a).not.toMatch(/\*/);
    expect(withAction('athena:StartQueryExecution').flatMap((s) => s.resources)).toEqual([expect.stringMatching(/:workgroup\/ticklake-dev$/)]);
    const getObject = withAction('s3:GetObject').flatMap((s) => s.resources);
    // The tables' files, and the manifests the exact-read views of the compactable tables read.
    const lakeKeys = [
      ...Object.values(TABLES)
        .filter((t) => !DERIVED_VIEWS[t.name])
        .map((t) => `${tablePrefix(t)}*`),
      ...compactableTables().map((t) => `_compaction/${tablePrefix(t)}*`),
    ];
    for (const k of lakeKeys)
      expect(
        getObject.filter((r) => r.endsWith(`-lake-123456789012-us-east-1/${k}`)),
        k,
      ).toHaveLength(1);
    expect(getObject.filter((r) => !lakeKeys.some((k) => r.endsWith(`/${k}`)) && !r.endsWith('/athena/*'))).toEqual([]);
    // Writes only under the workgroup's result prefix.
    expect(withAction('s3:PutObject').flatMap((s) => s.resources)).toEqual([expect.stringMatching(/\/athena\/\*$/)]);
    const glue = withAction('glue:GetTable').flatMap((s) => s.resources);
    expect(glue.some((r) => r.endsWith(':table/ticklake_dev/trades'))).toBe(true);
    for (const name of ['trades', 'trades_manifests'])
      expect(
        glue.some((r) => r.endsWith(`:table/ticklake_dev_files/${name}`)),
        name,
      ).toBe(true);
    expect(glue.some((r) => r.endsWith(':database/ticklake_dev_files'))).toBe(true);
    expect(glue.some((r) => r.endsWith('/*'))).toBe(false);
  });

  it('configures the API from the stack: database, workgroup, lake, user pool, result reuse, bounded concurrency', () => {
    // Prepare / Act
    const [, fn] = resourcesOf(template(), 'AWS::Lambda::Function').find(([, f]) => f.Properties.FunctionName === 'ticklake-dev-dashboard-api')!;
    const env = fn.Properties.Environment.Variables;
    const [poolId] = one('AWS::Cognito::UserPool');

    // Assess
    expect(env.GLUE_DATABASE).toBe('ticklake_dev');
    expect(env.ATHENA_WORKGROUP).toBe('ticklake-dev');
    expect(evaluate(env.LAKE_BUCKET)).toBe('ticklake-dev-lake-123456789012-us-east-1');
    expect(target(env.COGNITO_USER_POOL_ID)).toBe(poolId);
    expect(env.ATHENA_REUSE_MINUTES).toBe('10');
    expect(fn.Properties.ReservedConcurrentExecutions).toBe(10);
  });

  it('signs users in with a pool an administrator fills: no self sign-up, strong passwords, MFA, a public client with code flow to the site only', () => {
    // Prepare
    const [, pool] = one('AWS::Cognito::UserPool');
    const [, client] = one('AWS::Cognito::UserPoolClient');
    const [distributionId] = one('AWS::CloudFront::Distribution');

    // Act
    const password = pool.Policies.PasswordPolicy;

    // Assess
    expect(pool.AdminCreateUserConfig.AllowAdminCreateUserOnly).toBe(true);
    expect(password).toMatchObject({ MinimumLength: 14, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true });
    expect(pool.MfaConfiguration).toBe('ON');
    expect(client.GenerateSecret).toBe(false);
    expect(client.AllowedOAuthFlows).toEqual(['code']);
    expect(client.CallbackURLs).toHaveLength(1);
    expect(JSON.stringify(client.CallbackURLs[0])).toContain(distributionId);
  });
});

describe('dashboard configuration', () => {
  const problems = (ctx: Record<string, unknown>): string[] => {
    try {
      parseConfig({ ...CDK_JSON_CONTEXT, ...ctx });
      return [];
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as ConfigError).problems;
    }
  };

  it('is off with 5 minutes of result reuse by default, and reads -c strings', () => {
    // Prepare / Act
    const defaults = parseConfig(CDK_JSON_CONTEXT);
    const given = parseConfig({ ...CDK_JSON_CONTEXT, dashboard: 'true', dashboardResultReuseMinutes: '60' });

    // Assess
    expect(defaults).toMatchObject({ dashboard: false, dashboardResultReuseMinutes: 5 });
    expect(given).toMatchObject({ dashboard: true, dashboardResultReuseMinutes: 60 });
  });

  it('refuses a non-boolean flag and a reuse age outside Athena’s 1 minute to 7 days', () => {
    // Prepare / Act / Assess
    expect(problems({ dashboard: 'maybe' })[0]).toMatch(/^dashboard: /);
    expect(problems({ dashboardResultReuseMinutes: '0' })[0]).toMatch(/^dashboardResultReuseMinutes: /);
    expect(problems({ dashboardResultReuseMinutes: '10081' })[0]).toMatch(/^dashboardResultReuseMinutes: /);
    expect(problems({ dashbord: 'true' })).toEqual(['unknown key "dashbord": did you mean "dashboard"?']);
  });
});
