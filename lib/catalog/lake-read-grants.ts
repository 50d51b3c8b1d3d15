/**
 * What an Athena reader of lake tables needs, in one place. Athena resolves a
 * query's relations in Glue and reads their objects with the caller's
 * credentials, so a reader's role needs Glue reads of every relation its
 * queries touch and `GetObject` on their files. Querying a compactable table
 * means querying its exact-read view (lib/catalog/exact-read-views.ts), which
 * reads the physical table and the manifest table of the files database and
 * the manifests' objects; a reader given the view alone fails at query time.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { compactableTables, TABLES } from '../../src/catalog.js';
import { manifestTablePrefix } from '../../src/lake/compaction.js';
import { tablePrefix } from '../lake-layout.js';
import { grantObjectKeys } from '../nag.js';
import { DERIVED_VIEWS } from './derived-views.js';
import { filesDatabaseName, manifestTableName } from './exact-read-views.js';

/** The Glue actions a reader gets on the catalog, the databases and its tables. */
export const LAKE_READ_GLUE_ACTIONS = ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'] as const;

/** Lake objects a reader reads: a key pattern and what it holds (for the cdk-nag reason). */
export interface LakeObjectRead {
  readonly keys: string;
  readonly what: string;
}

/** What a reader of some relations needs: Glue databases and tables (`database/name`) and lake key patterns. */
export interface LakeReadAccess {
  readonly databases: readonly string[];
  readonly tables: readonly string[];
  readonly objects: readonly LakeObjectRead[];
}

export interface LakeReadSpec {
  /** The main Glue database (the catalog stack's `databaseName`). */
  readonly databaseName: string;
  /**
   * The relations its queries name: lake tables, views (derived lake tables
   * such as `bars_1m`, named views), with the tables those views read.
   */
  readonly relations: readonly string[];
  /**
   * `views` (default): queries name the main database's relations, where a
   * compactable table is its exact-read view. `files`: queries name the
   * physical tables of the files database only (the compaction's statements).
   */
  readonly through?: 'views' | 'files';
}

/** The Glue relations and lake objects a reader of `spec.relations` needs (pure: no construct). */
export function lakeReadAccess(spec: LakeReadSpec): LakeReadAccess {
  const main = spec.databaseName;
  const files = filesDatabaseName(main);
  const compactable = new Set(compactableTables().map((t) => t.name));
  const databases = new Set<string>();
  const tables = new Set<string>();
  const objects = new Map<string, string>();
  for (const name of new Set(spec.relations)) {
    const table = TABLES[name];
    const isCompactable = compactable.has(name);
    if (spec.through === 'files') {
      if (!table || !isCompactable) throw new Error(`${name}: only compactable tables are in ${files}`);
    } else {
      databases.add(main);
      tables.add(`${main}/${name}`);
    }
    // Views and named views have no files of their own: their tables are relations of the reader too.
    if (!table || DERIVED_VIEWS[name]) continue;
    const naming = table.partitionKeys.length > 0 ? 'whose dt=/hour= partitions are open-ended' : 'whose file names are not fixed';
    objects.set(`${tablePrefix(table)}*`, `the ${name} table's Parquet files, ${naming}`);
    if (!isCompactable) continue;
    databases.add(files);
    tables.add(`${files}/${name}`);
    if (spec.through === 'files') continue;
    tables.add(`${files}/${manifestTableName(table)}`);
    objects.set(
      `${manifestTablePrefix(table)}*`,
      `the ${name} table's compaction manifests, one JSON per generation in each of its open-ended dt=/hour= partitions, which its exact-read view reads`,
    );
  }
  return {
    databases: [...databases],
    tables: [...tables],
    objects: [...objects].map(([keys, what]) => ({ keys, what })),
  };
}

export interface LakeReadGrantProps extends LakeReadSpec {
  readonly lakeBucket: s3.IBucket;
  /** Whose queries, in the cdk-nag reasons (e.g. "the dashboard's panel queries"). */
  readonly reader: string;
}

/**
 * Grants `grantee` what Athena needs to run its queries over `relations`: Glue
 * reads of the catalog, the databases and the relations (with the physical and
 * manifest tables behind each exact-read view), listing the lake bucket, and
 * `GetObject` under each table's prefix and its manifests' prefix.
 */
export function grantLakeRead(grantee: iam.IRole, p: LakeReadGrantProps): LakeReadAccess {
  const stack = Stack.of(grantee);
  const access = lakeReadAccess(p);
  iam.Grant.addToPrincipal({
    grantee,
    actions: [...LAKE_READ_GLUE_ACTIONS],
    resourceArns: [
      stack.formatArn({ service: 'glue', resource: 'catalog', arnFormat: ArnFormat.NO_RESOURCE_NAME }),
      ...access.databases.map((d) => stack.formatArn({ service: 'glue', resource: 'database', resourceName: d })),
      ...access.tables.map((t) => stack.formatArn({ service: 'glue', resource: 'table', resourceName: t })),
    ],
  });
  iam.Grant.addToPrincipal({ grantee, actions: ['s3:ListBucket', 's3:GetBucketLocation'], resourceArns: [p.lakeBucket.bucketArn] });
  for (const o of access.objects) {
    grantObjectKeys(
      grantee,
      p.lakeBucket,
      o.keys,
      ['s3:GetObject'],
      `Athena reads the lake for ${p.reader} with the caller's credentials: GetObject only under ${o.keys} of the lake bucket (${o.what}); no write, no other prefix`,
    );
  }
  return access;
}
