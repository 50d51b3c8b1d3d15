import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetMetadata } from 'hyparquet';
import { beforeAll, describe, expect, it } from 'vitest';
import { lakeKey } from '../../src/lake/layout.js';
import { encodeParquet, type ColumnValues } from '../../src/lake/parquet.js';
import { DERIVED_VIEWS, NAMED_VIEWS, SHIPPED_DIMENSIONS } from '../../lib/catalog/derived-views.js';
import { PARQUET_SERDE } from '../../lib/stacks/catalog-stack.js';
import { GLUE_SCHEMA_DIR } from '../../lib/paths.js';
import { projectionParameters } from '../../lib/lake-layout.js';
import { parseTableSchema, type GlueType, type TableSchema } from '../../src/lake/table-schema.js';
import { compactableTables, TABLES } from '../../src/catalog.js';
import { type BuiltApp, buildApp, evaluate, FAKE_ACCOUNT, FAKE_REGION, resourcesOf } from './helpers.js';

let built: BuiltApp;
beforeAll(() => {
  built = buildApp();
});

const LAKE = `ticklake-dev-lake-${FAKE_ACCOUNT}-${FAKE_REGION}`;

describe('storage stack', () => {
  it('every bucket: encrypted, TLS-only, public access blocked, retained by default', () => {
    const t = built.template(built.stacks.storage);
    const buckets = resourcesOf(t, 'AWS::S3::Bucket');
    expect(buckets).toHaveLength(4);
    for (const [id, b] of buckets) {
      expect(b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm, id).toBe('AES256');
      expect(b.Properties.PublicAccessBlockConfiguration, id).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    }
    t.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    for (const [, p] of resourcesOf(t, 'AWS::S3::BucketPolicy')) {
      expect(p.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      );
    }
    expect(resourcesOf(t, 'AWS::S3::BucketPolicy')).toHaveLength(4);
  });

  it('lake, results and model buckets log server access to the access-log bucket', () => {
    const t = built.template(built.stacks.storage);
    const logged = resourcesOf(t, 'AWS::S3::Bucket').filter(([, b]) => b.Properties.LoggingConfiguration);
    expect(logged.map(([, b]) => b.Properties.LoggingConfiguration.LogFilePrefix).sort()).toEqual(['athena-results/', 'lake/', 'model-artifacts/']);
  });

  it('lake bucket: predictable name, versioned, lifecycle rules expire raw and quarantine data', () => {
    const t = built.template(built.stacks.storage);
    const [[, lake]] = resourcesOf(t, 'AWS::S3::Bucket').filter(([, b]) => b.Properties.LoggingConfiguration?.LogFilePrefix === 'lake/') as any;
    expect(evaluate(lake.Properties.BucketName)).toBe(LAKE);
    expect(lake.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    const rules = lake.Properties.LifecycleConfiguration.Rules;
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Id: 'expire-raw', Prefix: 'raw/', ExpirationInDays: built.config.rawRetentionDays, Status: 'Enabled' }),
        expect.objectContaining({ Id: 'expire-quarantine', Prefix: 'quarantine/', ExpirationInDays: built.config.quarantineRetentionDays }),
        expect.objectContaining({ Id: 'abort-incomplete-uploads', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
      ]),
    );
    // curated / aggregate are kept forever by default (0 days)
    expect(rules.find((r: any) => r.Prefix === 'curated/')).toBeUndefined();
  });

  it('removalPolicy=destroy empties and deletes the buckets', () => {
    const b = buildApp({ stage: 'scratch', removalPolicy: 'destroy' });
    const t = b.template(b.stacks.storage);
    t.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    t.resourceCountIs('Custom::S3AutoDeleteObjects', 4);
  });
});

/** The Glue tables and views of one database as synthesized, by name. */
function tablesOf(b: BuiltApp, database: string): Record<string, any> {
  const t = b.template(b.stacks.catalog);
  return Object.fromEntries(
    resourcesOf(t, 'AWS::Glue::Table')
      .filter(([, r]) => r.Properties.DatabaseName === database)
      .map(([, r]) => [r.Properties.TableInput.Name, r.Properties]),
  );
}

/** The Glue tables over each lake table's Parquet files, by table name: the files database's for a compactable table, else the main one's. */
function glueTables(b: BuiltApp): Record<string, any> {
  const compactable = new Set(compactableTables().map((t) => t.name));
  const main = tablesOf(b, 'ticklake_dev');
  const files = tablesOf(b, 'ticklake_dev_files');
  return Object.fromEntries(Object.keys(main).map((name) => [name, compactable.has(name) ? files[name] : main[name]]));
}

const glueColumns = (cols: { Name: string; Type: string }[]) => cols.map((c) => ({ name: c.Name, type: c.Type }));

