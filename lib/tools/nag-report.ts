/**
 * cdk-nag report: for a set of configurations, the findings of the AWS
 * Solutions and Serverless packs on every stack with the acknowledgements
 * switched off ("before") and on ("after"), plus every acknowledgement with its
 * reason. Used by test/infra/nag.test.ts and printed by `npm run nag:report`.
 *
 * Bundling is skipped (it does not change any finding).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { parseConfig } from '../config.js';
import { acknowledgementsOf, NAG_ACKNOWLEDGEMENTS_CONTEXT, type NagAcknowledgement, nagPacks } from '../nag.js';
import { createTicklake, type TicklakeAppOptions } from '../ticklake-app.js';

export interface NagFinding {
  readonly stack: string;
  readonly rule: string;
  readonly severity: string;
  readonly path: string;
}

export interface NagVariantReport {
  readonly name: string;
  readonly context: Record<string, unknown>;
  readonly stacks: string[];
  readonly before: NagFinding[];
  readonly after: NagFinding[];
  readonly acknowledgements: readonly NagAcknowledgement[];
}

/** Runs both packs over each stack of a synthesized app. */
export function nagFindings(stacks: readonly Stack[]): NagFinding[] {
  const out: NagFinding[] = [];
  for (const stack of stacks) {
    for (const pack of nagPacks()) {
      const report = pack.validateScope(stack);
      for (const v of report.violations) {
        for (const r of v.violatingResources) {
          out.push({ stack: stack.stackName, rule: v.ruleName, severity: v.severity ?? 'error', path: r.constructPath ?? '' });
        }
      }
    }
  }
  return out;
}

/**
 * Findings of the CDK's built-in CloudFormation validation (cfn-lint rules run
 * at synthesis), from the validation report in the cloud assembly.
 */
export function cloudFormationFindings(assemblyDir: string): NagFinding[] {
  const file = join(assemblyDir, 'validation-report.json');
  if (!existsSync(file)) return [];
  const report = JSON.parse(readFileSync(file, 'utf8')) as {
    pluginReports?: {
      pluginName?: string;
      violations?: {
        ruleName: string;
        severity?: string;
        violatingConstructs?: { constructPath?: string }[];
        violatingResources?: { constructPath?: string }[];
      }[];
    }[];
  };
  const out: NagFinding[] = [];
  for (const pr of report.pluginReports ?? []) {
    for (const v of pr.violations ?? []) {
      for (const r of [...(v.violatingConstructs ?? []), ...(v.violatingResources ?? [])]) {
        const path = r.constructPath ?? '';
        out.push({
          stack: path.split('/')[0] ?? '',
          rule: `${(pr.pluginName ?? 'plugin').replace(/ /g, '-')}::${v.ruleName}`,
          severity: v.severity ?? 'error',
          path,
        });
      }
    }
  }
  return out;
}

function build(context: Record<string, unknown>, options: TicklakeAppOptions) {
  const outdir = mkdtempSync(join(tmpdir(), 'ticklake-nag-'));
  try {
    const app = new App({ outdir, context: { ...context, 'aws:cdk:bundling-stacks': [] } });
    const config = parseConfig(app.node.getAllContext());
    const stacks = Object.values(createTicklake(app, config, options)).filter((s): s is Stack => s !== undefined);
    const assembly = app.synth();
    return { app, stacks, cfn: cloudFormationFindings(assembly.directory) };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export function nagReport(
  name: string,
  baseContext: Record<string, unknown>,
  overrides: Record<string, unknown>,
  options: TicklakeAppOptions = {},
): NagVariantReport {
  const context = { ...baseContext, ...overrides };
  const off = build({ ...context, [NAG_ACKNOWLEDGEMENTS_CONTEXT]: 'off' }, options);
  const on = build(context, options);
  return {
    name,
    context: overrides,
    stacks: on.stacks.map((s) => s.stackName),
    before: [...nagFindings(off.stacks), ...off.cfn],
    after: [...nagFindings(on.stacks), ...on.cfn],
    acknowledgements: acknowledgementsOf(on.app),
  };
}

/** Markdown summary of several variant reports. */
export function nagReportMarkdown(reports: readonly NagVariantReport[]): string {
  const lines: string[] = [];
  for (const r of reports) {
    const ctx = Object.entries(r.context)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    lines.push(`### ${r.name}${ctx ? ` (\`${ctx}\`)` : ''}`, '', '| stack | findings before | after |', '| --- | ---: | ---: |');
    for (const s of r.stacks) {
      lines.push(`| ${s} | ${r.before.filter((f) => f.stack === s).length} | ${r.after.filter((f) => f.stack === s).length} |`);
    }
    lines.push('', '| acknowledged finding | where | reason |', '| --- | --- | --- |');
    const seen = new Set<string>();
    for (const a of r.acknowledgements) {
      const key = `${a.path}|${a.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      lines.push(`| \`${a.id}\` | \`${a.path}\` | ${a.reason.replace(/\|/g, '\\|')} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** The configurations the report and the tests cover. */
export const NAG_VARIANTS: readonly { name: string; overrides: Record<string, unknown> }[] = [
  { name: 'default (Kinesis on-demand, no time series)', overrides: {} },
  {
    name: 'MSK Serverless + Timestream for InfluxDB, destroyable, alarm e-mail',
    overrides: { stage: 'test', ingestion: 'msk', timeSeries: 'timestream-influxdb', removalPolicy: 'destroy', alarmEmail: 'ops@example.com' },
  },
  {
    name: 'provisioned Kinesis + Timestream LiveAnalytics, nodejs24.x, Binance live connector on ECS Fargate, IoT topic rule, crypto-quotes poller, simulated producers, enriched publisher, dashboard, DMS change data capture',
    overrides: {
      kinesisCapacityMode: 'provisioned',
      kinesisShardCount: 2,
      timeSeries: 'timestream-liveanalytics',
      lambdaRuntime: 'nodejs24.x',
      binanceLive: true,
      iotTopicRule: true,
      sourcePollers: 'crypto-quotes',
      simulators: 'weather,energy,engagement',
      enrichedPublisher: 'engagement,viewing',
      dashboard: true,
      cdc: true,
      cdcSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ticklake-shop-db-AbCdEf',
      cdcSubnetIds: 'subnet-0123456789abcdef0,subnet-0fedcba9876543210',
      cdcSecurityGroupIds: 'sg-0123456789abcdef0',
    },
  },
];

if (import.meta.url === `file://${process.argv[1]}`) {
  const { PROJECT_ROOT } = await import('../paths.js');
  const base = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')).context;
  // A stand-in writer entry, so the report covers the writer function and its grants.
  const writer = join(PROJECT_ROOT, 'test', 'infra', 'fixtures', 'noop-handler.ts');
  const reports = NAG_VARIANTS.map((v) => nagReport(v.name, base, v.overrides, { timeSeriesWriterEntry: writer }));
  console.log(nagReportMarkdown(reports));
}
