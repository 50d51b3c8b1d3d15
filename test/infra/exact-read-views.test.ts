/**
 * Exact Athena reads of compacted tables: each compactable table is a
 * VIRTUAL_VIEW in the main database whose encoded SQL is the exact-read SELECT
 * over its Parquet table and its manifest table in `<database>_files`; the
 * other tables stay where they were.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { athenaViewTableInput, prestoViewText } from '../../lib/catalog/athena-view.js';
import { filesDatabaseName, MANIFEST_JSON_SERDE } from '../../lib/catalog/exact-read-views.js';
import { lakeReadAccess } from '../../lib/catalog/lake-read-grants.js';
import { compactableTables, TABLES } from '../../src/catalog.js';
import { ATHENA_QUERY_START_MS, exactReadSql } from '../../src/sql/exact-read.js';
import { type BuiltApp, buildApp, decodeView, evaluate, FAKE_ACCOUNT, FAKE_REGION, resourcesOf } from './helpers.js';

const LAKE = `ticklake-dev-lake-${FAKE_ACCOUNT}-${FAKE_REGION}`;
const MAIN = 'ticklake_dev';
const FILES = 'ticklake_dev_files';

let built: BuiltApp;
let glue: [string, { Properties: Record<string, any>; DependsOn?: string[] }][];
beforeAll(() => {
  built = buildApp();
  glue = resourcesOf(built.template(built.stacks.catalog), 'AWS::Glue::Table') as typeof glue;
});

const find = (database: string, name: string) => {
  const found = glue.filter(([, r]) => r.Properties.DatabaseName === database && r.Properties.TableInput.Name === name);
  expect(found, `${database}.${name}`).toHaveLength(1);
  return found[0]!;
};

describe('Athena view encoding', () => {
  it('a VIRTUAL_VIEW whose original text is the base64 JSON of the SQL, catalog, schema and Trino column types', () => {
    // Prepare
    const columns = [
      { name: 'at', type: 'timestamp' as const, description: 'when' },
      { name: 'n', type: 'int' as const },
      { name: 'dt', type: 'string' as const },
    ];
    // Act
    const input = athenaViewTableInput({ name: 'v', description: 'a view', databaseName: 'db', sql: "SELECT 'é' AS x", columns });
    // Assess
    expect(input).toMatchObject({
      tableType: 'VIRTUAL_VIEW',
      parameters: { presto_view: 'true', comment: 'Presto View' },
      viewExpandedText: '/* Presto View */',
      partitionKeys: [],
    });
    expect(decodeView(input.viewOriginalText!)).toEqual({
      originalSql: "SELECT 'é' AS x",
      catalog: 'awsdatacatalog',
      schema: 'db',
      columns: [
        { name: 'at', type: 'timestamp(3)' },
        { name: 'n', type: 'integer' },
        { name: 'dt', type: 'varchar' },
      ],
    });
    expect((input.storageDescriptor as any).columns).toEqual([
      { name: 'at', type: 'timestamp', comment: 'when' },
      { name: 'n', type: 'int' },
      { name: 'dt', type: 'string' },
    ]);
    expect(prestoViewText({ databaseName: 'db', sql: "SELECT 'é' AS x", columns })).toBe(input.viewOriginalText);
  });
});

