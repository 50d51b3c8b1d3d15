/**
 * Catalog: the Glue database with one table per lake table schema
 * (`glue-schemas/*.json`, registered in `TABLES`), Parquet SerDe and partition
 * projection on `dt`/`hour`, so new partitions are queryable the moment their
 * first object lands (no crawler, no `MSCK REPAIR TABLE`). A compactable table
 * is, under its name, an exact-read view over its Parquet table and its
 * compaction manifests, both in a second database `<database>_files`
 * (lib/catalog/exact-read-views.ts); an Athena workgroup
 * that enforces its result location, result encryption and a per-query scan
 * limit; saved queries for the views users need; and the sources' message
 * schemas in the Glue Schema Registry (lib/constructs/message-schema-registry.ts).
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { TableSchema } from '../../src/lake/table-schema.js';
import { compactableTables, TABLES } from '../../src/catalog.js';
import { DERIVED_VIEWS, NAMED_VIEWS } from '../catalog/derived-views.js';
import { exactReadViewInput, filesDatabaseName, manifestTableInput } from '../catalog/exact-read-views.js';
import { namedQueries } from '../catalog/named-queries.js';
import { MessageSchemaRegistry } from '../constructs/message-schema-registry.js';
import { catalogName, namePrefix, type TicklakeConfig } from '../config.js';
import { projectionParameters, tableLocation } from '../lake-layout.js';

export const PARQUET_SERDE = {
  inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
} as const;

/** Key prefix of the Athena query results inside the results bucket (the workgroup enforces it). */
export const ATHENA_RESULTS_PREFIX = 'athena/';

/** Glue limits column comments to 255 characters. */
const comment = (s: string) => (s.length <= 255 ? s : `${s.slice(0, 252)}...`);

/** The Glue table of a lake table's Parquet files at its location, with partition projection. */
export function parquetTableInput(bucketName: string, table: TableSchema): glue.CfnTable.TableInputProperty {
  const location = tableLocation(bucketName, table);
  return {
    name: table.name,
    description: table.description.slice(0, 2048),
    tableType: 'EXTERNAL_TABLE',
    parameters: {
      EXTERNAL: 'TRUE',
      classification: 'parquet',
      ...projectionParameters(location, table),
    },
    partitionKeys: table.partitionKeys.map((c) => ({ name: c.name, type: c.type, comment: comment(c.description) })),
    storageDescriptor: {
      location,
      inputFormat: PARQUET_SERDE.inputFormat,
      outputFormat: PARQUET_SERDE.outputFormat,
      serdeInfo: { serializationLibrary: PARQUET_SERDE.serializationLibrary, parameters: { 'serialization.format': '1' } },
      compressed: false,
      storedAsSubDirectories: false,
      columns: table.columns.map((c) => ({ name: c.name, type: c.type, comment: comment(c.description) })),
    },
  };
}

export interface CatalogStackProps extends StackProps {
  readonly config: TicklakeConfig;
  /** Name of the lake bucket (see lakeBucketName). */
  readonly lakeBucketName: string;
  readonly athenaResultsBucket: s3.IBucket;
  /** Defaults to every registered table schema. */
  readonly tables?: Readonly<Record<string, TableSchema>>;
}

export class CatalogStack extends Stack {
  readonly databaseName: string;
  readonly workGroupName: string;
  /** The Glue database of the physical tables and manifests behind the exact-read views (see lib/catalog/exact-read-views.ts). */
  readonly filesDatabaseName: string;
  /** What queries name, by table: the exact-read view of a compactable table, else the table itself. */
  readonly tables: Record<string, glue.CfnTable> = {};
  /** The physical Parquet table behind each exact-read view, by table name (files database). */
  readonly fileTables: Record<string, glue.CfnTable> = {};
  /** The sources' message schemas (Glue Schema Registry). */
  readonly messageSchemas: MessageSchemaRegistry;

