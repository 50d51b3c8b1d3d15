/**
 * An Athena view as a Glue table, so that CloudFormation creates it with the
 * stack instead of a `CREATE VIEW` someone has to run. Athena (Trino) keeps a
 * view in Glue as a `VIRTUAL_VIEW` whose `ViewOriginalText` carries the view's
 * definition as base64 JSON between `/* Presto View: ` and ` *\/`: the SQL, the
 * catalog and schema it resolves unqualified names in, and its output columns
 * with Trino types. Athena checks those columns against what the SQL returns
 * when the view is queried (a mismatch answers "view is stale").
 */
import type * as glue from 'aws-cdk-lib/aws-glue';
import type { GlueType } from '../../src/lake/table-schema.js';

/** The catalog Athena's Glue views live in. */
export const ATHENA_VIEW_CATALOG = 'awsdatacatalog';

/**
 * Trino type of each Glue column type, as Athena engine 3 reads a Hive table:
 * its Hive connector reads `timestamp` columns with millisecond precision, so
 * the view's column is `timestamp(3)` (what the view's SELECT returns).
 */
export const VIEW_COLUMN_TYPES: Readonly<Record<GlueType, string>> = {
  string: 'varchar',
  bigint: 'bigint',
  int: 'integer',
  double: 'double',
  boolean: 'boolean',
  date: 'date',
  timestamp: 'timestamp(3)',
};

/** A column of a view: name, Glue type, description. */
export interface ViewColumn {
  readonly name: string;
  readonly type: GlueType;
  readonly description?: string;
}

/** What `ViewOriginalText` encodes. */
export interface PrestoViewDefinition {
  readonly originalSql: string;
  readonly catalog: string;
  readonly schema: string;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
}

export interface AthenaViewProps {
  readonly name: string;
  readonly description: string;
  /** The database the view lives in; unqualified names in `sql` resolve there. */
  readonly databaseName: string;
  /** The view's SELECT. */
  readonly sql: string;
  /** Its output columns, in the SELECT's order. */
  readonly columns: readonly ViewColumn[];
}

/** `ViewOriginalText` of a view: its definition, base64-encoded JSON in a comment. */
export function prestoViewText(p: Pick<AthenaViewProps, 'databaseName' | 'sql' | 'columns'>): string {
  const definition: PrestoViewDefinition = {
    originalSql: p.sql,
    catalog: ATHENA_VIEW_CATALOG,
    schema: p.databaseName,
    columns: p.columns.map((c) => ({ name: c.name, type: VIEW_COLUMN_TYPES[c.type] })),
  };
  return `/* Presto View: ${Buffer.from(JSON.stringify(definition), 'utf8').toString('base64')} */`;
}

/** Glue limits column comments to 255 characters. */
const comment = (s: string | undefined) => (s === undefined || s.length <= 255 ? s : `${s.slice(0, 252)}...`);

/** The Glue table input of an Athena view (no partition keys: a view's partition columns are plain columns). */
export function athenaViewTableInput(p: AthenaViewProps): glue.CfnTable.TableInputProperty {
  return {
    name: p.name,
    description: p.description.slice(0, 2048),
    tableType: 'VIRTUAL_VIEW',
    parameters: { presto_view: 'true', comment: 'Presto View' },
    viewOriginalText: prestoViewText(p),
    viewExpandedText: '/* Presto View */',
    partitionKeys: [],
    storageDescriptor: {
      columns: p.columns.map((c) => ({ name: c.name, type: c.type, ...(c.description ? { comment: comment(c.description) } : {}) })),
      serdeInfo: {},
    },
  };
}
