import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextFire, previousFire, SCHEDULES } from '../../src/orchestration/schedules.js';
import { scheduleExpressionProblem } from '../../lib/config.js';

const at = (iso: string) => Date.parse(iso);

describe('schedules, defined once for the CDK and the local scheduler', () => {
  it('are valid EventBridge Scheduler expressions (the CDK configuration check)', () => {
    for (const expr of Object.values(SCHEDULES)) expect(scheduleExpressionProblem(expr), expr).toBeUndefined();
  });

  it('the weekly training fires on Mondays at 03:00 UTC, the daily evaluation at 00:30 UTC', () => {
    // 2026-12-04 is a Friday
    expect(new Date(nextFire(SCHEDULES.weeklyTraining, at('2026-12-04T10:00:00Z'))!).toISOString()).toBe('2026-12-07T03:00:00.000Z');
    expect(new Date(nextFire(SCHEDULES.weeklyTraining, at('2026-12-07T03:00:00Z'))!).toISOString()).toBe('2026-12-14T03:00:00.000Z');
    expect(new Date(nextFire(SCHEDULES.dailyEvaluation, at('2026-12-04T00:29:59Z'))!).toISOString()).toBe('2026-12-04T00:30:00.000Z');
    expect(new Date(nextFire(SCHEDULES.dailyEvaluation, at('2026-12-04T00:30:00Z'))!).toISOString()).toBe('2026-12-05T00:30:00.000Z');
  });

  it('reads lists, ranges, steps and names, and rate expressions', () => {
    expect(new Date(nextFire('cron(*/15 9-17 ? * MON-FRI *)', at('2026-12-04T17:50:00Z'))!).toISOString()).toBe('2026-12-07T09:00:00.000Z');
    expect(new Date(nextFire('cron(0 12 1,15 JAN,JUL ? *)', at('2026-12-04T00:00:00Z'))!).toISOString()).toBe('2027-01-01T12:00:00.000Z');
    expect(nextFire('rate(5 minutes)', at('2026-12-04T10:02:00Z'), at('2026-12-04T10:00:00Z'))).toBe(at('2026-12-04T10:05:00Z'));
    expect(nextFire('cron(0 0 1 1 ? 2020)', at('2026-12-04T00:00:00Z'))).toBeUndefined();
    expect(() => nextFire('cron(0 0 L * ? *)', 0)).toThrow(/not supported/);
  });

  it('previousFire is the last firing at or before a time: what a restarted `up` has missed', () => {
    expect(new Date(previousFire(SCHEDULES.dailyEvaluation, at('2026-12-04T10:00:00Z'))!).toISOString()).toBe('2026-12-04T00:30:00.000Z');
    expect(new Date(previousFire(SCHEDULES.weeklyTraining, at('2026-12-04T10:00:00Z'))!).toISOString()).toBe('2026-11-30T03:00:00.000Z');
  });

  it('next firing is always after the given time, on a whole minute, and matches again from there (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: at('2020-01-01T00:00:00Z'), max: at('2030-01-01T00:00:00Z') }), (t) => {
        for (const expr of Object.values(SCHEDULES)) {
          const n = nextFire(expr, t)!;
          expect(n).toBeGreaterThan(t);
          expect(n % 60_000).toBe(0);
          expect(n - t).toBeLessThanOrEqual(7 * 86_400_000);
          expect(previousFire(expr, n)).toBe(n);
        }
      }),
      { numRuns: 200 },
    );
  });
});
