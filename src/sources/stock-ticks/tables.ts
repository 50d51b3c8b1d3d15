/** The stock-trading source's tables: ticks, per-batch sector volumes, and the company_profile dimension. */
import stockTicksJson from '../../../glue-schemas/stock_ticks.json' with { type: 'json' };
import sectorVolumeJson from '../../../glue-schemas/sector_volume.json' with { type: 'json' };
import companyProfileJson from '../../../glue-schemas/company_profile.json' with { type: 'json' };
import { parseTableSchema } from '../../lake/table-schema.js';

export const STOCK_TICKS = parseTableSchema(stockTicksJson, 'glue-schemas/stock_ticks.json');
export const SECTOR_VOLUME = parseTableSchema(sectorVolumeJson, 'glue-schemas/sector_volume.json');
export const COMPANY_PROFILE = parseTableSchema(companyProfileJson, 'glue-schemas/company_profile.json');
