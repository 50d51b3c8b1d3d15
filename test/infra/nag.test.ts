import { beforeAll, describe, expect, it } from 'vitest';
import { NAG_VARIANTS, nagReport, nagReportMarkdown, type NagVariantReport } from '../../lib/tools/nag-report.js';
import { CDK_JSON_CONTEXT, FIXTURE_HANDLER } from './helpers.js';

let reports: NagVariantReport[];
beforeAll(() => {
  reports = NAG_VARIANTS.map((v) => nagReport(v.name, CDK_JSON_CONTEXT, v.overrides, { timeSeriesWriterEntry: FIXTURE_HANDLER }));
  if (process.env.TICKLAKE_PRINT_NAG_REPORT) console.log(nagReportMarkdown(reports));
});

describe('cdk-nag (AwsSolutions + Serverless) over every stack', () => {
  it('covers every stack of each configuration, including the optional ones', () => {
    expect(reports.map((r) => r.stacks.length)).toEqual([6, 7, 10]);
  });

  it('zero unacknowledged findings (errors and warnings), in every stack and configuration', () => {
    for (const r of reports) {
      expect(r.after, r.name).toEqual([]);
    }
  });

  it('finds something with the acknowledgements switched off (the checks really run)', () => {
    for (const r of reports) expect(r.before.length, r.name).toBeGreaterThan(0);
  });

  it('every acknowledgement matches a finding that exists without it (no stale or blanket acknowledgements)', () => {
    for (const r of reports) {
      for (const a of r.acknowledgements) {
        const match = r.before.find((f) => f.rule === a.id && (f.path === a.path || f.path.startsWith(`${a.path}/`)));
        expect(match, `${r.name}: ${a.id} at ${a.path}`).toBeDefined();
      }
    }
  });

  it('every finding without acknowledgements is acknowledged individually, with a specific reason', () => {
    for (const r of reports) {
      for (const f of r.before) {
        const ack = r.acknowledgements.find((a) => a.id === f.rule && (f.path === a.path || f.path.startsWith(`${a.path}/`)));
        expect(ack, `${r.name}: ${f.rule} at ${f.path}`).toBeDefined();
        expect(ack!.reason.length).toBeGreaterThanOrEqual(40);
        // acknowledgements sit on the resource (or its owning construct), never on a whole stack
        expect(ack!.path.split('/').length).toBeGreaterThan(1);
      }
    }
  });

  it('no broad rule acknowledgements: IAM5 is only acknowledged per finding', () => {
    for (const r of reports) {
      for (const a of r.acknowledgements) expect(a.id).not.toBe('AwsSolutions-IAM5');
    }
  });
});
