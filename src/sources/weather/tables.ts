/** The weather source's table: one row per station and hour. */
import weatherObservationsJson from '../../../glue-schemas/weather_observations.json' with { type: 'json' };
import { parseTableSchema } from '../../lake/table-schema.js';

export const WEATHER_OBSERVATIONS = parseTableSchema(weatherObservationsJson, 'glue-schemas/weather_observations.json');
