/**
 * IoT sensor readings. Sensors publish JSON to `devices/<device_id>/telemetry`:
 * `{"ts":1793620800000,"temperature_c":21.4,"humidity_pct":48.2,"battery_v":3.71,"seq":1042}`
 * (`ts` in epoch ms, `seq` a per-device counter). What reaches the stream is an
 * envelope around the message as it was published, so that a malformed one is
 * quarantined with its raw bytes:
 *
 * - the MQTT bridge (src/adapters/mqtt/) writes
 *   `{"source":"iot","topic":"devices/d-1/telemetry","received_at":<ms>,"payload":"<the payload as text>"}`;
 * - the AWS IoT Core topic rule writes `source`, `topic`, `received_at` and the
 *   payload base64-encoded as `payload_b64` (its SQL cannot pass a payload that
 *   is not JSON through as text).
 *
 * A payload too large for a stream record is cut by the bridge, which says so in
 * `payload_bytes`. The device id is the topic's second level. Pure.
 */
import { CORE_REASON_CODES, type CoreReasonCode, reject as rejectAs, type Rejection as CoreRejection } from '../../core/reasons.js';
import { checkEventTime, type ValidationContext } from '../../core/validation.js';

/** The source id, also its envelope value. */
export const IOT_SOURCE = 'iot';

/** The IoT source's own reasons, on top of the core set. */
export const IOT_REASON_CODES = [
  'BAD_TOPIC',
  'PAYLOAD_TOO_LARGE',
  'BAD_SEQ',
  'TEMPERATURE_OUT_OF_RANGE',
  'HUMIDITY_OUT_OF_RANGE',
  'BATTERY_OUT_OF_RANGE',
] as const;
export type IotReasonCode = CoreReasonCode | (typeof IOT_REASON_CODES)[number];
/** Every reason a reading is quarantined with. */
export const REASON_CODES = [...CORE_REASON_CODES, ...IOT_REASON_CODES] as const;
export type Rejection = CoreRejection<IotReasonCode>;
const reject = (code: IotReasonCode, message: string): Rejection => rejectAs(code, message);

/** Plausible ranges of the sensors' values (a value outside is a faulty sensor or a corrupt message). */
export const RANGES = {
  temperature_c: { min: -60, max: 100, code: 'TEMPERATURE_OUT_OF_RANGE' },
  humidity_pct: { min: 0, max: 100, code: 'HUMIDITY_OUT_OF_RANGE' },
  battery_v: { min: 0, max: 5, code: 'BATTERY_OUT_OF_RANGE' },
} as const;

/** Device ids: what AWS IoT allows in a client id / topic level, without the MQTT wildcards and separators. */
const DEVICE_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const TOPIC = /^devices\/([^/]*)\/telemetry$/;

/** A validated reading (column names as in glue-schemas/iot_readings.json). */
export interface IotReading {
  readonly device_id: string;
  readonly seq: number;
  /** Microseconds since epoch. */
  readonly reading_time: number;
  readonly temperature_c: number;
  readonly humidity_pct: number;
  readonly battery_v: number;
  readonly topic: string;
  /** Microseconds since epoch, or null. */
  readonly received_at: number | null;
}

export type ReadingResult = { readonly ok: true; readonly reading: IotReading } | { readonly ok: false; readonly rejection: Rejection };
const fail = (r: Rejection): ReadingResult => ({ ok: false, rejection: r });

/** The device id of a telemetry topic, or a rejection naming what is wrong with it. */
export function deviceIdOfTopic(topic: string): string | Rejection {
  const m = TOPIC.exec(topic);
  if (!m) return reject('BAD_TOPIC', `topic ${JSON.stringify(topic.slice(0, 80))} is not devices/<device_id>/telemetry`);
  if (!DEVICE_ID.test(m[1]!))
    return reject('BAD_TOPIC', `device id ${JSON.stringify(m[1]!.slice(0, 80))} is empty, too long or has characters other than A-Z a-z 0-9 _ . : -`);
  return m[1]!;
}

/** The envelope the MQTT bridge puts on the stream for one message (`payload` decoded as UTF-8 by the caller). */
export function envelopeOf(topic: string, payload: string, receivedAtMs: number): string {
  return JSON.stringify({ source: IOT_SOURCE, topic, received_at: receivedAtMs, payload });
}

/** True when a parsed JSON document claims to be an IoT envelope. */
export function isIotEnvelope(doc: unknown): doc is Record<string, unknown> {
  return typeof doc === 'object' && doc !== null && !Array.isArray(doc) && (doc as Record<string, unknown>).source === IOT_SOURCE;
}

