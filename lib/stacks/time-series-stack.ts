/**
 * Time series: the store behind the dashboards' live charts.
 *
 * - `timestream-liveanalytics`: a Timestream database with `trades`, `predictions` and
 *   `minute_bars` tables (memory store for recent data, magnetic store for
 *   history, magnetic-store writes on for replays of old data). Closed to new
 *   AWS customers since 2025-06-20: only accounts that already use it can pick it.
 * - `timestream-influxdb`: a Timestream for InfluxDB instance in private
 *   subnets of its own VPC; the admin credentials live in Secrets Manager.
 *
 * When a writer entry is given (lambdas/timeseries-writer/handler.ts once it
 * exists), a writer function consumes the ingestion stream with the same
 * safety settings as the stream transform, and the enriched stream (the closed
 * minute bars the predict function puts there) with the same settings again;
 * for InfluxDB it runs inside the VPC.
 *
 * The points function (lib/constructs/time-series-points.ts) writes the points
 * other functions invoke it with (the predict function: minute bars and
 * predictions) and answers with the per-point verdicts; it may write only the
 * `minute_bars` and `predictions` tables, and for InfluxDB it runs inside the
 * VPC with the writer's network access. So only this stack holds the store's
 * grants, credentials and network.
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as timestream from 'aws-cdk-lib/aws-timestream';
import type { Construct } from 'constructs';
import { catalogName, namePrefix, type TicklakeConfig } from '../config.js';
import { MSK_WILDCARD_REASON, StreamSubscription, streamSourceFor } from '../constructs/stream-subscription.js';
import { TicklakeFunction } from '../constructs/ticklake-function.js';
import {
  TIMESERIES_POINTS_ENTRY,
  TIMESERIES_POINTS_SERVICE,
  TIMESERIES_POINTS_TABLES,
  timeSeriesPointsFunctionName,
} from '../constructs/time-series-points.js';
import { acknowledge } from '../nag.js';
import { MEASUREMENT_TABLES } from '../../src/timeseries/measurements.js';
import type { MskIngestion } from './ingestion-stack.js';

/** Tables of the LiveAnalytics database: one per measurement (derived from the source registry). */
export const TIME_SERIES_TABLES: readonly string[] = [...new Set(Object.values(MEASUREMENT_TABLES))];
export const INFLUXDB_PORT = 8086;
export const INFLUXDB_ORG = 'ticklake';
export const INFLUXDB_BUCKET = 'market';
export const TIMESERIES_WRITER_SERVICE = 'timeseries-writer';
/** Points the writer and the points function count as refused by the store (namespace `ticklake`, dimension `service`). */
export const TIME_SERIES_REJECTED_METRIC = 'TimeSeriesPointsRejected';

export interface TimeSeriesStackProps extends StackProps {
  readonly config: TicklakeConfig;
  readonly stream?: kinesis.IStream;
  /** The enriched stream: the writer also consumes the closed bars put there. */
  readonly enrichedStream?: kinesis.IStream;
  readonly msk?: MskIngestion;
  /** Writer function entry; without it no writer is deployed. */
  readonly writerEntry?: string;
  /** Points function entry (default lambdas/timeseries-points/handler.ts). */
  readonly pointsEntry?: string;
}

export class TimeSeriesStack extends Stack {
  readonly writer?: TicklakeFunction;
  readonly writerDeadLetterQueue?: sqs.IQueue;
  /** The on-failure destination of the writer's enriched-stream mapping. */
  readonly writerEnrichedDeadLetterQueue?: sqs.IQueue;
  /** The time-series points function. */
  readonly points: TicklakeFunction;
  /** LiveAnalytics database name, or the InfluxDB instance name. */
  readonly storeName: string;

