/**
 * `ticklake devices`: simulated sensors publishing to a real Mosquitto (Debian's,
 * started here on a free loopback port) over the real protocol; a subscriber
 * reads what a bridge would.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { connect } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, Mosquitto } from './helpers/mosquitto.js';

const CLI = join(import.meta.dirname, '..', 'bin', 'ticklake.js');

describe('ticklake devices', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await Mosquitto.start();
  });
  afterAll(async () => {
    await broker.stop();
  });

  it('publishes each sensor its telemetry on devices/<id>/telemetry, seq rising per device, and reports what the broker acknowledged', async () => {
    // Prepare: a subscriber on the topic filter the bridge uses
    const client = connect(broker.url, { clientId: 'devices-test-reader', protocolVersion: 4 });
    await client.subscribeAsync('devices/+/telemetry', { qos: 1 });
    const received: { topic: string; doc: Record<string, number> }[] = [];
    client.on('message', (topic, payload) => received.push({ topic, doc: JSON.parse(String(payload)) as Record<string, number> }));
    // Act
    const child = spawn(process.execPath, [CLI, 'devices', '--mqtt-url', broker.url, '--devices', '3', '--interval', '1', '--for', '4s', '--quiet'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b) => {
      out += String(b);
    });
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    await new Promise((r) => setTimeout(r, 300));
    await client.endAsync();
    // Assess
    expect(code).toBe(0);
    const acknowledged = Number(/(\d+) messages acknowledged/.exec(out)?.[1]);
    expect(acknowledged).toBeGreaterThanOrEqual(6);
    expect(received.length).toBe(acknowledged);
    const devices = new Set(received.map((m) => m.topic));
    expect(devices.size).toBe(3);
    for (const topic of devices) {
      expect(topic).toMatch(/^devices\/[^/]+\/telemetry$/);
      const seqs = received.filter((m) => m.topic === topic).map((m) => m.doc.seq!);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
    }
    for (const { doc } of received) expect(Object.keys(doc).sort()).toEqual(['battery_v', 'humidity_pct', 'seq', 'temperature_c', 'ts']);
  }, 30_000);

  it('with no broker answering, ends at --for and says that nothing was acknowledged', async () => {
    // Prepare: a loopback port nothing listens on
    const url = `mqtt://127.0.0.1:${await freePort()}`;
    // Act
    const r = spawnSync(process.execPath, [CLI, 'devices', '--mqtt-url', url, '--for', '2s', '--interval', '1', '--quiet'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    // Assess
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/ticklake devices: 0 messages acknowledged by the broker/);
  }, 30_000);

  it('refuses a URL that is not MQTT with exit code 2 and a one-line reason', () => {
    // Act
    const r = spawnSync(process.execPath, [CLI, 'devices', '--mqtt-url', 'http://127.0.0.1:1883'], { encoding: 'utf8' });
    // Assess
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^ticklake: --mqtt-url: expected mqtt:\/\/host:port/);
  });
});
