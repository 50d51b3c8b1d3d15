/** Where a stream record came from: kept on raw and quarantine rows for audits and replays. */
export interface RecordOrigin {
  readonly streamName: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  /** Approximate arrival time on the stream, microseconds since epoch. */
  readonly arrivalUs: number;
}
