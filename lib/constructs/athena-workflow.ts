/**
 * What the state machines that run Athena statements over the lake share (the
 * backfill, the compaction): an execution role with exact grants, handed to
 * the state machine without policy updates (the Step Functions constructs'
 * Athena task would grant S3 on every bucket and Glue writes on the whole
 * database), and the state machine with its log group and tracing.
 */
import { type Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { TicklakeConfig } from '../config.js';
import { acknowledge, grantObjectKeys } from '../nag.js';

/** Bucket-level S3 actions (no key pattern). */
export function grantBucketLevel(role: iam.IRole, bucket: s3.IBucket, actions: string[]): void {
  iam.Grant.addToPrincipal({ grantee: role, actions, resourceArns: [bucket.bucketArn] });
}

/** Object-level S3 actions under a key pattern, the wildcard finding acknowledged with `why`. */
export function grantObjects(role: iam.IRole, bucket: s3.IBucket, keys: string, actions: string[], why: string): void {
  grantObjectKeys(role, bucket, keys, actions, `Object-level S3 permissions need a key pattern: ${actions.join('/')} only under ${keys} of the ${why}`);
}

export interface AthenaWorkflowRoleProps {
  readonly description: string;
  /** The functions its Task states invoke. */
  readonly functions: readonly lambda.IFunction[];
  readonly workGroupName: string;
  readonly lakeBucket: s3.IBucket;
  readonly athenaResultsBucket: s3.IBucket;
  /** The workgroup's enforced result prefix in the results bucket. */
  readonly athenaResultsPrefix: string;
}

/**
 * The execution role: invoking exactly `functions`; Athena on the workgroup;
 * listing the lake bucket; the workgroup's result prefix; log delivery and
 * X-Ray. The caller adds the Glue and lake-object grants its statements need.
 */
export function athenaWorkflowRole(scope: Construct, id: string, p: AthenaWorkflowRoleProps): iam.Role {
  const stack = Stack.of(scope);
  const role = new iam.Role(scope, id, { assumedBy: new iam.ServicePrincipal('states.amazonaws.com'), description: p.description });
  role.addToPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: p.functions.map((f) => f.functionArn) }));
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:StopQueryExecution'],
      resources: [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: p.workGroupName })],
    }),
  );
  grantBucketLevel(role, p.lakeBucket, ['s3:ListBucket', 's3:GetBucketLocation', 's3:ListBucketMultipartUploads']);
  grantBucketLevel(role, p.athenaResultsBucket, ['s3:ListBucket', 's3:GetBucketLocation', 's3:ListBucketMultipartUploads']);
  grantObjects(
    role,
    p.athenaResultsBucket,
    `${p.athenaResultsPrefix}*`,
    ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
    "Athena results bucket: the workgroup's enforced result prefix (query results, UNLOAD manifests), one object per query id",
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: [
        'logs:CreateLogDelivery',
        'logs:GetLogDelivery',
        'logs:UpdateLogDelivery',
        'logs:DeleteLogDelivery',
        'logs:ListLogDeliveries',
        'logs:PutResourcePolicy',
        'logs:DescribeResourcePolicies',
        'logs:DescribeLogGroups',
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
        'xray:GetSamplingRules',
        'xray:GetSamplingTargets',
      ],
      resources: ['*'],
    }),
  );
  acknowledge(
    role,
    'AwsSolutions-IAM5[Resource::*]',
    'Step Functions log delivery (logs:CreateLogDelivery, PutResourcePolicy, DescribeLogGroups, ...) and X-Ray tracing actions have no resource-level permissions; the role can do nothing else on "*"',
  );
  return role;
}

/** A standard state machine on `role` (its grants are the whole policy), traced, logging everything to its own log group. */
export function athenaStateMachine(
  scope: Construct,
  p: { config: TicklakeConfig; name: string; comment: string; definition: sfn.IChainable; timeout: Duration; role: iam.Role },
): sfn.StateMachine {
  const logGroup = new logs.LogGroup(scope, 'Logs', {
    logGroupName: `/aws/vendedlogs/states/${p.name}`,
    retention: p.config.logRetentionDays as logs.RetentionDays,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  return new sfn.StateMachine(scope, 'StateMachine', {
    stateMachineName: p.name,
    stateMachineType: sfn.StateMachineType.STANDARD,
    comment: p.comment,
    definitionBody: sfn.DefinitionBody.fromChainable(p.definition),
    timeout: p.timeout,
    // The role's grants are the whole policy: the tasks' own (broad) grants are not added.
    role: p.role.withoutPolicyUpdates(),
    tracingEnabled: true,
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
  });
}
