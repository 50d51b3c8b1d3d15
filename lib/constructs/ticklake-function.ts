/**
 * A Node.js Lambda function the ticklake way: TypeScript entry bundled by the
 * local esbuild (never Docker) into one ES module, its own execution role with
 * nothing but what is granted explicitly, its own log group with retention,
 * JSON logs, active tracing and the Powertools environment.
 *
 * AWS SDK v3 decision: the SDK is bundled, not taken from the runtime. The
 * bundle then runs the exact SDK version the tests and the local runtime use
 * (the runtime's copy changes without notice), and esbuild keeps only the
 * clients the handler imports. The cost is a larger bundle (measured in
 * docs/deploy.md), which is paid once per cold start.
 */
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Charset, LogLevel, NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { TicklakeConfig } from '../config.js';
import { acknowledge } from '../nag.js';
import { LOCK_FILE, PROJECT_ROOT } from '../paths.js';

/** Never bundled: native addons (the embedded SQL engine is for the laptop only). */
export const NEVER_BUNDLED = ['@duckdb/node-api', '@duckdb/node-bindings'] as const;

/** Powertools metrics namespace shared by every function (the dashboard reads it). */
export const METRICS_NAMESPACE = 'ticklake';

/**
 * Lets CommonJS dependencies that call `require` for Node built-ins work inside
 * an ES module bundle.
 */
const ESM_REQUIRE_SHIM = "import { createRequire as __ticklakeCreateRequire } from 'node:module';const require = __ticklakeCreateRequire(import.meta.url);";

export interface TicklakeFunctionProps {
  readonly config: TicklakeConfig;
  /** Absolute path of the TypeScript entry file; it must export `handler`. */
  readonly entry: string;
  readonly functionName: string;
  readonly description: string;
  /** Powertools service name (metrics dimension `service`, log field `service`). */
  readonly serviceName: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly environment?: Record<string, string>;
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly securityGroups?: ec2.ISecurityGroup[];
  /** Why further grants of this function need a wildcard resource (added to the cdk-nag acknowledgement). */
  readonly wildcardResourceReason?: string;
  /**
   * Why the function needs no asynchronous-invocation dead-letter queue
   * (cdk-nag Serverless-LambdaDLQ); defaults to the event-source-mapping reason
   * of the stream consumers.
   */
  readonly noDeadLetterQueueReason?: string;
  /** Reserved concurrency (e.g. 1 for a function that must never run twice at once). */
  readonly reservedConcurrentExecutions?: number;
}

export class TicklakeFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: TicklakeFunctionProps) {
    super(scope, id);
    const { config } = props;
    const runtime = config.lambdaRuntime === 'nodejs24.x' ? lambda.Runtime.NODEJS_24_X : lambda.Runtime.NODEJS_22_X;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${props.functionName}`,
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.functionName}: only the grants made explicitly in the ticklake app`,
    });
    this.logGroup.grantWrite(this.role);

    if (props.vpc) {
      // Lambda creates and removes the function's network interfaces with the
      // execution role; these EC2 actions have no resource-level scoping.
      iam.Grant.addToPrincipal({
        grantee: this.role,
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        resourceArns: ['*'],
      });
    }

    this.function = new NodejsFunction(this, 'Function', {
      functionName: props.functionName,
      description: props.description,
      entry: props.entry,
      handler: 'handler',
      runtime,
      architecture: config.lambdaArchitecture === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel[config.logLevel],
      systemLogLevelV2: lambda.SystemLogLevel.INFO,
      tracing: lambda.Tracing.ACTIVE,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: LOCK_FILE,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_LOG_LEVEL: config.logLevel,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        TICKLAKE_STAGE: config.stage,
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: runtime === lambda.Runtime.NODEJS_24_X ? 'node24' : 'node22',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_SHIM,
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        charset: Charset.UTF8,
        logLevel: LogLevel.WARNING,
        // Setting the list replaces the default (`@aws-sdk/*` external): the SDK is bundled.
        externalModules: [...NEVER_BUNDLED],
      },
    });

    acknowledge(
      this.role,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray PutTraceSegments/PutTelemetryRecords have no resource-level permissions (AWS service authorization reference); active tracing needs them on "*"' +
        (props.vpc ? '; so do the EC2 network-interface actions Lambda uses to attach the function to its VPC subnets' : '') +
        (props.wildcardResourceReason ? `; ${props.wildcardResourceReason}` : ''),
    );
    acknowledge(
      this.function,
      'Serverless-LambdaDLQ',
      props.noDeadLetterQueueReason ??
        'Invoked only synchronously by its event source mapping; failed batches go to the mapping on-failure destination (SQS), so an async dead-letter queue would never receive anything',
    );
    if (runtime !== lambda.Runtime.NODEJS_24_X) {
      const reason =
        'nodejs22.x is the runtime the project targets (issue 3; Node 22 LTS, supported by Lambda until 2027); nodejs24.x is one -c lambdaRuntime=nodejs24.x away once the bundle has been tested on it';
      acknowledge(this.function, 'AwsSolutions-L1', reason);
      acknowledge(this.function, 'Serverless-LambdaLatestVersion', reason);
    }
  }
}
