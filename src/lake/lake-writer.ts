/**
 * The lake's storage port under its former name: the lake is an
 * {@link ObjectStore} (`src/lake/object-store.ts`), its key layout is
 * `src/lake/layout.ts`. Kept so that code importing from here still compiles.
 */
import type { HourPartition } from '../core/time.js';
import { partitionPath } from '../core/time.js';
import type { TableSchema } from './table-schema.js';
import type { ObjectStore } from '../../src/lake/object-store.js';

/** The lake writer is the object-store port. */
export type LakeWriter = ObjectStore;

/** The lake's key layout, defined in `src/lake/layout.ts`. */
export { lakeKey, tablePrefix } from '../../src/lake/layout.js';
