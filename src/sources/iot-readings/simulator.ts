/**
 * Simulated IoT sensors: devices at a few sites (greenhouse, warehouse, office,
 * cold room) each publish a reading every ~10 s to `devices/<device_id>/telemetry`.
 * Temperature follows the site's daily cycle plus a slow AR(1) drift and sensor
 * noise; relative humidity moves against temperature; the battery drains slowly
 * from about 4.1 V with measurement noise. `seq` counts up per device. Pure and
 * seeded.
 *
 * It serves two uses: raw MQTT messages (what `ticklake up` publishes to a broker
 * over the real protocol) and, wrapped in the bridge's envelope, stream records
 * for `ticklake demo`.
 */
import { Rng } from '../../core/random.js';
import type { SimulatedRecord } from '../contract.js';
import { envelopeOf, IOT_SOURCE } from './reading.js';

/** One MQTT message as a sensor publishes it. */
export interface TelemetryMessage {
  /** Publish time, ms since epoch. */
  readonly timeMs: number;
  readonly deviceId: string;
  readonly topic: string;
  readonly payload: string;
}

export interface IotSimConfig {
  readonly minutes: number;
  readonly seed?: number | string;
  readonly startTimeMs?: number;
  /** Number of devices (default 12, spread over the sites). */
  readonly devices?: number;
  /** Seconds between a device's readings (jittered, default 10). */
  readonly intervalSec?: number;
  /** First seq of every device (live runs pass one derived from their start time). */
  readonly firstSeq?: number;
  /** Share (0..1) of messages corrupted as real sensors and firmware do. */
  readonly malformedShare?: number;
}

interface Site {
  readonly name: string;
  /** Daily mean and amplitude of the temperature (°C), and mean relative humidity (%). */
  readonly meanC: number;
  readonly ampC: number;
  readonly meanRh: number;
}

const SITES: readonly Site[] = [
  { name: 'greenhouse', meanC: 24, ampC: 6, meanRh: 70 },
  { name: 'warehouse', meanC: 15, ampC: 4, meanRh: 55 },
  { name: 'office', meanC: 21.5, ampC: 1.5, meanRh: 42 },
  { name: 'cold-room', meanC: 3.5, ampC: 0.5, meanRh: 85 },
];

/** The simulated device ids, in order. */
export function deviceIds(n = 12): string[] {
  return Array.from({ length: n }, (_, i) => `${SITES[i % SITES.length]!.name}-${String(Math.floor(i / SITES.length) + 1).padStart(2, '0')}`);
}

/** The MQTT topic a device publishes its telemetry to. */
export const telemetryTopic = (deviceId: string): string => `devices/${deviceId}/telemetry`;

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** A message corrupted in one of the ways sensors get it wrong. */
function corrupt(rng: Rng, m: TelemetryMessage, reading: Record<string, number>): TelemetryMessage {
  switch (rng.int(7)) {
    case 0:
      return { ...m, payload: m.payload.slice(0, Math.max(1, Math.floor(m.payload.length / 2))) };
    case 1: {
      const { humidity_pct: _, ...rest } = reading;
      return { ...m, payload: JSON.stringify(rest) };
    }
    case 2:
      return { ...m, payload: JSON.stringify({ ...reading, humidity_pct: round(100 + rng.uniform(1, 60), 1) }) };
    case 3:
      return { ...m, payload: JSON.stringify({ ...reading, temperature_c: String(reading.temperature_c) }) };
    case 4:
      return { ...m, payload: JSON.stringify({ ...reading, battery_v: -1 }) };
    case 5:
      return { ...m, payload: '' };
    default:
      return { ...m, topic: `devices/${m.deviceId}/status` };
  }
}

/** Every device's messages, in time order. */
export function* simulateTelemetry(cfg: IotSimConfig): Generator<TelemetryMessage> {
  const rng = Rng.derive(cfg.seed ?? 1, IOT_SOURCE);
  const start = cfg.startTimeMs ?? Date.UTC(2026, 10, 2);
  const end = start + cfg.minutes * 60_000;
  const interval = (cfg.intervalSec ?? 10) * 1000;
  const bad = cfg.malformedShare ?? 0;
  const devices = deviceIds(cfg.devices ?? 12).map((id, i) => ({
    id,
    site: SITES[i % SITES.length]!,
    drift: 0,
    battery: rng.uniform(3.7, 4.15),
    seq: cfg.firstSeq ?? 0,
    next: start + rng.uniform(0, interval),
  }));
  for (;;) {
    let d = devices[0]!;
    for (const x of devices) if (x.next < d.next) d = x;
    if (d.next >= end) return;
    const t = Math.floor(d.next);
    // The daily cycle peaks at 15:00 UTC.
    const phase = (2 * Math.PI * ((t / 3_600_000 - 15) % 24)) / 24;
    d.drift = 0.98 * d.drift + 0.15 * rng.normal();
    const temp = d.site.meanC + d.site.ampC * Math.cos(phase) + d.drift;
    const rh = Math.min(100, Math.max(0, d.site.meanRh - 2.2 * (temp - d.site.meanC) + 1.5 * rng.normal()));
    d.battery = Math.max(3.0, d.battery - rng.uniform(0, 2e-5));
    const reading = {
      ts: t,
      temperature_c: round(temp + 0.1 * rng.normal(), 2),
      humidity_pct: round(rh, 1),
      battery_v: round(d.battery + 0.005 * rng.normal(), 3),
      seq: d.seq++,
    };
    const m: TelemetryMessage = { timeMs: t, deviceId: d.id, topic: telemetryTopic(d.id), payload: JSON.stringify(reading) };
    yield bad > 0 && rng.chance(bad) ? corrupt(rng, m, reading) : m;
    d.next += interval * rng.uniform(0.9, 1.1);
  }
}

/** The simulated messages as the MQTT bridge puts them on the stream (partition key: the device id). */
export function* simulateIotRecords(cfg: IotSimConfig): Generator<SimulatedRecord> {
  for (const m of simulateTelemetry(cfg)) yield { timeMs: m.timeMs, partitionKey: m.deviceId, payload: envelopeOf(m.topic, m.payload, m.timeMs) };
}
