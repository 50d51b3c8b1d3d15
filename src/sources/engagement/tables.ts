/** The engagement source's tables: the events, their per-batch window partials, and the per-minute view over them. */
import eventsJson from '../../../glue-schemas/engagement_events.json' with { type: 'json' };
import partialsJson from '../../../glue-schemas/engagement_partials.json' with { type: 'json' };
import byMinuteJson from '../../../glue-schemas/engagement_by_minute.json' with { type: 'json' };
import { parseTableSchema } from '../../lake/table-schema.js';

export const ENGAGEMENT_EVENTS = parseTableSchema(eventsJson, 'glue-schemas/engagement_events.json');
export const ENGAGEMENT_PARTIALS = parseTableSchema(partialsJson, 'glue-schemas/engagement_partials.json');
export const ENGAGEMENT_BY_MINUTE = parseTableSchema(byMinuteJson, 'glue-schemas/engagement_by_minute.json');
