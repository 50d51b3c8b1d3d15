/**
 * The {@link StreamProducer} port on Amazon Kinesis Data Streams: one
 * `PutRecords` call per `putRecords`, with the AWS SDK v3. The call's per-record
 * results map to the port's failed entries (`ProvisionedThroughputExceededException`
 * when a shard is over its 1,000 records/s or 1 MiB/s, `InternalFailure`,
 * `KMSThrottlingException`, …); a request that fails as a whole (no such stream,
 * access denied, network) rejects, after the SDK's own retries.
 *
 * Use it with a client whose retry strategy suits the caller (the SDK default,
 * 3 attempts, is fine): the batching putter (src/ingest/batched-putter.ts)
 * resends failed entries with its own backoff.
 */
import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { FailedEntry, PutEntry, PutRecordsResult, StreamProducer } from '../../ingest/stream-producer.js';

/** Which stream to put to: its name, or its ARN (needed for a stream in another account). */
export type KinesisStreamTarget =
  | { readonly streamName: string; readonly streamArn?: undefined }
  | { readonly streamArn: string; readonly streamName?: undefined };

/** The stream a function puts to, from its environment: `STREAM_ARN`, else `STREAM_NAME`. */
export function kinesisStreamTargetFromEnv(env: Readonly<Record<string, string | undefined>>): KinesisStreamTarget {
  const arn = env.STREAM_ARN?.trim();
  if (arn) return { streamArn: arn };
  const name = env.STREAM_NAME?.trim();
  if (name) return { streamName: name };
  throw new Error('STREAM_NAME or STREAM_ARN must name the Kinesis stream the records are put on');
}

const encoder = new TextEncoder();

export class KinesisStreamProducer implements StreamProducer {
  constructor(
    private readonly client: Pick<KinesisClient, 'send'>,
    private readonly target: KinesisStreamTarget,
  ) {
    if (!target.streamName && !target.streamArn) throw new Error('KinesisStreamProducer: a stream name or ARN is required');
  }

  async putRecords(entries: readonly PutEntry[]): Promise<PutRecordsResult> {
    if (entries.length === 0) return { failed: [] };
    const res = await this.client.send(
      new PutRecordsCommand({
        ...(this.target.streamArn ? { StreamARN: this.target.streamArn } : { StreamName: this.target.streamName }),
        Records: entries.map((e) => ({ Data: encoder.encode(e.data), PartitionKey: e.partitionKey })),
      }),
    );
    const results = res.Records ?? [];
    const failed: FailedEntry[] = [];
    for (let i = 0; i < entries.length; i++) {
      const r = results[i];
      // The service answers one result per record, in order; a missing one is not known to be put.
      if (r === undefined)
        failed.push({ index: i, code: 'MissingResult', message: `PutRecords answered ${results.length} results for ${entries.length} records` });
      else if (r.ErrorCode) failed.push({ index: i, code: r.ErrorCode, ...(r.ErrorMessage ? { message: r.ErrorMessage } : {}) });
    }
    return { failed };
  }
}
