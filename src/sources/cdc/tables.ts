/** The change source's table. */
import cdcChangesJson from '../../../glue-schemas/cdc_changes.json' with { type: 'json' };
import { parseTableSchema } from '../../lake/table-schema.js';

export const CDC_CHANGES = parseTableSchema(cdcChangesJson, 'glue-schemas/cdc_changes.json');
