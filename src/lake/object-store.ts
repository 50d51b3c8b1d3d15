/**
 * The object-store port: immutable objects under `/`-separated keys relative
 * to a root (an S3 bucket prefix, or a local directory). One interface for
 * every store ticklake writes: the lake (stream transform, forecasting tables,
 * backfill publication) and the model store. Implemented on Amazon S3
 * (`src/adapters/aws/s3-object-store.ts`) and on local files
 * (`src/local/file-object-store.ts`); callers only see this interface.
 */

/** Media type objects are written with unless the caller names another: the lake holds Parquet. */
export const PARQUET_CONTENT_TYPE = 'application/vnd.apache.parquet';

/** Stores immutable objects under keys relative to its root (`curated/trades/dt=.../x.parquet`). */
export interface ObjectStore {
  /** Human-readable location of the root, e.g. `s3://bucket/prefix/` or a directory (for messages). */
  readonly location: string;
  /** URI of a key: `s3://bucket/prefix/key`, or an absolute path. */
  uri(key: string): string;
  /** Reads an object, or undefined when it does not exist. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Writes (or atomically replaces) the object at `key`; `contentType` defaults to {@link PARQUET_CONTENT_TYPE}. */
  put(key: string, body: Uint8Array, contentType?: string): Promise<void>;
  /** Makes `to` hold the object at `from` (replacing it, with `contentType` as for put); `from` stays. */
  copy(from: string, to: string, contentType?: string): Promise<void>;
  /** Removes objects; missing keys are not an error. */
  delete(keys: readonly string[]): Promise<void>;
  /** Every key under a prefix (a plain string prefix), sorted. */
  list(prefix: string): Promise<string[]>;
}
