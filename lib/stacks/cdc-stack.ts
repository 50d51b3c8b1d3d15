/**
 * Change data capture in the cloud (`-c cdc=true`): AWS DMS Serverless reads
 * the web shop's RDS or Aurora PostgreSQL database by logical replication and
 * puts every row change on the Kinesis stream, where the cdc source reads DMS's
 * Kinesis JSON (src/sources/cdc/change.ts) into `cdc_changes`.
 *
 * - **Source endpoint.** PostgreSQL (or Aurora PostgreSQL) with the credentials
 *   taken from Secrets Manager at run time (`cdcSecretArn`: username, password,
 *   host, port): no secret is in code or in the template. DMS reads the secret
 *   through a role that may only `GetSecretValue` that one secret. TLS required.
 *   The database needs `rds.logical_replication = 1` in its parameter group and
 *   `REPLICA IDENTITY FULL` on the captured tables (src/sources/cdc/shop.ts).
 * - **Target endpoint.** The Kinesis stream, single-line JSON, with transaction
 *   details (the position and the record's order in its transaction: the
 *   natural key of `cdc_changes`) and NULL columns kept; a role that may only
 *   describe the stream and put records on it.
 * - **Replication.** A serverless replication config, CDC only (the current
 *   state is merged on read from the changes), the shop's tables selected, the
 *   before image of updates included (`before-image`), in your database's
 *   subnets and security groups (`cdcSubnetIds`, `cdcSecurityGroupIds`).
 *   Creating the subnet group needs the account-wide `dms-vpc-role` (created
 *   once per account, see docs/deploy.md).
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as dms from 'aws-cdk-lib/aws-dms';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type { Construct } from 'constructs';
import { CAPTURED_TABLES, SHOP_SCHEMA } from '../../src/sources/cdc/index.js';
import { namePrefix, type TicklakeConfig } from '../config.js';

export interface CdcStackProps extends StackProps {
  readonly config: TicklakeConfig;
  /** The stream DMS puts the changes to (ingestion=kinesis). */
  readonly stream: kinesis.IStream;
}

/** The field DMS writes the before image of an update into (the source reads it). */
export const DMS_BEFORE_IMAGE_FIELD = 'before-image';

/** The DMS table mapping: the shop's captured tables, nothing else. */
export function cdcTableMappings(): { rules: Record<string, unknown>[] } {
  return {
    rules: Object.keys(CAPTURED_TABLES).map((table, i) => ({
      'rule-type': 'selection',
      'rule-id': String(i + 1),
      'rule-name': `capture-${table}`,
      'object-locator': { 'schema-name': SHOP_SCHEMA, 'table-name': table },
      'rule-action': 'include',
    })),
  };
}

/** The DMS task settings: before images of updates, CloudWatch logging. */
export function cdcReplicationSettings(): Record<string, unknown> {
  return {
    BeforeImageSettings: { EnableBeforeImage: true, FieldName: DMS_BEFORE_IMAGE_FIELD, ColumnFilter: 'all' },
    Logging: { EnableLogging: true },
  };
}

export class CdcStack extends Stack {
  readonly sourceEndpoint: dms.CfnEndpoint;
  readonly targetEndpoint: dms.CfnEndpoint;
  readonly replication: dms.CfnReplicationConfig;
  readonly secretAccessRole: iam.Role;
  readonly streamRole: iam.Role;

  constructor(scope: Construct, id: string, props: CdcStackProps) {
    super(scope, id, props);
    const { config, stream } = props;
    const name = `${namePrefix(config)}-cdc`;
    const secretArn = config.cdcSecretArn!;
    const dmsPrincipal = new iam.ServicePrincipal(`dms.${this.region}.amazonaws.com`);

    this.secretAccessRole = new iam.Role(this, 'SecretAccessRole', {
      assumedBy: dmsPrincipal,
      description: 'DMS reads the source database credentials from this one secret',
      inlinePolicies: {
        secret: new iam.PolicyDocument({
          statements: [new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secretArn] })],
        }),
      },
    });
    this.streamRole = new iam.Role(this, 'StreamRole', {
      assumedBy: new iam.ServicePrincipal('dms.amazonaws.com'),
      description: 'DMS puts row changes on the ticklake stream, and nothing else',
      inlinePolicies: {
        stream: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({ actions: ['kinesis:DescribeStream', 'kinesis:PutRecord', 'kinesis:PutRecords'], resources: [stream.streamArn] }),
          ],
        }),
      },
    });

    this.sourceEndpoint = new dms.CfnEndpoint(this, 'SourceEndpoint', {
      endpointIdentifier: `${name}-source`,
      endpointType: 'source',
      engineName: config.cdcEngine,
      databaseName: config.cdcDatabaseName,
      sslMode: 'require',
      postgreSqlSettings: {
        secretsManagerSecretId: secretArn,
        secretsManagerAccessRoleArn: this.secretAccessRole.roleArn,
        pluginName: 'test_decoding',
        // A heartbeat keeps the slot's position moving when the captured tables are idle (WAL is not held back).
        heartbeatEnable: true,
        heartbeatFrequency: 5,
      },
    });
    this.targetEndpoint = new dms.CfnEndpoint(this, 'TargetEndpoint', {
      endpointIdentifier: `${name}-kinesis`,
      endpointType: 'target',
      engineName: 'kinesis',
      kinesisSettings: {
        streamArn: stream.streamArn,
        serviceAccessRoleArn: this.streamRole.roleArn,
        messageFormat: 'json-unformatted',
        includeTransactionDetails: true,
        includeNullAndEmpty: true,
        partitionIncludeSchemaTable: true,
        includeControlDetails: false,
        includeTableAlterOperations: false,
      },
    });
    // The role must be able to act before DMS tests the endpoint.
    this.sourceEndpoint.node.addDependency(this.secretAccessRole);
    this.targetEndpoint.node.addDependency(this.streamRole);

    const subnets = new dms.CfnReplicationSubnetGroup(this, 'SubnetGroup', {
      replicationSubnetGroupIdentifier: name,
      replicationSubnetGroupDescription: `ticklake (${config.stage}) change data capture: subnets that reach the source database`,
      subnetIds: [...config.cdcSubnetIds],
    });
    this.replication = new dms.CfnReplicationConfig(this, 'Replication', {
      replicationConfigIdentifier: name,
      replicationType: 'cdc',
      sourceEndpointArn: this.sourceEndpoint.ref,
      targetEndpointArn: this.targetEndpoint.ref,
      tableMappings: cdcTableMappings(),
      replicationSettings: cdcReplicationSettings(),
      computeConfig: {
        replicationSubnetGroupId: subnets.ref,
        vpcSecurityGroupIds: [...config.cdcSecurityGroupIds],
        minCapacityUnits: 1,
        maxCapacityUnits: config.cdcMaxCapacityUnits,
        multiAz: false,
      },
    });

    new CfnOutput(this, 'ReplicationConfigArn', { value: this.replication.attrReplicationConfigArn, description: 'Start it with aws dms start-replication' });
  }
}
