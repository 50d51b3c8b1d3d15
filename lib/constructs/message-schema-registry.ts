/**
 * The sources' message schemas in the AWS Glue Schema Registry: one registry,
 * one schema per source that declares a `messageSchema` (data format AVRO,
 * compatibility BACKWARD), from the same definitions the sources validate by.
 * The schema's initial definition is the first released version; each later
 * version (`glue-schemas/messages/<id>/v<N>.avsc`, then the source's own
 * definition when it is a new version) is an `AWS::Glue::SchemaVersion`, so the
 * registry checks each against the one before, as `ticklake schemas check`
 * does before deploy. Synth fails on a definition the check rejects.
 */
import * as glue from 'aws-cdk-lib/aws-glue';
import { Construct } from 'constructs';
import { readReleasedVersions } from '../../src/local/message-schema-files.js';
import { checkMessageSchema, type ReleasedVersion, sourcesWithMessageSchemas, versionsToRegister } from '../../src/schemas/message-schemas.js';
import type { SourceDefinition } from '../../src/sources/contract.js';
import { SOURCES } from '../../src/sources/index.js';

export interface MessageSchemaRegistryProps {
  readonly registryName: string;
  /** Default: the registry's sources. */
  readonly sources?: readonly SourceDefinition[];
  /** A source's released versions (default: read from glue-schemas/messages/). */
  readonly released?: (sourceId: string) => readonly ReleasedVersion[];
}

/** Compatibility of every message schema: a consumer on the new version reads what the previous one wrote. */
export const MESSAGE_SCHEMA_COMPATIBILITY = 'BACKWARD';

export class MessageSchemaRegistry extends Construct {
  readonly registry: glue.CfnRegistry;
  /** The Glue schema of each source, by source id. */
  readonly schemas: Record<string, glue.CfnSchema> = {};

  constructor(scope: Construct, id: string, props: MessageSchemaRegistryProps) {
    super(scope, id);
    const released = props.released ?? ((sourceId: string) => readReleasedVersions(sourceId));
    this.registry = new glue.CfnRegistry(this, 'Registry', {
      name: props.registryName,
      description: "ticklake's stream message schemas, one per source (Avro, compatibility BACKWARD)",
    });
    for (const source of sourcesWithMessageSchemas(props.sources ?? SOURCES)) {
      const versions = released(source.id);
      const state = checkMessageSchema(source.messageSchema, versions);
      if (!state.ok) throw new Error(`message schema of ${source.id} v${source.messageSchema.version}: ${state.problem}`);
      const [first, ...later] = versionsToRegister(source.messageSchema, versions);
      const schema = new glue.CfnSchema(this, `Schema-${source.id}`, {
        name: source.id,
        description: `${source.title}: ${source.messageSchema.avro.doc ?? 'stream message'}`.slice(0, 1000),
        registry: { arn: this.registry.attrArn },
        dataFormat: 'AVRO',
        compatibility: MESSAGE_SCHEMA_COMPATIBILITY,
        schemaDefinition: JSON.stringify(first!.avro),
      });
      let previous: Construct = schema;
      for (const v of later) {
        const version = new glue.CfnSchemaVersion(this, `Schema-${source.id}-v${v.version}`, {
          schema: { schemaArn: schema.attrArn },
          schemaDefinition: JSON.stringify(v.avro),
        });
        // Registered in order: the registry checks each version against the one before.
        version.node.addDependency(previous);
        previous = version;
      }
      this.schemas[source.id] = schema;
    }
  }
}
