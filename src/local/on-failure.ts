/**
 * The local on-failure destination: what an SQS dead-letter queue receives from
 * a Kinesis event source mapping when a batch exhausts its retries or ages out,
 * plus (locally) the records themselves so they can be inspected and replayed.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** Mirrors the invocation record Lambda sends to an on-failure destination for Kinesis. */
export interface FailedBatch {
  readonly requestContext: {
    readonly condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
    readonly approximateInvokeCount: number;
    readonly functionError?: string;
  };
  readonly KinesisBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly approximateArrivalOfFirstRecord: string;
    readonly approximateArrivalOfLastRecord: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
  readonly timestamp: string;
  /** Local extension: the failed records (partition key and base64 data). */
  readonly records: readonly { readonly sequenceNumber: string; readonly partitionKey: string; readonly data: string }[];
}

export interface OnFailureDestination {
  send(batch: FailedBatch): void;
}

/** Appends failed batches as JSON lines to a file. */
export class JsonlDeadLetters implements OnFailureDestination {
  sent = 0;
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  send(batch: FailedBatch): void {
    appendFileSync(this.path, `${JSON.stringify(batch)}\n`);
    this.sent++;
  }
}
