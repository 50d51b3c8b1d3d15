import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeLine, formatFloat, precisionFor } from '../../src/timeseries/line-protocol.js';
import type { FieldValue, Point } from '../../src/timeseries/point.js';
import { parseLine } from './line-protocol-parser.js';

// Characters that exercise every escaping rule, plus non-ASCII and control characters.
const TRICKY = [',', '=', ' ', '"', '\\', '#', 'a', 'B', '0', '_', '-', 'é', '€', '日', '😀', '\n', '\t', '\r'];
const trickyString = (maxLength = 8) => fc.array(fc.constantFrom(...TRICKY), { maxLength }).map((a) => a.join(''));
const anyString = (maxLength = 8) =>
  fc.oneof({ weight: 4, arbitrary: trickyString(maxLength) }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength }) });

const fieldValue: fc.Arbitrary<FieldValue> = fc.oneof(fc.double(), fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }), fc.boolean(), anyString(12));

const point: fc.Arbitrary<Point> = fc.record({
  measurement: anyString(),
  tags: fc.dictionary(anyString(6), anyString(6), { maxKeys: 4 }),
  fields: fc.dictionary(anyString(6), fieldValue, { minKeys: 0, maxKeys: 4 }),
  time: fc.integer({ min: -1e15, max: 4e15 }),
  nanos: fc.option(fc.integer({ min: 0, max: 999 }), { nil: undefined }),
});

