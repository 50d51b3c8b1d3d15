import { beforeAll, describe, expect, it } from 'vitest';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { MessageSchemaRegistry } from '../../lib/constructs/message-schema-registry.js';
import type { MessageSchema } from '../../src/sources/contract.js';
import { SOURCES, sourceById } from '../../src/sources/index.js';
import { type BuiltApp, buildApp, resourcesOf } from './helpers.js';

let built: BuiltApp;
beforeAll(() => {
  built = buildApp();
});

describe('catalog stack: the Glue Schema Registry', () => {
  it('one AVRO schema per source with a message schema, compatibility BACKWARD, defined by the source', () => {
    // Act
    const t = built.template(built.stacks.catalog);
    const registries = resourcesOf(t, 'AWS::Glue::Registry');
    const schemas = resourcesOf(t, 'AWS::Glue::Schema').map(([, r]) => r.Properties);
    // Assess
    expect(registries.map(([, r]) => r.Properties.Name)).toEqual(['ticklake-dev-messages']);
    const withSchemas = SOURCES.filter((s) => s.messageSchema);
    expect(schemas.map((s) => s.Name)).toEqual(withSchemas.map((s) => s.id));
    for (const s of schemas) {
      expect(s).toMatchObject({ DataFormat: 'AVRO', Compatibility: 'BACKWARD', Registry: { Arn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } } });
      expect(JSON.parse(s.SchemaDefinition)).toEqual(sourceById(s.Name).messageSchema!.avro);
    }
    // Every version is released: nothing registered beyond v1.
    expect(resourcesOf(t, 'AWS::Glue::SchemaVersion')).toEqual([]);
  });

  it('registers a new version after the released ones, in order, and refuses a breaking one at synth', () => {
    // Prepare
    const stock = sourceById('stock-ticks');
    const v1 = stock.messageSchema!;
    const next = (fields: MessageSchema['avro']['fields']): MessageSchema => ({ version: 2, avro: { ...v1.avro, fields } });
    const build = (messageSchema: MessageSchema) => {
      const stack = new Stack(new App(), 'S');
      new MessageSchemaRegistry(stack, 'R', { registryName: 'r', sources: [{ ...stock, messageSchema }], released: () => [{ version: 1, avro: v1.avro }] });
      return Template.fromStack(stack);
    };
    // Act
    const t = build(next([...v1.avro.fields, { name: 'exchange', type: ['null', 'string'], default: null }]));
    // Assess
    const [[schemaId, schema]] = resourcesOf(t, 'AWS::Glue::Schema');
    expect(JSON.parse(schema.Properties.SchemaDefinition)).toEqual(v1.avro);
    const [[, version]] = resourcesOf(t, 'AWS::Glue::SchemaVersion');
    expect(version.Properties.Schema).toEqual({ SchemaArn: { 'Fn::GetAtt': [schemaId, 'Arn'] } });
    expect(JSON.parse(version.Properties.SchemaDefinition).fields.at(-1).name).toBe('exchange');
    expect((version as { DependsOn?: string[] }).DependsOn).toContain(schemaId);
    expect(() => build(next(v1.avro.fields.map((f) => (f.name === 'price' ? { ...f, type: 'string' } : f))))).toThrow(
      /stock-ticks v2: v2 is not BACKWARD-compatible with released v1/,
    );
  });
});
