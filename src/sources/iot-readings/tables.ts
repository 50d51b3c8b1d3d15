/** The IoT source's table. */
import iotReadingsJson from '../../../glue-schemas/iot_readings.json' with { type: 'json' };
import { parseTableSchema } from '../../lake/table-schema.js';

export const IOT_READINGS = parseTableSchema(iotReadingsJson, 'glue-schemas/iot_readings.json');
