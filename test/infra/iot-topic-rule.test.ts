/**
 * The iot source's cloud door (`-c iotTopicRule=true`): off by default; when on,
 * an IoT Core topic rule on devices/+/telemetry with a Kinesis action keyed by
 * the device id, an error action to CloudWatch Logs, and a role that may only
 * put to the stream and write that log group.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type ConfigError, parseConfig } from '../../lib/config.js';
import { IOT_RULE_SQL } from '../../lib/constructs/iot-topic-rule.js';
import { envelopeOf } from '../../src/sources/iot-readings/index.js';
import { type BuiltApp, buildApp, CDK_JSON_CONTEXT, policyStatements, resourcesOf } from './helpers.js';

let off: BuiltApp;
let on: BuiltApp;
beforeAll(() => {
  off = buildApp();
  on = buildApp({ iotTopicRule: 'true' });
});

describe('IoT topic rule', () => {
  it('is off by default', () => {
    // Assess
    expect(off.config.iotTopicRule).toBe(false);
    expect(resourcesOf(off.template(off.stacks.ingestion), 'AWS::IoT::TopicRule')).toHaveLength(0);
  });

  it('puts devices/+/telemetry on the stream keyed by device id, with an error action', () => {
    // Act
    const t = on.template(on.stacks.ingestion);
    const rules = resourcesOf(t, 'AWS::IoT::TopicRule');
    // Assess
    expect(rules).toHaveLength(1);
    const p = rules[0]![1].Properties.TopicRulePayload;
    expect(p.Sql).toBe(IOT_RULE_SQL);
    expect(p.Sql).toContain("FROM 'devices/+/telemetry'");
    expect(p.AwsIotSqlVersion).toBe('2016-03-23');
    expect(p.Actions).toHaveLength(1);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the IoT rule's substitution template
    expect(p.Actions[0].Kinesis.PartitionKey).toBe('${topic(2)}');
    expect(JSON.stringify(p.Actions[0].Kinesis.StreamName)).toContain('Events');
    expect(p.ErrorAction.CloudwatchLogs.LogGroupName).toBeDefined();
  });

  it('writes the envelope the source reads (the SQL names its fields)', () => {
    // Prepare: the bridge's envelope fields, payload replaced by payload_b64 in the cloud
    const fields = Object.keys(JSON.parse(envelopeOf('devices/d/telemetry', '{}', 0))).map((k) => (k === 'payload' ? 'payload_b64' : k));
    // Assess
    for (const f of fields) expect(IOT_RULE_SQL).toMatch(new RegExp(`AS ${f}\\b`));
  });

  it('grants the rule only PutRecord on the stream and writing its error log', () => {
    // Prepare
    const t = on.template(on.stacks.ingestion);
    const roles = resourcesOf(t, 'AWS::IAM::Role').filter(([, r]) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('iot.amazonaws.com'));
    // Act
    const actions = policyStatements(t, roles[0]![0]).flatMap((s) => [s.Action].flat());
    // Assess
    expect(roles).toHaveLength(1);
    expect(actions.sort()).toEqual(['kinesis:PutRecord', 'logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  it('is refused with ingestion=msk', () => {
    // Act
    let problems: string[] = [];
    try {
      parseConfig({ ...CDK_JSON_CONTEXT, iotTopicRule: 'true', ingestion: 'msk' });
    } catch (e) {
      problems = (e as ConfigError).problems;
    }
    // Assess
    expect(problems.join('\n')).toMatch(/iotTopicRule/);
  });
});
