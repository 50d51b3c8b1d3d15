/**
 * Shared helpers for the infrastructure tests: build the app exactly as
 * bin/app.ts does (cdk.json context + overrides), optionally without bundling,
 * and evaluate the CloudFormation intrinsics a test needs to read a value.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, expect } from 'vitest';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ConfigError, type TicklakeConfig, parseConfig } from '../../lib/config.js';
import { PROJECT_ROOT } from '../../lib/paths.js';
import type { PrestoViewDefinition } from '../../lib/catalog/athena-view.js';
import type { NagVariantReport } from '../../lib/tools/nag-report.js';
import { createTicklake, type TicklakeAppOptions, type TicklakeStacks } from '../../lib/ticklake-app.js';
import type { AslDefinition } from '../../src/orchestration/asl.js';

// Environment-agnostic stacks in tests, whatever the shell exports.
delete process.env.CDK_DEFAULT_ACCOUNT;
delete process.env.CDK_DEFAULT_REGION;

/** Cloud assemblies of this test file, removed when it ends. */
const OUT_ROOT = mkdtempSync(join(tmpdir(), 'ticklake-infra-test-'));
afterAll(() => rmSync(OUT_ROOT, { recursive: true, force: true }));

export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')).context;

/** A trivial handler used where a test needs a function entry that is not the real one. */
export const FIXTURE_HANDLER = join(PROJECT_ROOT, 'test', 'infra', 'fixtures', 'noop-handler.ts');

export interface BuiltApp {
  readonly app: App;
  readonly config: TicklakeConfig;
  readonly stacks: TicklakeStacks;
  template(stack: Stack): Template;
}

/**
 * Builds the ticklake app with cdk.json's context plus `overrides`.
 * `bundle: false` skips esbuild (context aws:cdk:bundling-stacks = []), which
 * keeps unit tests fast; the full-app test bundles for real.
 */
export function buildApp(
  overrides: Record<string, unknown> = {},
  options: TicklakeAppOptions & { bundle?: boolean; extend?: (app: App) => TicklakeAppOptions } = {},
): BuiltApp {
  const context = { ...CDK_JSON_CONTEXT, ...overrides, ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) };
  const app = new App({ context, outdir: mkdtempSync(join(OUT_ROOT, 'app-')) });
  const config = parseConfig(app.node.getAllContext());
  const stacks = createTicklake(app, config, { ...options, ...options.extend?.(app) });
  const cache = new Map<Stack, Template>();
  return {
    app,
    config,
    stacks,
    template(stack) {
      let t = cache.get(stack);
      if (!t) {
        t = Template.fromStack(stack);
        cache.set(stack, t);
      }
      return t;
    },
  };
}

export const FAKE_ACCOUNT = '123456789012';
export const FAKE_REGION = 'us-east-1';

/**
 * Evaluates the intrinsics that appear in ticklake templates (Join, Select,
 * Split, Ref, GetAtt, ImportValue) with fake but well-formed values: a GetAtt
 * or ImportValue of an ARN becomes a Lambda-style ARN named after the reference
 * unless `imports` knows the export.
 */
export function evaluate(value: unknown, imports: (exportName: string) => string | undefined = () => undefined): unknown {
  const ev = (v: unknown) => evaluate(v, imports);
  if (Array.isArray(value)) return value.map(ev);
  if (!value || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  if ('Fn::Join' in o) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    return (ev(parts) as unknown[]).join(sep);
  }
  if ('Fn::Select' in o) {
    const [i, list] = o['Fn::Select'] as [number, unknown];
    return (ev(list) as unknown[])[Number(i)];
  }
  if ('Fn::Split' in o) {
    const [sep, s] = o['Fn::Split'] as [string, unknown];
    return String(ev(s)).split(sep);
  }
  if ('Ref' in o) {
    const r = String(o.Ref);
    if (r === 'AWS::AccountId') return FAKE_ACCOUNT;
    if (r === 'AWS::Region') return FAKE_REGION;
    if (r === 'AWS::Partition') return 'aws';
    if (r === 'AWS::URLSuffix') return 'amazonaws.com';
    return r;
  }
  const arnFor = (name: string) => `arn:aws:lambda:${FAKE_REGION}:${FAKE_ACCOUNT}:function:${name.replace(/[^a-zA-Z0-9-_]/g, '-').slice(0, 64)}`;
  if ('Fn::GetAtt' in o) {
    const [res] = o['Fn::GetAtt'] as [string, string];
    return arnFor(res);
  }
  if ('Fn::ImportValue' in o) {
    const name = String(ev(o['Fn::ImportValue']));
    return imports(name) ?? arnFor(name.split(':').pop()!);
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, ev(v)]));
}

/** Resources of one type in a template, as [logicalId, resource] pairs. */
export function resourcesOf(t: Template, type: string): [string, { Properties: Record<string, any> }][] {
  return Object.entries(t.findResources(type)) as [string, { Properties: Record<string, any> }][];
}

/**
 * Statements of the IAM policies attached to a role (by logical id), as
 * synthesized: its inline policies and the managed policies the CDK moves
 * what does not fit into them to (`OverflowPolicy<n>`).
 */
