/** The Binance trade source's tables: curated trades, their per-batch minute-bar partials, and the bars view over them. */
import tradesJson from '../../../glue-schemas/trades.json' with { type: 'json' };
import barPartialsJson from '../../../glue-schemas/bar_partials.json' with { type: 'json' };
import bars1mJson from '../../../glue-schemas/bars_1m.json' with { type: 'json' };
import { parseTableSchema } from '../../lake/table-schema.js';

export const TRADES = parseTableSchema(tradesJson, 'glue-schemas/trades.json');
export const BAR_PARTIALS = parseTableSchema(barPartialsJson, 'glue-schemas/bar_partials.json');
export const BARS_1M = parseTableSchema(bars1mJson, 'glue-schemas/bars_1m.json');
