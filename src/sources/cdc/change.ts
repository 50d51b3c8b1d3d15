/**
 * Row changes of the web shop's database, in the two forms they reach the stream:
 *
 * - **pgoutput**, from the logical-replication reader (src/adapters/postgres/),
 *   one record per changed row in this envelope:
 *   `{"source":"cdc","lsn":"0/16B3748","xid":731,"commit_time":<µs>,"seq":0,"schema":"shop","table":"orders","op":"update","before":{…},"after":{…}}`
 *   (`lsn` the transaction's commit LSN, `seq` the change's position in it);
 * - **dms**, AWS DMS's Kinesis JSON:
 *   `{"data":{…},"before-image":{…},"metadata":{"record-type":"data","operation":"update","schema-name":"shop","table-name":"orders","timestamp":"2026-11-02T10:00:00.123456Z","transaction-id":731,"transaction-record-id":1,…}}`
 *   (`before-image` with the task's BeforeImageSettings, the transaction fields
 *   with the endpoint's IncludeTransactionDetails; a delete's `data` is the
 *   deleted row).
 *
 * Both become one {@link CdcChange}: the row images normalised against the
 * captured tables' columns ({@link CAPTURED_TABLES}: ids and numbers as JSON
 * numbers, timestamps as `yyyy-MM-dd HH:mm:ss.SSSSSS` UTC text, which DuckDB and
 * Athena both cast), so the two formats give the same rows. Pure.
 */
import { CORE_REASON_CODES, type CoreReasonCode, reject as rejectAs, type Rejection as CoreRejection } from '../../core/reasons.js';
import { checkEventTime, type ValidationContext } from '../../core/validation.js';
import { isoMicros } from '../../sql/dialect.js';

/** The source id, also its envelope value. */
export const CDC_SOURCE = 'cdc';
/** The formats changes are read as (the quarantine's `source` column and the `format` column). */
export const CDC_FORMATS = ['pgoutput', 'dms'] as const;
export type CdcFormat = (typeof CDC_FORMATS)[number];

/** The change source's own reasons, on top of the core set. */
export const CDC_REASON_CODES = [
  'NOT_A_CHANGE',
  'BAD_OPERATION',
  'UNKNOWN_TABLE',
  'MISSING_ROW_IMAGE',
  'BAD_ROW_IMAGE',
  'MISSING_KEY',
  'BAD_LSN',
  'BAD_POSITION',
] as const;
export type CdcReasonCode = CoreReasonCode | (typeof CDC_REASON_CODES)[number];
/** Every reason a change is quarantined with. */
export const REASON_CODES = [...CORE_REASON_CODES, ...CDC_REASON_CODES] as const;
export type Rejection = CoreRejection<CdcReasonCode>;
const reject = (code: CdcReasonCode, message: string): Rejection => rejectAs(code, message);

/** How a column's values are normalised: integer ids, decimal numbers, text, timestamps. */
export type ColumnKind = 'id' | 'number' | 'text' | 'time';

/** A captured table: its primary key and its columns' kinds (columns not listed are kept as given when scalar). */
export interface CapturedTable {
  readonly key: readonly string[];
  readonly columns: Readonly<Record<string, ColumnKind>>;
}

/** The web shop's tables (schema `shop`), as the simulator creates them. */
export const CAPTURED_TABLES: Readonly<Record<string, CapturedTable>> = {
  customers: {
    key: ['customer_id'],
    columns: { customer_id: 'id', email: 'text', name: 'text', country: 'text', tier: 'text', created_at: 'time', updated_at: 'time' },
  },
  orders: {
    key: ['order_id'],
    columns: {
      order_id: 'id',
      customer_id: 'id',
      status: 'text',
      amount: 'number',
      currency: 'text',
      items: 'id',
      created_at: 'time',
      updated_at: 'time',
    },
  },
};

export const CDC_OPERATIONS = ['insert', 'update', 'delete'] as const;
export type CdcOperation = (typeof CDC_OPERATIONS)[number];

/** A validated change (column names as in glue-schemas/cdc_changes.json). */
export interface CdcChange {
  readonly lsn: string;
  readonly commit_order: number;
  readonly seq: number;
  readonly op: CdcOperation;
  readonly schema_name: string;
  readonly table_name: string;
  readonly row_key: string;
  /** Microseconds since epoch. */
  readonly commit_time: number;
  readonly xid: number | null;
  readonly before_json: string | null;
  readonly after_json: string | null;
  readonly format: CdcFormat;
}

