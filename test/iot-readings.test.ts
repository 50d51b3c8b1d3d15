import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recordOf } from '../src/adapters/mqtt/bridge.js';
import { RecentKeys } from '../src/adapters/mqtt/recent-keys.js';
import { createStreamTransform } from '../src/ingest/stream-transform.js';
import { FileObjectStore } from '../src/local/file-object-store.js';
import { iotReadings } from '../src/sources/iot-readings/index.js';
import { envelopeOf, REASON_CODES, readingFrom } from '../src/sources/iot-readings/reading.js';
import { simulateTelemetry } from '../src/sources/iot-readings/simulator.js';
import { kinesisEvent } from './helpers/kinesis-events.js';
import { tempDir, withLake } from './helpers/lake-files.js';

const NOW_US = Date.UTC(2026, 10, 2, 12) * 1000;
const FIXTURE = readFileSync(new URL('./fixtures/iot-telemetry.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { topic: string; payload: string });
const read = (topic: string, payload: string) => readingFrom(JSON.parse(envelopeOf(topic, payload, 1793620800500)), { nowUs: NOW_US });
const T = 'devices/d-1/telemetry';
const ok = { ts: 1793620800000, temperature_c: 21.5, humidity_pct: 40, battery_v: 3.8, seq: 5 };

describe('iot readings', () => {
  it('reads the sensors’ real message format', () => {
    // Act
    const rs = FIXTURE.map((m) => read(m.topic, m.payload));
    // Assess
    expect(rs.map((r) => (r.ok ? [r.reading.device_id, r.reading.seq, r.reading.temperature_c] : r.rejection.code))).toEqual([
      ['greenhouse-01', 1042, 24.31],
      ['cold-room-02', 77, 3.62],
      ['office-01', 0, -0.5],
    ]);
    expect(rs[0]).toMatchObject({ ok: true, reading: { reading_time: 1793620800000 * 1000, received_at: 1793620800500 * 1000 } });
  });

  it.each([
    ['not JSON', T, '{"ts":1793', 'MALFORMED_JSON'],
    ['empty', T, '', 'EMPTY_PAYLOAD'],
    ['an array', T, '[1,2]', 'WRONG_TYPE'],
    ['no humidity', T, JSON.stringify({ ...ok, humidity_pct: undefined }), 'MISSING_FIELD'],
    ['a string temperature', T, JSON.stringify({ ...ok, temperature_c: '21.5' }), 'WRONG_TYPE'],
    ['a negative seq', T, JSON.stringify({ ...ok, seq: -1 }), 'BAD_SEQ'],
    ['a fractional seq', T, JSON.stringify({ ...ok, seq: 1.5 }), 'BAD_SEQ'],
    ['ts in seconds', T, JSON.stringify({ ...ok, ts: 1793620800 }), 'TIME_OUT_OF_RANGE'],
    ['humidity 140 %', T, JSON.stringify({ ...ok, humidity_pct: 140 }), 'HUMIDITY_OUT_OF_RANGE'],
    ['200 °C', T, JSON.stringify({ ...ok, temperature_c: 200 }), 'TEMPERATURE_OUT_OF_RANGE'],
    ['a negative battery', T, JSON.stringify({ ...ok, battery_v: -1 }), 'BATTERY_OUT_OF_RANGE'],
    ['a status topic', 'devices/d-1/status', JSON.stringify(ok), 'BAD_TOPIC'],
    ['an empty device id', 'devices//telemetry', JSON.stringify(ok), 'BAD_TOPIC'],
  ])('quarantines %s with its reason', (_what, topic, payload, code) => {
    // Act
    const r = read(topic, payload);
    // Assess
    expect(r.ok ? 'accepted' : r.rejection.code).toBe(code);
  });

  it('reads the IoT rule’s base64 payloads and the bridge’s truncated ones', () => {
    // Prepare
    const b64 = { source: 'iot', topic: T, received_at: 1793620800500, payload_b64: Buffer.from(JSON.stringify(ok)).toString('base64') };
    const big = recordOf(T, Buffer.from(`{"x":"${'a'.repeat(600_000)}"}`), 1793620800500);
    // Act
    const r = readingFrom(b64, { nowUs: NOW_US });
    const t = readingFrom(JSON.parse(big.data), { nowUs: NOW_US });
    // Assess
    expect(r.ok && r.reading.seq).toBe(5);
    expect(t.ok ? 'accepted' : t.rejection.code).toBe('PAYLOAD_TOO_LARGE');
    expect(big.data.length).toBeLessThan(3000);
  });

  it('accepts every in-range reading and keeps its values (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          ts: fc.integer({ min: Date.UTC(2018, 0, 1), max: NOW_US / 1000 }),
          temperature_c: fc.double({ min: -60, max: 100, noNaN: true }),
          humidity_pct: fc.double({ min: 0, max: 100, noNaN: true }),
          battery_v: fc.double({ min: 0, max: 5, noNaN: true }),
          seq: fc.nat(),
        }),
        fc.stringMatching(/^[A-Za-z0-9_.:-]{1,40}$/),
        (m, device) => {
          const r = read(`devices/${device}/telemetry`, JSON.stringify(m));
          // JSON has no -0: the value the device sent is the one that crossed the wire.
          const sent = JSON.parse(JSON.stringify(m)) as typeof m;
          expect(r).toMatchObject({ ok: true, reading: { device_id: device, seq: m.seq, temperature_c: sent.temperature_c, reading_time: m.ts * 1000 } });
        },
      ),
    );
  });

  it('never throws on arbitrary payloads and topics, and names a known reason (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.oneof(fc.string(), fc.constant(JSON.stringify(ok)), fc.json()), (topic, payload) => {
        const r = read(topic, payload);
        if (!r.ok) expect(REASON_CODES).toContain(r.rejection.code);
        const rec = recordOf(topic, Buffer.from(payload), 1);
        expect(rec.partitionKey.length).toBeGreaterThan(0);
        expect(JSON.parse(rec.data).payload).toBe(payload);
      }),
    );
  });

  it('remembers the most recent keys only', () => {
    // Prepare
    const keys = new RecentKeys(3);
    // Act
    for (const k of ['a', 'b', 'c', 'a', 'd']) keys.add(k);
    // Assess
    // Assess: adding a known key does not refresh it, so 'a' is the oldest when 'd' comes
    expect([keys.has('a'), keys.has('b'), keys.has('c'), keys.has('d'), keys.size]).toEqual([false, true, true, true, 3]);
  });

  it('simulates realistic, seeded telemetry with a counter per device', () => {
    // Act
    const a = [...simulateTelemetry({ minutes: 10, seed: 7 })];
    const b = [...simulateTelemetry({ minutes: 10, seed: 7 })];
    const readings = a.map((m) => read(m.topic, m.payload));
    // Assess
    expect(a).toEqual(b);
    expect(a.length).toBeGreaterThan(650);
    expect(readings.every((r) => r.ok)).toBe(true);
    const cold = readings.flatMap((r) => (r.ok && r.reading.device_id.startsWith('cold-room') ? [r.reading.temperature_c] : []));
    expect(Math.max(...cold)).toBeLessThan(10);
    const seqs = a.filter((m) => m.deviceId === 'office-01').map((m) => JSON.parse(m.payload).seq);
    expect(seqs).toEqual(seqs.map((_, i) => i));
  });

  it('flows through the stream transform: rows, quarantine with reasons, the devices panel source', async () => {
    // Prepare
    const recs = [...iotReadings.simulator!.simulate({ minutes: 5, seed: 3, startTimeMs: Date.now() - 600_000, malformedShare: 0.2, extra: {} })];
    const root = tempDir();
    const handler = createStreamTransform({ lake: new FileObjectStore(root) });
    // Act
    await handler(kinesisEvent(recs.map((r) => ({ data: r.payload, partitionKey: r.partitionKey }))));
    // Assess
    await withLake(root, async (sql) => {
      const rows = Number((await sql.query('SELECT count(*) FROM iot_readings')).rows[0]![0]);
      const q = (await sql.query("SELECT count(*), count(DISTINCT reason_code) FROM quarantine WHERE source = 'iot'")).rows[0]!.map(Number);
      expect(rows + q[0]!).toBe(recs.length);
      expect(q[0]).toBeGreaterThan(10);
      expect(q[1]).toBeGreaterThanOrEqual(4);
    });
  });
});
