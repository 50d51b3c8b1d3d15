import { StateMachine } from 'aws-local-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMPACTION_STATES as S, localCompactionDefinition } from '../../src/adapters/workflows/compaction-workflow.js';
import { compactableTables } from '../../src/catalog.js';
import { SCHEDULES } from '../../src/orchestration/schedules.js';
import { taskStates } from '../helpers/asl.js';
import {
  type BuiltApp,
  buildApp,
  evaluate,
  FAKE_ACCOUNT,
  FAKE_REGION,
  functionNamed,
  grantsOf,
  polyfillPromiseWithResolvers,
  resourcesOf,
  stateMachineNamed,
} from './helpers.js';

polyfillPromiseWithResolvers();

const NAME = 'ticklake-dev-compaction';
const LAKE = `arn:aws:s3:::ticklake-dev-lake-${FAKE_ACCOUNT}-${FAKE_REGION}`;
const RESULTS = 'arn:aws:s3:::results-bucket';
const STEPS = ['list', 'plan', 'commit', 'delete'] as const;

let built: BuiltApp;
beforeAll(() => {
  built = buildApp({ compactionSchedule: 'rate(30 minutes)' });
});

const template = () => built.template(built.stacks.orchestration);
const ev = (v: unknown) => evaluate(v, (name) => (name.includes('AthenaResults') ? RESULTS : undefined));
const fn = (step: string) => {
  const f = functionNamed(template(), `ticklake-dev-compaction-${step}`);
  return { roleId: f.props.Role['Fn::GetAtt'][0] as string, arn: String(ev({ 'Fn::GetAtt': [f.id, 'Arn'] })) };
};
const tablePrefixes = () => compactableTables().map((t) => `${LAKE}/${t.zone}/${t.name}/*`);
const manifestPrefixes = () =>
  compactableTables()
    .map((t) => `${LAKE}/_compaction/${t.zone}/${t.name}/*`)
    .sort();

