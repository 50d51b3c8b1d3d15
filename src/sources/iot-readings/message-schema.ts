/**
 * The IoT envelope (see reading.ts): the MQTT message as it was published, in
 * `payload` (the bridge) or `payload_b64` (the IoT Core rule), so that a
 * malformed one is quarantined with its bytes; the telemetry inside is JSON.
 */
import { envelopeRecord, field, optional } from '../../core/avro.js';
import type { MessageSchema } from '../contract.js';

export const IOT_MESSAGE: MessageSchema = {
  version: 1,
  avro: envelopeRecord('IotEnvelope', 'iot', 'One MQTT telemetry message of devices/<device_id>/telemetry', [
    field('topic', 'string', 'MQTT topic, devices/<device_id>/telemetry'),
    optional('received_at', 'long', 'When the bridge or rule received it, ms since epoch'),
    optional('payload', 'string', 'The payload as UTF-8 text (the bridge)'),
    optional('payload_b64', 'string', 'The payload, base64 (the IoT Core rule)'),
    optional('payload_bytes', 'long', 'Size of a payload too large for a record (the bridge kept its start)'),
  ]),
};