export type ChangeResult =
  | { readonly ok: true; readonly change: CdcChange }
  | { readonly ok: false; readonly format: CdcFormat; readonly rejection: Rejection };

/** One row change as the replication reader puts it on the stream. */
export interface PgoutputChange {
  readonly lsn: string;
  readonly xid: number | null;
  /** Commit time, µs since epoch. */
  readonly commitTimeUs: number;
  readonly seq: number;
  readonly schema: string;
  readonly table: string;
  readonly op: CdcOperation;
  readonly before: Readonly<Record<string, unknown>> | null;
  readonly after: Readonly<Record<string, unknown>> | null;
}

/** The stream record text of one replicated change. */
export function pgoutputEnvelope(c: PgoutputChange): string {
  return JSON.stringify({
    source: CDC_SOURCE,
    lsn: c.lsn,
    xid: c.xid,
    commit_time: c.commitTimeUs,
    seq: c.seq,
    schema: c.schema,
    table: c.table,
    op: c.op,
    before: c.before,
    after: c.after,
  });
}

/** The partition key of a change: its table and row key, so one row's changes stay in order on one shard. */
export function changePartitionKey(table: string, row: Readonly<Record<string, unknown>> | null): string {
  const t = CAPTURED_TABLES[table];
  const key = t && row ? t.key.map((k) => String(row[k])).join('|') : '';
  return `${table}/${key}`.slice(0, 256);
}

const LSN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** A PostgreSQL LSN (`16/B374D848`, any zero padding) as PostgreSQL prints it and as a number, or undefined. */
export function parseLsn(text: string): { readonly text: string; readonly value: number } | undefined {
  const m = LSN.exec(text);
  if (!m) return undefined;
  const hi = Number.parseInt(m[1]!, 16);
  const lo = Number.parseInt(m[2]!, 16);
  // Exact below 2^53: 2^21 segments of 4 GiB (8 PiB of WAL).
  if (hi >= 2 ** 21) return undefined;
  return { text: `${hi.toString(16).toUpperCase()}/${lo.toString(16).toUpperCase()}`, value: hi * 2 ** 32 + lo };
}

const TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** µs since epoch of an ISO-8601 / SQL timestamp text (no zone: UTC), or undefined. */
export function parseTimestampUs(text: string): number | undefined {
  const m = TIME.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (!Number.isFinite(ms) || Number(mo) > 12 || Number(d) > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) return undefined;
  let offsetMin = 0;
  if (zone && zone !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    offsetMin = (zone[0] === '-' ? -1 : 1) * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
  }
  const micros = frac ? Number(frac.padEnd(6, '0').slice(0, 6)) : 0;
  return (ms - offsetMin * 60_000) * 1000 + micros;
}

const INTEGER = /^-?\d{1,16}$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;

/** One value normalised to its column's kind, or a message saying why it cannot be. */
function normalise(kind: ColumnKind | undefined, v: unknown): { v: unknown } | string {
  if (v === null) return { v: null };
  switch (kind) {
    case 'id':
      if (typeof v === 'number' && Number.isSafeInteger(v)) return { v };
      if (typeof v === 'string' && INTEGER.test(v) && Number.isSafeInteger(Number(v))) return { v: Number(v) };
      return `is not an integer: ${JSON.stringify(v).slice(0, 40)}`;
    case 'number':
      if (typeof v === 'number' && Number.isFinite(v)) return { v };
      if (typeof v === 'string' && DECIMAL.test(v) && Number.isFinite(Number(v))) return { v: Number(v) };
      return `is not a number: ${JSON.stringify(v).slice(0, 40)}`;
    case 'text':
      return typeof v === 'string' ? { v } : `is not text: ${JSON.stringify(v).slice(0, 40)}`;
    case 'time': {
      const us = typeof v === 'string' ? parseTimestampUs(v) : undefined;
      return us === undefined ? `is not a timestamp: ${JSON.stringify(v).slice(0, 40)}` : { v: isoMicros(us) };
    }
    default:
      // A column the table gained since: kept when scalar.
      return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? { v } : `is not a scalar: ${JSON.stringify(v).slice(0, 40)}`;
  }
}

/** A row image normalised to the table's columns (declared columns first, in order), or why it is unusable. */
function rowImage(table: CapturedTable, image: unknown, which: string): { row: Record<string, unknown> } | { rejection: Rejection } {
  if (typeof image !== 'object' || image === null || Array.isArray(image))
    return { rejection: reject('BAD_ROW_IMAGE', `${which} image must be a JSON object`) };
  const src = image as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const name of [...Object.keys(table.columns), ...Object.keys(src)]) {
    if (name in out || !(name in src)) continue;
    const n = normalise(table.columns[name], src[name]);
    if (typeof n === 'string') return { rejection: reject('BAD_ROW_IMAGE', `${which} image: column ${name} ${n}`) };
    out[name] = n.v;
  }
  return { row: out };
}