  constructor(scope: Construct, id: string, props: TimeSeriesStackProps) {
    super(scope, id, props);
    const { config } = props;
    const prefix = namePrefix(config);
    const removalPolicy = config.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    if (config.timeSeries === 'none') throw new Error('TimeSeriesStack needs timeSeries other than none');

    let writerEnv: Record<string, string> = {};
    let network: { vpc: ec2.IVpc; securityGroup: ec2.SecurityGroup } | undefined;
    /** Grants a function write access to the store (to the given LiveAnalytics tables). */
    let grantStore: (fn: TicklakeFunction, tables: readonly string[]) => void;

    if (config.timeSeries === 'timestream-liveanalytics') {
      this.storeName = catalogName(config);
      const database = new timestream.CfnDatabase(this, 'Database', { databaseName: this.storeName });
      database.applyRemovalPolicy(removalPolicy);
      const maintenanceReason =
        'LiveAnalytics is deliberately opt-in (timeSeries=timestream-liveanalytics) for accounts that already use it; it is closed to new customers since 2025-06-20 and the default and documented choice for new accounts is timestream-influxdb or none';
      acknowledge(database, 'CloudFormation-Validate::W3697', maintenanceReason);
      acknowledge(
        database,
        'AwsSolutions-TS3',
        'Timestream encrypts every table at rest with an AWS managed KMS key; a customer managed key adds a monthly key charge and key-policy upkeep for market data that is public anyway',
      );
      const tables = TIME_SERIES_TABLES.map((name) => {
        const table = new timestream.CfnTable(this, `Table-${name}`, {
          databaseName: this.storeName,
          tableName: name,
          retentionProperties: {
            MemoryStoreRetentionPeriodInHours: String(config.timestreamMemoryRetentionHours),
            MagneticStoreRetentionPeriodInDays: String(config.timestreamMagneticRetentionDays),
          },
          // Replays of historical files write points older than the memory store window.
          magneticStoreWriteProperties: { EnableMagneticStoreWrites: true },
        });
        table.node.addDependency(database);
        table.applyRemovalPolicy(removalPolicy);
        acknowledge(table, 'CloudFormation-Validate::W3697', maintenanceReason);
        return table;
      });
      writerEnv = { TIMESTREAM_DATABASE: this.storeName, TIMESTREAM_TABLES: TIME_SERIES_TABLES.join(',') };
      grantStore = (w, names) => {
        iam.Grant.addToPrincipal({
          grantee: w.role,
          actions: ['timestream:WriteRecords', 'timestream:DescribeTable'],
          resourceArns: tables.filter((t) => names.includes(t.tableName!)).map((t) => t.attrArn),
        });
        // Timestream's endpoint discovery call cannot be scoped to a resource.
        iam.Grant.addToPrincipal({ grantee: w.role, actions: ['timestream:DescribeEndpoints'], resourceArns: ['*'] });
      };
      new CfnOutput(this, 'TimestreamDatabase', { value: this.storeName });
    } else {
      this.storeName = prefix;
      const flowLogs = new logs.LogGroup(this, 'VpcFlowLogs', {
        retention: config.logRetentionDays as logs.RetentionDays,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const vpc = new ec2.Vpc(this, 'Vpc', {
        vpcName: `${prefix}-timeseries`,
        maxAzs: 2,
        natGateways: 0,
        subnetConfiguration: [{ name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
        flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.ALL } },
      });
      const writerSg = new ec2.SecurityGroup(this, 'WriterSecurityGroup', {
        vpc,
        description: 'ticklake time-series writer: reaches InfluxDB and the Secrets Manager endpoint only',
        allowAllOutbound: false,
      });
      const influxSg = new ec2.SecurityGroup(this, 'InfluxDbSecurityGroup', {
        vpc,
        description: 'ticklake InfluxDB: accepts the writer on 8086',
        allowAllOutbound: false,
      });
      influxSg.addIngressRule(writerSg, ec2.Port.tcp(INFLUXDB_PORT), 'time-series writer');
      writerSg.addEgressRule(influxSg, ec2.Port.tcp(INFLUXDB_PORT), 'InfluxDB');
      const endpointSg = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
        vpc,
        description: 'Secrets Manager interface endpoint: HTTPS from the writer',
        allowAllOutbound: false,
      });
      endpointSg.addIngressRule(writerSg, ec2.Port.tcp(443), 'time-series writer');
      writerSg.addEgressRule(endpointSg, ec2.Port.tcp(443), 'Secrets Manager endpoint');
      vpc.addInterfaceEndpoint('SecretsManager', {
        service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
        securityGroups: [endpointSg],
        privateDnsEnabled: true,
        // Only the writer may use it (rule above), not the whole VPC CIDR.
        open: false,
      });

      const credentials = new secretsmanager.Secret(this, 'InfluxDbCredentials', {
        secretName: `${prefix}/influxdb/admin`,
        description: 'ticklake InfluxDB admin user (username, password, organization, bucket)',
        generateSecretString: {
          secretStringTemplate: JSON.stringify({ username: 'ticklake-admin', organization: INFLUXDB_ORG, bucket: INFLUXDB_BUCKET }),
          generateStringKey: 'password',
          passwordLength: 32,
          excludePunctuation: true,
        },
        removalPolicy,
      });
      acknowledge(
        credentials,
        'AwsSolutions-SMG4',
        'Timestream for InfluxDB has no managed rotation for the initial admin password; rotate by updating the instance and this secret together (docs/deploy.md)',
      );

      const instance = new timestream.CfnInfluxDBInstance(this, 'InfluxDb', {
        name: this.storeName,
        dbInstanceType: config.influxDbInstanceType,
        dbStorageType: 'InfluxIOIncludedT1',
        allocatedStorage: config.influxDbStorageGiB,
        deploymentType: 'SINGLE_AZ',
        publiclyAccessible: false,
        organization: INFLUXDB_ORG,
        bucket: INFLUXDB_BUCKET,
        username: 'ticklake-admin',
        password: credentials.secretValueFromJson('password').unsafeUnwrap(),
        vpcSubnetIds: vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }).subnetIds,
        vpcSecurityGroupIds: [influxSg.securityGroupId],
        port: INFLUXDB_PORT,
      });
      instance.applyRemovalPolicy(removalPolicy);
      network = { vpc, securityGroup: writerSg };
      writerEnv = {
        INFLUXDB_URL: `https://${instance.attrEndpoint}:${INFLUXDB_PORT}`,
        INFLUXDB_SECRET_ARN: credentials.secretArn,
        INFLUXDB_ORG,
        INFLUXDB_BUCKET,
      };
      grantStore = (w) => credentials.grantRead(w.role);
      new CfnOutput(this, 'InfluxDbEndpoint', { value: instance.attrEndpoint });
      new CfnOutput(this, 'InfluxDbSecretArn', { value: credentials.secretArn });
    }

    const wildcardResourceReason =
      config.timeSeries === 'timestream-liveanalytics'
        ? 'timestream:DescribeEndpoints (endpoint discovery before writing) cannot be scoped to a resource either; the writes themselves are scoped to the tables'
        : undefined;
    const inVpc = {
      vpc: network?.vpc,
      vpcSubnets: network ? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } : undefined,
      securityGroups: network ? [network.securityGroup] : undefined,
    };

    if (props.writerEntry) {
      const functionName = `${prefix}-timeseries-writer`;
      this.writer = new TicklakeFunction(this, 'Writer', {
        config,
        entry: props.writerEntry,
        functionName,
        description: `Writes trade points from the stream to ${config.timeSeries}`,
        serviceName: TIMESERIES_WRITER_SERVICE,
        memorySize: 512,
        timeout: Duration.seconds(60),
        environment: { TIME_SERIES_ENGINE: config.timeSeries, ...writerEnv },
        ...inVpc,
        wildcardResourceReason: [wildcardResourceReason, config.ingestion === 'msk' ? MSK_WILDCARD_REASON : undefined].filter(Boolean).join('; ') || undefined,
      });
      grantStore(this.writer, TIME_SERIES_TABLES);
      const subscription = new StreamSubscription(this, 'Source', {
        config,
        function: this.writer.function,
        source: streamSourceFor(config, functionName, props),
        deadLetterQueueName: `${functionName}-dead-letters`,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      this.writerDeadLetterQueue = subscription.deadLetterQueue;
      if (props.enrichedStream) {
        // The closed bars the predict function puts on the enriched stream, with the same safety settings.
        const enriched = new StreamSubscription(this, 'Enriched', {
          config,
          function: this.writer.function,
          source: { kind: 'kinesis', stream: props.enrichedStream },
          deadLetterQueueName: `${functionName}-enriched-dead-letters`,
          removalPolicy: RemovalPolicy.DESTROY,
        });
        this.writerEnrichedDeadLetterQueue = enriched.deadLetterQueue;
      }
    }

    const pointsFunctionName = timeSeriesPointsFunctionName(config);
    this.points = new TicklakeFunction(this, 'Points', {
      config,
      entry: props.pointsEntry ?? TIMESERIES_POINTS_ENTRY,
      functionName: pointsFunctionName,
      description: `Writes the minute-bar and prediction points it is invoked with to ${config.timeSeries} and answers with the verdict per point`,
      serviceName: TIMESERIES_POINTS_SERVICE,
      memorySize: 256,
      // Below the predict function's one minute, which waits for it.
      timeout: Duration.seconds(30),
      environment: {
        TIME_SERIES_ENGINE: config.timeSeries,
        ...writerEnv,
        ...(config.timeSeries === 'timestream-liveanalytics' ? { TIMESTREAM_TABLES: TIMESERIES_POINTS_TABLES.join(',') } : {}),
      },
      ...inVpc,
      wildcardResourceReason,
      noDeadLetterQueueReason:
        'Invoked only synchronously (RequestResponse) by the predict function, which gets every verdict or error back and retries on its next tick; an asynchronous dead-letter queue would never receive anything',
    });
    grantStore(this.points, TIMESERIES_POINTS_TABLES);
    new CfnOutput(this, 'PointsFunctionName', { value: pointsFunctionName });
  }
}
