/**
 * The change reader's envelope (see change.ts): one changed row of the web
 * shop's tables with its before and after images. AWS DMS's Kinesis JSON, the
 * cloud form of the same changes, is DMS's own format and is read as it is.
 */
import { envelopeRecord, field, optional } from '../../core/avro.js';
import type { MessageSchema } from '../contract.js';

/** A row image: column name to its value (ids and amounts as numbers, timestamps as text). */
const ROW_IMAGE = { type: 'map', values: ['null', 'string', 'double', 'boolean'] } as const;

export const CDC_MESSAGE: MessageSchema = {
  version: 1,
  avro: envelopeRecord('CdcChange', 'cdc', 'One row change of the web shop database, from logical replication (pgoutput)', [
    field('lsn', 'string', "The transaction's commit LSN, e.g. 0/16B3748"),
    optional('xid', 'long', 'Transaction id'),
    field('commit_time', 'long', 'Commit time, µs since epoch'),
    field('seq', 'int', "The change's position in its transaction, from 0"),
    field('schema', 'string', 'Database schema, "shop"'),
    field('table', 'string', 'Table name: customers or orders'),
    field('op', 'string', 'insert, update or delete'),
    optional('before', ROW_IMAGE, 'The row before an update or delete (REPLICA IDENTITY FULL)'),
    optional('after', ROW_IMAGE, 'The row after an insert or update'),
  ]),
};
