/**
 * The lake-writer port: where Parquet objects go. Implemented by S3 (cloud) and
 * local files (embedded runtime); the transform code only sees this interface.
 */

/** The lake's key layout, defined in `src/lake/layout.ts`. */
export { lakeKey, tablePrefix } from '../../src/lake/layout.js';

/** Stores immutable objects under lake-relative keys (`curated/trades/dt=.../x.parquet`). */
export interface LakeWriter {
  /** Writes (or atomically replaces) the object at `key`. */
  put(key: string, body: Uint8Array): Promise<void>;
  /** Reads an object, or undefined when it does not exist. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Removes objects; missing keys are not an error. */
  delete(keys: readonly string[]): Promise<void>;
  /** Human-readable location of the lake root (for messages). */
  readonly location: string;
}
