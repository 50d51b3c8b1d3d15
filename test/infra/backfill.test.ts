import { StateMachine } from 'aws-local-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKFILL_STATES as S, localBackfillDefinition, localFunctionArn } from '../../src/adapters/workflows/backfill-workflow.js';
import { taskStates } from '../helpers/asl.js';
import {
  actionsOf,
  type BuiltApp,
  buildApp,
  evaluate,
  FAKE_ACCOUNT,
  FAKE_REGION,
  policyStatements,
  polyfillPromiseWithResolvers,
  resourcesOf,
} from './helpers.js';
import type { AslDefinition } from '../../src/orchestration/asl.js';

polyfillPromiseWithResolvers();

const NAME = 'ticklake-dev-backfill';
const LAKE = `arn:aws:s3:::ticklake-dev-lake-${FAKE_ACCOUNT}-${FAKE_REGION}`;
const RESULTS = 'arn:aws:s3:::results-bucket';

// One synth for the whole file.
let built: BuiltApp;
beforeAll(() => {
  built = buildApp();
});

const template = () => built.template(built.stacks.orchestration);
const ev = (v: unknown) => evaluate(v, (name) => (name.includes('AthenaResults') ? RESULTS : undefined));

function machine(): Record<string, any> {
  const found = resourcesOf(template(), 'AWS::StepFunctions::StateMachine').filter(([, r]) => r.Properties.StateMachineName === NAME);
  expect(found).toHaveLength(1);
  return found[0]![1].Properties;
}

function definition(): AslDefinition {
  const raw = machine().DefinitionString;
  return JSON.parse(typeof raw === 'string' ? raw : String(evaluate(raw))) as AslDefinition;
}

/** Statements of the policies attached to a role (by logical id), intrinsics evaluated. */
function statementsOf(roleId: string): { actions: string[]; resources: string[] }[] {
  return policyStatements(template(), roleId).map((s) => ({ actions: actionsOf(s), resources: [s.Resource].flat().map((r) => String(ev(r))) }));
}

/** action -> resources, over all statements. */
function grants(roleId: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of statementsOf(roleId)) for (const a of s.actions) out[a] = [...(out[a] ?? []), ...s.resources].sort();
  return out;
}

function functionRole(name: string): string {
  const fn = resourcesOf(template(), 'AWS::Lambda::Function').find(([, r]) => r.Properties.FunctionName === name);
  expect(fn, name).toBeDefined();
  return fn![1].Properties.Role['Fn::GetAtt'][0] as string;
}