describe('compaction state machine as synthesized (orchestration stack)', () => {
  it('is the definition the local runtime runs, with the deployed functions, workgroup and files database', () => {
    // Prepare
    const { definition } = stateMachineNamed(template(), NAME);
    // Act: the deployed document with the local placeholders put back
    let text = JSON.stringify(definition);
    for (const step of STEPS) text = text.replaceAll(fn(step).arn, `arn:aws:lambda:us-east-1:000000000000:function:ticklake-local-compaction-${step}`);
    text = text.replaceAll('"ticklake-dev"', '"ticklake-local"').replaceAll('"ticklake_dev_files"', '"ticklake_local"');
    // Assess
    expect(JSON.parse(text)).toStrictEqual(localCompactionDefinition());
    expect(text).not.toMatch(/JSONata|QueryLanguage/);
    expect(() => new StateMachine(JSON.parse(text) as never)).not.toThrow();
  });

  it('runs each partition as plan, Athena statement, commit in a bounded Map', () => {
    // Prepare
    const { definition, props } = stateMachineNamed(template(), NAME);
    // Act
    const tasks = Object.fromEntries(taskStates(definition.States));
    const map = definition.States[S.partitions]!;
    // Assess
    expect(Object.keys(tasks).sort()).toEqual([S.commit, S.commitDerived, S.compact, S.compactDerived, S.deleteReplaced, S.list, S.plan].sort());
    expect(tasks[S.compactDerived]!.Parameters['QueryString.$']).toBe('$.plan.derived.sql.compact');
    expect(tasks[S.commitDerived]!.Resource).toBe(fn('commit').arn);
    expect(tasks[S.commit]!.Resource).toBe(fn('commit').arn);
    expect(tasks[S.compact]).toMatchObject({
      Resource: 'arn:aws:states:::athena:startQueryExecution.sync',
      Parameters: { 'QueryString.$': '$.plan.sql.compact', WorkGroup: 'ticklake-dev', QueryExecutionContext: { Database: 'ticklake_dev_files' } },
    });
    // Its statements name the physical tables and "$path": the files database, not the views of the main one.
    expect(tasks[S.compactDerived]!.Parameters.QueryExecutionContext).toEqual({ Database: 'ticklake_dev_files' });
    expect(tasks[S.compact]!.Retry).toEqual([expect.objectContaining({ ErrorEquals: ['Athena.TooManyRequestsException'] })]);
    expect(map).toMatchObject({ Type: 'Map', ItemsPath: '$.listed.partitions', MaxConcurrencyPath: '$.listed.run.maxConcurrency' });
    for (const step of [S.plan, S.compact, S.commit, S.compactDerived, S.commitDerived]) expect(tasks[step]!.Catch[0].Next, step).toBe(S.partitionFailed);
    expect(props).toMatchObject({ TracingConfiguration: { Enabled: true }, LoggingConfiguration: { Level: 'ALL' } });
  });

  it('starts on its configurable schedule over the last two days with the grace period, with retries and the dead-letter queue', () => {
    // Prepare
    const schedules = resourcesOf(template(), 'AWS::Scheduler::Schedule').filter(([, s]) => s.Properties.Name === NAME);
    // Act
    const s = schedules[0]![1].Properties;
    // Assess
    expect(schedules).toHaveLength(1);
    expect(s.ScheduleExpression).toBe('rate(30 minutes)');
    expect(JSON.parse(s.Target.Input)).toEqual({
      trigger: 'compaction',
      scheduledTime: '<aws.scheduler.scheduled-time>',
      lookbackDays: 2,
      graceMs: 45 * 60_000,
    });
    expect(s.Target.RetryPolicy.MaximumRetryAttempts).toBe(3);
    expect(s.Target.DeadLetterConfig.Arn).toBeDefined();
    expect(buildApp().config.compactionSchedule).toBe(SCHEDULES.compaction);
  });

  it('gives runs started by hand the same grace period: the list function reads it when the input sets none', () => {
    // Prepare
    const list = functionNamed(template(), 'ticklake-dev-compaction-list');
    // Act
    const env = list.props.Environment.Variables;
    // Assess
    expect(env.COMPACTION_GRACE_MS).toBe(String(45 * 60_000));
  });

  it("the state machine's role: its functions, the workgroup, reading the tables, writing only the staging and result prefixes", () => {
    // Prepare
    const { props } = stateMachineNamed(template(), NAME);
    // Act
    const g = grantsOf(template(), props.RoleArn['Fn::GetAtt'][0] as string, ev);
    // Assess
    expect(g['lambda:InvokeFunction']).toEqual(STEPS.map((s) => fn(s).arn).sort());
    expect(g['athena:StartQueryExecution']).toEqual([`arn:aws:athena:${FAKE_REGION}:${FAKE_ACCOUNT}:workgroup/ticklake-dev`]);
    const glue = `arn:aws:glue:${FAKE_REGION}:${FAKE_ACCOUNT}`;
    expect(g['glue:GetTable']).toEqual(
      [`${glue}:catalog`, `${glue}:database/ticklake_dev_files`, ...compactableTables().map((t) => `${glue}:table/ticklake_dev_files/${t.name}`)].sort(),
    );
    expect(g['glue:CreateTable']).toBeUndefined();
    expect(g['s3:GetObject']).toEqual([...tablePrefixes(), `${LAKE}/_compaction/runs/*`, `${RESULTS}/athena/*`].sort());
    expect(g['s3:PutObject']).toEqual([`${LAKE}/_compaction/runs/*`, `${RESULTS}/athena/*`].sort());
    expect(g['s3:DeleteObject']).toBeUndefined();
    for (const [action, resources] of Object.entries(g)) if (resources.includes('*')) expect(action).toMatch(/^(logs|xray):/);
  });

  it('the functions: list and plan only read the tables (plan writes staging); commit and delete write the compactable tables and the manifests, nothing else', () => {
    // Prepare
    const roles = Object.fromEntries(STEPS.map((s) => [s, grantsOf(template(), fn(s).roleId, ev)]));
    // Act
    const writes = (g: Record<string, string[]>) => Object.keys(g).filter((a) => /^s3:(Put|Delete)/.test(a));
    // Assess
    // The manifests, and the backfill publication markers (a file backfilled again after compaction is merged again, not deleted).
    for (const step of ['list', 'plan', 'delete'])
      expect(roles[step]!['s3:GetObject'], step).toEqual([`${LAKE}/_backfill/published/*`, `${LAKE}/_compaction/*`]);
    expect(writes(roles.list!)).toEqual([]);
    expect(writes(roles.plan!)).toEqual(['s3:PutObject']);
    expect(roles.plan!['s3:PutObject']).toEqual([`${LAKE}/_compaction/runs/*`]); // its lists of replaced files
    expect(roles.commit!['s3:PutObject']).toEqual([`${LAKE}/_compaction/*`, ...tablePrefixes()].sort());
    expect(roles.commit!['s3:DeleteObject']).toEqual([`${LAKE}/_compaction/*`, ...tablePrefixes()].sort());
    // The delete function puts a manifest again once its generation's replaced files are gone.
    expect(roles.delete!['s3:PutObject']).toEqual(manifestPrefixes());
    expect(roles.delete!['s3:DeleteObject']).toEqual([`${LAKE}/_compaction/*`, ...tablePrefixes()].sort());
    expect(tablePrefixes()).not.toContain(`${LAKE}/curated/bars_1m/*`);
  });

  it('the lake expires what failed runs left in staging', () => {
    // Prepare
    const lake = resourcesOf(built.template(built.stacks.storage), 'AWS::S3::Bucket').find(([, b]) =>
      JSON.stringify(b.Properties.BucketName ?? '').includes('-lake-'),
    )!;
    // Act
    const rules = lake[1].Properties.LifecycleConfiguration.Rules as Record<string, any>[];
    // Assess
    expect(rules).toEqual(expect.arrayContaining([expect.objectContaining({ Prefix: '_compaction/runs/', ExpirationInDays: 7, Status: 'Enabled' })]));
  });
});
