/**
 * Points as JSON, for handing them to another process (the time-series
 * points function, `lambdas/timeseries-points/handler.ts`). JSON has no
 * 64-bit integers, so an integer field travels as `{ "int": "<decimal>" }`;
 * floats, booleans and strings are plain JSON values (a float -0 arrives as
 * 0); the rest of the point is as it is. Pure: no I/O.
 */
import type { FieldValue, Point } from './point.js';

/** A field value in JSON. */
export type JsonFieldValue = number | boolean | string | { readonly int: string };

/** A point in JSON: the point with its integer fields wrapped. */
export type JsonPoint = Omit<Point, 'fields'> & { readonly fields: Readonly<Record<string, JsonFieldValue>> };

/** A point as JSON. Fields must be valid (finite numbers): check with `pointProblem` first. */
export function pointToJson(p: Point): JsonPoint {
  // fromEntries defines own properties, so any key survives (even "__proto__").
  return { ...p, fields: Object.fromEntries(Object.entries(p.fields).map(([k, v]) => [k, typeof v === 'bigint' ? { int: v.toString() } : v])) };
}

function fieldFromJson(name: string, v: unknown): FieldValue {
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  const int = (v as { int?: unknown } | null)?.int;
  if (typeof int === 'string' && /^-?\d+$/.test(int)) return BigInt(int);
  throw new Error(`field ${name} is not a JSON field value: ${JSON.stringify(v)}`);
}

/** The point of a {@link JsonPoint}; throws on a value that is not one. */
export function pointFromJson(j: JsonPoint): Point {
  if (typeof j !== 'object' || j === null || typeof j.measurement !== 'string' || typeof j.time !== 'number') throw new Error('not a JSON point');
  for (const [k, v] of Object.entries(j.tags ?? {})) if (typeof v !== 'string') throw new Error(`tag ${k} is not a string`);
  const fields: Record<string, FieldValue> = Object.fromEntries(Object.entries(j.fields ?? {}).map(([k, v]) => [k, fieldFromJson(k, v)]));
  return { measurement: j.measurement, tags: j.tags ?? {}, fields, time: j.time, ...(j.nanos ? { nanos: j.nanos } : {}) };
}
