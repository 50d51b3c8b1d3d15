import type { BatchContext, Quarantined, SourceBatch, SourceDefinition, SourceOption, TableRows } from '../contract.js';
import { EngagementAccumulator, type EngagementWindow } from './aggregate.js';
import { type EngagementEvent, engagementFrom, isEngagementMessage, REASON_CODES } from './event.js';
import { type MutableEngagementEvent, scanEngagement } from './fast.js';
import { ENGAGEMENT_PANELS } from './panels.js';
import { EngagementEventRows, EngagementPartialRows } from './rows.js';
import { CATEGORIES, DEFAULT_ENGAGEMENT_RATE, dailyCycle, simulateEngagement } from './simulator.js';
import { engagementByMinuteSql, partialsFromEventsSql } from './sql.js';
import { ENGAGEMENT_BY_MINUTE, ENGAGEMENT_EVENTS, ENGAGEMENT_PARTIALS } from './tables.js';
import { readJsonRecord } from '../json-record.js';
import { ENGAGEMENT_MESSAGE } from './message-schema.js';

export type { EngagementWindow };

/** The source id, also its envelope value. */
export const ENGAGEMENT_SOURCE = 'engagement';

/** Parses and validates one message: the event, or why it is quarantined. */
export function readEngagement(text: string, json: unknown, nowUs: number): { ok: true; event: EngagementEvent } | ({ ok: false } & Quarantined) {
  // The producers' own layout first (fast.ts); anything else, valid or not, through JSON.parse and the validator.
  if (json === undefined) {
    const event = scanEngagement(text, nowUs);
    if (event !== undefined) return { ok: true, event };
  }
  return readJsonRecord(text, json, {
    schema: ENGAGEMENT_MESSAGE,
    format: ENGAGEMENT_SOURCE,
    is: isEngagementMessage,
    notMine: 'JSON payload is not an engagement event',
    from: (doc) => engagementFrom(doc, { nowUs }),
  });
}

class EngagementBatch implements SourceBatch {
  private readonly events = new EngagementEventRows();
  private readonly windows = new EngagementAccumulator();
  /** What the fast path fills for each view: the rows and windows copy its values. */
  private readonly scratch: MutableEngagementEvent = { event_time: 0, user_id: '', video_id: '', category: '', watch_time: 0, liked: false };
  constructor(private readonly ingestUs: number) {}

  add(text: string, _partitionKey: string, json?: unknown): Quarantined | undefined {
    // The producers' own layout without the result wrapper (the hot path); anything else through readEngagement.
    let event = json === undefined ? scanEngagement(text, this.ingestUs, this.scratch) : undefined;
    if (event === undefined) {
      const r = readEngagement(text, json, this.ingestUs);
      if (!r.ok) return r;
      event = r.event;
    }
    this.events.add(event, this.ingestUs);
    this.windows.add(event);
    return undefined;
  }

  outputs(batchId: string): readonly TableRows[] {
    const partials = new EngagementPartialRows();
    for (const p of this.windows.partials()) partials.add(p, batchId);
    return [this.events, partials];
  }
}

/** Parses `--engagement-rate`: mean views per second, positive. */
export function parseRate(text: string): number {
  const n = Number(text);
  if (!(Number.isFinite(n) && n > 0 && n <= 100_000))
    throw new Error(`engagement rate must be a number of views per second in (0, 100000], got ${JSON.stringify(text)}`);
  return n;
}

const rateOption: SourceOption = {
  flags: '--engagement-rate <views/s>',
  description: 'mean simulated short-video views per second (a daily cycle moves it 0.5x-1.5x)',
  defaultValue: DEFAULT_ENGAGEMENT_RATE,
  parse: parseRate,
};

const rateOf = (extra: Readonly<Record<string, unknown>>) => (extra.engagementRate as number | undefined) ?? DEFAULT_ENGAGEMENT_RATE;

export const engagement: SourceDefinition = {
  id: ENGAGEMENT_SOURCE,
  title: 'Short-video engagement',
  description: 'Simulated short-video views (category, watch time, liked), with views, likes and average watch time per category in 1-minute windows',
  enters: ['stream'],
  recognition: { envelope: ENGAGEMENT_SOURCE },
  tables: [ENGAGEMENT_EVENTS, ENGAGEMENT_PARTIALS],
  viewTables: [{ table: ENGAGEMENT_BY_MINUTE, sql: () => engagementByMinuteSql(ENGAGEMENT_PARTIALS.name) }],
  compactionDerivations: [
    { source: ENGAGEMENT_EVENTS.name, table: ENGAGEMENT_PARTIALS.name, select: (_d, events, batchId) => partialsFromEventsSql(events, batchId) },
  ],
  panels: ENGAGEMENT_PANELS,
  reasonCodes: REASON_CODES,
  messageSchema: ENGAGEMENT_MESSAGE,
  formats: [ENGAGEMENT_SOURCE, 'unknown'],
  newBatch: (ctx: BatchContext) => new EngagementBatch(ctx.ingestUs),
  simulator: {
    options: [rateOption],
    *simulate(o) {
      yield* simulateEngagement({
        minutes: o.minutes,
        // A separate run (idBase) draws other views: identities here are only ids, so the seed is the run's.
        seed: o.idBase === undefined ? o.seed : `${o.seed}/${o.idBase}`,
        startTimeMs: o.startTimeMs,
        malformedShare: o.malformedShare,
        ratePerSec: rateOf(o.extra),
      });
    },
    describe: (o) => `short-video views in ${CATEGORIES.length} categories, ~${rateOf(o.extra)}/s`,
    expectedRecords: (o) => {
      // The daily cycle averages 1 over a day, not over a short run: integrate it by the minute.
      let n = 0;
      for (let m = 0; m < o.minutes; m++) n += rateOf(o.extra) * 60 * dailyCycle(o.startTimeMs + m * 60_000);
      return Math.round(n);
    },
  },
};
