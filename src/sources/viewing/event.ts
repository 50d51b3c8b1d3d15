/**
 * Viewing clickstream events (the old organisation pipeline's digital-TV demo):
 * a user on a device in a location starts watching a channel, switches to
 * another, or stops. One flat JSON object per event. Pure.
 *
 * On the stream (one stream, routed by the `source` envelope written first):
 * `{"source":"viewing","timestamp":"2026-11-02T20:00:01.250Z","user_id":"u00042","device_id":"u00042-tv",
 *   "device_type":"smart-tv","location":"leeds","event_type":"start","channel":"news-24","seq":17}`
 *
 * - `timestamp`: ISO-8601 date-time with a zone, milliseconds at most (finer digits are cut).
 * - `user_id`, `device_id`: 1-64 characters without spaces.
 * - `device_type`: one of {@link DEVICE_TYPES}.
 * - `location`: lower-case `[a-z0-9-]`, 1-40 characters (a city or region slug).
 * - `event_type`: `start`, `switch` (to `channel`) or `stop` (`channel` is the one stopped).
 * - `channel`: a channel of the schedule (src/sources/viewing/schedule.ts).
 * - `seq`: the device's event counter, a non-negative integer. With the user,
 *   the device and the time it is the event's natural key: a record put twice is one event.
 */
import { CORE_REASON_CODES, type CoreReasonCode, type Rejection as CoreRejection, reject as rejectAs } from '../../core/reasons.js';
import { checkEventTime, type ValidationContext } from '../../core/validation.js';
import { CHANNEL_GRIDS } from './schedule.js';

/** The source id, also its envelope value. */
export const VIEWING_SOURCE = 'viewing';

/** The viewing source's own reasons, on top of the core set. */
export const VIEWING_REASON_CODES = [
  'BAD_TIMESTAMP',
  'BAD_EVENT_TYPE',
  'UNKNOWN_CHANNEL',
  'BAD_DEVICE_TYPE',
  'BAD_LOCATION',
  'BAD_USER_ID',
  'BAD_DEVICE_ID',
  'BAD_SEQ',
] as const;
export type ViewingReasonCode = CoreReasonCode | (typeof VIEWING_REASON_CODES)[number];
/** Every reason a viewing event is quarantined with. */
export const REASON_CODES = [...CORE_REASON_CODES, ...VIEWING_REASON_CODES] as const;
export type Rejection = CoreRejection<ViewingReasonCode>;
const reject = (code: ViewingReasonCode, message: string): Rejection => rejectAs(code, message);

/** What a viewer does. */
export type ViewingEventType = 'start' | 'switch' | 'stop';
export const EVENT_TYPES: readonly ViewingEventType[] = ['start', 'switch', 'stop'];

/** The kinds of devices viewers watch on. */
export const DEVICE_TYPES = ['set-top-box', 'smart-tv', 'mobile', 'tablet', 'web'] as const;

/** A validated event (column names as in glue-schemas/viewing_events.json). */
export interface ViewingEvent {
  /** Microseconds since epoch, a whole millisecond. */
  readonly event_time: number;
  readonly user_id: string;
  readonly device_id: string;
  readonly device_type: string;
  readonly location: string;
  readonly event_type: ViewingEventType;
  readonly channel: string;
  readonly seq: number;
}

export type ViewingResult = { readonly ok: true; readonly event: ViewingEvent } | { readonly ok: false; readonly rejection: Rejection };

const fail = (r: Rejection): ViewingResult => ({ ok: false, rejection: r });
const REQUIRED = ['timestamp', 'user_id', 'device_id', 'device_type', 'location', 'event_type', 'channel', 'seq'] as const;
const STRINGS = ['timestamp', 'user_id', 'device_id', 'device_type', 'location', 'event_type', 'channel'] as const;
// A zone is required: a zoneless ISO string is local time to Date.parse, which differs per machine.
const ISO_WITH_ZONE = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:?\d\d)$/;
const ID = /^[^\s\p{Cc}]{1,64}$/u;
const LOCATION = /^[a-z0-9-]{1,40}$/;
const DEVICE_TYPE_SET: ReadonlySet<string> = new Set(DEVICE_TYPES);
const EVENT_TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);

/** True when a parsed JSON value claims to be a viewing event. */
export function isViewingMessage(doc: unknown): doc is Record<string, unknown> {
  return typeof doc === 'object' && doc !== null && !Array.isArray(doc) && (doc as Record<string, unknown>).source === VIEWING_SOURCE;
}

const show = (s: string) => JSON.stringify(s.slice(0, 70));

/** Validates a parsed viewing message: the event, or why it is quarantined. */
export function viewingFrom(doc: Record<string, unknown>, ctx: ValidationContext): ViewingResult {
  for (const k of REQUIRED) if (doc[k] === undefined || doc[k] === null) return fail(reject('MISSING_FIELD', `field "${k}" is missing`));
  for (const k of STRINGS) if (typeof doc[k] !== 'string') return fail(reject('WRONG_TYPE', `field "${k}" must be a string`));
  if (typeof doc.seq !== 'number') return fail(reject('WRONG_TYPE', 'field "seq" must be a number'));
  const { timestamp, user_id, device_id, device_type, location, event_type, channel, seq } = doc as Record<(typeof STRINGS)[number], string> & { seq: number };
  const ms = ISO_WITH_ZONE.test(timestamp) ? Date.parse(timestamp) : Number.NaN;
  if (Number.isNaN(ms)) return fail(reject('BAD_TIMESTAMP', `timestamp ${show(timestamp)} is not an ISO-8601 date-time with a zone`));
  const tErr = checkEventTime(ms * 1000, ctx, 'timestamp');
  if (tErr) return fail(tErr);
  if (!EVENT_TYPE_SET.has(event_type)) return fail(reject('BAD_EVENT_TYPE', `event_type ${show(event_type)} is not start, switch or stop`));
  if (!CHANNEL_GRIDS.has(channel)) return fail(reject('UNKNOWN_CHANNEL', `channel ${show(channel)} is not in the schedule`));
  if (!ID.test(user_id)) return fail(reject('BAD_USER_ID', `user_id ${show(user_id)} is not 1-64 characters without spaces`));
  if (!ID.test(device_id)) return fail(reject('BAD_DEVICE_ID', `device_id ${show(device_id)} is not 1-64 characters without spaces`));
  if (!DEVICE_TYPE_SET.has(device_type)) return fail(reject('BAD_DEVICE_TYPE', `device_type ${show(device_type)} is not one of ${DEVICE_TYPES.join(', ')}`));
  if (!LOCATION.test(location)) return fail(reject('BAD_LOCATION', `location ${show(location)} is not 1-40 characters of [a-z0-9-]`));
  if (!(Number.isSafeInteger(seq) && seq >= 0)) return fail(reject('BAD_SEQ', `seq ${seq} is not a non-negative integer`));
  return {
    ok: true,
    event: { event_time: ms * 1000, user_id, device_id, device_type, location, event_type: event_type as ViewingEventType, channel, seq },
  };
}
