/**
 * Orchestration: the weekly training and daily evaluation state machines
 * (definitions from {@link trainingDefinition} / {@link evaluationDefinition},
 * the same documents the local runtime runs) and an EventBridge Scheduler
 * schedule for each, with retries and a dead-letter queue for start failures.
 *
 * Without `modelFunctions` the state machines are deployed in their
 * "not configured" form: a run records its input and fails with
 * `ticklake.ModelFunctionsNotDeployed`. Nothing pretends to train.
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, TimeZone } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { namePrefix, type TicklakeConfig } from '../config.js';
import { acknowledge } from '../nag.js';
import { type AslDefinition, evaluationDefinition, trainingDefinition } from '../orchestration/model-workflows.js';

/** The ML functions, once they exist. */
export interface ModelFunctions {
  readonly trainCandidates: lambda.IFunction;
  readonly promoteBest: lambda.IFunction;
  readonly evaluate: lambda.IFunction;
}

export interface OrchestrationStackProps extends StackProps {
  readonly config: TicklakeConfig;
  readonly modelFunctions?: ModelFunctions;
}

export class OrchestrationStack extends Stack {
  readonly trainingStateMachine: sfn.StateMachine;
  readonly evaluationStateMachine: sfn.StateMachine;
  readonly trainingSchedule: scheduler.Schedule;
  readonly evaluationSchedule: scheduler.Schedule;
  readonly schedulerDeadLetterQueue: sqs.Queue;
  /** False while the state machines are in their "not configured" form. */
  readonly modelsConfigured: boolean;

  constructor(scope: Construct, id: string, props: OrchestrationStackProps) {
    super(scope, id, props);
    const { config, modelFunctions: fns } = props;
    const prefix = namePrefix(config);
    this.modelsConfigured = fns !== undefined;

    this.trainingStateMachine = this.stateMachine(
      'Training',
      `${prefix}-train-models`,
      trainingDefinition(fns && { trainCandidates: fns.trainCandidates.functionArn, promoteBest: fns.promoteBest.functionArn }),
      config,
    );
    this.evaluationStateMachine = this.stateMachine(
      'Evaluation',
      `${prefix}-evaluate-models`,
      evaluationDefinition(fns && { evaluate: fns.evaluate.functionArn }),
      config,
    );
    if (fns) {
      fns.trainCandidates.grantInvoke(this.trainingStateMachine);
      fns.promoteBest.grantInvoke(this.trainingStateMachine);
      fns.evaluate.grantInvoke(this.evaluationStateMachine);
    }

    this.schedulerDeadLetterQueue = new sqs.Queue(this, 'ScheduleDeadLetters', {
      queueName: `${prefix}-schedule-dead-letters`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(
      this.schedulerDeadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the two EventBridge Scheduler targets (schedule runs that could not start a state machine)',
    );
    acknowledge(
      this.schedulerDeadLetterQueue,
      'Serverless-SQSRedrivePolicy',
      'Terminal dead-letter queue of the schedules; an operator inspects it (and an alarm watches its depth), nothing consumes it automatically',
    );

    const group = new scheduler.ScheduleGroup(this, 'ScheduleGroup', { scheduleGroupName: prefix, removalPolicy: RemovalPolicy.DESTROY });
    const timeZone = TimeZone.of(config.scheduleTimeZone);
    const schedule = (id: string, name: string, expr: string, sm: sfn.IStateMachine, trigger: string, description: string) =>
      new scheduler.Schedule(this, id, {
        scheduleName: name,
        scheduleGroup: group,
        description,
        schedule: scheduler.ScheduleExpression.expression(expr, timeZone),
        enabled: config.schedulesEnabled,
        timeWindow: scheduler.TimeWindow.off(),
        target: new targets.StepFunctionsStartExecution(sm, {
          input: scheduler.ScheduleTargetInput.fromObject({
            trigger,
            scheduledTime: scheduler.ContextAttribute.scheduledTime,
            scheduleExecutionId: scheduler.ContextAttribute.executionId,
          }),
          deadLetterQueue: this.schedulerDeadLetterQueue,
          retryAttempts: 3,
          maxEventAge: Duration.hours(2),
        }),
      });
    this.trainingSchedule = schedule(
      'TrainingSchedule',
      `${prefix}-weekly-training`,
      config.trainingSchedule,
      this.trainingStateMachine,
      'weekly-training',
      'Starts the weekly model training',
    );
    this.evaluationSchedule = schedule(
      'EvaluationSchedule',
      `${prefix}-daily-evaluation`,
      config.evaluationSchedule,
      this.evaluationStateMachine,
      'daily-evaluation',
      'Starts the daily model evaluation',
    );

    new CfnOutput(this, 'TrainingStateMachineArn', { value: this.trainingStateMachine.stateMachineArn });
    new CfnOutput(this, 'EvaluationStateMachineArn', { value: this.evaluationStateMachine.stateMachineArn });
    new CfnOutput(this, 'ModelFunctionsConfigured', { value: String(this.modelsConfigured) });
  }

  private stateMachine(id: string, name: string, definition: AslDefinition, config: TicklakeConfig): sfn.StateMachine {
    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      logGroupName: `/aws/vendedlogs/states/${name}`,
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const sm = new sfn.StateMachine(this, id, {
      stateMachineName: name,
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: definition.Comment,
      definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(definition)),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    acknowledge(
      sm.role,
      'AwsSolutions-IAM5[Resource::*]',
      'Step Functions log delivery (logs:CreateLogDelivery, PutResourcePolicy, DescribeLogGroups, ...) and X-Ray tracing actions have no resource-level permissions; the role can do nothing else',
    );
    return sm;
  }
}
