/** The household energy source's table: one row per household and 15-minute interval. */
import energyReadingsJson from '../../../glue-schemas/energy_readings.json' with { type: 'json' };
import { parseTableSchema } from '../../lake/table-schema.js';

export const ENERGY_READINGS = parseTableSchema(energyReadingsJson, 'glue-schemas/energy_readings.json');
