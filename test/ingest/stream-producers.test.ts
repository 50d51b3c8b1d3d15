/**
 * The two StreamProducer adapters: the local file-backed stream (records committed,
 * readable by pollers, when a call resolves; a failed call leaves nothing) and
 * Kinesis `PutRecords` with the AWS SDK v3 (mocked client: the request it sends,
 * per-record failures, a partial failure resent by the batching putter).
 */
import { join } from 'node:path';
import { KinesisClient, PutRecordsCommand, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { KinesisStreamProducer } from '../../src/adapters/aws/kinesis-stream-producer.js';
import { BatchedPutter } from '../../src/ingest/batched-putter.js';
import { LocalStream } from '../../src/local/local-stream.js';
import { LocalStreamProducer } from '../../src/local/local-stream-producer.js';
import { tradeMessage } from '../helpers/kinesis-events.js';
import { tempDir } from '../helpers/lake-files.js';

const T0 = Date.UTC(2026, 10, 2, 10);

function readAll(stream: LocalStream): { shard: number; key: string; text: string; arrivalMs: number }[] {
  return stream.shardIds().flatMap((_, i) =>
    stream
      .reader(i)
      .read(1_000_000)
      .map((r) => ({ shard: i, key: r.partitionKey, text: Buffer.from(r.data, 'base64').toString('utf8'), arrivalMs: r.arrivalMs })),
  );
}

describe('LocalStreamProducer', () => {
  it('commits a call before it resolves: pollers read every entry, on the shard of its key', async () => {
    // Prepare
    const stream = LocalStream.open(join(tempDir(), 'stream'), 'events', 4);
    let commits = 0;
    const producer = new LocalStreamProducer(stream, { clock: () => T0, onCommit: () => commits++ });
    const entries = Array.from({ length: 20 }, (_, i) => ({ partitionKey: i % 2 ? 'BTCUSDT' : 'ETHUSDT/3', data: tradeMessage({ t: i + 1 }) }));
    // Act
    const res = await producer.putRecords(entries);
    // Assess
    expect(res.failed).toEqual([]);
    expect(commits).toBe(1);
    const got = readAll(stream);
    expect(got.map((r) => r.text).sort()).toEqual(entries.map((e) => e.data).sort());
    expect(got.every((r) => r.arrivalMs === T0 && r.shard === stream.shardOf(r.key))).toBe(true);
  });

  it('leaves nothing of a call whose write fails, so its retry puts each entry once', async () => {
    // Prepare: the first flush writes the logs, then fails before committing.
    const stream = LocalStream.open(join(tempDir(), 'stream'), 'events', 2);
    const flush = stream.flush.bind(stream);
    let failures = 1;
    stream.flush = (commit?: boolean) => {
      if (failures-- > 0) {
        flush(false);
        throw new Error('ENOSPC: no space left on device');
      }
      flush(commit);
    };
    const producer = new LocalStreamProducer(stream);
    const entries = Array.from({ length: 5 }, (_, i) => ({ partitionKey: `K${i}`, data: `r${i}` }));
    // Act
    await expect(producer.putRecords(entries)).rejects.toThrow(/ENOSPC/);
    const afterFailure = readAll(stream).length;
    await producer.putRecords(entries);
    // Assess
    expect(afterFailure).toBe(0);
    expect(
      readAll(stream)
        .map((r) => r.text)
        .sort(),
    ).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
  });
});

describe('KinesisStreamProducer (AWS SDK v3 PutRecords, mocked client)', () => {
  const kinesis = mockClient(KinesisClient);
  afterEach(() => kinesis.reset());

  it('sends one PutRecords call with UTF-8 data and partition keys, and maps per-record errors to failed entries', async () => {
    // Prepare
    kinesis.on(PutRecordsCommand).resolves({
      FailedRecordCount: 1,
      Records: [
        { SequenceNumber: '49630000000000000000000000000000000000000000000000000001', ShardId: 'shardId-000000000000' },
        { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard shardId-000000000001' },
        { SequenceNumber: '49630000000000000000000000000000000000000000000000000002', ShardId: 'shardId-000000000000' },
      ],
    });
    const producer = new KinesisStreamProducer(new KinesisClient({ region: 'eu-west-1' }), { streamName: 'ticklake-dev-events' });
    // Act
    const res = await producer.putRecords([
      { partitionKey: 'BTCUSDT', data: tradeMessage({ t: 1 }) },
      { partitionKey: 'ETHUSDT', data: 'café' },
      { partitionKey: 'BTCUSDT/7', data: tradeMessage({ t: 2 }) },
    ]);
    // Assess
    const input = kinesis.commandCalls(PutRecordsCommand)[0]!.args[0].input as PutRecordsCommandInput;
    expect(input.StreamName).toBe('ticklake-dev-events');
    expect(input.Records!.map((r) => r.PartitionKey)).toEqual(['BTCUSDT', 'ETHUSDT', 'BTCUSDT/7']);
    expect(Buffer.from(input.Records![1]!.Data!).toString('utf8')).toBe('café');
    expect(res.failed).toEqual([{ index: 1, code: 'ProvisionedThroughputExceededException', message: 'Rate exceeded for shard shardId-000000000001' }]);
  });

  it('counts a record the response has no result for as failed (not known to be put)', async () => {
    // Prepare
    kinesis.on(PutRecordsCommand).resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: '1', ShardId: 'shardId-000000000000' }] });
    const producer = new KinesisStreamProducer(new KinesisClient({ region: 'eu-west-1' }), { streamName: 'events' });
    // Act
    const res = await producer.putRecords([
      { partitionKey: 'A', data: 'a' },
      { partitionKey: 'B', data: 'b' },
    ]);
    // Assess
    expect(res.failed).toEqual([{ index: 1, code: 'MissingResult', message: 'PutRecords answered 1 results for 2 records' }]);
  });

  it('names the stream by ARN when given one, and rejects when the request fails as a whole', async () => {
    // Prepare
    kinesis.on(PutRecordsCommand).rejects(Object.assign(new Error('Stream ticklake-dev-events not found'), { name: 'ResourceNotFoundException' }));
    const arn = 'arn:aws:kinesis:eu-west-1:123456789012:stream/ticklake-dev-events';
    const producer = new KinesisStreamProducer(new KinesisClient({ region: 'eu-west-1', maxAttempts: 1 }), { streamArn: arn });
    // Act
    const call = producer.putRecords([{ partitionKey: 'BTCUSDT', data: 'x' }]);
    // Assess
    await expect(call).rejects.toThrow(/not found/);
    const input = kinesis.commandCalls(PutRecordsCommand)[0]!.args[0].input as PutRecordsCommandInput;
    expect(input.StreamARN).toBe(arn);
    expect(input.StreamName).toBeUndefined();
  });

  it('through the batching putter, resends only the entries of a partial failure', async () => {
    // Prepare: the first call throttles entry 0 and fails entry 2.
    kinesis
      .on(PutRecordsCommand)
      .resolvesOnce({
        FailedRecordCount: 2,
        Records: [
          { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' },
          { SequenceNumber: '1', ShardId: 'shardId-000000000000' },
          { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal service failure.' },
          { SequenceNumber: '2', ShardId: 'shardId-000000000000' },
        ],
      })
      .resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: '3' }, { SequenceNumber: '4' }] });
    const producer = new KinesisStreamProducer(new KinesisClient({ region: 'eu-west-1' }), { streamName: 'events' });
    const putter = new BatchedPutter(producer, { lingerMs: 0, sleep: async () => {} });
    // Act
    for (let i = 0; i < 4; i++) putter.push({ partitionKey: 'BTCUSDT', data: `trade-${i}` });
    await putter.flush();
    // Assess
    const sent = kinesis
      .commandCalls(PutRecordsCommand)
      .map((c) => (c.args[0].input as PutRecordsCommandInput).Records!.map((r) => Buffer.from(r.Data!).toString()));
    expect(sent).toEqual([
      ['trade-0', 'trade-1', 'trade-2', 'trade-3'],
      ['trade-0', 'trade-2'],
    ]);
    expect(putter.stats()).toMatchObject({ put: 4, resent: 2, calls: 2 });
  });
});
