import type { BatchContext, Quarantined, SourceBatch, SourceDefinition, SourceOption, TableRows } from '../contract.js';
import { readJsonRecord } from '../json-record.js';
import { isViewingMessage, REASON_CODES, VIEWING_SOURCE, type ViewingEvent, viewingFrom } from './event.js';
import { VIEWING_PANELS } from './panels.js';
import { VIEWING_MESSAGE } from './message-schema.js';
import { ViewingEventRows } from './rows.js';
import { CHANNELS, TV_AD_SPOTS_FILE, TV_SCHEDULE_FILE } from './schedule.js';
import { DEFAULT_VIEWING_USERS, expectedViewingEvents, simulateViewing } from './simulator.js';
import { viewIntervalsSql, watchTimeByAdSql, watchTimeByShowSql } from './sql.js';
import { TV_AD_SPOTS_TABLE, TV_SCHEDULE_TABLE, VIEWING_EVENTS } from './tables.js';

export { VIEWING_SOURCE };
/** A closed view and the longest one, for the enriched stream's view records; the sessionizer and its events, for the view publisher. */
export { type ClosedView, MAX_INTERVAL_MS, Sessionizer } from './sessionize.js';
export type { ViewingEvent, ViewingEventType } from './event.js';

/** Parses and validates one message: the event, or why it is quarantined. */
export function readViewing(text: string, json: unknown, nowUs: number): { ok: true; event: ViewingEvent } | ({ ok: false } & Quarantined) {
  return readJsonRecord(text, json, {
    schema: VIEWING_MESSAGE,
    format: VIEWING_SOURCE,
    is: isViewingMessage,
    notMine: 'JSON payload is not a viewing event',
    from: (doc) => viewingFrom(doc, { nowUs }),
  });
}

/**
 * A batch writes the events as they are: intervals are derived at read time
 * (the `view_intervals` view), so no state has to survive between batches.
 */
class ViewingBatch implements SourceBatch {
  private readonly events = new ViewingEventRows();
  constructor(private readonly ingestUs: number) {}

  add(text: string, _partitionKey: string, json?: unknown): Quarantined | undefined {
    const r = readViewing(text, json, this.ingestUs);
    if (!r.ok) return r;
    this.events.add(r.event, this.ingestUs);
    return undefined;
  }

  outputs(): readonly TableRows[] {
    return [this.events];
  }
}

/** Parses `--viewing-users`: simulated households, a positive integer. */
export function parseUsers(text: string): number {
  const n = Number(text);
  if (!(Number.isSafeInteger(n) && n > 0 && n <= 1_000_000)) throw new Error(`viewing users must be an integer in [1, 1000000], got ${JSON.stringify(text)}`);
  return n;
}

const usersOption: SourceOption = {
  flags: '--viewing-users <n>',
  description: 'simulated TV households (1-3 devices each) of the viewing source',
  defaultValue: DEFAULT_VIEWING_USERS,
  parse: parseUsers,
};

const usersOf = (extra: Readonly<Record<string, unknown>>) => (extra.viewingUsers as number | undefined) ?? DEFAULT_VIEWING_USERS;

export const viewing: SourceDefinition = {
  id: VIEWING_SOURCE,
  title: 'Viewing clickstream',
  description:
    'Digital-TV viewing: users on devices in locations start, switch and stop channels that follow a daily schedule with ad breaks; sessionized at read time into view intervals and watch time per show and per ad',
  enters: ['stream'],
  recognition: { envelope: VIEWING_SOURCE },
  tables: [VIEWING_EVENTS],
  dimensions: [
    { table: TV_SCHEDULE_TABLE, file: TV_SCHEDULE_FILE },
    { table: TV_AD_SPOTS_TABLE, file: TV_AD_SPOTS_FILE },
  ],
  // In order: each view reads the ones before it.
  namedViews: {
    view_intervals: () => viewIntervalsSql(VIEWING_EVENTS.name, TV_SCHEDULE_TABLE.name),
    watch_time_by_show: () => watchTimeByShowSql('view_intervals'),
    watch_time_by_ad: () => watchTimeByAdSql('view_intervals', TV_AD_SPOTS_TABLE.name),
  },
  panels: VIEWING_PANELS,
  reasonCodes: REASON_CODES,
  messageSchema: VIEWING_MESSAGE,
  formats: [VIEWING_SOURCE, 'unknown'],
  newBatch: (ctx: BatchContext) => new ViewingBatch(ctx.ingestUs),
  simulator: {
    options: [usersOption],
    *simulate(o) {
      yield* simulateViewing({
        minutes: o.minutes,
        seed: o.seed,
        startTimeMs: o.startTimeMs,
        malformedShare: o.malformedShare,
        users: usersOf(o.extra),
        firstSeq: o.idBase ?? 0,
      });
    },
    describe: (o) => `${usersOf(o.extra).toLocaleString('en-US')} TV households on ${CHANNELS.length} channels`,
    expectedRecords: (o) => expectedViewingEvents({ minutes: o.minutes, startTimeMs: o.startTimeMs, users: usersOf(o.extra) }),
  },
};
