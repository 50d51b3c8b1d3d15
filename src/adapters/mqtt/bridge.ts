/**
 * The MQTT bridge: subscribes to the sensors' telemetry with QoS 1 on a
 * persistent session and puts every message on the stream, acknowledging it
 * (PUBACK) only after the put succeeded.
 *
 * - **At least once from the broker.** The session is persistent (`clean:
 *   false`, a stable client id), so messages published while the bridge is away
 *   are queued by the broker, and a message whose PUBACK never arrived (the
 *   bridge crashed, or the connection dropped, before or after the put) is
 *   redelivered after the reconnect. mqtt.js sends a QoS 1 message's PUBACK
 *   when `client.handleMessage(packet, callback)` calls back; the bridge
 *   overrides it and calls back from the putter's `onPut`, so a crash before
 *   the put means a redelivery. (`customHandleAcks` would do the same but
 *   mqtt.js honours it on MQTT 5 only; the bridge speaks 3.1.1, which aedes,
 *   Mosquitto and AWS IoT Core all take.)
 * - **Once per (device_id, seq) in this session.** A redelivered message whose
 *   key this bridge already put (or is putting) is acknowledged without a
 *   second put. A redelivery to another process (after a crash between put and
 *   PUBACK) is put again; compaction keeps one row per natural key.
 * - **Back-pressure.** mqtt.js handles a connection's packets one after the
 *   other and the next only after the previous one's callback, so the bridge
 *   reads no further while a put is pending: TCP and the broker's in-flight
 *   window hold the rest. The cost: one put per message in flight (a put of the
 *   local stream takes well under a millisecond; a Kinesis call tens of them).
 * - **Malformed messages** (not JSON, missing fields, a topic that is not
 *   `devices/<id>/telemetry`) are put like any other, in the envelope that
 *   keeps their payload, so the stream transform quarantines them with a reason.
 * - **Reconnects.** mqtt.js reconnects every `reconnectPeriodMs`; the bridge
 *   counts reconnects and never gives up.
 */
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { BatchedPutter, type BatchedPutterOptions, utf8Length } from '../../ingest/batched-putter.js';
import { PARTITION_KEY_MAX_LENGTH, type PutEntry, PUT_RECORD_MAX_BYTES, type StreamProducer } from '../../ingest/stream-producer.js';
import { deviceIdOfTopic, envelopeOf, seqOfPayload, TELEMETRY_TOPIC_FILTER } from '../../sources/iot-readings/index.js';
import { RecentKeys } from './recent-keys.js';

/** Where log lines go (the CLI prints them, tests collect them). */
export interface BridgeLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface MqttBridgeOptions {
  /** Broker URL, e.g. `mqtt://127.0.0.1:1883`. */
  readonly url: string;
  readonly producer: StreamProducer;
  /** The persistent session's client id: keep it across restarts so the broker redelivers (default `ticklake-iot-bridge`). */
  readonly clientId?: string;
  readonly topicFilter?: string;
  /** Milliseconds between reconnect attempts (default 1000). */
  readonly reconnectPeriodMs?: number;
  /** Keys remembered for dropping redeliveries (default 200,000). */
  readonly dedupeCapacity?: number;
  readonly putter?: Omit<BatchedPutterOptions<BridgeEntry>, 'onPut'>;
  readonly logger?: BridgeLogger;
  readonly clock?: () => number;
  /** Extra mqtt.js options (tests: keepalive, connectTimeout). */
  readonly mqtt?: Partial<IClientOptions>;
}

/** What the bridge has done (status lines and tests). */
export interface MqttBridgeStatus {
  readonly connected: boolean;
  /** QoS 1/2 messages received, redeliveries included. */
  readonly received: number;
  /** Records put on the stream. */
  readonly put: number;
  /** Redeliveries acknowledged without a put (already put in this session). */
  readonly duplicatesDropped: number;
  /** Messages acknowledged (after their put, or as a duplicate). */
  readonly acked: number;
  /** Puts waiting for the stream. */
  readonly pending: number;
  readonly reconnects: number;
  /** Connection errors seen (refused, reset, timeouts). */
  readonly errors: number;
  /** When the newest message put was received (ms). */
  readonly lastReceivedMs?: number;
  readonly lastError?: string;
}

/** A stream entry that remembers how to acknowledge its message. */
export interface BridgeEntry extends PutEntry {
  readonly key: string | undefined;
  readonly receivedMs: number;
  readonly ack: () => void;
}

/** Payloads kept in full up to this size; a larger one is truncated (and quarantined as too large). */
const MAX_PAYLOAD_CHARS = 256 * 1024;

/** The stream record of one message: the envelope, keyed by device id. */
export function recordOf(
  topic: string,
  message: Buffer | string,
  receivedMs: number,
): { readonly partitionKey: string; readonly data: string; readonly key: string | undefined } {
  let payload = typeof message === 'string' ? message : message.toString('utf8');
  let truncated: number | undefined;
  if (payload.length > MAX_PAYLOAD_CHARS || utf8Length(payload) > PUT_RECORD_MAX_BYTES / 2) {
    truncated = utf8Length(payload);
    payload = payload.slice(0, 1024);
  }
  const device = deviceIdOfTopic(topic);
  const ok = typeof device === 'string';
  // A bad topic still needs a partition key: its second level (bounded), else a fixed one.
  const level = topic.split('/')[1] ?? '';
  const partitionKey = ok ? device : level.length > 0 ? level.slice(0, PARTITION_KEY_MAX_LENGTH / 2) : 'iot-bad-topic';
  const seq = ok && truncated === undefined ? seqOfPayload(payload) : undefined;
  let data = envelopeOf(topic.slice(0, 1024), payload, receivedMs);
  if (truncated !== undefined) data = `${data.slice(0, -1)},"payload_bytes":${truncated}}`;
  return { partitionKey, data, key: seq === undefined ? undefined : `${device as string}\u0000${seq}` };
}

