/**
 * The iot source's cloud door (`-c iotTopicRule=true`): an AWS IoT Core topic
 * rule on the sensors' telemetry topic that puts every message on the Kinesis
 * stream in the envelope the local MQTT bridge writes (`source`, `topic`,
 * `received_at`), the payload base64-encoded (`payload_b64`: the rule's SQL
 * cannot pass a payload that is not JSON through as text, and a malformed one
 * must still reach the quarantine), keyed by the device id (`${topic(2)}`).
 * A message the rule cannot put goes to its error action, a CloudWatch Logs
 * group. IoT Core acknowledges a QoS 1 publish when it accepts the message,
 * not after the rule's put: the error action is where a failed put shows.
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { TELEMETRY_TOPIC_FILTER } from '../../src/sources/iot-readings/index.js';

/** The rule's SQL: the envelope of src/sources/iot-readings/reading.ts. */
export const IOT_RULE_SQL = `SELECT 'iot' AS source, topic() AS topic, timestamp() AS received_at, encode(*, 'base64') AS payload_b64 FROM '${TELEMETRY_TOPIC_FILTER}'`;

export interface IotTopicRuleProps {
  readonly stream: kinesis.IStream;
  /** Rule names allow letters, digits and underscores only. */
  readonly ruleName: string;
  readonly logRetentionDays: number;
  readonly removalPolicy: RemovalPolicy;
}

export class IotTopicRule extends Construct {
  readonly rule: iot.CfnTopicRule;
  readonly errors: logs.LogGroup;

  constructor(scope: Construct, id: string, props: IotTopicRuleProps) {
    super(scope, id);
    this.errors = new logs.LogGroup(this, 'Errors', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: props.removalPolicy,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('iot.amazonaws.com'),
      description: 'AWS IoT Core topic rule of the iot source: puts telemetry on the stream, logs what it cannot put',
    });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['kinesis:PutRecord'], resources: [props.stream.streamArn] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.errors.logGroupArn] }));
    this.rule = new iot.CfnTopicRule(this, 'Rule', {
      ruleName: props.ruleName,
      topicRulePayload: {
        description: `Telemetry of ${TELEMETRY_TOPIC_FILTER} onto the ticklake stream (source iot)`,
        sql: IOT_RULE_SQL,
        awsIotSqlVersion: '2016-03-23',
        ruleDisabled: false,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: an IoT rule substitution template (the topic's device id), not JavaScript
        actions: [{ kinesis: { streamName: props.stream.streamName, partitionKey: '${topic(2)}', roleArn: role.roleArn } }],
        errorAction: { cloudwatchLogs: { logGroupName: this.errors.logGroupName, roleArn: role.roleArn } },
      },
    });
  }
}
