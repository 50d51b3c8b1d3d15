/**
 * Why a record is quarantined: the small set of reason codes every source may
 * give (its payload is empty, not the JSON it claims to be, lacks a field ...).
 * Each source adds its own codes on top (see `src/sources/<id>/`); the
 * quarantine table's `reason_code` takes the union, derived from the registry.
 */

/** Reasons shared by every source. */
export const CORE_REASON_CODES = [
  'EMPTY_PAYLOAD',
  'MALFORMED_JSON',
  'UNKNOWN_FORMAT',
  'MISSING_FIELD',
  'WRONG_TYPE',
  'BAD_NUMBER',
  'TIME_OUT_OF_RANGE',
  'UNKNOWN_SCHEMA_VERSION',
] as const;
export type CoreReasonCode = (typeof CORE_REASON_CODES)[number];

/** Why a record was not accepted: a machine-readable code and a readable message. */
export interface Rejection<Code extends string = string> {
  readonly code: Code;
  readonly message: string;
}

/** Builds a {@link Rejection}. */
export function reject<Code extends string>(code: Code, message: string): Rejection<Code> {
  return { code, message };
}

/** True for a {@link Rejection} (validators return either a value or one). */
export function isRejection(v: unknown): v is Rejection {
  return typeof v === 'object' && v !== null && 'code' in v;
}
