/**
 * The forecasting schedule, defined once: the CDK deploys these expressions as
 * EventBridge Scheduler schedules (lib/config.ts defaults) and `ticklake up`
 * fires the same state machines when they come due on the wall clock. Pure.
 *
 * Supported: `rate(n minute(s)|hour(s)|day(s))` and `cron(min hour dom month dow year)`
 * with numbers, `*`, `?`, lists, ranges, steps (`a/b`, `* /b`) and day or month
 * names; not the `L`, `W` and `#` specials (the scheduler's own validation
 * accepts them, this evaluator refuses them with an error rather than guess).
 * Times are UTC.
 */

/** The deployed defaults (lib/config.ts `trainingSchedule`, `evaluationSchedule`, `compactionSchedule`). */
export const SCHEDULES = {
  /** Weekly training, Mondays 03:00 UTC. */
  weeklyTraining: 'cron(0 3 ? * MON *)',
  /** Daily evaluation, 00:30 UTC (before the training on Mondays, so outgoing models are scored on their last day). */
  dailyEvaluation: 'cron(30 0 * * ? *)',
  /** Lake compaction, hourly at minute 15. */
  compaction: 'cron(15 * * * ? *)',
} as const;

const DOW: Readonly<Record<string, number>> = { SUN: 1, MON: 2, TUE: 3, WED: 4, THU: 5, FRI: 6, SAT: 7 };
const MONTH: Readonly<Record<string, number>> = { JAN: 1, FEB: 2, MAR: 3, APR: 4, MAY: 5, JUN: 6, JUL: 7, AUG: 8, SEP: 9, OCT: 10, NOV: 11, DEC: 12 };

/** The values one cron field allows (undefined: any, for `*` and `?`). */
function field(text: string, min: number, max: number, names: Readonly<Record<string, number>> = {}): Set<number> | undefined {
  if (text === '*' || text === '?') return undefined;
  const value = (t: string) => {
    const n = names[t.toUpperCase()] ?? Number(t);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`cron value "${t}" is outside ${min}-${max}`);
    return n;
  };
  const out = new Set<number>();
  for (const part of text.split(',')) {
    if (/^L$|^\d*W$|^LW$|#|^\d+L$/i.test(part)) throw new Error(`cron "${part}": L, W and # are not supported locally`);
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`cron step "${stepText}" is not a positive integer`);
    const [a, b] =
      range === '*' ? [min, max] : range!.includes('-') ? range!.split('-').map(value) : [value(range!), stepText === undefined ? value(range!) : max];
    for (let v = a!; v <= b!; v += step) out.add(v);
  }
  return out;
}

interface Cron {
  readonly minutes?: Set<number>;
  readonly hours?: Set<number>;
  readonly dom?: Set<number>;
  readonly months?: Set<number>;
  readonly dow?: Set<number>;
  readonly years?: Set<number>;
}

function parseCron(body: string): Cron {
  const f = body.trim().split(/\s+/);
  if (f.length !== 6) throw new Error(`cron needs 6 fields, got ${f.length}`);
  return {
    minutes: field(f[0]!, 0, 59),
    hours: field(f[1]!, 0, 23),
    dom: field(f[2]!, 1, 31),
    months: field(f[3]!, 1, 12, MONTH),
    dow: field(f[4]!, 1, 7, DOW),
    years: field(f[5]!, 1970, 2199),
  };
}

const MINUTE_MS = 60_000;
const has = (s: Set<number> | undefined, v: number) => s === undefined || s.has(v);

function matches(c: Cron, t: Date): boolean {
  return (
    has(c.minutes, t.getUTCMinutes()) &&
    has(c.hours, t.getUTCHours()) &&
    has(c.dom, t.getUTCDate()) &&
    has(c.months, t.getUTCMonth() + 1) &&
    has(c.dow, t.getUTCDay() + 1) &&
    has(c.years, t.getUTCFullYear())
  );
}

/**
 * The first time the expression fires strictly after `afterMs` (ms since epoch), or
 * undefined when it never does within ~5 years (e.g. a past year).
 * @param anchorMs where a `rate()` counts from (its first fire is anchor + period)
 */
export function nextFire(expr: string, afterMs: number, anchorMs = 0): number | undefined {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expr);
  if (rate) {
    const unit = rate[2]!.startsWith('minute') ? MINUTE_MS : rate[2]!.startsWith('hour') ? 60 * MINUTE_MS : 1440 * MINUTE_MS;
    const period = Number(rate[1]) * unit;
    return anchorMs + (Math.floor((afterMs - anchorMs) / period) + 1) * period;
  }
  const cron = /^cron\((.*)\)$/.exec(expr);
  if (!cron) throw new Error(`not a schedule expression: ${expr}`);
  const c = parseCron(cron[1]!);
  let t = (Math.floor(afterMs / MINUTE_MS) + 1) * MINUTE_MS;
  const end = afterMs + 5 * 366 * 1440 * MINUTE_MS;
  while (t <= end) {
    const d = new Date(t);
    if (!has(c.months, d.getUTCMonth() + 1) || !has(c.years, d.getUTCFullYear()) || !has(c.dom, d.getUTCDate()) || !has(c.dow, d.getUTCDay() + 1)) {
      // Skip to the next day.
      t = (Math.floor(t / (1440 * MINUTE_MS)) + 1) * 1440 * MINUTE_MS;
      continue;
    }
    if (matches(c, d)) return t;
    t += MINUTE_MS;
  }
  return undefined;
}

/** The last time the expression fired at or before `atMs` (searching back at most `lookBackMs`), or undefined. */
export function previousFire(expr: string, atMs: number, lookBackMs = 8 * 1440 * MINUTE_MS): number | undefined {
  let last: number | undefined;
  let t = nextFire(expr, atMs - lookBackMs - 1);
  while (t !== undefined && t <= atMs) {
    last = t;
    t = nextFire(expr, t);
  }
  return last;
}