describe('catalog stack: exact-read views of the compactable tables', () => {
  it('names the files database after the main one', () => {
    expect(filesDatabaseName(MAIN)).toBe(FILES);
    expect(built.stacks.catalog.filesDatabaseName).toBe(FILES);
    const dbs = resourcesOf(built.template(built.stacks.catalog), 'AWS::Glue::Database').map(([, d]) => d.Properties.DatabaseInput.Name);
    expect(dbs.sort()).toEqual([MAIN, FILES]);
  });

  it('each compactable table: a view of its name in the main database, reading its files and manifests exactly', () => {
    expect(compactableTables().length).toBeGreaterThan(5);
    for (const table of compactableTables()) {
      // Prepare
      const [viewId, view] = find(MAIN, table.name);
      const [filesId] = find(FILES, table.name);
      const [manifestsId] = find(FILES, `${table.name}_manifests`);
      // Act
      const input = view.Properties.TableInput;
      const definition = decodeView(input.ViewOriginalText);
      // Assess
      expect(input.TableType, table.name).toBe('VIRTUAL_VIEW');
      expect(input.Parameters).toEqual({ presto_view: 'true', comment: 'Presto View' });
      expect(input.ViewExpandedText).toBe('/* Presto View */');
      expect(input.PartitionKeys ?? []).toEqual([]);
      expect(definition.originalSql, table.name).toBe(
        exactReadSql(table, {
          files: `"${FILES}"."${table.name}"`,
          pathColumn: '"$path"',
          manifests: `"${FILES}"."${table.name}_manifests"`,
          asOfMs: ATHENA_QUERY_START_MS,
        }),
      );
      expect(definition).toMatchObject({ catalog: 'awsdatacatalog', schema: MAIN });
      const columns = [...table.columns, ...table.partitionKeys];
      expect(definition.columns.map((c) => c.name)).toEqual(columns.map((c) => c.name));
      expect(input.StorageDescriptor.Columns.map((c: any) => [c.Name, c.Type])).toEqual(columns.map((c) => [c.name, c.type]));
      for (const [i, c] of columns.entries())
        expect(definition.columns[i]!.type, `${table.name}.${c.name}`).toBe(
          { string: 'varchar', bigint: 'bigint', int: 'integer', double: 'double', boolean: 'boolean', date: 'date', timestamp: 'timestamp(3)' }[c.type],
        );
      expect(view.DependsOn, table.name).toEqual(expect.arrayContaining([filesId, manifestsId]));
      // Named queries depend on `tables`; the view keeps the table's logical id (a deployed table becomes the view in place).
      expect(built.stacks.catalog.getLogicalId(built.stacks.catalog.tables[table.name]!)).toBe(viewId);
    }
  });

  it('each compactable table: a JSON manifest table under _compaction/<zone>/<table>/, projected like the table', () => {
    for (const table of compactableTables()) {
      // Prepare
      const [, manifests] = find(FILES, `${table.name}_manifests`);
      const [, files] = find(FILES, table.name);
      // Act
      const input = manifests.Properties.TableInput;
      const params = evaluate(input.Parameters) as Record<string, string>;
      const fileParams = evaluate(files.Properties.TableInput.Parameters) as Record<string, string>;
      // Assess
      const location = `s3://${LAKE}/_compaction/${table.zone}/${table.name}/`;
      expect(evaluate(input.StorageDescriptor.Location), table.name).toBe(location);
      expect(params['storage.location.template']).toBe(`${location}dt=\${dt}/hour=\${hour}/`);
      const projection = (p: Record<string, string>) => Object.fromEntries(Object.entries(p).filter(([k]) => k.startsWith('projection.')));
      expect(projection(params)).toEqual(projection(fileParams));
      expect(params).toMatchObject({ EXTERNAL: 'TRUE', classification: 'json' });
      expect(input.PartitionKeys.map((k: any) => [k.Name, k.Type])).toEqual([
        ['dt', 'string'],
        ['hour', 'int'],
      ]);
      expect(input.StorageDescriptor.Columns.map((c: any) => [c.Name, c.Type])).toEqual([
        ['compacted', 'string'],
        ['parts', 'array<string>'],
        ['replaced', 'array<string>'],
        ['visiblefromms', 'bigint'],
      ]);
      expect(input.StorageDescriptor).toMatchObject({
        InputFormat: MANIFEST_JSON_SERDE.inputFormat,
        OutputFormat: MANIFEST_JSON_SERDE.outputFormat,
        SerdeInfo: { SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
      });
    }
  });

  it('the other tables stay Parquet tables of the main database; the files database holds nothing else', () => {
    // Prepare
    const compactable = new Set(compactableTables().map((t) => t.name));
    // Act
    const main = glue.filter(([, r]) => r.Properties.DatabaseName === MAIN).map(([, r]) => r.Properties.TableInput);
    const files = glue.filter(([, r]) => r.Properties.DatabaseName === FILES).map(([, r]) => r.Properties.TableInput.Name as string);
    // Assess
    for (const t of main) expect(t.TableType, t.Name).toBe(compactable.has(t.Name) ? 'VIRTUAL_VIEW' : 'EXTERNAL_TABLE');
    expect(main.filter((t) => !compactable.has(t.Name)).map((t) => t.Name)).toContain('company_profile');
    expect(files.sort()).toEqual([...compactable].flatMap((n) => [n, `${n}_manifests`]).sort());
  });
});

describe('what an Athena reader needs (lakeReadAccess)', () => {
  it('a compactable table: the view, the physical and manifest tables, both databases, its files and manifests', () => {
    // Prepare / Act
    const a = lakeReadAccess({ databaseName: MAIN, relations: ['trades'] });
    // Assess
    expect(a.databases).toEqual([MAIN, FILES]);
    expect(a.tables).toEqual([`${MAIN}/trades`, `${FILES}/trades`, `${FILES}/trades_manifests`]);
    expect(a.objects.map((o) => o.keys)).toEqual(['curated/trades/*', '_compaction/curated/trades/*']);
  });

  it('a derived view and a dimension: their main-database entries, files only for the dimension', () => {
    const a = lakeReadAccess({ databaseName: MAIN, relations: ['bars_1m', 'company_profile'] });
    expect(a.databases).toEqual([MAIN]);
    expect(a.tables).toEqual([`${MAIN}/bars_1m`, `${MAIN}/company_profile`]);
    expect(a.objects.map((o) => o.keys)).toEqual([`${TABLES.company_profile!.zone}/company_profile/*`]);
  });

  it('through the files database: the physical tables and their files only; a table not there is refused', () => {
    const a = lakeReadAccess({ databaseName: MAIN, relations: ['trades'], through: 'files' });
    expect(a).toEqual({ databases: [FILES], tables: [`${FILES}/trades`], objects: [expect.objectContaining({ keys: 'curated/trades/*' })] });
    expect(() => lakeReadAccess({ databaseName: MAIN, relations: ['company_profile'], through: 'files' })).toThrow(/only compactable/);
  });
});