describe('backfill state machine as synthesized (orchestration stack)', () => {
  it('is the definition the local runtime runs, with the deployed functions, workgroup and database', () => {
    // Prepare
    const deployed = definition();
    const arns = Object.fromEntries(
      ['stage', 'render', 'publish'].map((n) => {
        const fn = resourcesOf(template(), 'AWS::Lambda::Function').find(([, r]) => r.Properties.FunctionName === `ticklake-dev-backfill-${n}`)!;
        return [String(evaluate({ 'Fn::GetAtt': [fn[0], 'Arn'] })), localFunctionArn(n)];
      }),
    );
    // Act: the deployed document with the local placeholders put back
    let text = JSON.stringify(deployed);
    for (const [arn, local] of Object.entries(arns)) text = text.replaceAll(arn, local);
    text = text.replaceAll('"ticklake-dev"', '"ticklake-local"').replaceAll('"ticklake_dev"', '"ticklake_local"');
    // Assess
    expect(JSON.parse(text)).toStrictEqual(localBackfillDefinition());
    // JSONPath throughout (aws-local-stepfunctions ignores JSONata), and valid for it
    expect(text).not.toMatch(/JSONata|QueryLanguage/);
    expect(() => new StateMachine(JSON.parse(text) as never)).not.toThrow();
  });

  it('runs its Athena statements to completion on the project workgroup and database, with retries', () => {
    // Prepare
    const tasks = taskStates(definition().States);
    // Act
    const athena = tasks.filter(([, s]) => String(s.Resource).includes(':athena:'));
    // Assess
    expect(athena.map(([n]) => n).sort()).toEqual([S.barPartials, S.createLines, S.dropAfterFailure, S.dropLines, S.quarantine, S.trades].sort());
    for (const [name, s] of athena) {
      expect(s.Resource, name).toBe('arn:aws:states:::athena:startQueryExecution.sync');
      expect(s.Parameters, name).toMatchObject({ WorkGroup: 'ticklake-dev', QueryExecutionContext: { Database: 'ticklake_dev' } });
      expect(s.Parameters['QueryString.$'], name).toMatch(/^\$\.sql\./);
      expect(s.Retry[0], name).toMatchObject({ ErrorEquals: ['Athena.TooManyRequestsException'], BackoffRate: 2 });
    }
    const lambdas = tasks.filter(([, s]) => String(s.Resource).includes(':lambda:'));
    expect(lambdas.map(([n]) => n).sort()).toEqual([S.publish, S.render, S.stage].sort());
    for (const [name, s] of lambdas) expect(s.Retry[0].ErrorEquals, name).toContain('Lambda.ServiceException');
    expect(machine()).toMatchObject({ TracingConfiguration: { Enabled: true }, LoggingConfiguration: { Level: 'ALL' } });
  });

  it("the state machine's role: exactly its functions, the workgroup, the per-run tables and the staging and result prefixes", () => {
    // Prepare
    const roleId = machine().RoleArn['Fn::GetAtt'][0] as string;
    const glue = (r: string) => `arn:aws:glue:${FAKE_REGION}:${FAKE_ACCOUNT}:${r}`;
    // Act
    const g = grants(roleId);
    // Assess
    const fnArns = ['stage', 'render', 'publish'].map((n) =>
      String(
        ev({
          'Fn::GetAtt': [
            resourcesOf(template(), 'AWS::Lambda::Function').find(([, r]) => r.Properties.FunctionName === `ticklake-dev-backfill-${n}`)![0],
            'Arn',
          ],
        }),
      ),
    );
    expect(g['lambda:InvokeFunction']).toEqual(fnArns.sort());
    for (const a of ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:StopQueryExecution']) {
      expect(g[a], a).toEqual([`arn:aws:athena:${FAKE_REGION}:${FAKE_ACCOUNT}:workgroup/ticklake-dev`]);
    }
    expect(g['glue:GetDatabase']).toEqual([glue('catalog'), glue('database/ticklake_dev')].sort());
    for (const a of ['glue:CreateTable', 'glue:DeleteTable', 'glue:GetTable']) {
      expect(g[a], a).toEqual([glue('catalog'), glue('database/ticklake_dev'), glue('table/ticklake_dev/backfill_lines_*')].sort());
    }
    expect(g['s3:GetObject']).toEqual([`${LAKE}/_backfill/runs/*`, `${RESULTS}/athena/*`].sort());
    expect(g['s3:PutObject']).toEqual([`${LAKE}/_backfill/runs/*`, `${RESULTS}/athena/*`].sort());
    expect(g['s3:ListBucket']).toEqual([LAKE, RESULTS].sort());
    const allowed = new Set([
      'lambda:InvokeFunction',
      'athena:StartQueryExecution',
      'athena:GetQueryExecution',
      'athena:StopQueryExecution',
      'glue:GetDatabase',
      'glue:CreateTable',
      'glue:GetTable',
      'glue:DeleteTable',
      'glue:GetPartitions',
      's3:GetObject',
      's3:PutObject',
      's3:AbortMultipartUpload',
      's3:ListMultipartUploadParts',
      's3:ListBucket',
      's3:GetBucketLocation',
      's3:ListBucketMultipartUploads',
    ]);
    for (const s of statementsOf(roleId)) {
      if (s.resources.includes('*')) {
        // only log delivery and X-Ray, which have no resource-level permissions
        for (const a of s.actions) expect(a).toMatch(/^(logs|xray):/);
        continue;
      }
      for (const a of s.actions) expect(allowed.has(a), a).toBe(true);
    }
  });

  it('the functions: stage reads uploads and writes staging; publish writes only backfill-* objects of its three tables; render has no S3 at all', () => {
    // Prepare
    const roles = Object.fromEntries(['stage', 'render', 'publish'].map((n) => [n, grants(functionRole(`ticklake-dev-backfill-${n}`))]));
    // Act
    const s3Actions = (g: Record<string, string[]>) => Object.keys(g).filter((a) => a.startsWith('s3:'));
    // Assess
    expect(roles.stage!['s3:GetObject']).toEqual([`${LAKE}/raw/backfill/*`]);
    expect(roles.stage!['s3:PutObject']).toEqual([`${LAKE}/_backfill/runs/*`]);
    expect(roles.stage!['s3:DeleteObject']).toEqual([`${LAKE}/_backfill/runs/*`]);
    expect(roles.publish!['s3:PutObject']).toEqual(
      [
        `${LAKE}/_backfill/published/*`,
        `${LAKE}/curated/trades/*/backfill-*`,
        `${LAKE}/quarantine/quarantine/*/backfill-*`,
        `${LAKE}/aggregate/bar_partials/*/backfill-*`,
      ].sort(),
    );
    expect(roles.publish!['s3:DeleteObject']).toEqual(
      [
        `${LAKE}/_backfill/runs/*`,
        `${LAKE}/curated/trades/*/backfill-*`,
        `${LAKE}/quarantine/quarantine/*/backfill-*`,
        `${LAKE}/aggregate/bar_partials/*/backfill-*`,
      ].sort(),
    );
    expect(s3Actions(roles.render!)).toEqual([]);
    for (const g of Object.values(roles)) for (const a of Object.keys(g)) expect(a).not.toMatch(/\*/);
  });

  it('the lake expires what failed runs left in staging', () => {
    // Prepare
    const lake = resourcesOf(built.template(built.stacks.storage), 'AWS::S3::Bucket').find(([, b]) =>
      JSON.stringify(b.Properties.BucketName ?? '').includes('-lake-'),
    )!;
    // Act
    const rules = lake[1].Properties.LifecycleConfiguration.Rules as Record<string, any>[];
    // Assess
    expect(rules).toEqual(expect.arrayContaining([expect.objectContaining({ Prefix: '_backfill/runs/', ExpirationInDays: 7, Status: 'Enabled' })]));
  });
});
