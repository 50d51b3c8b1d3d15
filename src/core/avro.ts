/**
 * Avro schemas as plain JSON data: the format of the sources' message schemas
 * registered in the AWS Glue Schema Registry (data format AVRO). Only the shapes
 * ticklake writes; compatibility checks live with the use cases (src/schemas/).
 */

/** An Avro type: a primitive or named type's name, a union, or a complex type. */
export type AvroType = string | readonly AvroType[] | AvroRecord | AvroArray | AvroMap;

/** One field of an Avro record. A field with a `default` may be missing from a message. */
export interface AvroField {
  readonly name: string;
  readonly type: AvroType;
  readonly doc?: string;
  readonly default?: unknown;
}

/** An Avro record type. */
export interface AvroRecord {
  readonly type: 'record';
  readonly name: string;
  readonly namespace?: string;
  readonly doc?: string;
  readonly fields: readonly AvroField[];
}

export interface AvroArray {
  readonly type: 'array';
  readonly items: AvroType;
}

export interface AvroMap {
  readonly type: 'map';
  readonly values: AvroType;
}

/** The namespace of every message schema. */
export const MESSAGE_NAMESPACE = 'ticklake.messages';

/** A message record of the namespace {@link MESSAGE_NAMESPACE}. */
export function messageRecord(name: string, doc: string, fields: readonly AvroField[]): AvroRecord {
  return { type: 'record', name, namespace: MESSAGE_NAMESPACE, doc, fields };
}

/**
 * The record of a message in ticklake's envelope: `source` first (the router's
 * fast path), then the optional {@link schemaVersionField}, then `fields`.
 */
export function envelopeRecord(name: string, source: string, doc: string, fields: readonly AvroField[]): AvroRecord {
  return messageRecord(name, doc, [field('source', 'string', `The envelope: "${source}"`), schemaVersionField, ...fields]);
}

/** A required field. */
export function field(name: string, type: AvroType, doc: string): AvroField {
  return { name, type, doc };
}

/** An optional field: null or `type`, null when the message leaves it out. */
export function optional(name: string, type: AvroType, doc: string): AvroField {
  return { name, type: ['null', type], doc, default: null };
}

/** Name of the envelope field a record may carry its message schema version in. */
export const SCHEMA_VERSION_FIELD = 'schema_version';

/** The `schema_version` field every envelope schema declares (optional: producers may leave it out). */
export const schemaVersionField: AvroField = optional(
  SCHEMA_VERSION_FIELD,
  'int',
  'Version of this message schema the producer wrote (1, 2, ...); a version the transform does not know is quarantined as UNKNOWN_SCHEMA_VERSION',
);
