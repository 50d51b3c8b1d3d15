/**
 * Simulated sensors publishing over MQTT: the iot source's simulated telemetry,
 * each message published (QoS 1) to its device's topic when its time comes, so
 * the bridge reads the real protocol from a real broker. mqtt.js buffers
 * publishes while the broker is away and sends them after the reconnect.
 */
import { connect, type MqttClient } from 'mqtt';
import { simulateTelemetry, type TelemetryMessage } from '../../sources/iot-readings/index.js';

export interface SimulatedDevicesOptions {
  readonly url: string;
  /** Devices (default 12). */
  readonly devices?: number;
  /** Seconds between a device's readings (default 10). */
  readonly intervalSec?: number;
  readonly malformedShare?: number;
  /** First seq of every device (default: {@link liveFirstSeq} of the start time, so a restarted run never reuses a (device_id, seq)). */
  readonly firstSeq?: number;
  readonly clock?: () => number;
  /** How often due messages are published, ms (default 100). */
  readonly tickMs?: number;
}

/** Origin of {@link liveFirstSeq}. */
const LIVE_SEQ_EPOCH_MS = Date.UTC(2026, 0, 1);

/**
 * A first seq that grows with the wall clock (ms since 2026-01-01) faster than a
 * device's readings (one per interval) advance it, so a restarted publisher
 * never reuses a (device_id, seq) an earlier run published.
 */
export const liveFirstSeq = (nowMs: number): number => nowMs - LIVE_SEQ_EPOCH_MS;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Publishes simulated telemetry in real time until stopped. */
export class SimulatedDevices {
  private client: MqttClient | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  private published = 0;
  private newest: number | undefined;

  constructor(private readonly o: SimulatedDevicesOptions) {}

  start(): void {
    this.client = connect(this.o.url, { clientId: `ticklake-sim-devices-${process.pid}`, clean: true, protocolVersion: 4, reconnectPeriod: 1000 });
    // Connection errors surface as reconnects; publishes wait in mqtt.js's offline queue.
    this.client.on('error', () => undefined);
    this.running = this.loop(this.client);
  }

  private async loop(client: MqttClient): Promise<void> {
    const clock = this.o.clock ?? Date.now;
    const start = clock();
    const messages = simulateTelemetry({
      minutes: 7 * 24 * 60,
      seed: start % 2 ** 31,
      startTimeMs: start,
      ...(this.o.devices !== undefined ? { devices: this.o.devices } : {}),
      ...(this.o.intervalSec !== undefined ? { intervalSec: this.o.intervalSec } : {}),
      malformedShare: this.o.malformedShare ?? 0,
      firstSeq: this.o.firstSeq ?? liveFirstSeq(start),
    })[Symbol.iterator]();
    let head = messages.next();
    while (!head.done && !this.stopped) {
      const now = clock();
      while (!head.done && head.value.timeMs <= now) {
        this.publish(client, head.value);
        head = messages.next();
      }
      await sleep(this.o.tickMs ?? 100);
    }
  }

  private publish(client: MqttClient, m: TelemetryMessage): void {
    client.publish(m.topic, m.payload, { qos: 1 }, (err) => {
      if (err) return;
      this.published++;
      if (this.newest === undefined || m.timeMs > this.newest) this.newest = m.timeMs;
    });
  }

  /** Messages the broker acknowledged, and the newest one's time. */
  status(): { readonly published: number; readonly newestEventMs?: number } {
    return { published: this.published, ...(this.newest !== undefined ? { newestEventMs: this.newest } : {}) };
  }

  /** Stops publishing and disconnects after the publishes under way are acknowledged (at once when the broker is away). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    // Offline, a graceful end would wait for a broker that may never come back: the queued publishes were not
    // acknowledged, so they are not counted, and are dropped.
    await this.client?.endAsync(!this.client.connected);
  }
}
