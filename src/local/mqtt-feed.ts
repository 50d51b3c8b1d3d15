/**
 * The iot source as a feed of `ticklake up`: the MQTT bridge on a broker. With a
 * broker URL (`--mqtt-url`) the bridge reads whatever sensors publish there;
 * without one, an embedded broker starts on a free loopback port and simulated
 * sensors publish to it over the real protocol.
 */
import { type BridgeLogger, MqttBridge } from '../adapters/mqtt/bridge.js';
import { SimulatedDevices } from '../adapters/mqtt/devices.js';
import { type EmbeddedBroker, startEmbeddedBroker } from '../adapters/mqtt/embedded-broker.js';
import type { StreamProducer } from '../ingest/stream-producer.js';
import type { LiveFeed, LiveFeedStatus } from './live.js';

/** Waits until a count stops moving for 300 ms (at most `timeoutMs`): e.g. the sensors' last messages reaching the bridge before the broker goes. */
export async function settled(count: () => number, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = count();
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 300));
    const n = count();
    if (n === last) return;
    last = n;
  }
}

export interface MqttFeedOptions {
  /** The broker; none: an embedded broker with simulated sensors. */
  readonly url?: string;
  readonly malformedShare?: number;
  readonly logger?: BridgeLogger;
  /** The bridge's persistent-session client id. */
  readonly clientId?: string;
  /** Simulated sensors (embedded broker only). */
  readonly devices?: number;
  readonly intervalSec?: number;
}

export class MqttFeed implements LiveFeed {
  readonly source = 'iot';
  private broker: EmbeddedBroker | undefined;
  private bridge: MqttBridge | undefined;
  private devices: SimulatedDevices | undefined;
  private starting: Promise<void> | undefined;
  private failure: string | undefined;

  constructor(private readonly o: MqttFeedOptions = {}) {}

  get label(): string {
    return this.o.url === undefined ? `embedded broker${this.broker ? ` ${this.broker.url}` : ''}, simulated sensors` : `MQTT ${this.o.url}`;
  }

  /** A broker URL that does not answer at start is an error before anything starts (later drops are reconnected). */
  async preflight(timeoutMs = 10_000): Promise<void> {
    if (this.o.url === undefined) return;
    const { connectAsync } = await import('mqtt');
    try {
      const c = await connectAsync(this.o.url, { clean: true, connectTimeout: timeoutMs, reconnectPeriod: 0, protocolVersion: 4 });
      await c.endAsync();
    } catch (e) {
      throw new Error(`iot: cannot reach the MQTT broker ${this.o.url}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }

  start(producer: StreamProducer): void {
    this.starting = this.run(producer).catch((e) => {
      this.failure = (e as Error).message;
      this.o.logger?.warn(`iot: ${this.failure}`);
    });
  }

  private async run(producer: StreamProducer): Promise<void> {
    let url = this.o.url;
    if (url === undefined) {
      this.broker = await startEmbeddedBroker();
      url = this.broker.url;
      this.o.logger?.info(`iot: embedded MQTT broker on ${url}`);
    }
    this.bridge = new MqttBridge({
      url,
      producer,
      ...(this.o.clientId ? { clientId: this.o.clientId } : {}),
      ...(this.o.logger ? { logger: this.o.logger } : {}),
    });
    await this.bridge.start();
    if (this.broker) {
      this.devices = new SimulatedDevices({
        url,
        malformedShare: this.o.malformedShare ?? 0,
        ...(this.o.devices !== undefined ? { devices: this.o.devices } : {}),
        ...(this.o.intervalSec !== undefined ? { intervalSec: this.o.intervalSec } : {}),
      });
      this.devices.start();
    }
  }

  status(): LiveFeedStatus {
    if (!this.bridge) return { put: 0, reconnects: 0, errors: this.failure ? 1 : 0, state: this.failure ?? 'starting' };
    const s = this.bridge.status();
    const dup = s.duplicatesDropped ? ` ${s.duplicatesDropped} redeliveries dropped` : '';
    return {
      put: s.put,
      ...(s.lastReceivedMs !== undefined ? { newestEventMs: s.lastReceivedMs } : {}),
      reconnects: s.reconnects,
      errors: s.errors,
      ...(s.connected && !dup ? {} : { state: `${s.connected ? '' : 'connecting'}${dup}`.trim() }),
    };
  }

  /** Stops the sensors, then the bridge (putting and acknowledging what it holds), then the embedded broker. */
  async stop(): Promise<void> {
    await this.starting;
    await this.devices?.stop();
    if (this.devices && this.bridge) await settled(() => this.bridge!.status().received);
    await this.bridge?.stop();
    await this.broker?.close();
  }
}