/** Subscribes, puts, acknowledges. See the module comment. */
export class MqttBridge {
  private client: MqttClient | undefined;
  private readonly putter: BatchedPutter<BridgeEntry>;
  private readonly recent: RecentKeys;
  /** Keys being put, with what resolves when they are. */
  private readonly pending = new Map<string, Promise<void>>();
  private readonly clock: () => number;
  private firstConnect = true;
  private stopping = false;
  private s = {
    connected: false,
    received: 0,
    put: 0,
    duplicatesDropped: 0,
    acked: 0,
    reconnects: 0,
    errors: 0,
    lastReceivedMs: undefined as number | undefined,
    lastError: undefined as string | undefined,
  };

  constructor(private readonly o: MqttBridgeOptions) {
    this.clock = o.clock ?? Date.now;
    this.recent = new RecentKeys(o.dedupeCapacity);
    this.putter = new BatchedPutter<BridgeEntry>(o.producer, {
      // Nothing more arrives while a put is pending (see the module comment): lingering would only add latency.
      lingerMs: 0,
      ...o.putter,
      onPut: (entries) => {
        for (const e of entries) {
          this.s.put++;
          if (e.key !== undefined) this.recent.add(e.key);
          if (this.s.lastReceivedMs === undefined || e.receivedMs > this.s.lastReceivedMs) this.s.lastReceivedMs = e.receivedMs;
          e.ack();
        }
      },
      onRetry: (r) => this.o.logger?.warn(`put failed (${r.reason}), retrying ${r.entries} in ${Math.round(r.delayMs)} ms`),
    });
  }

  /** Connects and subscribes; resolves once the first connection is up (reconnects go on in the background). */
  start(): Promise<void> {
    const topicFilter = this.o.topicFilter ?? TELEMETRY_TOPIC_FILTER;
    const client = connect(this.o.url, {
      clientId: this.o.clientId ?? 'ticklake-iot-bridge',
      clean: false,
      protocolVersion: 4,
      reconnectPeriod: this.o.reconnectPeriodMs ?? 1000,
      connectTimeout: 10_000,
      ...this.o.mqtt,
    });
    // mqtt.js sends a QoS 1 message's PUBACK when handleMessage calls back, and handles the next packet only then.
    client.handleMessage = (packet, callback) => {
      if (packet.cmd !== 'publish') return callback();
      this.onMessage(packet.topic, typeof packet.payload === 'string' ? Buffer.from(packet.payload) : Buffer.from(packet.payload), () => callback());
    };
    this.client = client;
    client.on('connect', (connack) => {
      this.s.connected = true;
      // A persistent session keeps the subscription; subscribing again is harmless and covers a new session.
      if (!connack.sessionPresent || this.firstConnect)
        client.subscribe(topicFilter, { qos: 1 }, (err) => {
          if (err) this.o.logger?.warn(`subscribe to ${topicFilter} failed: ${err.message}`);
        });
      this.o.logger?.info(`connected to ${this.o.url} (session ${connack.sessionPresent ? 'resumed' : 'new'})`);
      this.firstConnect = false;
    });
    client.on('reconnect', () => {
      this.s.reconnects++;
    });
    client.on('close', () => {
      if (this.s.connected && !this.stopping) this.o.logger?.warn(`connection to ${this.o.url} closed; reconnecting`);
      this.s.connected = false;
    });
    client.on('error', (e) => {
      this.s.errors++;
      this.s.lastError = (e as NodeJS.ErrnoException).code ?? e.message;
    });
    return new Promise<void>((resolve) => client.once('connect', () => resolve()));
  }

  private onMessage(topic: string, message: Buffer, ack: () => void): void {
    this.s.received++;
    const receivedMs = this.clock();
    const r = recordOf(topic, message, receivedMs);
    const acked = () => {
      this.s.acked++;
      ack();
    };
    if (r.key !== undefined) {
      if (this.recent.has(r.key)) {
        this.s.duplicatesDropped++;
        acked();
        return;
      }
      const inFlight = this.pending.get(r.key);
      if (inFlight) {
        // Redelivered on a new connection while the first copy is still being put.
        this.s.duplicatesDropped++;
        void inFlight.then(acked);
        return;
      }
    }
    let settle: () => void = () => undefined;
    if (r.key !== undefined) {
      const key = r.key;
      this.pending.set(
        key,
        new Promise<void>((resolve) => {
          settle = () => {
            this.pending.delete(key);
            resolve();
          };
        }),
      );
    }
    this.putter.push({
      partitionKey: r.partitionKey,
      data: r.data,
      key: r.key,
      receivedMs,
      ack: () => {
        settle();
        acked();
      },
    });
  }

  status(): MqttBridgeStatus {
    const { lastReceivedMs, lastError, ...rest } = this.s;
    return {
      ...rest,
      pending: this.putter.buffered,
      ...(lastReceivedMs !== undefined ? { lastReceivedMs } : {}),
      ...(lastError !== undefined ? { lastError } : {}),
    };
  }

  /**
   * Stops: puts what it holds (acknowledging it), then disconnects. What the
   * broker sends meanwhile and is not acknowledged is redelivered to the next
   * session. Waits at most `timeoutMs` for the puts.
   */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.putter.flush(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    await this.client?.endAsync();
    this.s.connected = false;
  }

  /** Drops the connection at once, acknowledging nothing more (what a crash looks like to the broker). */
  async kill(): Promise<void> {
    this.stopping = true;
    await this.client?.endAsync(true);
    this.s.connected = false;
  }
}
