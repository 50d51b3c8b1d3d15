/**
 * The dashboard in the cloud (`-c dashboard=true`; no stack otherwise): the
 * page the local `ticklake dashboard` serves, and its API on Athena.
 *
 *   viewer ──HTTPS──▶ CloudFront ─┬─ /*      ─OAC─▶ S3 bucket (private): dashboard/, vendor/uPlot, config.json
 *                                 └─ /api/*  ─OAC─▶ Lambda function URL (AWS_IAM) ─▶ Athena, Glue, S3
 *
 * Not public: nothing is reachable but through the distribution (the bucket
 * admits only CloudFront's origin access control; the function URL requires
 * SigV4, which only CloudFront's origin access control for Lambda signs), and
 * the API answers only requests carrying an ID token of the Cognito user pool
 * created here (no self sign-up: an administrator creates each user; MFA with
 * an authenticator app is required). The token travels in a header of its own
 * (`x-ticklake-authorization`) because CloudFront's SigV4 signature takes the
 * `Authorization` header. The page's files carry no data, so they are served
 * to anyone who has the address; the page reads `/config.json` and sends the
 * user through Cognito's sign-in page (authorization code + PKCE) before its
 * first API call (`dashboard/auth.js`).
 *
 * Cost: each panel refresh is an Athena query; identical queries within
 * `dashboardResultReuseMinutes` are answered from the previous result (no scan,
 * no charge), and the API's clock moves in one-minute steps so refreshes repeat
 * the identical query. The workgroup's per-query scan limit applies.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CfnOutput, DefaultStackSynthesizer, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import type { Construct } from 'constructs';
import { NAMED_VIEWS, TABLES } from '../../src/catalog.js';
import { DASHBOARD_TOKEN_HEADER } from '../../src/adapters/aws/cognito-auth.js';
import { namePrefix, type TicklakeConfig } from '../config.js';
import { bucketDefaults } from '../constructs/bucket-defaults.js';
import { TicklakeFunction } from '../constructs/ticklake-function.js';
import { grantLakeRead } from '../catalog/lake-read-grants.js';
import { acknowledge, grantObjectKeys, wildcardResourceFinding } from '../nag.js';
import { DASHBOARD_API_ENTRY, DASHBOARD_ASSETS_DIR, UPLOT_DIST_DIR } from '../paths.js';
import { ATHENA_RESULTS_PREFIX } from './catalog-stack.js';

/** The uPlot files the page loads from `/vendor/`. */
export const UPLOT_FILES = ['uPlot.iife.min.js', 'uPlot.min.css'] as const;

export interface DashboardStackProps extends StackProps {
  readonly config: TicklakeConfig;
  /** Name of the lake bucket (see lakeBucketName); addressed by name. */
  readonly lakeBucketName: string;
  /** The Athena query-results bucket the workgroup writes to. */
  readonly athenaResultsBucket: s3.IBucket;
  readonly databaseName: string;
  readonly workGroupName: string;
  /** The API function's entry (tests); default lambdas/dashboard-api/handler.ts. */
  readonly apiEntry?: string;
}

export class DashboardStack extends Stack {
  readonly assetsBucket: s3.Bucket;
  readonly logsBucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly api: TicklakeFunction;
  readonly apiUrl: lambda.FunctionUrl;
  readonly userPool: cognito.UserPool;
  readonly userPoolClient: cognito.UserPoolClient;
  readonly userPoolDomain: cognito.UserPoolDomain;

