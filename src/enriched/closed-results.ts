/**
 * Publishing closed results onto the enriched stream with bounded reads: the
 * rule of the cloud bar publisher (src/timeseries/cloud-bar-publisher.ts) for
 * any kind of result, the same locally (`ticklake up`) and in the cloud (the
 * enriched publisher function). The kinds: closed category minutes
 * (`engagement-results.ts`) and closed views (`view-results.ts`).
 *
 * Every result has a time (a category minute its window start, a view the time
 * it closed) and is closed once the lake's watermark (its latest event time)
 * is far enough past it: at or before the kind's `closedThroughUs(watermark)`.
 * A tick:
 * 1. reads the watermark, from the UTC day of the last time handled less the
 *    horizon on (the whole table only when there is no state and no tick time);
 * 2. reads the closed results whose time is in (last handled, new frontier],
 *    the frontier moving at most `maxCatchUpMinutes` (a backlog, e.g. after an
 *    outage, is caught up over several ticks), together with those of the
 *    `correctionHorizonMinutes` before the frontier: a bounded query, whatever
 *    the size of the lake;
 * 3. puts those never put and those whose version changed
 *    (`planVersions`/`recordPublished` of src/timeseries/bar-publication.ts;
 *    a version only grows: a category minute's view count, a view's cap less
 *    its length);
 * 4. saves its state, a small JSON document: the frontier and the versions put
 *    inside the horizon.
 *
 * The state makes a tick catch up exactly where the last one stopped and keeps
 * it from re-putting the horizon every time; it is not needed for correctness:
 * a lost or stale state, or a tick run twice, re-puts records a consumer
 * already holds (same key, same version, same result) and nothing else.
 *
 * Limits: a late event older than the horizon still changes the lake but is not
 * re-published; a tick without state starts `correctionHorizonMinutes` before
 * the watermark; a tick anchored at `fromUs` (a manual republish) puts every
 * result from there on again.
 */
import type { PutEntry, StreamProducer } from '../ingest/stream-producer.js';
import type { ObjectStore } from '../lake/object-store.js';
import { MINUTE_US, type PublishedBars } from '../timeseries/bar-publication.js';
import { putVersioned } from './put.js';
import type { ENRICHED_KINDS } from './records.js';

/** Default correction horizon: results changed up to an hour after they closed are put again. */
export const DEFAULT_CORRECTION_HORIZON_MINUTES = 60;
/** Default catch-up: a tick moves its frontier three hours at most. */
export const DEFAULT_MAX_CATCH_UP_MINUTES = 180;

/** A kind of enriched record this publishes. */
export type ClosedResultKindName = Exclude<(typeof ENRICHED_KINDS)[number], 'bar_1m'>;

/** What the publication rule needs of a result. */
export interface ResultIdentity {
  /** The series it belongs to (a category; a user and device). */
  readonly series: string;
  /** Its start within the series, µs (with the series, its natural key). */
  readonly start: number;
  /** Its version: only ever grows. */
  readonly version: number;
}

/** One kind of closed result: how to find it in the lake, what its identity is and how it goes on the stream. */
export interface ClosedResultKind<R> {
  readonly kind: ClosedResultKindName;
  /** The granularity of result times, µs: a minute for windows, 1 for views. */
  readonly stepUs: number;
  /** The latest event time in the lake, µs, from the UTC day of `fromUs` on (of the whole table when undefined); undefined when there is none. */
  watermarkUs(fromUs: number | undefined): Promise<number | undefined>;
  /** The latest result time that is closed at this watermark: results at or before it are closed. */
  closedThroughUs(watermarkUs: number): number;
  /** The closed results whose time is in `(afterUs, throughUs]` (`throughUs` at most `closedThroughUs(watermark)`), as all the events in the lake give them. */
  closedResults(afterUs: number, throughUs: number): Promise<R[]>;
  /** The rule's identity of a result. */
  identify(result: R): ResultIdentity;
  /** The result time of a published entry (its start and version), to keep the state inside the horizon. */
  timeOf(start: number, version: number): number;
  /** The stream entry of a result. */
  entry(result: R, correction: boolean): PutEntry;
}

/** A kind's state: the last result time handled and, per series and start (µs as text), the version put. */
export interface KindState {
  readonly closedThroughUs?: number;
  readonly published: PublishedBars;
}

/** Where a state document lives (a file locally, an S3 object in the cloud). */
export interface JsonDocument {
  /** The document, or undefined when there is none. */
  load(): Promise<unknown>;
  save(value: unknown): Promise<void>;
}