describe('catalog stack: Glue tables', () => {
  it('one table per file in glue-schemas/ (views aside), columns and types exactly as the file says', () => {
    const tables = glueTables(built);
    const files = readdirSync(GLUE_SCHEMA_DIR).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    const names = files.map((f) => JSON.parse(readFileSync(join(GLUE_SCHEMA_DIR, f), 'utf8')).name as string);
    const withoutGlueTable = names.filter((n) => !DERIVED_VIEWS[n] && !tables[n]);
    expect(withoutGlueTable, 'schema files without a Glue table: register them in TABLES (src/catalog.ts)').toEqual([]);
    expect(Object.keys(tables).sort()).toEqual(names.filter((n) => !DERIVED_VIEWS[n]).sort());
    for (const f of files) {
      const doc = JSON.parse(readFileSync(join(GLUE_SCHEMA_DIR, f), 'utf8'));
      if (DERIVED_VIEWS[doc.name]) continue;
      const table = tables[doc.name];
      expect(glueColumns(table.TableInput.StorageDescriptor.Columns), f).toEqual(doc.columns.map((c: any) => ({ name: c.name, type: c.type })));
      expect(glueColumns(table.TableInput.PartitionKeys), f).toEqual(doc.partitionKeys.map((c: any) => ({ name: c.name, type: c.type })));
    }
  });

  it('Parquet SerDe, external table, location s3://<lake>/<zone>/<table>/', () => {
    for (const [name, table] of Object.entries(glueTables(built))) {
      const schema = TABLES[name]!;
      const sd = table.TableInput.StorageDescriptor;
      expect(table.TableInput.TableType).toBe('EXTERNAL_TABLE');
      expect(table.TableInput.Parameters).toMatchObject({ EXTERNAL: 'TRUE', classification: 'parquet' });
      expect(sd.InputFormat).toBe(PARQUET_SERDE.inputFormat);
      expect(sd.OutputFormat).toBe(PARQUET_SERDE.outputFormat);
      expect(sd.SerdeInfo.SerializationLibrary).toBe('org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe');
      expect(evaluate(sd.Location)).toBe(`s3://${LAKE}/${schema.zone}/${name}/`);
      expect(table.DatabaseName).toBe(compactableTables().some((t) => t.name === name) ? 'ticklake_dev_files' : 'ticklake_dev');
    }
  });

  it('partition projection on dt (date) and hour (integer, 2 digits) with a matching location template', () => {
    const partitioned = Object.entries(glueTables(built)).filter(([name]) => TABLES[name]!.partitionKeys.length > 0);
    expect(partitioned.map(([n]) => n)).toEqual(expect.arrayContaining(['trades', 'raw_events', 'quarantine', 'bar_partials']));
    for (const [name, table] of partitioned) {
      const schema = TABLES[name]!;
      const p = evaluate(table.TableInput.Parameters) as Record<string, string>;
      expect(p).toMatchObject({
        'projection.enabled': 'true',
        'projection.dt.type': 'date',
        'projection.dt.format': 'yyyy-MM-dd',
        'projection.dt.range': '2017-01-01,NOW',
        'projection.dt.interval': '1',
        'projection.dt.interval.unit': 'DAYS',
        'projection.hour.type': 'integer',
        'projection.hour.range': '0,23',
        'projection.hour.digits': '2',
        'storage.location.template': `s3://${LAKE}/${schema.zone}/${name}/dt=\${dt}/hour=\${hour}/`,
      });
    }
  });

  it('unpartitioned tables get no projection; other partitionings are refused', () => {
    const base = { description: 'x', zone: 'curated', naturalKey: ['a'], columns: [{ name: 'a', type: 'string', description: 'a' }] };
    expect(projectionParameters('s3://b/curated/dim/', parseTableSchema({ ...base, name: 'dim', partitionKeys: [] }))).toEqual({});
    expect(() =>
      projectionParameters('s3://b/curated/odd/', parseTableSchema({ ...base, name: 'odd', partitionKeys: [{ name: 'day', type: 'date', description: 'd' }] })),
    ).toThrow(/partition keys must be dt:string,hour:int/);
  });

  it("the location template resolves to exactly the keys the handler's lake writer produces", () => {
    for (const [name, table] of Object.entries(glueTables(built))) {
      if (TABLES[name]!.partitionKeys.length === 0) continue;
      const template = (evaluate(table.TableInput.Parameters) as Record<string, string>)['storage.location.template']!;
      for (const [dt, hour] of [
        ['2017-01-01', 0],
        ['2024-02-29', 5],
        ['2026-11-02', 23],
      ] as const) {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's storage.location.template placeholders, not JavaScript
        const projected = template.replace('${dt}', dt).replace('${hour}', String(hour).padStart(2, '0'));
        expect(`s3://${LAKE}/${lakeKey(TABLES[name]!, { dt, hour }, 'part.parquet')}`).toBe(`${projected}part.parquet`);
      }
    }
  });

  it('Glue columns equal the Parquet schema the handler writes (fails on drift)', () => {
    const sample: Record<GlueType, ColumnValues[number]> = {
      string: 'x',
      bigint: 1,
      int: 1,
      double: 1.5,
      boolean: true,
      timestamp: 1_700_000_000_000_000,
      date: 19_000,
    };
    const glueTypeOf = (el: any): string => {
      const logical = el.logical_type?.type;
      if (el.type === 'BYTE_ARRAY' && (el.converted_type === 'UTF8' || logical === 'STRING')) return 'string';
      if (el.type === 'INT64' && (el.converted_type === 'TIMESTAMP_MICROS' || el.converted_type === 'TIMESTAMP_MILLIS' || logical === 'TIMESTAMP'))
        return 'timestamp';
      if (el.type === 'INT32' && (el.converted_type === 'DATE' || logical === 'DATE')) return 'date';
      if (el.type === 'INT64' && !el.converted_type && !logical) return 'bigint';
      if (el.type === 'INT32' && !el.converted_type && !logical) return 'int';
      if (el.type === 'DOUBLE') return 'double';
      if (el.type === 'BOOLEAN') return 'boolean';
      return `unmapped(${el.type}/${el.converted_type ?? logical})`;
    };
    const tables = glueTables(built);
    for (const schema of Object.values(TABLES) as TableSchema[]) {
      if (DERIVED_VIEWS[schema.name]) continue;
      const columns = Object.fromEntries(schema.columns.map((c) => [c.name, [sample[c.type]]]));
      const bytes = encodeParquet(schema, columns);
      const meta = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
      const written = meta.schema.slice(1).map((el: any) => ({ name: el.name, type: glueTypeOf(el) }));
      expect(glueColumns(tables[schema.name].TableInput.StorageDescriptor.Columns), schema.name).toEqual(written);
    }
  });
});

