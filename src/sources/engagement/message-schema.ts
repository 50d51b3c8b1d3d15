/** The short-video view message (`{"source":"engagement",…}`, see event.ts). */
import { envelopeRecord, field } from '../../core/avro.js';
import type { MessageSchema } from '../contract.js';

export const ENGAGEMENT_MESSAGE: MessageSchema = {
  version: 1,
  avro: envelopeRecord('EngagementView', 'engagement', 'One short-video view', [
    field('timestamp', 'string', 'When the view ended, ISO-8601 with zone'),
    field('user_id', 'string', 'Viewer'),
    field('video_id', 'string', 'Video'),
    field('category', 'string', 'Category, lower case'),
    field('watch_time', 'double', 'Seconds watched, 0..3600'),
    field('liked', 'boolean', 'Whether the viewer liked it'),
  ]),
};
