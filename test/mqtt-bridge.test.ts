/**
 * The MQTT bridge against real brokers: Debian's Mosquitto (started here on a
 * free loopback port with a generated config) and the embedded aedes broker
 * `ticklake up` runs. Messages go through the real stream transform into a lake
 * read by DuckDB.
 */
import { connectAsync, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttBridge } from '../src/adapters/mqtt/bridge.js';
import { startEmbeddedBroker } from '../src/adapters/mqtt/embedded-broker.js';
import { compactLake } from '../src/local/compaction.js';
import { withLake } from './helpers/lake-files.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { CollectingProducer, toLake, until } from './helpers/stream-capture.js';

interface TestBroker {
  readonly url: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const BROKERS: Record<string, () => Promise<TestBroker>> = {
  mosquitto: async () => {
    const m = await Mosquitto.start();
    return { url: m.url, restart: () => m.restart(), stop: () => m.stop() };
  },
  aedes: async () => {
    let b = await startEmbeddedBroker();
    const port = b.port;
    return {
      url: b.url,
      restart: async () => {
        await b.close();
        b = await startEmbeddedBroker({ port });
      },
      stop: () => b.close(),
    };
  },
};

const reading = (seq: number, over: Record<string, unknown> = {}) =>
  JSON.stringify({ ts: Date.now() - 1000, temperature_c: 20 + (seq % 7) / 10, humidity_pct: 45.5, battery_v: 3.9, seq, ...over });

async function publishAll(client: MqttClient, msgs: readonly { topic: string; payload: string }[]): Promise<void> {
  for (const m of msgs) await client.publishAsync(m.topic, m.payload, { qos: 1 });
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function setup(kind: string, opts: { clientId?: string } = {}) {
  const broker = await BROKERS[kind]!();
  cleanups.push(() => broker.stop());
  const producer = new CollectingProducer();
  const bridge = new MqttBridge({ url: broker.url, producer, clientId: opts.clientId ?? `bridge-${kind}-${Date.now()}`, reconnectPeriodMs: 200 });
  cleanups.push(() => bridge.kill());
  await bridge.start();
  // The subscription is sent right after the CONNACK; give the broker a moment to record it.
  await new Promise((r) => setTimeout(r, 200));
  const publisher = await connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 200 });
  cleanups.push(() => publisher.endAsync(true));
  return { broker, producer, bridge, publisher };
}

