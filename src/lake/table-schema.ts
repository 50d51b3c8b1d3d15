/**
 * Lake table schemas, loaded from `glue-schemas/*.json`: the single definition
 * that drives the Glue tables (CDK), the Parquet writer and the local SQL views.
 * This module parses them and holds the two tables every source writes to
 * (`raw_events`, `quarantine`); a source's tables live in its folder
 * (`src/sources/<id>/tables.ts`), and `src/catalog.ts` lists them all.
 */
import { z } from 'zod';
import { LAKE_ZONES } from './layout.js';
import quarantineJson from '../../glue-schemas/quarantine.json' with { type: 'json' };
import rawEventsJson from '../../glue-schemas/raw_events.json' with { type: 'json' };

/** Glue / Athena column types used by ticklake tables. */
export const GLUE_TYPES = ['string', 'bigint', 'int', 'double', 'boolean', 'timestamp', 'date'] as const;
export type GlueType = (typeof GLUE_TYPES)[number];

const columnSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'column names are lower snake case'),
  type: z.enum(GLUE_TYPES),
  description: z.string().min(1),
  /** Whether the column may hold nulls (default false: the writer rejects missing values). */
  nullable: z.boolean().optional(),
  /** Physical-layout hints for the Parquet writer; they do not change the Glue type. */
  parquet: z
    .object({
      /**
       * PLAIN for unique strings (skips a futile dictionary attempt), RLE_DICTIONARY
       * for repeating numbers. Default: dictionary for strings, PLAIN otherwise.
       */
      encoding: z.enum(['PLAIN', 'RLE_DICTIONARY']).optional(),
      /** Write min/max statistics (default off: they cost time on the hot path; on for the columns queries filter by). */
      statistics: z.boolean().optional(),
      /**
       * Page compression (default GZIP). UNCOMPRESSED for values GZIP cannot
       * shrink, e.g. full-mantissa products like quote_quantity (GZIP level 1
       * saved ~6 % there for ~1.6 ms per 10,000 rows on the stream handler's path).
       */
      compression: z.enum(['GZIP', 'UNCOMPRESSED']).optional(),
    })
    .optional(),
});

export const tableSchemaSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_]*$/),
    description: z.string().min(1),
    zone: z.enum(LAKE_ZONES),
    naturalKey: z.array(z.string()).min(1),
    columns: z.array(columnSchema).min(1),
    partitionKeys: z.array(columnSchema),
  })
  .superRefine((t, ctx) => {
    const names = [...t.columns, ...t.partitionKeys].map((c) => c.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) ctx.addIssue({ code: 'custom', message: `column ${dup} declared twice (partition keys share the column namespace in Glue)` });
    for (const k of t.naturalKey) {
      if (!names.includes(k)) ctx.addIssue({ code: 'custom', message: `natural key ${k} is not a column` });
    }
  });

export type ColumnDef = z.infer<typeof columnSchema>;
export type TableSchema = z.infer<typeof tableSchemaSchema>;

/** Parses and validates a table schema document (throws a readable error on drift). */
export function parseTableSchema(doc: unknown, origin = 'schema'): TableSchema {
  const r = tableSchemaSchema.safeParse(doc);
  if (!r.success) throw new Error(`invalid table schema ${origin}: ${z.prettifyError(r.error)}`);
  return r.data;
}

export const QUARANTINE = parseTableSchema(quarantineJson, 'glue-schemas/quarantine.json');
export const RAW_EVENTS = parseTableSchema(rawEventsJson, 'glue-schemas/raw_events.json');
