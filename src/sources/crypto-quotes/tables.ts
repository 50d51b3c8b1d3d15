/** The crypto price-table source's table: one row per coin and snapshot. */
import cryptoQuotesJson from '../../../glue-schemas/crypto_quotes.json' with { type: 'json' };
import { parseTableSchema } from '../../lake/table-schema.js';

export const CRYPTO_QUOTES = parseTableSchema(cryptoQuotesJson, 'glue-schemas/crypto_quotes.json');