  constructor(scope: Construct, id: string, props: DashboardStackProps) {
    super(scope, id, props);
    const { config } = props;
    const prefix = namePrefix(config);
    const base = bucketDefaults(config);
    const removalPolicy = base.removalPolicy;
    const destroy = base.autoDeleteObjects === true;

    // CloudFront standard logs and the assets bucket's access logs.
    this.logsBucket = new s3.Bucket(this, 'Logs', {
      ...base,
      // CloudFront standard logging writes with ACLs.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ id: 'expire-logs', expiration: Duration.days(90) }],
    });
    this.assetsBucket = new s3.Bucket(this, 'Assets', {
      ...base,
      serverAccessLogsBucket: this.logsBucket,
      serverAccessLogsPrefix: 'assets/',
    });

    // Users: created by an administrator only, strong passwords, MFA with an authenticator app.
    this.userPool = new cognito.UserPool(this, 'Users', {
      userPoolName: `${prefix}-dashboard`,
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      removalPolicy,
    });
    acknowledge(
      this.userPool,
      'AwsSolutions-COG8',
      'Threat protection needs the Plus feature plan, billed per active user; the pool admits only users an administrator created, with a 14-character password and a required authenticator-app MFA, and Essentials covers the managed sign-in page',
    );
    this.userPoolDomain = this.userPool.addDomain('SignIn', {
      // Globally unique per region: the stage and the account.
      cognitoDomain: { domainPrefix: `${prefix}-dash-${this.account}` },
    });

    this.api = new TicklakeFunction(this, 'Api', {
      config,
      entry: props.apiEntry ?? DASHBOARD_API_ENTRY,
      functionName: `${prefix}-dashboard-api`,
      description: 'Dashboard API: the panel queries on Athena, files per partition from S3, for signed-in users (Cognito)',
      serviceName: 'dashboard-api',
      memorySize: 512,
      // CloudFront waits 30 s for an origin; the Athena runner gives up at 25 s.
      timeout: Duration.seconds(29),
      environment: {
        GLUE_DATABASE: props.databaseName,
        ATHENA_WORKGROUP: props.workGroupName,
        LAKE_BUCKET: props.lakeBucketName,
        COGNITO_USER_POOL_ID: this.userPool.userPoolId,
        ATHENA_REUSE_MINUTES: String(config.dashboardResultReuseMinutes),
      },
      // Bounds the Athena queries a burst of viewers can start at once.
      reservedConcurrentExecutions: 10,
      noDeadLetterQueueReason:
        'Invoked only synchronously through its function URL by CloudFront, which returns any error to the viewer (the page retries on its next refresh); an asynchronous dead-letter queue would never receive anything',
    });
    this.grantQueries(props);
    this.apiUrl = this.api.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });

    // Only the viewer's query string and this header reach the API; the host must be the function URL's own.
    const apiRequests = new cloudfront.OriginRequestPolicy(this, 'ApiRequests', {
      originRequestPolicyName: `${prefix}-dashboard-api`,
      comment: 'Dashboard API: query strings and the sign-in token header',
      queryStringBehavior: cloudfront.OriginRequestQueryStringBehavior.all(),
      headerBehavior: cloudfront.OriginRequestHeaderBehavior.allowList(DASHBOARD_TOKEN_HEADER),
      cookieBehavior: cloudfront.OriginRequestCookieBehavior.none(),
    });
    const securityHeaders = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      responseHeadersPolicyName: `${prefix}-dashboard`,
      comment: 'Dashboard: HSTS, no framing, no sniffing, strict referrer, scripts from the site only',
      securityHeadersBehavior: {
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override: true },
        contentSecurityPolicy: {
          // The page fetches its own API and, at sign-in, Cognito's token endpoint.
          contentSecurityPolicy: `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ${this.userPoolDomain.baseUrl()}; frame-ancestors 'none'; base-uri 'self'; form-action 'self'`,
          override: true,
        },
      },
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `ticklake ${config.stage} dashboard`,
      defaultRootObject: 'index.html',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: this.logsBucket,
      logFilePrefix: 'cloudfront/',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.assetsBucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: securityHeaders,
        compress: true,
      },
      additionalBehaviors: {
        '/api/*': {
          origin: origins.FunctionUrlOrigin.withOriginAccessControl(this.apiUrl),
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
          // Per user and time: never cached by CloudFront (Athena's result reuse is the cache).
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: apiRequests,
          responseHeadersPolicy: securityHeaders,
        },
      },
    });
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR1',
      'The dashboard is for the team that runs the pipeline, wherever they are; access is limited by sign-in (Cognito, admin-created users, MFA), not by country',
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR2',
      'No WAF web ACL (a fixed monthly cost): the API answers only signed-in users, allows GET only, and its reserved concurrency bounds the Athena queries a flood can start',
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR4',
      "The distribution uses CloudFront's default certificate (no custom domain configured), whose viewer security policy CloudFront fixes at TLSv1; a minimum of TLSv1.2 needs a custom domain and its certificate",
    );

    const siteUrl = `https://${this.distribution.distributionDomainName}/`;
    this.userPoolClient = this.userPool.addClient('Page', {
      userPoolClientName: `${prefix}-dashboard-page`,
      // A browser page keeps no secret: authorization code with PKCE.
      generateSecret: false,
      authFlows: {},
      preventUserExistenceErrors: true,
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL],
        callbackUrls: [siteUrl],
        logoutUrls: [siteUrl],
      },
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
      enableTokenRevocation: true,
    });

    new s3deploy.BucketDeployment(this, 'Page', {
      destinationBucket: this.assetsBucket,
      sources: [
        s3deploy.Source.asset(DASHBOARD_ASSETS_DIR, { exclude: ['config.json'] }),
        ...UPLOT_FILES.map((f) => s3deploy.Source.data(`vendor/${f}`, readFileSync(join(UPLOT_DIST_DIR, f), 'utf8'))),
        // What dashboard/auth.js reads to sign the user in.
        s3deploy.Source.jsonData('config.json', {
          auth: {
            region: this.region,
            userPoolId: this.userPool.userPoolId,
            clientId: this.userPoolClient.userPoolClientId,
            domain: this.userPoolDomain.baseUrl(),
            header: DASHBOARD_TOKEN_HEADER,
          },
        }),
      ],
      distribution: this.distribution,
      distributionPaths: ['/*'],
      retainOnDelete: !destroy,
      memoryLimit: 256,
    });
    this.acknowledgeDeploymentFunction();

    new CfnOutput(this, 'DashboardUrl', { value: siteUrl, description: 'The dashboard (sign in with a user of the user pool below)' });
    new CfnOutput(this, 'DashboardUserPoolId', {
      value: this.userPool.userPoolId,
      description: 'Create users with: aws cognito-idp admin-create-user --user-pool-id <this> --username <e-mail>',
    });
  }

  /**
   * The panel queries with Athena as the function: the query API on the one
   * workgroup, Glue read of the lake's tables and views (with what the
   * exact-read views read: physical tables, manifest tables, manifests), the
   * tables' files (Athena reads them with the caller's credentials), listing
   * the lake (files per partition) and the workgroup's result prefix.
   */
  private grantQueries(props: DashboardStackProps): void {
    const role = this.api.role;
    const lake = s3.Bucket.fromBucketName(this, 'LakeBucket', props.lakeBucketName);
    const results = this.importBucket('AthenaResultsBucket', props.athenaResultsBucket);
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults'],
      resourceArns: [this.formatArn({ service: 'athena', resource: 'workgroup', resourceName: props.workGroupName })],
    });
    grantLakeRead(role, {
      databaseName: props.databaseName,
      lakeBucket: lake,
      relations: [...Object.keys(TABLES), ...Object.keys(NAMED_VIEWS)],
      reader: "the dashboard's panel queries",
    });
    grantObjectKeys(
      role,
      results,
      `${ATHENA_RESULTS_PREFIX}*`,
      ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      `Athena writes and reads the query results with the caller's credentials under the workgroup's enforced result prefix (${ATHENA_RESULTS_PREFIX}) of the results bucket, one object per query id`,
    );
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['s3:ListBucket', 's3:GetBucketLocation', 's3:ListBucketMultipartUploads'],
      resourceArns: [results.bucketArn],
    });
  }

  /**
   * The CDK's own bucket-deployment function (a singleton per stack and memory
   * size), which copies the page's asset into the bucket at deploy time and
   * invalidates the distribution: its grants and settings are the CDK's.
   */
  private acknowledgeDeploymentFunction(): void {
    const fn = this.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (!fn) throw new Error('the bucket deployment function was not found in the dashboard stack');
    const what = "The CDK's bucket-deployment function (runs only during a deployment of this stack, copying the page into its bucket)";
    acknowledge(
      fn,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      `${what}: the CDK attaches the basic execution managed policy for its logs`,
    );
    for (const action of ['s3:GetBucket*', 's3:GetObject*', 's3:List*', 's3:Abort*', 's3:DeleteObject*']) {
      acknowledge(
        fn,
        `AwsSolutions-IAM5[Action::${action}]`,
        `${what}: the CDK grants ${action} on the asset object it reads and on the page bucket it syncs, nothing else`,
      );
    }
    acknowledge(
      fn,
      wildcardResourceFinding(this, `arn:${this.partition}:s3:::cdk-${DefaultStackSynthesizer.DEFAULT_QUALIFIER}-assets-${this.account}-${this.region}/*`),
      `${what}: reads the page's zipped asset from the CDK bootstrap asset bucket, whose object keys are content hashes`,
    );
    acknowledge(
      fn,
      wildcardResourceFinding(this, this.assetsBucket.arnForObjects('*')),
      `${what}: writes and prunes every object of the page bucket, which holds nothing else`,
    );
    acknowledge(
      fn,
      'AwsSolutions-IAM5[Resource::*]',
      `${what}: cloudfront:CreateInvalidation and GetInvalidation, which the CDK grants on "*" to invalidate the distribution after the copy`,
    );
    acknowledge(fn, 'AwsSolutions-L1', `${what}: its runtime is the one the CDK version pins for it, not configurable`);
    acknowledge(fn, 'Serverless-LambdaLatestVersion', `${what}: its runtime is the one the CDK version pins for it, not configurable`);
    acknowledge(fn, 'Serverless-LambdaDLQ', `${what}: invoked synchronously by CloudFormation, which fails and rolls back the deployment on an error`);
    acknowledge(
      fn,
      'Serverless-LambdaTracing',
      `${what}: a deploy-time copy step with its own CloudWatch logs; tracing it would show nothing of the dashboard`,
    );
  }

  /** A bucket of another stack through explicit exports (as the orchestration stack does). */
  private importBucket(id: string, bucket: s3.IBucket): s3.IBucket {
    const producer = Stack.of(bucket);
    if (producer === this) return bucket;
    return s3.Bucket.fromBucketAttributes(this, id, {
      bucketArn: producer.exportValue(bucket.bucketArn),
      bucketName: producer.exportValue(bucket.bucketName),
    });
  }
}
