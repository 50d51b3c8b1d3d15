import { reject } from '../../core/reasons.js';
import { oneTableBatch } from '../json-record.js';
import type { BatchContext, Quarantined, SourceDefinition } from '../contract.js';
import {
  CAPTURED_TABLES,
  CDC_SOURCE,
  type CdcChange,
  type CdcOperation,
  changeFromDms,
  changeFromPgoutput,
  changePartitionKey,
  isDmsRecord,
  isPgoutputEnvelope,
  type PgoutputChange,
  parseLsn,
  pgoutputEnvelope,
  REASON_CODES,
} from './change.js';
import { CDC_MESSAGE } from './message-schema.js';
import { CDC_PANELS } from './panels.js';
import { CdcChangeRows } from './rows.js';
import { SHOP_DDL, SHOP_SCHEMA, type ShopRow, type ShopRowChange, type ShopTransaction, simulateShop, simulateShopRecords } from './shop.js';
import { CDC_CHANGES } from './tables.js';
import { currentStateSql, currentViewName } from './views.js';

export {
  CAPTURED_TABLES,
  CDC_CHANGES,
  CDC_SOURCE,
  type CdcChange,
  type CdcOperation,
  changePartitionKey,
  type PgoutputChange,
  parseLsn,
  pgoutputEnvelope,
  SHOP_DDL,
  SHOP_SCHEMA,
  type ShopRow,
  type ShopRowChange,
  type ShopTransaction,
  simulateShop,
};

/** Transactions per second of the simulated shop (about 8 row changes per second). */
export const SHOP_RATE_PER_SEC = 5;

/** Parses and validates one record of either format: the change, or why it is quarantined. */
export function readChange(text: string, json: unknown, nowUs: number): { ok: true; change: CdcChange } | ({ ok: false } & Quarantined) {
  let doc = json;
  if (doc === undefined) {
    try {
      doc = JSON.parse(text);
    } catch (e) {
      const format = text.startsWith('{"data":') || text.startsWith('{"metadata":') ? 'dms' : 'pgoutput';
      return { ok: false, source: format, rejection: reject('MALFORMED_JSON', `not valid JSON: ${(e as Error).message}`) };
    }
  }
  const r = isPgoutputEnvelope(doc) ? changeFromPgoutput(doc, { nowUs }) : isDmsRecord(doc) ? changeFromDms(doc, { nowUs }) : undefined;
  if (r === undefined)
    return { ok: false, source: 'unknown', rejection: reject('UNKNOWN_FORMAT', 'JSON payload is neither a change envelope nor a DMS record') };
  return r.ok ? r : { ok: false, source: r.format, rejection: r.rejection };
}

export const cdc: SourceDefinition = {
  id: CDC_SOURCE,
  title: 'Web shop database changes (CDC)',
  description:
    "Inserts, updates and deletes of a web shop's PostgreSQL tables (customers, orders) with before and after images: logical replication (pgoutput) locally, AWS DMS into Kinesis in the cloud; current state merged on read",
  enters: ['cdc'],
  recognition: { envelope: CDC_SOURCE, prefixes: ['{"data":', '{"metadata":'] },
  tables: [CDC_CHANGES],
  namedViews: Object.fromEntries(Object.keys(CAPTURED_TABLES).map((t) => [currentViewName(t), () => currentStateSql(t)])),
  panels: CDC_PANELS,
  messageSchema: CDC_MESSAGE,
  reasonCodes: REASON_CODES,
  formats: ['pgoutput', 'dms', 'unknown'],
  newBatch: (ctx: BatchContext) => oneTableBatch({ ingestUs: ctx.ingestUs, rows: new CdcChangeRows(), read: readChange, value: (r) => r.change }),
  simulator: {
    *simulate(o) {
      yield* simulateShopRecords({
        seed: o.seed,
        startTimeMs: o.startTimeMs,
        minutes: o.minutes,
        ratePerSec: SHOP_RATE_PER_SEC,
        malformedShare: o.malformedShare,
        ...(o.idBase !== undefined ? { idBase: o.idBase } : {}),
      });
    },
    describe: () => "a web shop's customer and order changes",
    expectedRecords: (o) => Math.round(o.minutes * 60 * SHOP_RATE_PER_SEC * 1.1),
  },
};
