/**
 * The forecasting schedule on the wall clock for `ticklake up`: the same
 * expressions the CDK deploys (src/orchestration/schedules.ts) fire the same
 * local state machines as `ticklake train` and `ticklake evaluate`.
 *
 * Missed runs: the time of the last firing of each schedule is kept in
 * `<data dir>/schedules.json`. A firing missed while `up` was not running is
 * made up once, at start, for the most recent missed time only (older ones are
 * skipped: a training or an evaluation of a stale day would be replaced by the
 * next one anyway). A run that fails is logged and recorded, not retried; the
 * next firing runs as usual.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dateOfDay, dayNumber, US_PER_DAY } from '../core/time.js';
import { nextFire, previousFire, SCHEDULES } from '../orchestration/schedules.js';
import { openLocalMl } from './ml/local-ml.js';

/** The schedule expressions (default: the deployed ones). */
export interface LiveSchedule {
  readonly weeklyTraining: string;
  readonly dailyEvaluation: string;
}

/** One firing and what became of it. */
export interface ScheduledRun {
  readonly schedule: keyof LiveSchedule;
  /** The firing time (ISO). */
  readonly scheduledFor: string;
  readonly outcome: 'succeeded' | 'skipped' | 'failed';
  readonly detail: string;
}

/**
 * The firing to run now, if any: the latest one at or before `nowMs` that is later than
 * `lastFiredMs` (a missed firing is made up once; only the most recent counts).
 */
export function dueFiring(expr: string, lastFiredMs: number | undefined, nowMs: number): number | undefined {
  const prev = previousFire(expr, nowMs);
  if (prev === undefined) return undefined;
  return lastFiredMs === undefined || lastFiredMs < prev ? prev : undefined;
}

export class LiveScheduler {
  readonly runs: ScheduledRun[] = [];
  private readonly schedule: LiveSchedule;
  private readonly statePath: string;
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> = Promise.resolve();

  constructor(
    private readonly dataDir: string,
    schedule: LiveSchedule | undefined,
    private readonly log: (message: string) => void,
    private readonly clock: () => number = Date.now,
  ) {
    this.schedule = schedule ?? SCHEDULES;
    this.statePath = join(dataDir, 'schedules.json');
  }

  private state(): Partial<Record<keyof LiveSchedule, number>> {
    return existsSync(this.statePath) ? (JSON.parse(readFileSync(this.statePath, 'utf8')) as Partial<Record<keyof LiveSchedule, number>>) : {};
  }

  private record(name: keyof LiveSchedule, firedMs: number): void {
    const s = { ...this.state(), [name]: firedMs };
    writeFileSync(`${this.statePath}.tmp`, JSON.stringify(s));
    renameSync(`${this.statePath}.tmp`, this.statePath);
  }

  /** When each schedule fires next (ms). */
  next(): Record<keyof LiveSchedule, number | undefined> {
    const now = this.clock();
    return { weeklyTraining: nextFire(this.schedule.weeklyTraining, now), dailyEvaluation: nextFire(this.schedule.dailyEvaluation, now) };
  }

  /** Checks now (making up a missed firing) and then every `everyMs`. */
  start(everyMs = 15_000): void {
    void this.check();
    this.timer = setInterval(() => void this.check(), everyMs);
  }

  /** Runs what is due (one at a time); resolves when done. */
  check(): Promise<void> {
    this.busy = this.busy.then(async () => {
      // Evaluation first: on the training day the outgoing models are scored on their last day.
      for (const name of ['dailyEvaluation', 'weeklyTraining'] as const) {
        const due = dueFiring(this.schedule[name], this.state()[name], this.clock());
        if (due === undefined) continue;
        const run = await this.fire(name, due);
        this.runs.push(run);
        this.record(name, due);
        this.log(`${name} scheduled for ${run.scheduledFor}: ${run.outcome} (${run.detail})`);
      }
    });
    return this.busy;
  }

  private async fire(name: keyof LiveSchedule, dueMs: number): Promise<ScheduledRun> {
    const scheduledFor = new Date(dueMs).toISOString();
    const ml = openLocalMl(this.dataDir);
    try {
      const extent = await ml.bars.extent();
      if (extent === undefined) return { schedule: name, scheduledFor, outcome: 'skipped', detail: 'no minute bars in the lake yet' };
      if (name === 'weeklyTraining') {
        const r = await ml.train({ trigger: 'schedule', asOf: scheduledFor, trainDays: 7 });
        return { schedule: name, scheduledFor, outcome: 'succeeded', detail: `active models ${r.output.activation.activeModelIds.join(', ')}` };
      }
      // The day that ended before the firing.
      const evalDate = dateOfDay(dayNumber(dueMs * 1000 - US_PER_DAY));
      const r = await ml.evaluate({ trigger: 'schedule', evalDate });
      const champions = r.output.published?.champions ?? {};
      return { schedule: name, scheduledFor, outcome: 'succeeded', detail: `evaluated ${evalDate}; champions ${JSON.stringify(champions)}` };
    } catch (e) {
      return { schedule: name, scheduledFor, outcome: 'failed', detail: (e as Error).message.split('\n')[0]!.slice(0, 200) };
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.busy;
  }
}