/** Base64 to UTF-8 text (invalid sequences become U+FFFD), or undefined when it is not base64. Runtime-neutral (atob, TextDecoder). */
function fromBase64(b64: string): string | undefined {
  try {
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new TextDecoder().decode(bytes);
  } catch {
    return undefined;
  }
}

/** The payload text of an envelope, or why there is none. */
function payloadOf(env: Record<string, unknown>): string | Rejection {
  if (typeof env.payload === 'string') return env.payload;
  if (typeof env.payload_b64 === 'string') return fromBase64(env.payload_b64) ?? reject('WRONG_TYPE', 'payload_b64 is not base64');
  if (env.payload === undefined && env.payload_b64 === undefined) return reject('MISSING_FIELD', 'envelope has no "payload" (or "payload_b64")');
  return reject('WRONG_TYPE', 'envelope "payload" must be the message as a string');
}

/**
 * The `seq` of a telemetry payload when it has a valid one (what the bridge
 * dedupes redeliveries by), else undefined. Never throws.
 */
export function seqOfPayload(payload: string): number | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(payload);
  } catch {
    return undefined;
  }
  const seq = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>).seq : undefined;
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0 ? seq : undefined;
}

/** Validates a parsed envelope and the telemetry message inside it. */
export function readingFrom(env: Record<string, unknown>, ctx: ValidationContext): ReadingResult {
  if (env.topic === undefined || env.topic === null) return fail(reject('MISSING_FIELD', 'envelope has no "topic"'));
  if (typeof env.topic !== 'string') return fail(reject('WRONG_TYPE', 'envelope "topic" must be a string'));
  const device = deviceIdOfTopic(env.topic);
  if (typeof device !== 'string') return fail(device);
  let receivedAt: number | null = null;
  if (env.received_at !== undefined && env.received_at !== null) {
    if (typeof env.received_at !== 'number' || !Number.isFinite(env.received_at))
      return fail(reject('WRONG_TYPE', 'envelope "received_at" must be epoch milliseconds'));
    receivedAt = Math.round(env.received_at * 1000);
  }
  if (env.payload_bytes !== undefined)
    return fail(reject('PAYLOAD_TOO_LARGE', `the MQTT payload was ${JSON.stringify(env.payload_bytes)} bytes; the bridge kept its start only`));
  const text = payloadOf(env);
  if (typeof text !== 'string') return fail(text);
  if (text.trim() === '') return fail(reject('EMPTY_PAYLOAD', 'the MQTT payload is empty'));
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return fail(reject('MALFORMED_JSON', `payload is not valid JSON: ${(e as Error).message.slice(0, 120)}`));
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return fail(reject('WRONG_TYPE', 'payload must be a JSON object'));
  const m = doc as Record<string, unknown>;
  for (const k of ['ts', 'seq', 'temperature_c', 'humidity_pct', 'battery_v'] as const) {
    if (m[k] === undefined || m[k] === null) return fail(reject('MISSING_FIELD', `field "${k}" is missing`));
    if (typeof m[k] !== 'number') return fail(reject('WRONG_TYPE', `field "${k}" must be a number, got ${JSON.stringify(m[k]).slice(0, 40)}`));
  }
  const { ts, seq, temperature_c, humidity_pct, battery_v } = m as Record<string, number>;
  if (!Number.isSafeInteger(seq) || seq! < 0) return fail(reject('BAD_SEQ', `seq ${seq} is not a non-negative integer`));
  if (!Number.isSafeInteger(ts)) return fail(reject('BAD_NUMBER', `ts ${ts} is not an integer of epoch milliseconds`));
  const tErr = checkEventTime(ts! * 1000, ctx, 'reading time');
  if (tErr) return fail(tErr);
  const values = { temperature_c: temperature_c!, humidity_pct: humidity_pct!, battery_v: battery_v! };
  for (const [k, r] of Object.entries(RANGES) as [keyof typeof RANGES, (typeof RANGES)[keyof typeof RANGES]][]) {
    const v = values[k];
    if (!(v >= r.min && v <= r.max)) return fail(reject(r.code, `${k} ${v} is outside ${r.min}..${r.max}`));
  }
  return {
    ok: true,
    reading: { device_id: device, seq: seq!, reading_time: ts! * 1000, ...values, topic: env.topic, received_at: receivedAt },
  };
}
