/**
 * The sources' message schemas against their released versions: what the Glue
 * Schema Registry enforces at deploy time (compatibility BACKWARD: a consumer
 * using the new schema reads data written with the last version), checked
 * before deploy. A source's current definition lives in its folder
 * (`messageSchema`); each released version is frozen in
 * `glue-schemas/messages/<id>/v<N>.avsc`. The definition is either the last
 * released version, unchanged, or the next version, which must read what the
 * last one wrote. Pure (avsc).
 */
import avsc from 'avsc';
import type { AvroRecord, AvroType } from '../core/avro.js';
import type { MessageSchema, SourceDefinition } from '../sources/contract.js';

/** A released version of a source's message schema (file `v<version>.avsc`). */
export interface ReleasedVersion {
  readonly version: number;
  readonly avro: AvroRecord;
}

/** How a source's definition stands against its released versions. */
export type SchemaState =
  /** The definition is the last released version. */
  | { readonly ok: true; readonly status: 'released' }
  /** The definition is the next version: valid, and BACKWARD-compatible with the last released one (if any). */
  | { readonly ok: true; readonly status: 'unreleased' }
  | { readonly ok: false; readonly problem: string };

const parse = (t: AvroType) => avsc.Type.forSchema(t as avsc.Schema);

/**
 * Why a consumer using `newer` cannot read data written with `older`, or
 * undefined when it can (Avro schema resolution: fields the writer did not
 * write need a default, types must promote, names must match).
 */
export function backwardProblem(newer: AvroType, older: AvroType): string | undefined {
  try {
    parse(newer).createResolver(parse(older));
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** JSON with object keys sorted, so that two definitions compare by content. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object' && v !== null)
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** True when two schemas are the same definition (docs and defaults included). */
export function sameDefinition(a: AvroType, b: AvroType): boolean {
  return canonical(a) === canonical(b);
}

/**
 * Checks a source's definition against its released versions (any order): the
 * released ones are v1..vK, each BACKWARD-compatible with the one before; the
 * definition is vK unchanged, or vK+1 BACKWARD-compatible with vK.
 */
export function checkMessageSchema(schema: MessageSchema, released: readonly ReleasedVersion[]): SchemaState {
  const fail = (problem: string): SchemaState => ({ ok: false, problem });
  try {
    parse(schema.avro);
  } catch (e) {
    return fail(`the definition is not a valid Avro schema: ${(e as Error).message}`);
  }
  const versions = [...released].sort((a, b) => a.version - b.version);
  for (const [i, r] of versions.entries()) {
    if (r.version !== i + 1) return fail(`released versions must be v1..vN without gaps; found v${r.version} where v${i + 1} belongs`);
    const previous = versions[i - 1];
    const problem = previous && backwardProblem(r.avro, previous.avro);
    if (problem) return fail(`released v${r.version} cannot read data written with v${previous!.version}: ${problem}`);
  }
  const last = versions.at(-1);
  const k = last?.version ?? 0;
  if (schema.version === k && last) {
    if (sameDefinition(schema.avro, last.avro)) return { ok: true, status: 'released' };
    return fail(`v${k} is released and frozen, but the definition differs from it: give the change version ${k + 1}`);
  }
  if (schema.version !== k + 1) return fail(`the definition says version ${schema.version}; the last released is ${k}, so it must be ${k} or ${k + 1}`);
  const problem = last && backwardProblem(schema.avro, last.avro);
  if (problem) return fail(`v${schema.version} is not BACKWARD-compatible with released v${k} (it cannot read data written with it): ${problem}`);
  return { ok: true, status: 'unreleased' };
}

/**
 * The definitions to register, in version order: every released version, then
 * the definition itself when it is not released yet. The first is the Glue
 * schema's initial definition, each later one a new schema version.
 */
export function versionsToRegister(schema: MessageSchema, released: readonly ReleasedVersion[]): readonly ReleasedVersion[] {
  const versions = [...released].sort((a, b) => a.version - b.version);
  return versions.some((r) => r.version === schema.version) ? versions : [...versions, { version: schema.version, avro: schema.avro }];
}

/** The sources that declare a message schema, with it. */
export function sourcesWithMessageSchemas(sources: readonly SourceDefinition[]): readonly (SourceDefinition & { readonly messageSchema: MessageSchema })[] {
  return sources.filter((s): s is SourceDefinition & { readonly messageSchema: MessageSchema } => s.messageSchema !== undefined);
}

/**
 * Whether a message conforms to a schema (every required field present with
 * the right type; with `strict`, no field the schema does not declare). Returns
 * the paths of the values that do not, empty when it conforms.
 */
export function nonConforming(avro: AvroType, message: unknown, strict = true): readonly string[] {
  const bad: string[] = [];
  parse(avro).isValid(message, {
    noUndeclaredFields: strict,
    errorHook: (path: string[]) => {
      bad.push(path.join('.') || '(record)');
    },
  });
  return bad;
}
