import type { BatchContext, Quarantined, SourceDefinition } from '../contract.js';
import { IOT_PANELS } from './panels.js';
import { deviceIdOfTopic, envelopeOf, IOT_SOURCE, type IotReading, isIotEnvelope, REASON_CODES, readingFrom, seqOfPayload } from './reading.js';
import { IotReadingRows } from './rows.js';
import { deviceIds, simulateIotRecords, simulateTelemetry, type TelemetryMessage, telemetryTopic } from './simulator.js';
import { IOT_READINGS } from './tables.js';
import { oneTableBatch, readJsonRecord } from '../json-record.js';
import { IOT_MESSAGE } from './message-schema.js';

export { deviceIdOfTopic, deviceIds, envelopeOf, IOT_READINGS, IOT_SOURCE, seqOfPayload, simulateTelemetry, type TelemetryMessage, telemetryTopic };

/** The MQTT topic filter of the sensors' telemetry. */
export const TELEMETRY_TOPIC_FILTER = 'devices/+/telemetry';

/** Parses and validates one envelope: the reading, or why it is quarantined. */
function readReading(text: string, json: unknown, nowUs: number): { ok: true; reading: IotReading } | ({ ok: false } & Quarantined) {
  return readJsonRecord(text, json, {
    schema: IOT_MESSAGE,
    format: IOT_SOURCE,
    is: isIotEnvelope,
    notMine: 'JSON payload is not an IoT envelope',
    from: (doc) => readingFrom(doc, { nowUs }),
  });
}

const DEFAULT_DEVICES = 12;
const INTERVAL_SEC = 10;

export const iotReadings: SourceDefinition = {
  id: IOT_SOURCE,
  title: 'IoT sensors (MQTT)',
  description: `Temperature, humidity and battery readings that sensors publish over MQTT to ${TELEMETRY_TOPIC_FILTER}, bridged onto the stream with acknowledgement after the put`,
  enters: ['mqtt'],
  recognition: { envelope: IOT_SOURCE },
  tables: [IOT_READINGS],
  panels: IOT_PANELS,
  reasonCodes: REASON_CODES,
  messageSchema: IOT_MESSAGE,
  formats: [IOT_SOURCE, 'unknown'],
  newBatch: (ctx: BatchContext) => oneTableBatch({ ingestUs: ctx.ingestUs, rows: new IotReadingRows(), read: readReading, value: (r) => r.reading }),
  simulator: {
    *simulate(o) {
      yield* simulateIotRecords({
        minutes: o.minutes,
        seed: o.seed,
        startTimeMs: o.startTimeMs,
        malformedShare: o.malformedShare,
        firstSeq: o.idBase ?? 0,
        devices: DEFAULT_DEVICES,
        intervalSec: INTERVAL_SEC,
      });
    },
    describe: () => `${DEFAULT_DEVICES} sensors' readings`,
    expectedRecords: (o) => Math.round((DEFAULT_DEVICES * o.minutes * 60) / INTERVAL_SEC),
  },
};