// The specification of what line protocol can carry, stated independently of the encoder.
const wellFormed = (s: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what the expression rules out
const writableName = (s: string) => s.length > 0 && wellFormed(s) && !/[\u0000-\u001f\u007f]/.test(s) && !s.endsWith('\\');

function expectedValid(p: Point): boolean {
  if (!writableName(p.measurement) || p.measurement.startsWith('#')) return false;
  for (const [k, v] of Object.entries(p.tags)) {
    if (k === '' || !wellFormed(k) || !wellFormed(v)) return false;
    if (v === '') continue;
    if (!writableName(k) || !writableName(v) || ['time', '_measurement', '_field'].includes(k)) return false;
  }
  const fields = Object.entries(p.fields);
  if (fields.length === 0) return false;
  for (const [k, v] of fields) {
    if (!writableName(k) || k === 'time' || (k in p.tags && p.tags[k] !== '')) return false;
    if (typeof v === 'number' && !Number.isFinite(v)) return false;
    if (typeof v === 'bigint' && (v < -(2n ** 63n) || v > 2n ** 63n - 1n)) return false;
    if (typeof v === 'string' && (!wellFormed(v) || /[\r\n]/.test(v))) return false;
  }
  return true;
}

function sameValue(a: unknown, b: unknown): boolean {
  return typeof a === 'number' && typeof b === 'number' ? Object.is(a, b) : a === b;
}

function assertRoundTrip(p: Point): void {
  const r = encodeLine(p, 'ns');
  expect(r).toMatchObject({ ok: true });
  if (!r.ok) return;
  expect(r.line).not.toMatch(/[\n\r]/);
  const parsed = parseLine(r.line);
  expect(parsed.measurement).toBe(p.measurement);
  expect(parsed.tags).toEqual(Object.fromEntries(Object.entries(p.tags).filter(([, v]) => v !== '')));
  expect(Object.keys(parsed.fields).sort()).toEqual(Object.keys(p.fields).sort());
  for (const [k, v] of Object.entries(p.fields)) expect(sameValue(parsed.fields[k], v), `field ${k}`).toBe(true);
  expect(parsed.timestamp).toBe(BigInt(p.time) * 1000n + BigInt(p.nanos ?? 0));
}

// Writable names: every special character, but no control character and no trailing backslash.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what the expression rules out
const PRINTABLE = TRICKY.filter((c) => !/[\u0000-\u001f]/.test(c));
const writable = (maxLength = 8) =>
  fc.array(fc.constantFrom(...PRINTABLE), { minLength: 1, maxLength }).map((a) => (a.at(-1) === '\\' ? [...a, 'x'] : a).join(''));
const writablePoint: fc.Arbitrary<Point> = fc
  .record({
    measurement: writable(),
    tags: fc.dictionary(writable(6), fc.oneof(writable(6), fc.constant('')), { maxKeys: 4 }),
    fields: fc.dictionary(
      writable(6),
      fc.oneof(
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.boolean(),
        fc.array(fc.constantFrom(...PRINTABLE), { maxLength: 12 }).map((a) => a.join('')),
      ),
      { minKeys: 1, maxKeys: 4 },
    ),
    time: fc.integer({ min: -1e15, max: 4e15 }),
    nanos: fc.option(fc.integer({ min: 0, max: 999 }), { nil: undefined }),
  })
  .filter(expectedValid);

describe('line protocol encoding', () => {
  it('round-trips every writable point through an independent parser (measurement, tags, fields, time)', () => {
    // Prepare
    let runs = 0;
    // Act
    fc.assert(
      fc.property(writablePoint, (p) => {
        runs++;
        // Assess
        assertRoundTrip(p);
      }),
      { numRuns: 2000 },
    );
    expect(runs).toBe(2000);
  });

  it('accepts exactly the points the specification allows, for arbitrary names and values', () => {
    // Prepare
    let valid = 0;
    let invalid = 0;
    // Act
    fc.assert(
      fc.property(point, (p) => {
        const r = encodeLine(p, 'ns');
        // Assess
        if (expectedValid(p)) {
          valid++;
          assertRoundTrip(p);
        } else {
          invalid++;
          expect(r.ok).toBe(false);
        }
      }),
      { numRuns: 3000 },
    );
    // Both sides of the specification were exercised.
    expect(valid).toBeGreaterThan(20);
    expect(invalid).toBeGreaterThan(1000);
  });

  it('writes tags sorted by key and leaves out tags with empty values', () => {
    // Prepare
    const p: Point = { measurement: 'm', tags: { z: '1', a: '2', empty: '' }, fields: { v: 1 }, time: 5 };
    // Act
    const r = encodeLine(p, 'us');
    // Assess
    expect(r).toEqual({ ok: true, line: 'm,a=2,z=1 v=1 5' });
  });

  // Cases modelled on the "special characters" examples of the InfluxDB line protocol reference.
  it.each([
    [{ measurement: 'wea,ther', tags: { location: 'us-midwest' }, fields: { temperature: 82 } }, 'wea\\,ther,location=us-midwest temperature=82'],
    [{ measurement: 'wea ther', tags: { location: 'us-midwest' }, fields: { temperature: 82 } }, 'wea\\ ther,location=us-midwest temperature=82'],
    [{ measurement: 'weather', tags: { location: 'us,midwest' }, fields: { temperature: 82 } }, 'weather,location=us\\,midwest temperature=82'],
    [{ measurement: 'weather', tags: { 'loc ation': 'us midwest' }, fields: { temperature: 82 } }, 'weather,loc\\ ation=us\\ midwest temperature=82'],
    [{ measurement: 'weather', tags: { location: 'us-midwest' }, fields: { 'temp=rature': 82 } }, 'weather,location=us-midwest temp\\=rature=82'],
    [{ measurement: 'weather', tags: { 'loc=ation': 'a=b' }, fields: { t: 82 } }, 'weather,loc\\=ation=a\\=b t=82'],
    [{ measurement: 'weather', tags: {}, fields: { temperature_str: 'too "hot"' } }, 'weather temperature_str="too \\"hot\\""'],
    [{ measurement: 'weather', tags: {}, fields: { temperature_str: 'too hot\\cold' } }, 'weather temperature_str="too hot\\\\cold"'],
    [{ measurement: 'm=1', tags: {}, fields: { f: 'a,b c=d' } }, 'm=1 f="a,b c=d"'],
    [{ measurement: 'cpu', tags: {}, fields: { n: 42n, ok: true, off: false, x: -1.5e-7 } }, 'cpu n=42i,ok=true,off=false,x=-1.5e-7'],
  ] as [Omit<Point, 'time'>, string][])('encodes case %# as %s', (p, expected) => {
    // Prepare
    const full: Point = { ...p, time: 1465839830100400 };
    // Act
    const r = encodeLine(full, 'us');
    // Assess
    expect(r).toEqual({ ok: true, line: `${expected} 1465839830100400` });
  });

  it.each([
    ['wea\\,ther,location=us\\ midwest temp\\=rature=82 1465839830100400200', 'wea,ther', { location: 'us midwest' }, { 'temp=rature': 82 }],
    ['weather,location=us-midwest temperature_str="too hot\\\\cold"', 'weather', { location: 'us-midwest' }, { temperature_str: 'too hot\\cold' }],
    ['weather,location=us-midwest temperature_str="too hot\\cold"', 'weather', { location: 'us-midwest' }, { temperature_str: 'too hot\\cold' }],
    ['weather,location=us\\midwest temperature=82i', 'weather', { location: 'us\\midwest' }, { temperature: 82n }],
  ] as const)('the test parser reads the reference example %s', (line, measurement, tags, fields) => {
    // Act
    const parsed = parseLine(line);
    // Assess
    expect(parsed.measurement).toBe(measurement);
    expect(parsed.tags).toEqual(tags);
    expect(parsed.fields).toEqual(fields);
  });

  it.each([
    [{ measurement: 'm', tags: { t: 'a\nb' }, fields: { v: 1 } }, /control character/],
    [{ measurement: 'm', tags: { t: 'ends\\' }, fields: { v: 1 } }, /ends with a backslash/],
    [{ measurement: '#m', tags: {}, fields: { v: 1 } }, /comment/],
    [{ measurement: 'm', tags: {}, fields: { v: Number.NaN } }, /finite/],
    [{ measurement: 'm', tags: {}, fields: { time: 1 } }, /reserved/],
    [{ measurement: 'm', tags: { time: 'x' }, fields: { v: 1 } }, /reserved/],
    [{ measurement: 'm', tags: {}, fields: { s: 'two\nlines' } }, /newline/],
    [{ measurement: 'm', tags: {}, fields: { s: 'x'.repeat(64 * 1024 + 1) } }, /64 KiB/],
    [{ measurement: 'm', tags: {}, fields: {} }, /at least one field/],
  ] as [Omit<Point, 'time'>, RegExp][])('refuses %#: an unwritable point, with a reason', (p, reason) => {
    // Act
    const r = encodeLine({ ...p, time: 1 }, 'ns');
    // Assess
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toMatch(reason);
  });

  it('uses microseconds unless a point has nanoseconds, and refuses to truncate them', () => {
    // Prepare
    const plain: Point = { measurement: 'm', tags: {}, fields: { v: 1 }, time: 1_700_000_000_000_001 };
    const withNanos: Point = { ...plain, nanos: 7 };
    // Act
    const chosen = [precisionFor([plain]), precisionFor([plain, withNanos])];
    const us = encodeLine(withNanos, 'us');
    const ns = encodeLine(withNanos, 'ns');
    // Assess
    expect(chosen).toEqual(['us', 'ns']);
    expect(us.ok).toBe(false);
    expect(ns).toEqual({ ok: true, line: 'm v=1 1700000000000001007' });
  });

  it('formats floats so that they read back as the same double', () => {
    // Act
    const values = [0.1, 1 / 3, 1e21, -0, 5e-324, Number.MAX_VALUE, 123456789.12345679];
    // Assess
    for (const v of values) expect(Object.is(Number(formatFloat(v)), v)).toBe(true);
  });
});
