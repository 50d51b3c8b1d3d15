/**
 * Short-video engagement events (the old multi-source lake's mock producer): one
 * flat JSON object per view. Pure.
 *
 * On the stream (one stream, routed by the `source` envelope written first):
 * `{"source":"engagement","timestamp":"2026-11-02T10:00:01.250Z","user_id":"u004217",
 *   "video_id":"v-comedy-00312","category":"comedy","watch_time":23.417,"liked":true}`
 *
 * - `timestamp`: ISO-8601 date-time with a zone (`Z` or `+01:00`), when the view ended.
 * - `user_id`, `video_id`: non-empty strings of at most 64 characters without spaces.
 * - `category`: lower-case `[a-z0-9_-]`, at most 32 characters.
 * - `watch_time`: seconds watched, a number in [0, 3600].
 * - `liked`: boolean.
 */
import { CORE_REASON_CODES, type CoreReasonCode, type Rejection as CoreRejection, reject as rejectAs } from '../../core/reasons.js';
import { checkEventTime, type ValidationContext } from '../../core/validation.js';

/** The engagement source's own reasons, on top of the core set. */
export const ENGAGEMENT_REASON_CODES = ['BAD_TIMESTAMP', 'BAD_WATCH_TIME', 'BAD_CATEGORY', 'BAD_USER_ID', 'BAD_VIDEO_ID'] as const;
export type EngagementReasonCode = CoreReasonCode | (typeof ENGAGEMENT_REASON_CODES)[number];
/** Every reason an engagement event is quarantined with. */
export const REASON_CODES = [...CORE_REASON_CODES, ...ENGAGEMENT_REASON_CODES] as const;
export type Rejection = CoreRejection<EngagementReasonCode>;
const reject = (code: EngagementReasonCode, message: string): Rejection => rejectAs(code, message);

/** Longest watch time accepted, seconds: a short video replayed for an hour is already a stuck client. */
export const MAX_WATCH_TIME_S = 3600;

/** A validated view (column names as in glue-schemas/engagement_events.json). */
export interface EngagementEvent {
  /** Microseconds since epoch. */
  readonly event_time: number;
  readonly user_id: string;
  readonly video_id: string;
  readonly category: string;
  /** Seconds, as sent. */
  readonly watch_time: number;
  readonly liked: boolean;
}

export type EngagementResult = { readonly ok: true; readonly event: EngagementEvent } | { readonly ok: false; readonly rejection: Rejection };

const fail = (r: Rejection): EngagementResult => ({ ok: false, rejection: r });
const REQUIRED = ['timestamp', 'user_id', 'video_id', 'category', 'watch_time', 'liked'] as const;
// A zone is required: a zoneless ISO string is local time to Date.parse, which differs per machine.
const ISO_WITH_ZONE = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:?\d\d)$/;
const CATEGORY = /^[a-z0-9_-]{1,32}$/;
const ID = /^[^\s\p{Cc}]{1,64}$/u;

/** True when a parsed JSON value claims to be an engagement event. */
export function isEngagementMessage(doc: unknown): doc is Record<string, unknown> {
  return typeof doc === 'object' && doc !== null && (doc as Record<string, unknown>).source === 'engagement';
}

/** Milliseconds watched, the unit the aggregates sum (integers add exactly in any order). */
export function watchMs(watchTimeS: number): number {
  return Math.round(watchTimeS * 1000);
}

/** Validates a parsed engagement message: the event, or why it is quarantined. */
export function engagementFrom(doc: Record<string, unknown>, ctx: ValidationContext): EngagementResult {
  for (const k of REQUIRED) if (doc[k] === undefined || doc[k] === null) return fail(reject('MISSING_FIELD', `field "${k}" is missing`));
  const { timestamp, user_id, video_id, category, watch_time, liked } = doc;
  if (typeof timestamp !== 'string') return fail(reject('WRONG_TYPE', 'field "timestamp" must be an ISO-8601 string'));
  if (typeof user_id !== 'string') return fail(reject('WRONG_TYPE', 'field "user_id" must be a string'));
  if (typeof video_id !== 'string') return fail(reject('WRONG_TYPE', 'field "video_id" must be a string'));
  if (typeof category !== 'string') return fail(reject('WRONG_TYPE', 'field "category" must be a string'));
  if (typeof watch_time !== 'number') return fail(reject('WRONG_TYPE', 'field "watch_time" must be a number of seconds'));
  if (typeof liked !== 'boolean') return fail(reject('WRONG_TYPE', 'field "liked" must be true or false'));
  const ms = ISO_WITH_ZONE.test(timestamp) ? Date.parse(timestamp) : Number.NaN;
  if (Number.isNaN(ms)) return fail(reject('BAD_TIMESTAMP', `timestamp ${JSON.stringify(timestamp.slice(0, 40))} is not an ISO-8601 date-time with a zone`));
  const tErr = checkEventTime(ms * 1000, ctx, 'timestamp');
  if (tErr) return fail(tErr);
  if (!CATEGORY.test(category)) return fail(reject('BAD_CATEGORY', `category ${JSON.stringify(category.slice(0, 40))} is not 1-32 characters of [a-z0-9_-]`));
  if (!ID.test(user_id)) return fail(reject('BAD_USER_ID', `user_id ${JSON.stringify(user_id.slice(0, 70))} is not 1-64 characters without spaces`));
  if (!ID.test(video_id)) return fail(reject('BAD_VIDEO_ID', `video_id ${JSON.stringify(video_id.slice(0, 70))} is not 1-64 characters without spaces`));
  if (!(watch_time >= 0 && watch_time <= MAX_WATCH_TIME_S))
    return fail(reject('BAD_WATCH_TIME', `watch_time ${watch_time} is not between 0 and ${MAX_WATCH_TIME_S} seconds`));
  return { ok: true, event: { event_time: ms * 1000, user_id, video_id, category, watch_time, liked } };
}
