/**
 * What every source whose records are JSON does first: parse the text (unless
 * the router already did), check it is the source's kind of document and, when
 * it carries one, that its `schema_version` is known, then let the source
 * validate it. A malformed text and a document of another kind are
 * quarantined the same way for every source.
 */
import { SCHEMA_VERSION_FIELD } from '../core/avro.js';
import { type Rejection, reject } from '../core/reasons.js';
import type { MessageSchema, Quarantined, SourceBatch, TableRows } from './contract.js';

/** How a source reads its JSON documents. */
export interface JsonRecordReader<F extends { readonly ok: true } | { readonly ok: false; readonly rejection: Rejection }> {
  /** The quarantine's `source` column for its records (the format they were read as). */
  readonly format: string;
  /** Whether a parsed document is the source's kind (else `UNKNOWN_FORMAT`, format `unknown`). */
  readonly is: (doc: unknown) => doc is Record<string, unknown>;
  /** The `UNKNOWN_FORMAT` message, e.g. `JSON payload is not an energy reading`. */
  readonly notMine: string;
  /** Validates a document of the source's kind. */
  readonly from: (doc: Record<string, unknown>) => F;
  /** The source's message schema: a document's `schema_version`, when given, must be one of its versions (1..version). */
  readonly schema?: MessageSchema;
}

/** Why a document's `schema_version` is not one the schema knows, or undefined (none given, or a known one). */
export function schemaVersionRejection(doc: Record<string, unknown>, schema: MessageSchema): Rejection | undefined {
  const v = doc[SCHEMA_VERSION_FIELD];
  if (v === undefined || v === null || (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= schema.version)) return undefined;
  return reject(
    'UNKNOWN_SCHEMA_VERSION',
    `${SCHEMA_VERSION_FIELD} ${JSON.stringify(v).slice(0, 40)} is not a version of this message schema (1..${schema.version})`,
  );
}

/**
 * One JSON record read by `reader`: the source's value, or why it is quarantined.
 * @param json the document when the router already parsed the text
 */
export function readJsonRecord<F extends { readonly ok: true } | { readonly ok: false; readonly rejection: Rejection }>(
  text: string,
  json: unknown,
  reader: JsonRecordReader<F>,
): Extract<F, { readonly ok: true }> | ({ ok: false } & Quarantined) {
  let doc = json;
  if (doc === undefined) {
    try {
      doc = JSON.parse(text);
    } catch (e) {
      return { ok: false, source: reader.format, rejection: reject('MALFORMED_JSON', `not valid JSON: ${(e as Error).message}`) };
    }
  }
  if (!reader.is(doc)) return { ok: false, source: 'unknown', rejection: reject('UNKNOWN_FORMAT', reader.notMine) };
  const unknownVersion = reader.schema && schemaVersionRejection(doc, reader.schema);
  if (unknownVersion) return { ok: false, source: reader.format, rejection: unknownVersion };
  const r = reader.from(doc);
  return r.ok ? (r as Extract<F, { readonly ok: true }>) : { ok: false, source: reader.format, rejection: (r as { readonly rejection: Rejection }).rejection };
}

/** The rows of the one table a source writes, taking each value it read. */
export interface ValueRows<T> extends TableRows {
  add(value: T, ingestUs: number): void;
}

/**
 * The batch of a source that writes one table: each record read by `read`
 * (usually {@link readJsonRecord} with the source's reader) and, when valid,
 * added to its rows; what `read` refuses is the record's quarantine reason.
 */
export function oneTableBatch<R extends { readonly ok: true }, T>(o: {
  readonly ingestUs: number;
  readonly rows: ValueRows<T>;
  /** One record: the read value, or why it is quarantined (`nowUs` is the batch's ingest time). */
  readonly read: (text: string, json: unknown, nowUs: number) => R | ({ ok: false } & Quarantined);
  /** The value the rows take out of a successful read. */
  readonly value: (r: R) => T;
}): SourceBatch {
  return {
    add(text, _partitionKey, json) {
      const r = o.read(text, json, o.ingestUs);
      if (!r.ok) return r;
      o.rows.add(o.value(r), o.ingestUs);
      return undefined;
    },
    outputs: () => [o.rows],
  };
}