/** The row key text of an image, or a rejection when a key column is missing or null. */
function rowKey(table: CapturedTable, tableName: string, image: Record<string, unknown>): string | Rejection {
  const parts: string[] = [];
  for (const k of table.key) {
    const v = image[k];
    if (v === undefined || v === null) return reject('MISSING_KEY', `${tableName} row has no ${k} (its primary key)`);
    parts.push(String(v));
  }
  return parts.join('|');
}

interface Common {
  readonly lsn: string;
  readonly commit_order: number;
  readonly seq: number;
  readonly xid: number | null;
  readonly commit_time: number;
  readonly schema: unknown;
  readonly table: unknown;
  readonly op: unknown;
  readonly before: unknown;
  readonly after: unknown;
}

/** Checks what both formats share: the table, the operation, the images, the key, the time. */
function changeFrom(c: Common, format: CdcFormat, ctx: ValidationContext): ChangeResult {
  const fail = (r: Rejection): ChangeResult => ({ ok: false, format, rejection: r });
  if (typeof c.schema !== 'string' || c.schema === '') return fail(reject('MISSING_FIELD', 'the change names no schema'));
  if (typeof c.table !== 'string' || c.table === '') return fail(reject('MISSING_FIELD', 'the change names no table'));
  const table = Object.hasOwn(CAPTURED_TABLES, c.table) ? CAPTURED_TABLES[c.table] : undefined;
  if (!table)
    return fail(reject('UNKNOWN_TABLE', `table ${JSON.stringify(c.table.slice(0, 80))} is not captured (${Object.keys(CAPTURED_TABLES).join(', ')})`));
  if (typeof c.op !== 'string' || !(CDC_OPERATIONS as readonly string[]).includes(c.op))
    return fail(reject('BAD_OPERATION', `operation ${JSON.stringify(c.op)?.slice(0, 40)} is not one of ${CDC_OPERATIONS.join(', ')}`));
  const op = c.op as CdcOperation;
  const needAfter = op !== 'delete';
  const needBefore = op === 'delete';
  if (needAfter && (c.after === null || c.after === undefined)) return fail(reject('MISSING_ROW_IMAGE', `an ${op} needs the row after it`));
  if (needBefore && (c.before === null || c.before === undefined)) return fail(reject('MISSING_ROW_IMAGE', 'a delete needs the row before it'));
  let before: Record<string, unknown> | null = null;
  let after: Record<string, unknown> | null = null;
  if (op !== 'insert' && c.before !== null && c.before !== undefined) {
    const b = rowImage(table, c.before, 'before');
    if ('rejection' in b) return fail(b.rejection);
    before = b.row;
  }
  if (op !== 'delete') {
    const a = rowImage(table, c.after, 'after');
    if ('rejection' in a) return fail(a.rejection);
    after = a.row;
  }
  const key = rowKey(table, c.table, (after ?? before)!);
  if (typeof key !== 'string') return fail(key);
  const tErr = checkEventTime(c.commit_time, ctx, 'commit time');
  if (tErr) return fail(tErr);
  return {
    ok: true,
    change: {
      lsn: c.lsn,
      commit_order: c.commit_order,
      seq: c.seq,
      op,
      schema_name: c.schema,
      table_name: c.table,
      row_key: key,
      commit_time: c.commit_time,
      xid: c.xid,
      before_json: before ? JSON.stringify(before) : null,
      after_json: after ? JSON.stringify(after) : null,
      format,
    },
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** True when a parsed document is the reader's envelope. */
export function isPgoutputEnvelope(doc: unknown): doc is Record<string, unknown> {
  return isObject(doc) && doc.source === CDC_SOURCE;
}

/** True when a parsed document looks like a DMS Kinesis record (a `metadata` object). */
export function isDmsRecord(doc: unknown): doc is Record<string, unknown> {
  return isObject(doc) && doc.source === undefined && isObject(doc.metadata);
}

/** Validates the replication reader's envelope. */
export function changeFromPgoutput(env: Record<string, unknown>, ctx: ValidationContext): ChangeResult {
  const fail = (r: Rejection): ChangeResult => ({ ok: false, format: 'pgoutput', rejection: r });
  if (typeof env.lsn !== 'string')
    return fail(reject(env.lsn === undefined ? 'MISSING_FIELD' : 'WRONG_TYPE', 'envelope "lsn" must be an LSN such as 0/16B3748'));
  const lsn = parseLsn(env.lsn);
  if (!lsn) return fail(reject('BAD_LSN', `lsn ${JSON.stringify(env.lsn.slice(0, 40))} is not an LSN such as 0/16B3748`));
  if (typeof env.seq !== 'number' || !Number.isSafeInteger(env.seq) || env.seq < 0 || env.seq > 2 ** 31 - 1)
    return fail(reject('BAD_POSITION', `seq ${JSON.stringify(env.seq)?.slice(0, 40)} is not a position in a transaction (an integer from 0)`));
  if (typeof env.commit_time !== 'number' || !Number.isSafeInteger(env.commit_time))
    return fail(reject(env.commit_time === undefined ? 'MISSING_FIELD' : 'WRONG_TYPE', 'envelope "commit_time" must be integer microseconds since epoch'));
  if (env.xid !== undefined && env.xid !== null && !(typeof env.xid === 'number' && Number.isSafeInteger(env.xid)))
    return fail(reject('WRONG_TYPE', 'envelope "xid" must be an integer'));
  return changeFrom(
    {
      lsn: lsn.text,
      commit_order: lsn.value,
      seq: env.seq,
      xid: typeof env.xid === 'number' ? env.xid : null,
      commit_time: env.commit_time,
      schema: env.schema,
      table: env.table,
      op: env.op,
      before: env.before,
      after: env.after,
    },
    'pgoutput',
    ctx,
  );
}

/** An integer of a DMS field given as a number or as digits, or undefined. */
function dmsInteger(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'string' && INTEGER.test(v) && Number.isSafeInteger(Number(v))) return Number(v);
  return undefined;
}

/**
 * Validates a DMS Kinesis record. Its position: `stream-position` when given,
 * else the transaction id; its order in the transaction: `transaction-record-id`
 * (IncludeTransactionDetails). Without a record id the row key joins the
 * position, so two rows of one transaction never share a natural key.
 */
export function changeFromDms(doc: Record<string, unknown>, ctx: ValidationContext): ChangeResult {
  const fail = (r: Rejection): ChangeResult => ({ ok: false, format: 'dms', rejection: r });
  const m = doc.metadata as Record<string, unknown>;
  if (m['record-type'] !== 'data')
    return fail(
      reject('NOT_A_CHANGE', `DMS ${JSON.stringify(m['record-type'])?.slice(0, 40)} record (${JSON.stringify(m.operation)?.slice(0, 40)}), not a row change`),
    );
  const timeText = typeof m['commit-timestamp'] === 'string' ? m['commit-timestamp'] : m.timestamp;
  if (typeof timeText !== 'string') return fail(reject('MISSING_FIELD', 'DMS metadata has no "timestamp"'));
  const commitUs = parseTimestampUs(timeText);
  if (commitUs === undefined) return fail(reject('BAD_NUMBER', `DMS timestamp ${JSON.stringify(timeText.slice(0, 40))} is not a timestamp`));
  const xid = dmsInteger(m['transaction-id']);
  const recordId = m['transaction-record-id'];
  if (recordId !== undefined && dmsInteger(recordId) === undefined)
    return fail(reject('BAD_POSITION', `transaction-record-id ${JSON.stringify(recordId).slice(0, 40)} is not an integer`));
  const position = typeof m['stream-position'] === 'string' && m['stream-position'] !== '' ? m['stream-position'] : undefined;
  if (position === undefined && m['transaction-id'] === undefined)
    return fail(reject('MISSING_FIELD', 'DMS metadata has neither "stream-position" nor "transaction-id" (set IncludeTransactionDetails)'));
  const op = m.operation;
  const data = doc.data;
  const r = changeFrom(
    {
      lsn: position ?? `dms:${String(m['transaction-id']).slice(0, 40)}`,
      commit_order: commitUs,
      seq: dmsInteger(recordId) ?? 0,
      xid: xid ?? null,
      commit_time: commitUs,
      schema: m['schema-name'],
      table: m['table-name'],
      op,
      before: op === 'delete' ? data : (doc['before-image'] ?? null),
      after: op === 'delete' ? null : data,
    },
    'dms',
    ctx,
  );
  if (!r.ok || recordId !== undefined || position !== undefined) return r;
  return { ok: true, change: { ...r.change, lsn: `${r.change.lsn}:${r.change.row_key}` } };
}
