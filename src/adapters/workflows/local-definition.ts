/**
 * What the state machines built with the CDK's Step Functions constructs
 * share: their common states (a step's Lambda task, the start and the end of
 * a run), and the rendering into the plain ASL document the local runtime
 * runs (`aws-local-stepfunctions`): the same states, in a throwaway stack with
 * placeholder ARNs.
 */
import { App, type Duration, Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { AslDefinition } from '../../orchestration/asl.js';

/** Evaluates the only intrinsics a rendered definition holds: `Fn::Join` and the partition/region/account pseudo-parameters. */
function resolvePseudo(value: unknown, env: Record<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => resolvePseudo(v, env));
  if (!value || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  if ('Fn::Join' in o) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    return (resolvePseudo(parts, env) as unknown[]).join(sep);
  }
  if ('Ref' in o) {
    const v = env[String(o.Ref)];
    if (v === undefined) throw new Error(`cannot resolve ${String(o.Ref)} in a local definition`);
    return v;
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolvePseudo(v, env)]));
}

/**
 * The document of the chain `build` makes in a throwaway stack (account
 * 000000000000, us-east-1), with its timeout and comment.
 */
export function renderLocalDefinition(stackName: string, comment: string, timeout: Duration, build: (stack: Construct) => sfn.IChainable): AslDefinition {
  const stack = new Stack(new App(), stackName, { env: { account: '000000000000', region: 'us-east-1' } });
  const chain = build(stack);
  const graph = new sfn.StateGraph(chain.startState, stackName);
  graph.timeout = timeout;
  const rendered = resolvePseudo(stack.resolve(graph.toGraphJson()), {
    'AWS::Partition': 'aws',
    'AWS::Region': 'us-east-1',
    'AWS::AccountId': '000000000000',
    'AWS::URLSuffix': 'amazonaws.com',
  });
  return { Comment: comment, ...(rendered as Omit<AslDefinition, 'Comment'>) };
}

/** A Task invoking one step's function, its response as the result at `resultPath`; Lambda service errors retried. */
export function lambdaStep(
  scope: Construct,
  id: string,
  o: { fn: lambda.IFunction; comment: string; timeout: Duration; resultPath: string; payload?: sfn.TaskInput },
): tasks.LambdaInvoke {
  return new tasks.LambdaInvoke(scope, id, {
    comment: o.comment,
    lambdaFunction: o.fn,
    payloadResponseOnly: true,
    payload: o.payload,
    resultPath: o.resultPath,
    taskTimeout: sfn.Timeout.duration(o.timeout),
    retryOnServiceExceptions: true,
  });
}

/** The first state of a run: the request, with the execution name (the run id) and start time. */
export function startOfRun(scope: Construct, id: string, comment: string): sfn.Pass {
  const J = sfn.JsonPath;
  return new sfn.Pass(scope, id, {
    comment,
    parameters: { request: J.entirePayload, runId: J.stringAt('$$.Execution.Name'), startedAt: J.stringAt('$$.Execution.StartTime') },
  });
}

/**
 * The end of a run over items (files, partitions): a run step failing ends in
 * `failed` (its error the cause); otherwise the run fails in `someFailed` when
 * the count at `failedCountPath` is above zero (its cause at `failureSummaryPath`),
 * else succeeds. Returns the final Choice.
 */
export function endOfRun(
  scope: Construct,
  o: {
    readonly steps: readonly (sfn.TaskStateBase | sfn.Map)[];
    readonly failed: { readonly id: string; readonly error: string };
    readonly check: string;
    readonly someFailed: { readonly id: string; readonly error: string; readonly comment: string };
    readonly failedCountPath: string;
    readonly failureSummaryPath: string;
    readonly succeeded: string;
  },
): sfn.Choice {
  const failed = new sfn.Fail(scope, o.failed.id, {
    comment: "A run step failed; the step's error is the cause",
    error: o.failed.error,
    causePath: '$.error.Cause',
  });
  for (const step of o.steps) step.addCatch(failed, { resultPath: '$.error' });
  return new sfn.Choice(scope, o.check)
    .when(
      sfn.Condition.numberGreaterThan(o.failedCountPath, 0),
      new sfn.Fail(scope, o.someFailed.id, { comment: o.someFailed.comment, error: o.someFailed.error, causePath: o.failureSummaryPath }),
    )
    .otherwise(new sfn.Succeed(scope, o.succeeded));
}