  constructor(scope: Construct, id: string, props: CatalogStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.databaseName = catalogName(config);
    this.workGroupName = namePrefix(config);
    this.filesDatabaseName = filesDatabaseName(this.databaseName);

    const database = new glue.CfnDatabase(this, 'Database', {
      catalogId: this.account,
      databaseInput: {
        name: this.databaseName,
        description: 'ticklake lake tables as queried: exact-read views of the compactable tables, the other tables (Parquet, partition projection on dt/hour)',
        locationUri: `s3://${props.lakeBucketName}/`,
      },
    });

    this.messageSchemas = new MessageSchemaRegistry(this, 'MessageSchemas', { registryName: `${namePrefix(config)}-messages` });

    // Compactable tables are read through exact-read views; their files and manifests live in the files database.
    const compactable = new Set(compactableTables().map((t) => t.name));
    const filesDatabase = new glue.CfnDatabase(this, 'FilesDatabase', {
      catalogId: this.account,
      databaseInput: {
        name: this.filesDatabaseName,
        description: `ticklake physical tables and compaction manifests behind the exact-read views of ${this.databaseName} (the compaction reads these)`,
        locationUri: `s3://${props.lakeBucketName}/`,
      },
    });
    const inFilesDatabase = (id: string, tableInput: glue.CfnTable.TableInputProperty) => {
      const cfn = new glue.CfnTable(this, id, { catalogId: this.account, databaseName: this.filesDatabaseName, tableInput });
      cfn.node.addDependency(filesDatabase);
      return cfn;
    };

    const derived: TableSchema[] = [];
    for (const table of Object.values(props.tables ?? TABLES)) {
      if (DERIVED_VIEWS[table.name]) {
        derived.push(table);
        continue;
      }
      if (!compactable.has(table.name)) {
        const cfn = new glue.CfnTable(this, `Table-${table.name}`, {
          catalogId: this.account,
          databaseName: this.databaseName,
          tableInput: parquetTableInput(props.lakeBucketName, table),
        });
        cfn.node.addDependency(database);
        this.tables[table.name] = cfn;
        continue;
      }
      const files = inFilesDatabase(`FilesTable-${table.name}`, parquetTableInput(props.lakeBucketName, table));
      const manifests = inFilesDatabase(`ManifestTable-${table.name}`, manifestTableInput(props.lakeBucketName, table));
      // The view keeps the table's construct id: a deployed table of that name becomes the view in place.
      const view = new glue.CfnTable(this, `Table-${table.name}`, {
        catalogId: this.account,
        databaseName: this.databaseName,
        tableInput: exactReadViewInput(table, this.databaseName),
      });
      view.node.addDependency(database, files, manifests);
      this.tables[table.name] = view;
      this.fileTables[table.name] = files;
    }

    const workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: 'ticklake queries: enforced result location and encryption, per-query scan limit',
      state: 'ENABLED',
      recursiveDeleteOption: config.removalPolicy === 'destroy',
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: Math.max(10 * 1024 * 1024, Math.round(config.athenaBytesScannedCutoffGb * 1024 ** 3)),
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${props.athenaResultsBucket.bucketName}/${ATHENA_RESULTS_PREFIX}`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
          expectedBucketOwner: this.account,
        },
      },
    });

    const existing = new Set(Object.keys(this.tables));
    const queries = [...namedQueries()];
    const sourcesOf = (sql: string) => Object.keys(TABLES).filter((t) => new RegExp(`\\b${t}\\b`).test(sql));
    for (const view of derived) {
      const sql = DERIVED_VIEWS[view.name]!();
      queries.push(
        {
          name: `create-view-${view.name}`,
          description: `Run once after the first deploy (and after changes): creates the ${view.name} view - ${view.description}`.slice(0, 1024),
          tables: sourcesOf(sql),
          sql: `CREATE OR REPLACE VIEW ${view.name} AS\n${sql}`,
        },
        {
          name: `${view.name.replace(/_/g, '-')}-today`,
          description: `Today's rows of the ${view.name} view (create it first with create-view-${view.name})`,
          tables: sourcesOf(sql),
          sql: `SELECT *\nFROM ${view.name}\nWHERE dt = date_format(current_date, '%Y-%m-%d')\nORDER BY 1, 2`,
        },
      );
    }
    for (const [name, define] of Object.entries(NAMED_VIEWS)) {
      const sql = define();
      queries.push({
        name: `create-view-${name}`,
        description: `Run once after the first deploy (and after changes): creates the ${name} view, shared with the local runtime`,
        tables: sourcesOf(sql),
        sql: `CREATE OR REPLACE VIEW ${name} AS\n${sql}`,
      });
    }
    for (const q of queries) {
      if (!q.tables.every((t) => existing.has(t))) continue;
      const nq = new athena.CfnNamedQuery(this, `Query-${q.name}`, {
        name: q.name,
        description: q.description,
        database: this.databaseName,
        workGroup: workGroup.name,
        queryString: q.sql,
      });
      nq.node.addDependency(workGroup);
      for (const t of q.tables) nq.node.addDependency(this.tables[t]!);
    }

    new CfnOutput(this, 'GlueDatabaseName', { value: this.databaseName });
    new CfnOutput(this, 'GlueFilesDatabaseName', { value: this.filesDatabaseName });
    new CfnOutput(this, 'AthenaWorkGroupName', { value: this.workGroupName });
  }
}
