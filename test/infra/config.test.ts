import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, parseConfig, scheduleExpressionProblem } from '../../lib/config.js';
import { CDK_JSON_CONTEXT, configProblems } from './helpers.js';

const problems = configProblems;

describe('configuration from CDK context', () => {
  it('cdk.json alone gives a complete, valid configuration with safe defaults', () => {
    const c = parseConfig(CDK_JSON_CONTEXT);
    expect(c).toMatchObject({
      stage: 'dev',
      ingestion: 'kinesis',
      kinesisCapacityMode: 'on-demand',
      timeSeries: 'none',
      removalPolicy: 'retain',
      streamRetryAttempts: 3,
      lambdaRuntime: 'nodejs22.x',
      lambdaArchitecture: 'arm64',
    });
    expect(c.streamMaxRecordAgeHours).toBeLessThan(c.streamRetentionHours);
  });

  it('coerces -c strings to numbers and booleans', () => {
    const c = parseConfig({
      kinesisCapacityMode: 'provisioned',
      kinesisShardCount: '3',
      streamRetentionHours: '48',
      schedulesEnabled: 'false',
      athenaBytesScannedCutoffGb: '0.5',
    });
    expect(c.kinesisShardCount).toBe(3);
    expect(c.streamRetentionHours).toBe(48);
    expect(c.schedulesEnabled).toBe(false);
    expect(c.athenaBytesScannedCutoffGb).toBe(0.5);
  });

  it('reports every problem at once, naming the key and the value given', () => {
    const p = problems({ streamBatchSize: '20000', alarmEmail: 'nope', ingestion: 'kafka', logRetentionDays: '10' });
    expect(p).toHaveLength(4);
    expect(p.find((x) => x.startsWith('streamBatchSize'))).toMatch(/10000.*"20000"/);
    expect(p.find((x) => x.startsWith('alarmEmail'))).toMatch(/e-mail/);
    expect(p.find((x) => x.startsWith('ingestion'))).toMatch(/kinesis.*msk/);
    expect(p.find((x) => x.startsWith('logRetentionDays'))).toMatch(/one of/);
  });

  it('requires a shard count for provisioned streams and refuses one for on-demand', () => {
    expect(problems({ kinesisCapacityMode: 'provisioned' })[0]).toMatch(/kinesisShardCount: required/);
    expect(problems({ kinesisShardCount: 2 })[0]).toMatch(/only applies when kinesisCapacityMode=provisioned/);
  });

  it('keeps the record-age limit below the stream retention so skipped records can be replayed', () => {
    expect(problems({ streamRetentionHours: 24, streamMaxRecordAgeHours: 24 })[0]).toMatch(/shorter than streamRetentionHours/);
    expect(problems({ ingestion: 'msk', streamRetentionHours: 24, streamMaxRecordAgeHours: 48 })).toEqual([]);
  });

  it('guards data destruction: removalPolicy=destroy is refused for production stages', () => {
    expect(problems({ stage: 'prod', removalPolicy: 'destroy' })[0]).toMatch(/refused for stage "prod"/);
    expect(problems({ stage: 'production-eu', removalPolicy: 'destroy' })).toHaveLength(1);
    expect(problems({ stage: 'dev', removalPolicy: 'destroy' })).toEqual([]);
  });

  it('suggests the intended key for a typo and ignores CDK feature flags', () => {
    expect(problems({ stag: 'x' })).toEqual(['unknown key "stag": did you mean "stage"?']);
    expect(problems({ '@aws-cdk/core:newStyleStackSynthesis': true, 'aws:cdk:bundling-stacks': [], 'ticklake:nagAcknowledgements': 'off' })).toEqual([]);
  });

  it('keeps replaced files longer than any Athena query can run: compactionGraceMinutes, 45 by default, at least 31', () => {
    // Prepare / Act
    const defaults = parseConfig(CDK_JSON_CONTEXT);
    const given = parseConfig({ compactionGraceMinutes: '90' });
    const tooShort = problems({ compactionGraceMinutes: '30' });
    // Assess
    expect(defaults.compactionGraceMinutes).toBe(45);
    expect(given.compactionGraceMinutes).toBe(90);
    expect(tooShort).toHaveLength(1);
    expect(tooShort[0]).toMatch(/^compactionGraceMinutes: must exceed the Athena DML query timeout .*30 minutes by default.* \(given: "30"\)$/);
    expect(problems({ compactionGraceMinutes: '45.5' })[0]).toMatch(/^compactionGraceMinutes: /);
  });

  it('validates schedule expressions and time zones', () => {
    expect(scheduleExpressionProblem('cron(0 3 ? * MON *)')).toBeUndefined();
    expect(scheduleExpressionProblem('cron(30 4 * * ? *)')).toBeUndefined();
    expect(scheduleExpressionProblem('rate(1 day)')).toBeUndefined();
    expect(scheduleExpressionProblem('cron(0 3 * * MON *)')).toMatch(/exactly one/);
    expect(scheduleExpressionProblem('cron(0 3 * *)')).toMatch(/6 fields/);
    expect(scheduleExpressionProblem('0 3 * * *')).toMatch(/expected cron/);
    expect(problems({ scheduleTimeZone: 'Mars/Olympus' })[0]).toMatch(/IANA/);
    expect(parseConfig({ scheduleTimeZone: 'Europe/Paris' }).scheduleTimeZone).toBe('Europe/Paris');
  });

  it('documents every key in docs/deploy.md', () => {
    const doc = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
    const missing = CONFIG_KEYS.filter((k) => !doc.includes(`\`${k}\``));
    expect(missing).toEqual([]);
  });
});