export function policyStatements(t: Template, roleId: string): Record<string, any>[] {
  return [...resourcesOf(t, 'AWS::IAM::Policy'), ...resourcesOf(t, 'AWS::IAM::ManagedPolicy')]
    .filter(([, p]) => p.Properties.Roles !== undefined)
    .filter(([, p]) => (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Record<string, any>[]);
}

/** The actions of a policy statement (one or a list), as a list. */
export const actionsOf = (statement: Record<string, any>): string[] => [statement.Action].flat();

/** aws-local-stepfunctions needs Promise.withResolvers on Node 20: the runtime's own polyfill. */
export { polyfillPromiseWithResolvers } from '../../src/local/ml/executor.js';

/** The problems the configuration reports for a context (none when it is valid). */
export function configProblems(ctx: Record<string, unknown>): string[] {
  try {
    parseConfig(ctx);
    return [];
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
}

/**
 * Synthesises a stack with the one function `build` adds, bundled for real
 * with the local esbuild, and loads the bundle as Lambda would: its code and
 * its module.
 */
export async function bundledFunction(build: (stack: Stack) => void): Promise<{ code: string; module: { handler?: unknown } }> {
  const outdir = mkdtempSync(join(tmpdir(), 'ticklake-bundle-'));
  try {
    const app = new App({ outdir, context: CDK_JSON_CONTEXT });
    build(new Stack(app, 'Bundle'));
    app.synth();
    const assets = readdirSync(outdir).filter((d) => d.startsWith('asset.') && existsSync(join(outdir, d, 'index.mjs')));
    expect(assets).toHaveLength(1);
    const code = readFileSync(join(outdir, assets[0]!, 'index.mjs'), 'utf8');
    const module = (await import(pathToFileURL(join(outdir, assets[0]!, 'index.mjs')).href)) as { handler?: unknown };
    return { code, module };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * The cdk-nag acknowledgements of a report whose construct path contains
 * `pathPart`, after checking that each matches a finding (none is stale).
 */
export function acknowledgementsUnder(r: NagVariantReport, pathPart: string): NagVariantReport['acknowledgements'] {
  const mine = r.acknowledgements.filter((a) => a.path.includes(pathPart));
  for (const a of mine)
    expect(
      r.before.some((f) => f.rule === a.id && (f.path === a.path || f.path.startsWith(`${a.path}/`))),
      a.id,
    ).toBe(true);
  return mine;
}

/** The asynchronous-invocation config of a scheduled function: two retries, its maximum age, failures to `queueId`. */
export function scheduledInvokeConfig(functionId: string, queueId: string, maxEventAgeSeconds: number): Record<string, unknown> {
  return {
    FunctionName: { Ref: functionId },
    Qualifier: '$LATEST',
    MaximumRetryAttempts: 2,
    MaximumEventAgeInSeconds: maxEventAgeSeconds,
    DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
  };
}

/** The one Lambda function of a template named `functionName`: logical id, properties, the statements on its role. */
export function functionNamed(t: Template, functionName: string): { id: string; props: Record<string, any>; statements: Record<string, any>[] } {
  const found = resourcesOf(t, 'AWS::Lambda::Function').filter(([, r]) => r.Properties.FunctionName === functionName);
  expect(found).toHaveLength(1);
  const [[id, f]] = found as [[string, { Properties: Record<string, any> }]];
  return { id, props: f.Properties, statements: policyStatements(t, f.Properties.Role['Fn::GetAtt'][0] as string) };
}

/** Logical id of the orchestration stack's schedule dead-letter queue. */
export const scheduleDeadLetterQueueId = (t: Template) =>
  resourcesOf(t, 'AWS::SQS::Queue').find(([, r]) => r.Properties.QueueName === 'ticklake-dev-schedule-dead-letters')![0];

/** A template's state machine by name: its properties and its definition (intrinsics evaluated). */
export function stateMachineNamed(t: Template, name: string): { props: Record<string, any>; definition: AslDefinition } {
  const found = resourcesOf(t, 'AWS::StepFunctions::StateMachine').filter(([, r]) => r.Properties.StateMachineName === name);
  if (found.length !== 1) throw new Error(`${found.length} state machines named ${name}`);
  const props = found[0]![1].Properties;
  const raw = props.DefinitionString;
  return { props, definition: JSON.parse(typeof raw === 'string' ? raw : String(evaluate(raw))) as AslDefinition };
}

/** Per action, the resources a role's policies grant it (intrinsics evaluated with `ev`), over all statements. */
export function grantsOf(t: Template, roleId: string, ev: (v: unknown) => unknown): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of policyStatements(t, roleId)) {
    const resources = [s.Resource].flat().map((r) => String(ev(r)));
    for (const a of actionsOf(s)) out[a] = [...(out[a] ?? []), ...resources].sort();
  }
  return out;
}

/** The JSON of a Glue view's `/* Presto View: <base64> *\/` original text. */
export function decodeView(text: string): PrestoViewDefinition {
  const m = /^\/\* Presto View: ([A-Za-z0-9+/=]+) \*\/$/.exec(text);
  expect(m, text.slice(0, 60)).not.toBeNull();
  return JSON.parse(Buffer.from(m![1]!, 'base64').toString('utf8')) as PrestoViewDefinition;
}