describe('catalog stack: Athena', () => {
  it('workgroup enforces result location, SSE-S3 results, engine v3 and a scan cutoff', () => {
    const t = built.template(built.stacks.catalog);
    const [[, wg]] = resourcesOf(t, 'AWS::Athena::WorkGroup');
    const c = wg.Properties.WorkGroupConfiguration;
    expect(wg.Properties.Name).toBe('ticklake-dev');
    expect(c.EnforceWorkGroupConfiguration).toBe(true);
    expect(c.PublishCloudWatchMetricsEnabled).toBe(true);
    expect(c.BytesScannedCutoffPerQuery).toBe(10 * 1024 ** 3);
    expect(c.EngineVersion).toEqual({ SelectedEngineVersion: 'Athena engine version 3' });
    expect(c.ResultConfiguration.EncryptionConfiguration).toEqual({ EncryptionOption: 'SSE_S3' });
    expect(String(evaluate(c.ResultConfiguration.OutputLocation))).toMatch(/^s3:\/\/.+\/athena\/$/);
  });

  it('saved queries for the views users need, each pruning on dt', () => {
    const t = built.template(built.stacks.catalog);
    const queries = resourcesOf(t, 'AWS::Athena::NamedQuery').map(([, q]) => q.Properties);
    // One create-view query per view the registry's sources define, and the fixed saved queries.
    const createViews = [...Object.keys(DERIVED_VIEWS), ...Object.keys(NAMED_VIEWS)].map((v) => `create-view-${v}`);
    expect(queries.map((q) => q.Name).sort()).toEqual(
      [
        ...createViews,
        ...Object.keys(DERIVED_VIEWS).map((v) => `${v.replace(/_/g, '-')}-today`),
        'weather-energy-hourly',
        'quarantine-by-reason-24h',
        'raw-events-per-hour',
        'trades-latest-price',
        'trades-minute-bars-today',
        'volume-today-by-symbol',
      ].sort(),
    );
    for (const q of queries) {
      expect(q.Database).toBe('ticklake_dev');
      expect(q.WorkGroup).toBe('ticklake-dev');
      if (!q.Name.startsWith('create-view-')) expect(q.QueryString).toMatch(/WHERE dt (=|>=|BETWEEN) date_format\(/);
    }
  });

  it('views of the local runtime are Athena views with the very same SQL; shipped dimensions are Glue tables', async () => {
    const local = await import('../../src/local/lake-sql.js');
    expect([...Object.keys(DERIVED_VIEWS), ...Object.keys(SHIPPED_DIMENSIONS)].sort()).toEqual(Object.keys(local.DERIVED_TABLES).sort());
    expect(Object.keys(NAMED_VIEWS).sort()).toEqual(Object.keys(local.NAMED_VIEWS).sort());
    const t = built.template(built.stacks.catalog);
    const queries = Object.fromEntries(resourcesOf(t, 'AWS::Athena::NamedQuery').map(([, q]) => [q.Properties.Name, q.Properties.QueryString]));
    for (const [name, sql] of [...Object.entries(local.DERIVED_TABLES).filter(([n]) => DERIVED_VIEWS[n]), ...Object.entries(local.NAMED_VIEWS)]) {
      expect(queries[`create-view-${name}`], name).toBe(`CREATE OR REPLACE VIEW ${name} AS\n${sql()}`);
      expect(glueTables(built)[name]).toBeUndefined();
    }
    for (const name of Object.keys(SHIPPED_DIMENSIONS)) {
      expect(glueTables(built)[name].TableInput.PartitionKeys).toEqual([]);
      expect(local.DIMENSION_FILES[name]).toBe(SHIPPED_DIMENSIONS[name]);
    }
  });
});
