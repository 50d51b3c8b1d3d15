/**
 * The cdc source's cloud door (`-c cdc=true`): off by default; when on, AWS DMS
 * Serverless from PostgreSQL (credentials from Secrets Manager, never in the
 * template) to the Kinesis stream, a CDC-only replication of the shop's tables
 * with before images, and roles that may only read that secret and put to the stream.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ConfigError, parseConfig } from '../../lib/config.js';
import { DMS_BEFORE_IMAGE_FIELD } from '../../lib/stacks/cdc-stack.js';
import { readChange } from '../../src/sources/cdc/index.js';
import { type BuiltApp, buildApp, CDK_JSON_CONTEXT, policyStatements, resourcesOf } from './helpers.js';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ticklake-shop-db-AbCdEf';
const ON = {
  cdc: 'true',
  cdcSecretArn: SECRET,
  cdcSubnetIds: 'subnet-0123456789abcdef0,subnet-0fedcba9876543210',
  cdcSecurityGroupIds: 'sg-0123456789abcdef0',
};

let off: BuiltApp;
let on: BuiltApp;
beforeAll(() => {
  off = buildApp();
  on = buildApp(ON);
});

const problemsOf = (overrides: Record<string, unknown>): string => {
  try {
    parseConfig({ ...CDK_JSON_CONTEXT, ...overrides });
    return '';
  } catch (e) {
    return (e as ConfigError).problems.join('\n');
  }
};

describe('DMS change data capture stack', () => {
  it('is off by default', () => {
    expect(off.config.cdc).toBe(false);
    expect(off.stacks.cdc).toBeUndefined();
  });

  it('reads PostgreSQL with the credentials from Secrets Manager, over TLS, and never holds a password', () => {
    // Act
    const t = on.template(on.stacks.cdc!);
    // Assess
    t.hasResourceProperties('AWS::DMS::Endpoint', {
      EndpointType: 'source',
      EngineName: 'postgres',
      DatabaseName: 'postgres',
      SslMode: 'require',
      PostgreSqlSettings: Match.objectLike({ SecretsManagerSecretId: SECRET, SecretsManagerAccessRoleArn: Match.anyValue() }),
    });
    const source = resourcesOf(t, 'AWS::DMS::Endpoint').find(([, r]) => r.Properties.EndpointType === 'source')![1].Properties;
    for (const k of ['Password', 'Username', 'ServerName', 'Port']) expect(source[k], k).toBeUndefined();
    expect(JSON.stringify(t.toJSON())).not.toMatch(/password"\s*:\s*"[^"]/i);
  });

  it('puts single-line JSON with transaction details on the stream, the table mapping selects the shop tables, CDC only with before images', () => {
    // Act
    const t = on.template(on.stacks.cdc!);
    const target = resourcesOf(t, 'AWS::DMS::Endpoint').find(([, r]) => r.Properties.EndpointType === 'target')![1].Properties;
    const [[, replication]] = resourcesOf(t, 'AWS::DMS::ReplicationConfig') as [[string, { Properties: Record<string, any> }]];
    // Assess
    expect(target.EngineName).toBe('kinesis');
    expect(target.KinesisSettings).toMatchObject({ MessageFormat: 'json-unformatted', IncludeTransactionDetails: true, IncludeNullAndEmpty: true });
    expect(JSON.stringify(target.KinesisSettings.StreamArn)).toMatch(/ticklake|Events/i);
    expect(replication.Properties.ReplicationType).toBe('cdc');
    const tables = replication.Properties.TableMappings.rules.map(
      (r: Record<string, any>) => `${r['object-locator']['schema-name']}.${r['object-locator']['table-name']}`,
    );
    expect(tables.sort()).toEqual(['shop.customers', 'shop.orders']);
    expect(replication.Properties.ReplicationSettings.BeforeImageSettings).toEqual({
      EnableBeforeImage: true,
      FieldName: DMS_BEFORE_IMAGE_FIELD,
      ColumnFilter: 'all',
    });
    expect(replication.Properties.ComputeConfig).toMatchObject({ MaxCapacityUnits: 4, VpcSecurityGroupIds: ['sg-0123456789abcdef0'] });
    t.hasResourceProperties('AWS::DMS::ReplicationSubnetGroup', { SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'] });
  });

  it('a DMS update in the configured format (before image field, transaction details) reads into a change', () => {
    // Prepare: what DMS writes with these settings
    const record = JSON.stringify({
      data: {
        order_id: 7,
        customer_id: 3,
        status: 'paid',
        amount: '19.90',
        currency: 'EUR',
        items: 1,
        created_at: '2026-11-02 10:00:00.000',
        updated_at: '2026-11-02 10:05:00.000',
      },
      [DMS_BEFORE_IMAGE_FIELD]: { order_id: 7, status: 'placed' },
      metadata: {
        timestamp: '2026-11-02T10:05:00.123456Z',
        'record-type': 'data',
        operation: 'update',
        'partition-key-type': 'schema-table',
        'schema-name': 'shop',
        'table-name': 'orders',
        'transaction-id': 8589934592,
        'transaction-record-id': 1,
      },
    });
    // Act
    const r = readChange(record, undefined, Date.UTC(2026, 10, 2, 11) * 1000);
    // Assess
    expect(r.ok && r.change).toMatchObject({ op: 'update', table_name: 'orders', row_key: '7', seq: 1, format: 'dms', lsn: 'dms:8589934592' });
  });

  it('grants DMS only GetSecretValue on that secret and only describe/put on the stream', () => {
    // Prepare
    const t = on.template(on.stacks.cdc!);
    const roles = resourcesOf(t, 'AWS::IAM::Role');
    // Act
    const statements = roles.flatMap(([id, r]) => [
      ...policyStatements(t, id),
      ...((r.Properties.Policies ?? []) as { PolicyDocument: { Statement: Record<string, unknown>[] } }[]).flatMap((p) => p.PolicyDocument.Statement),
    ]);
    const grants = statements.map((s) => ({ actions: [s.Action].flat().sort(), resource: JSON.stringify(s.Resource) }));
    // Assess
    expect(roles).toHaveLength(2);
    expect(grants).toEqual(
      expect.arrayContaining([
        { actions: ['secretsmanager:GetSecretValue'], resource: JSON.stringify(SECRET) },
        { actions: ['kinesis:DescribeStream', 'kinesis:PutRecord', 'kinesis:PutRecords'], resource: expect.stringMatching(/Arn|arn/) },
      ]),
    );
    expect(grants).toHaveLength(2);
  });

  it.each([
    [{ cdc: 'true' }, /cdcSecretArn[\s\S]*cdcSubnetIds[\s\S]*cdcSecurityGroupIds/],
    [{ ...ON, cdcSecretArn: 'my-password' }, /cdcSecretArn: required with cdc=true/],
    [{ ...ON, cdcSubnetIds: 'subnet-0123456789abcdef0' }, /cdcSubnetIds: required with cdc=true: two or more/],
    [{ ...ON, ingestion: 'msk' }, /cdc: DMS puts changes to a Kinesis stream/],
    [{ ...ON, cdcMaxCapacityUnits: '3' }, /cdcMaxCapacityUnits/],
  ])('refuses %j', (overrides, message) => {
    expect(problemsOf(overrides)).toMatch(message);
  });
});
