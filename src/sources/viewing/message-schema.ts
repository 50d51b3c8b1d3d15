/** The viewing clickstream event (`{"source":"viewing",…}`, see event.ts). */
import { envelopeRecord, field } from '../../core/avro.js';
import type { MessageSchema } from '../contract.js';

export const VIEWING_MESSAGE: MessageSchema = {
  version: 1,
  avro: envelopeRecord('ViewingEvent', 'viewing', 'A user on a device starts watching a channel, switches to another, or stops', [
    field('timestamp', 'string', 'When it happened, ISO-8601 with zone'),
    field('user_id', 'string', 'Household user'),
    field('device_id', 'string', 'Device'),
    field('device_type', 'string', 'Kind of device, e.g. smart-tv'),
    field('location', 'string', 'City or region slug'),
    field('event_type', 'string', 'start, switch or stop'),
    field('channel', 'string', 'Channel started, switched to or stopped'),
    field('seq', 'long', "The device's event counter"),
  ]),
};
