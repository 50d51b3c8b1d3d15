/**
 * InfluxDB line protocol encoding. Pure.
 *
 *   <measurement>[,<tag_key>=<tag_value>...] <field_key>=<field_value>[,...] <timestamp>
 *
 * Escaping, per the InfluxDB line protocol reference ("Special characters"):
 * - measurement: comma and space are preceded by a backslash;
 * - tag keys, tag values and field keys: comma, equals sign and space;
 * - string field values are double-quoted; double quote and backslash inside
 *   are preceded by a backslash;
 * - floats are written so that they parse back to the same double, integers
 *   get an `i` suffix, booleans are `true` / `false`.
 *
 * What cannot be written, and is therefore reported as an invalid point rather
 * than sent: newlines and other control characters in names and tag values
 * (line protocol has no escape for them), a newline or carriage return in a
 * string value, a name or tag value ending in a backslash (the server would
 * read the delimiter after it as escaped: its parser treats any delimiter
 * preceded by a backslash as escaped), a measurement starting with `#` (a
 * comment line), the key `time` (refused by InfluxDB) and the reserved tag
 * keys `_measurement` / `_field`, non-finite floats (no NaN/Inf in line
 * protocol), and string values over 64 KiB.
 *
 * Tags are written sorted by key (InfluxDB's recommendation) and tags with an
 * empty value are left out (InfluxDB does not store empty tag values).
 */
import { canonicalTags, pointProblem, timeNs, type FieldValue, type Point } from './point.js';

export type Precision = 'ns' | 'us';

const MAX_STRING_BYTES = 64 * 1024;

const escapeMeasurement = (s: string) => s.replace(/[, ]/g, (c) => `\\${c}`);
const escapeKey = (s: string) => s.replace(/[,= ]/g, (c) => `\\${c}`);
const escapeString = (s: string) => s.replace(/["\\]/g, (c) => `\\${c}`);

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is what this expression is for
const CONTROL = /[\u0000-\u001f\u007f]/;

function nameProblem(what: string, s: string): string | undefined {
  if (CONTROL.test(s)) return `${what} ${JSON.stringify(s)} contains a newline or another control character`;
  if (s.endsWith('\\')) return `${what} ${JSON.stringify(s)} ends with a backslash`;
  return undefined;
}

/** Formats a float so that it parses back to the same double (shortest round-trip form). */
export function formatFloat(v: number): string {
  // JavaScript's Number#toString is the shortest round-trip representation;
  // InfluxDB's parser accepts both plain and exponent forms (1e+21, 5e-7).
  return Object.is(v, -0) ? '-0' : String(v);
}

function formatField(v: FieldValue): string {
  switch (typeof v) {
    case 'number':
      return formatFloat(v);
    case 'bigint':
      return `${v}i`;
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return `"${escapeString(v)}"`;
  }
}

/** Everything that keeps a point from being written as line protocol, or undefined. */
export function lineProtocolProblem(p: Point): string | undefined {
  const base = pointProblem(p);
  if (base) return base;
  const m = nameProblem('measurement', p.measurement);
  if (m) return m;
  if (p.measurement.startsWith('#')) return 'measurement starts with "#" (a comment line in line protocol)';
  for (const [k, v] of canonicalTags(p.tags)) {
    const problem = nameProblem('tag key', k) ?? nameProblem(`tag ${k} value`, v);
    if (problem) return problem;
    if (k === 'time' || k === '_measurement' || k === '_field') return `tag key "${k}" is reserved by InfluxDB`;
  }
  for (const [k, v] of Object.entries(p.fields)) {
    const problem = nameProblem('field key', k);
    if (problem) return problem;
    if (k === 'time') return 'field key "time" is reserved by InfluxDB';
    if (typeof v === 'string') {
      if (/[\r\n]/.test(v)) return `field ${k} contains a newline (not supported by line protocol)`;
      if (Buffer.byteLength(v, 'utf8') > MAX_STRING_BYTES) return `field ${k} is longer than 64 KiB`;
    }
  }
  return undefined;
}

export type EncodeResult = { readonly ok: true; readonly line: string } | { readonly ok: false; readonly problem: string };

/**
 * Encodes one point as one line (no trailing newline). `precision` is the
 * unit of the timestamp written: `us` needs `nanos` to be 0 or absent.
 */
export function encodeLine(p: Point, precision: Precision = 'ns'): EncodeResult {
  const problem = lineProtocolProblem(p);
  if (problem) return { ok: false, problem };
  if (precision === 'us' && (p.nanos ?? 0) !== 0) return { ok: false, problem: 'point has nanoseconds; write it with ns precision' };
  let line = escapeMeasurement(p.measurement);
  for (const [k, v] of canonicalTags(p.tags)) line += `,${escapeKey(k)}=${escapeKey(v)}`;
  line += ' ';
  line += Object.entries(p.fields)
    .map(([k, v]) => `${escapeKey(k)}=${formatField(v)}`)
    .join(',');
  line += ` ${precision === 'ns' ? timeNs(p).toString() : String(p.time)}`;
  return { ok: true, line };
}

/** The coarsest precision that writes every point's time exactly. */
export function precisionFor(points: readonly Pick<Point, 'nanos'>[]): Precision {
  return points.some((p) => (p.nanos ?? 0) !== 0) ? 'ns' : 'us';
}
