/**
 * Fakes for the closed-results publisher tests: lakes of engagement views and
 * viewing events that grow as events arrive and answer the publisher's
 * bounded questions (as the SQL of src/enriched/lake-queries.ts does, with the
 * `dt >= day` of the watermark query), recording what they were asked; the
 * closed results a whole lake gives (the reference); a capturing producer.
 */
import type { EngagementLakeReader } from '../../src/enriched/engagement-results.js';
import { type EngagementAggregate, type EnrichedRecord, parseEnriched } from '../../src/enriched/records.js';
import type { ViewingEventsQuery, ViewingLakeReader } from '../../src/enriched/view-results.js';
import type { PutEntry, StreamProducer } from '../../src/ingest/stream-producer.js';
import { mergeToWindows, partialOf } from '../../src/sources/engagement/aggregate.js';
import type { EngagementEvent } from '../../src/sources/engagement/event.js';
import type { ViewingEvent } from '../../src/sources/viewing/event.js';
import { type ClosedView, compareEvents, Sessionizer } from '../../src/sources/viewing/sessionize.js';
import { lastClosedMinuteUs } from '../../src/timeseries/bar-publication.js';

const DAY_US = 86_400_000_000;
const dayStart = (us: number) => Math.floor(us / DAY_US) * DAY_US;

/** A read the publisher asked for: `(afterUs, throughUs]` (views: and the look-back). */
export interface AskedRange {
  readonly afterUs: number;
  readonly throughUs: number;
  readonly lookbackUs?: number;
}

/** The latest time of `times` from the UTC day of `fromUs` on (everything when undefined). */
function latestFrom(times: readonly number[], fromUs: number | undefined): number | undefined {
  const from = fromUs === undefined ? Number.NEGATIVE_INFINITY : dayStart(fromUs);
  let max: number | undefined;
  for (const t of times) if (t >= from && (max === undefined || t > max)) max = t;
  return max;
}

/** The category minutes of a set of views (what `engagement_by_minute` gives). */
export function windowsOf(events: readonly EngagementEvent[]): EngagementAggregate[] {
  return mergeToWindows(events.map(partialOf));
}

/** Engagement views in the lake. */
export class FakeEngagementLake implements EngagementLakeReader {
  readonly events: EngagementEvent[] = [];
  readonly asked: AskedRange[] = [];

  add(...events: EngagementEvent[]): void {
    this.events.push(...events);
  }

  async latestEngagementTimeUs(fromUs: number | undefined): Promise<number | undefined> {
    return latestFrom(
      this.events.map((e) => e.event_time),
      fromUs,
    );
  }

  async engagementWindows(afterUs: number, throughUs: number): Promise<EngagementAggregate[]> {
    this.asked.push({ afterUs, throughUs });
    return windowsOf(this.events).filter((w) => w.window_start > afterUs && w.window_start <= throughUs);
  }

  /** The closed windows of the whole lake now (the reference). */
  closed(allowedLatenessSeconds: number): EngagementAggregate[] {
    const wm = latestFrom(
      this.events.map((e) => e.event_time),
      undefined,
    );
    if (wm === undefined) return [];
    const last = lastClosedMinuteUs(wm, allowedLatenessSeconds);
    return windowsOf(this.events).filter((w) => w.window_start <= last);
  }
}

/** Viewing events in the lake; `minimal` answers what the SQL answers (one look-back event group per device), else every event of the range. */
export class FakeViewingLake implements ViewingLakeReader {
  readonly events: ViewingEvent[] = [];
  readonly asked: AskedRange[] = [];

  constructor(private readonly minimal = true) {}

  add(...events: ViewingEvent[]): void {
    this.events.push(...events);
  }

  async latestViewingTimeUs(fromUs: number | undefined): Promise<number | undefined> {
    return latestFrom(
      this.events.map((e) => e.event_time),
      fromUs,
    );
  }

  async viewingEvents(q: ViewingEventsQuery): Promise<ViewingEvent[]> {
    this.asked.push(q);
    const inWindow = this.events.filter((e) => e.event_time > q.afterUs && e.event_time <= q.throughUs);
    const before = this.events.filter((e) => e.event_time >= q.lookbackUs && e.event_time <= q.afterUs);
    if (!this.minimal) return [...before, ...inWindow];
    // Per device, the events at its latest (event_time, seq): rank() = 1 of the SQL.
    const latest = new Map<string, ViewingEvent>();
    for (const e of before) {
      const k = `${e.user_id}\u0000${e.device_id}`;
      const l = latest.get(k);
      if (l === undefined || e.event_time > l.event_time || (e.event_time === l.event_time && e.seq > l.seq)) latest.set(k, e);
    }
    const kept = before.filter((e) => {
      const l = latest.get(`${e.user_id}\u0000${e.device_id}`)!;
      return e.event_time === l.event_time && e.seq === l.seq;
    });
    return [...kept, ...inWindow];
  }

  /** The closed views of the whole lake now (the reference). */
  closed(): ClosedView[] {
    const wm = latestFrom(
      this.events.map((e) => e.event_time),
      undefined,
    );
    if (wm === undefined) return [];
    const s = new Sessionizer();
    for (const e of [...this.events].sort(compareEvents)) s.add(e);
    return s.closedViews(wm);
  }
}

/** A producer that keeps what is put, call by call. */
export class CapturingProducer implements StreamProducer {
  readonly calls: PutEntry[][] = [];
  async putRecords(entries: readonly PutEntry[]) {
    this.calls.push([...entries]);
    return { failed: [] };
  }
  get put(): PutEntry[] {
    return this.calls.flat();
  }
  /** The records put from call `from` on. */
  records(from = 0): EnrichedRecord[] {
    return this.calls
      .slice(from)
      .flat()
      .map((e) => parseEnriched(e.data)!);
  }
}

/** A record without its correction flag: what identifies the result it carries (key, version, payload). */
export function resultOf(r: EnrichedRecord): unknown {
  const { correction: _, ...rest } = r;
  return rest;
}