/** One tick. */
export interface ClosedResultsTick {
  /** The tick's time (a schedule's time), µs: bounds the first watermark query when there is no state. */
  readonly timeUs?: number;
  /** Put every result from this time on again (a manual republish), µs. */
  readonly fromUs?: number;
}

/** Settings of the rule. */
export interface ClosedResultsSettings {
  /** How far before the frontier a changed result is put again (default {@link DEFAULT_CORRECTION_HORIZON_MINUTES}). */
  readonly correctionHorizonMinutes?: number;
  /** How far a tick moves its frontier at most (default {@link DEFAULT_MAX_CATCH_UP_MINUTES}). */
  readonly maxCatchUpMinutes?: number;
}

/** What a tick did for one kind. */
export interface KindTickResult {
  readonly kind: ClosedResultKindName;
  /** The lake's latest event time, µs (undefined: no event from the window's day on; nothing done). */
  readonly watermarkUs?: number;
  /** The last result time handled, µs. */
  readonly closedThroughUs?: number;
  /** The times whose results were read, µs: `(afterUs, throughUs]`. */
  readonly read?: { readonly afterUs: number; readonly throughUs: number; readonly results: number };
  /** Results put for the first time. */
  readonly fresh: number;
  /** Results put again with a new version. */
  readonly corrections: number;
  /** Minutes of closed results still to handle after this tick (a backlog being caught up). */
  readonly backlogMinutes: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A kind's state from a loaded document; anything malformed counts as no state (the tick then re-puts identical records only). */
export function parseKindState(doc: unknown): KindState | undefined {
  if (!isObject(doc) || !isObject(doc.published)) return undefined;
  const published: PublishedBars = {};
  for (const [series, starts] of Object.entries(doc.published)) {
    if (!isObject(starts)) return undefined;
    const kept: Record<string, number> = {};
    for (const [start, version] of Object.entries(starts)) if (typeof version === 'number' && Number.isFinite(version)) kept[start] = version;
    published[series] = kept;
  }
  const through = doc.closedThroughUs;
  return typeof through === 'number' && Number.isFinite(through) ? { closedThroughUs: through, published } : { published };
}

/** The entries whose result time is after `afterUs` (older ones are outside the correction horizon). */
function publishedAfter(published: Readonly<PublishedBars>, afterUs: number, timeOf: (start: number, version: number) => number): PublishedBars {
  const out: PublishedBars = {};
  for (const [series, starts] of Object.entries(published)) {
    const kept = Object.entries(starts).filter(([start, version]) => timeOf(Number(start), version) > afterUs);
    if (kept.length > 0) out[series] = Object.fromEntries(kept);
  }
  return out;
}

const floorTo = (us: number, step: number) => Math.floor(us / step) * step;

/**
 * One tick of one kind from its saved state: puts what closed or changed, and
 * returns the state to save with what it did. Puts nothing when the lake has
 * no event in reach; the state is returned as it was then.
 */
export async function tickKind<R>(
  kind: ClosedResultKind<R>,
  saved: KindState | undefined,
  tick: ClosedResultsTick,
  enriched: StreamProducer,
  settings: ClosedResultsSettings = {},
): Promise<{ readonly state: KindState | undefined; readonly result: KindTickResult }> {
  const horizon = Math.max(1, settings.correctionHorizonMinutes ?? DEFAULT_CORRECTION_HORIZON_MINUTES) * MINUTE_US;
  const catchUp = Math.max(1, settings.maxCatchUpMinutes ?? DEFAULT_MAX_CATCH_UP_MINUTES) * MINUTE_US;
  // A manual tick puts everything from its time on again, whatever was put before.
  const manual = tick.fromUs !== undefined;
  const published: PublishedBars = manual ? {} : structuredClone(saved?.published ?? {});
  const handled = manual ? floorTo(tick.fromUs!, kind.stepUs) - kind.stepUs : saved?.closedThroughUs;
  const anchor = handled ?? (tick.timeUs === undefined ? undefined : floorTo(tick.timeUs, MINUTE_US));
  const watermarkUs = await kind.watermarkUs(anchor === undefined ? undefined : anchor - horizon);
  if (watermarkUs === undefined)
    return {
      state: saved,
      result: { kind: kind.kind, fresh: 0, corrections: 0, backlogMinutes: 0, ...(handled === undefined ? {} : { closedThroughUs: handled }) },
    };
  const last = kind.closedThroughUs(watermarkUs);
  // Results with a time after `after` are new to this tick.
  const after = handled ?? last - horizon;
  const closedThroughUs = Math.max(Math.min(last, after + catchUp), handled ?? Number.NEGATIVE_INFINITY);
  const readAfter = Math.min(after, closedThroughUs - horizon);
  const results = await kind.closedResults(readAfter, closedThroughUs);
  const identified = results.map((r) => {
    const id = kind.identify(r);
    return { symbol: id.series, minute_start: id.start, trade_count: id.version, r };
  });
  const { fresh, corrections } = await putVersioned(enriched, published, identified, (x, correction) => kind.entry(x.r, correction));
  return {
    state: { closedThroughUs, published: publishedAfter(published, readAfter, kind.timeOf) },
    result: {
      kind: kind.kind,
      watermarkUs,
      closedThroughUs,
      read: { afterUs: readAfter, throughUs: closedThroughUs, results: results.length },
      fresh: fresh.length,
      corrections: corrections.length,
      backlogMinutes: Math.max(0, Math.ceil((last - closedThroughUs) / MINUTE_US)),
    },
  };
}

/** A kind that failed in a tick, and why. */
export interface KindFailure {
  readonly kind: ClosedResultKindName;
  readonly error: unknown;
}

/** What a tick did: per kind that ran, its result; per kind that failed, the error. */
export interface ClosedResultsTickResult {
  readonly results: readonly KindTickResult[];
  readonly failures: readonly KindFailure[];
}

/** Dependencies and settings of {@link createClosedResultsPublisher}. */
export interface ClosedResultsPublisherOptions extends ClosedResultsSettings {
  /** The kinds to publish (each at most once). */
  // biome-ignore lint/suspicious/noExplicitAny: kinds of different result types share one tick
  readonly kinds: readonly ClosedResultKind<any>[];
  /** One document holding every kind's state, by kind name. */
  readonly state: JsonDocument;
  readonly enriched: StreamProducer;
}

/**
 * Builds the tick of several kinds sharing one state document (the cloud's one
 * S3 object): each kind ticks on its own state; one failing (Athena, the
 * stream) does not stop the others, whose progress is saved; the failures are
 * returned for the caller to log and to fail the invocation with. Run one tick
 * at a time (the function's reserved concurrency is 1).
 */
export function createClosedResultsPublisher(o: ClosedResultsPublisherOptions): (tick: ClosedResultsTick) => Promise<ClosedResultsTickResult> {
  const names = o.kinds.map((k) => k.kind);
  if (new Set(names).size !== names.length) throw new Error(`each kind once: ${names.join(', ')}`);
  return async (tick) => {
    const loaded = await o.state.load();
    const doc: Record<string, unknown> = isObject(loaded) ? { ...loaded } : {};
    const results: KindTickResult[] = [];
    const failures: KindFailure[] = [];
    let changed = false;
    for (const kind of o.kinds) {
      try {
        const r = await tickKind(kind, parseKindState(doc[kind.kind]), tick, o.enriched, o);
        results.push(r.result);
        if (r.state !== undefined) {
          doc[kind.kind] = r.state;
          changed = true;
        }
      } catch (error) {
        failures.push({ kind: kind.kind, error });
      }
    }
    if (changed) await o.state.save(doc);
    return { results, failures };
  };
}

/**
 * Builds the tick of one kind whose state is a document of its own (a local
 * state file): throws when the tick fails, the state then unchanged.
 */
export function createKindPublisher<R>(
  o: ClosedResultsSettings & { readonly kind: ClosedResultKind<R>; readonly state: JsonDocument; readonly enriched: StreamProducer },
): (tick: ClosedResultsTick) => Promise<KindTickResult> {
  return async (tick) => {
    const r = await tickKind(o.kind, parseKindState(await o.state.load()), tick, o.enriched, o);
    if (r.state !== undefined) await o.state.save(r.state);
    return r.result;
  };
}

/** A JSON document in memory (tests, and callers that keep the state themselves). */
export function memoryDocument(initial?: unknown): JsonDocument & { text: string | undefined } {
  const doc = {
    text: initial === undefined ? undefined : JSON.stringify(initial),
    async load() {
      return doc.text === undefined ? undefined : JSON.parse(doc.text);
    },
    async save(value: unknown) {
      doc.text = JSON.stringify(value);
    },
  };
  return doc;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A JSON document at one key of an object store (the cloud's S3 state object). */
export function objectDocument(store: ObjectStore, key: string): JsonDocument {
  return {
    async load() {
      const body = await store.get(key);
      return body === undefined ? undefined : JSON.parse(dec.decode(body));
    },
    async save(value: unknown) {
      await store.put(key, enc.encode(JSON.stringify(value)), 'application/json');
    },
  };
}
