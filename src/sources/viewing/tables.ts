/** The viewing source's tables: the raw events and the two schedule dimensions the views join. */
import eventsJson from '../../../glue-schemas/viewing_events.json' with { type: 'json' };
import scheduleJson from '../../../glue-schemas/tv_schedule.json' with { type: 'json' };
import adSpotsJson from '../../../glue-schemas/tv_ad_spots.json' with { type: 'json' };
import { parseTableSchema } from '../../lake/table-schema.js';

export const VIEWING_EVENTS = parseTableSchema(eventsJson, 'glue-schemas/viewing_events.json');
export const TV_SCHEDULE_TABLE = parseTableSchema(scheduleJson, 'glue-schemas/tv_schedule.json');
export const TV_AD_SPOTS_TABLE = parseTableSchema(adSpotsJson, 'glue-schemas/tv_ad_spots.json');
