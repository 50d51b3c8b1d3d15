/**
 * The producer side of the stream, as a port: what the live connectors and
 * pollers put records through. Kinesis `PutRecords` in the cloud
 * (src/adapters/aws/), the local file-backed stream locally (src/local/).
 */

/** One record to put. */
export interface PutEntry {
  readonly partitionKey: string;
  /** The payload text (UTF-8 on the wire). */
  readonly data: string;
}

/** An entry of a call that was not put, to be retried (Kinesis: ProvisionedThroughputExceeded, InternalFailure). */
export interface FailedEntry {
  /** Index into the entries of the call. */
  readonly index: number;
  readonly code: string;
  readonly message?: string;
}

/** What one call did: the entries not put (an empty list when all were). */
export interface PutRecordsResult {
  readonly failed: readonly FailedEntry[];
}

/** Kinesis PutRecords limits for one call. */
export const PUT_RECORDS_MAX_ENTRIES = 500;
export const PUT_RECORDS_MAX_BYTES = 5 * 1024 * 1024;
/** Kinesis limit for one record: data plus partition key, in bytes. */
export const PUT_RECORD_MAX_BYTES = 1024 * 1024;
/** Kinesis limit for a partition key, in Unicode characters (at least 1). */
export const PARTITION_KEY_MAX_LENGTH = 256;

/**
 * Puts up to {@link PUT_RECORDS_MAX_ENTRIES} entries (at most {@link PUT_RECORDS_MAX_BYTES})
 * in one call. Entries are safely on the stream when the promise resolves and they are
 * not in `failed`; a rejected promise means none is known to be put.
 */
export interface StreamProducer {
  putRecords(entries: readonly PutEntry[]): Promise<PutRecordsResult>;
}
