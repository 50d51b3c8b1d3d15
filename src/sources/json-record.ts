/**
 * What every source whose records are JSON does first: parse the text (unless
 * the router already did), check it is the source's kind of document, then let
 * the source validate it. A malformed text and a document of another kind are
 * quarantined the same way for every source.
 */
import { type Rejection, reject } from '../core/reasons.js';
import type { Quarantined } from './contract.js';

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
  const r = reader.from(doc);
  return r.ok ? (r as Extract<F, { readonly ok: true }>) : { ok: false, source: reader.format, rejection: (r as { readonly rejection: Rejection }).rejection };
}