describe.each(Object.keys(BROKERS))('MQTT bridge on %s', (kind) => {
  it('puts every reading published once, acknowledges each, and quarantines malformed payloads with reasons', async () => {
    // Prepare
    const { producer, bridge, publisher } = await setup(kind);
    const good = Array.from({ length: 120 }, (_, i) => ({ topic: `devices/dev-${i % 4}/telemetry`, payload: reading(Math.floor(i / 4)) }));
    const bad = [
      { topic: 'devices/dev-0/telemetry', payload: '{"ts":17936' },
      { topic: 'devices/dev-1/telemetry', payload: JSON.stringify({ ts: Date.now(), temperature_c: 20, battery_v: 3.9, seq: 900 }) },
      { topic: 'devices/dev-2/telemetry', payload: reading(901, { humidity_pct: 140 }) },
      { topic: 'devices/dev-3/telemetry', payload: reading(902, { temperature_c: '21.5' }) },
      { topic: 'devices/dev-3/telemetry', payload: '' },
    ];
    // Act
    await publishAll(publisher, [...good, ...bad]);
    await until(() => bridge.status().acked === good.length + bad.length, 'every message acknowledged');
    const root = await toLake(producer.entries);
    // Assess
    expect(bridge.status()).toMatchObject({ received: 125, put: 125, duplicatesDropped: 0, pending: 0 });
    await withLake(root, async (sql) => {
      const rows = await sql.query('SELECT count(*), count(DISTINCT (device_id, seq)), min(seq), max(seq) FROM iot_readings');
      expect(rows.rows).toEqual([[120, 120, 0, 29]]);
      const q = await sql.query('SELECT reason_code FROM quarantine ORDER BY reason_code');
      expect(q.rows.map((r) => r[0])).toEqual(['EMPTY_PAYLOAD', 'HUMIDITY_OUT_OF_RANGE', 'MALFORMED_JSON', 'MISSING_FIELD', 'WRONG_TYPE']);
      const raw = await sql.query("SELECT raw_payload FROM quarantine WHERE reason_code = 'MALFORMED_JSON'");
      expect(JSON.parse(String(raw.rows[0]![0])).payload).toBe('{"ts":17936');
    });
  });

  it('a redelivery after the bridge died before acknowledging is not doubled after compaction', async () => {
    // Prepare: the first bridge takes message 5 but dies before its put finishes
    const clientId = `bridge-redeliver-${kind}-${Date.now()}`;
    const { broker, producer, bridge, publisher } = await setup(kind, { clientId });
    let release: () => void = () => undefined;
    let held = false;
    producer.gate = async (es) => {
      if (!held && es.some((e) => e.data.includes('\\"seq\\":5,') || e.data.includes('\\"seq\\":5}'))) {
        held = true;
        await new Promise<void>((r) => (release = r));
      }
    };
    const msgs = Array.from({ length: 20 }, (_, seq) => ({ topic: 'devices/sensor-a/telemetry', payload: reading(seq) }));
    await publishAll(publisher, msgs);
    await until(() => held, 'the put of seq 5 to be held');
    // Act: crash (no PUBACK), the put completes anyway (its ack is lost), a new process resumes the session
    await bridge.kill();
    release();
    const second = new CollectingProducer();
    const again = new MqttBridge({ url: broker.url, producer: second, clientId, reconnectPeriodMs: 200 });
    cleanups.push(() => again.kill());
    await again.start();
    await until(() => second.entries.length >= 15, 'the rest of the session redelivered');
    await again.stop();
    const entries = [...producer.entries, ...second.entries];
    const root = await toLake(entries);
    const before = await withLake(root, (sql) => sql.query('SELECT count(*) FROM iot_readings'));
    await compactLake({ lakeRoot: root, olderThanMs: -3_600_000, graceMs: 0, nowMs: Date.now() });
    // Assess: seq 5 was put twice (once by each process), kept once
    const seqs = (await withLake(root, (sql) => sql.query('SELECT seq FROM iot_readings ORDER BY seq'))).rows.map((r) => Number(r[0]));
    expect(entries.length).toBe(21);
    expect(Number(before.rows[0]![0])).toBe(21);
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('drops a redelivery of a reading it already put in the same session', async () => {
    // Prepare: hold the put of seq 3, cut the connection, then let the put succeed (its PUBACK cannot reach the broker)
    const { producer, bridge, publisher } = await setup(kind);
    let release: () => void = () => undefined;
    let held = false;
    producer.gate = async (es) => {
      if (!held && es.some((e) => e.data.includes('\\"seq\\":3}'))) {
        held = true;
        await new Promise<void>((r) => (release = r));
      }
    };
    const msgs = Array.from({ length: 10 }, (_, seq) => ({ topic: 'devices/sensor-b/telemetry', payload: reading(seq) }));
    await publishAll(publisher, msgs);
    await until(() => held, 'the put of seq 3 to be held');
    // Act
    (bridge as unknown as { client: MqttClient }).client.stream.destroy();
    await until(() => !bridge.status().connected, 'the connection to drop');
    release();
    await until(
      () => bridge.status().connected && bridge.status().acked >= 10 + bridge.status().duplicatesDropped && producer.entries.length >= 10,
      'every reading put',
    );
    await new Promise((r) => setTimeout(r, 500));
    // Assess: each seq on the stream once, whether or not the stale PUBACK reached the broker first
    const seqs = producer.entries.map((e) => JSON.parse(JSON.parse(e.data).payload).seq as number).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(bridge.status().reconnects).toBeGreaterThanOrEqual(1);
  });

  it('acknowledges nothing the slow stream has not taken, and loses and doubles nothing (back-pressure)', async () => {
    // Prepare: a stream that takes one put every 30 ms; the acknowledged count is sampled on every put
    const { producer, bridge, publisher } = await setup(kind);
    const overtaken: string[] = [];
    producer.gate = async () => {
      await new Promise((r) => setTimeout(r, 30));
      const s = bridge.status();
      if (s.acked > producer.entries.length + s.duplicatesDropped) overtaken.push(`${s.acked} acknowledged, ${producer.entries.length} put`);
    };
    const msgs = Array.from({ length: 80 }, (_, i) => ({ topic: `devices/slow-${i % 2}/telemetry`, payload: reading(Math.floor(i / 2)) }));
    // Act: published without waiting for the bridge (QoS 1 to the broker only)
    await publishAll(publisher, msgs);
    const whilePublished = bridge.status();
    await until(() => bridge.status().acked === msgs.length, 'every message acknowledged', 30_000);
    // Assess: the broker held what the bridge had not taken; nothing was acknowledged ahead of its put
    expect(overtaken).toEqual([]);
    expect(whilePublished.acked).toBeLessThan(msgs.length);
    const root = await toLake(producer.entries);
    const r = await withLake(root, (sql) => sql.query('SELECT count(*), count(DISTINCT (device_id, seq)) FROM iot_readings'));
    expect(r.rows).toEqual([[80, 80]]);
    expect(bridge.status()).toMatchObject({ put: 80, pending: 0 });
  });

  it('survives the broker going away and coming back', async () => {
    // Prepare
    const { broker, producer, bridge, publisher } = await setup(kind);
    const first = Array.from({ length: 10 }, (_, seq) => ({ topic: 'devices/sensor-c/telemetry', payload: reading(seq) }));
    await publishAll(publisher, first);
    await until(() => bridge.status().acked === 10, 'the first readings acknowledged');
    // Act: the broker stops; the bridge keeps trying; the broker comes back
    await broker.restart();
    await until(() => bridge.status().connected && bridge.status().reconnects >= 1, 'the bridge to reconnect');
    await new Promise((r) => setTimeout(r, 300));
    const publisher2 = await connectAsync(broker.url, { protocolVersion: 4 });
    cleanups.push(() => publisher2.endAsync(true));
    const second = Array.from({ length: 10 }, (_, i) => ({ topic: 'devices/sensor-c/telemetry', payload: reading(10 + i) }));
    await publishAll(publisher2, second);
    await until(() => producer.entries.length >= 20, 'the readings after the restart');
    const root = await toLake(producer.entries);
    // Assess
    const r = await withLake(root, (sql) => sql.query('SELECT count(*), count(DISTINCT seq), max(seq) FROM iot_readings'));
    expect(r.rows).toEqual([[20, 20, 19]]);
    void publisher;
  });
});
