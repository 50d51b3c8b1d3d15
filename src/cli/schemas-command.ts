/**
 * `ticklake schemas check | release`: the sources' message schemas against their
 * released versions (glue-schemas/messages/), before the CDK registers them in
 * the Glue Schema Registry with compatibility BACKWARD.
 */
import type { Command } from 'commander';
import { MESSAGE_SCHEMA_DIR, readReleasedVersions, writeReleasedVersion } from '../local/message-schema-files.js';
import { checkMessageSchema, sourcesWithMessageSchemas } from '../schemas/message-schemas.js';
import { SOURCES } from '../sources/index.js';
import type { SourceDefinition } from '../sources/contract.js';

/** One source's line of `schemas check`. */
export interface SchemaCheckLine {
  readonly source: string;
  readonly version: number;
  readonly ok: boolean;
  readonly text: string;
}

/** Checks every source's message schema against its released versions in `dir`. */
export function checkAllMessageSchemas(sources: readonly SourceDefinition[] = SOURCES, dir = MESSAGE_SCHEMA_DIR): SchemaCheckLine[] {
  return sourcesWithMessageSchemas(sources).map((s) => {
    const released = readReleasedVersions(s.id, dir);
    const r = checkMessageSchema(s.messageSchema, released);
    const pending = released.length === 0 ? 'the first version (not released yet)' : `BACKWARD-compatible with v${released.length} (not released yet)`;
    const text = r.ok ? (r.status === 'released' ? 'released' : pending) : r.problem;
    return { source: s.id, version: s.messageSchema.version, ok: r.ok, text };
  });
}

/** Adds `schemas` to the program. */
export function registerSchemasCommand(program: Command, shared: { usageError: (m: string) => Error }): void {
  const schemas = program.command('schemas').description("The sources' message schemas (Avro, registered in the AWS Glue Schema Registry).");
  schemas
    .command('check')
    .description(
      "Fail unless every source's message schema is its last released version (glue-schemas/messages/<id>/v<N>.avsc) or the next one, BACKWARD-compatible with it",
    )
    .action(() => {
      const lines = checkAllMessageSchemas();
      for (const l of lines) console.log(`${l.ok ? 'ok  ' : 'FAIL'} ${l.source} v${l.version}: ${l.text}`);
      const failed = lines.filter((l) => !l.ok).length;
      if (failed > 0) throw new Error(`${failed} message schema${failed === 1 ? '' : 's'} would be rejected by the registry (compatibility BACKWARD)`);
    });
  schemas
    .command('release')
    .description('Freeze each source whose message schema is a new, compatible version: write it to glue-schemas/messages/<id>/v<N>.avsc')
    .action(() => {
      const lines = checkAllMessageSchemas();
      const bad = lines.filter((l) => !l.ok);
      if (bad.length > 0) throw shared.usageError(`not released: ${bad.map((l) => `${l.source} v${l.version}: ${l.text}`).join('; ')}`);
      for (const s of sourcesWithMessageSchemas(SOURCES)) {
        if (lines.find((l) => l.source === s.id)?.text === 'released') continue;
        console.log(`released ${writeReleasedVersion(s.id, s.messageSchema)}`);
      }
    });
}
