import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KinesisStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createStreamTransform } from '../src/ingest/stream-transform.js';
import { CheckpointStore } from '../src/local/checkpoints.js';
import { DEFAULT_EVENT_SOURCE_SETTINGS, type EventSourceSettings, type KinesisHandler, ShardPoller } from '../src/local/event-source.js';
import { FileObjectStore } from '../src/local/file-object-store.js';
import { LocalStream, shardForKey } from '../src/local/local-stream.js';
import { JsonlDeadLetters, type FailedBatch } from '../src/local/on-failure.js';
import { tradeMessage } from './helpers/kinesis-events.js';
import { duck, physicalRows, tempDir } from './helpers/lake-files.js';

const FAST: EventSourceSettings = {
  ...DEFAULT_EVENT_SOURCE_SETTINGS,
  batchSize: 10,
  maximumBatchingWindowMs: 0,
  retryBackoffMs: 1,
  maximumRecordAgeSeconds: -1,
};
const T0 = Date.UTC(2026, 10, 2, 10);

function fixture(records: { key: string; data: string }[], shards = 1) {
  const dir = tempDir();
  const stream = LocalStream.open(join(dir, 'stream'), 'test-stream', shards);
  for (const r of records) stream.putOne(r.key, r.data, T0);
  stream.flush();
  const checkpoints = new CheckpointStore(join(dir, 'cp'));
  const dlq = new JsonlDeadLetters(join(dir, 'dlq.jsonl'));
  return { dir, stream, checkpoints, dlq };
}

const decode = (e: KinesisStreamEvent) => e.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString('utf8'));

describe('local stream', () => {
  it('routes a partition key to the shard whose MD5 hash-key range holds it', () => {
    // Prepare
    const keys = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'x', 'ticker-42'];
    for (const shards of [1, 2, 3, 4, 7]) {
      for (const key of keys) {
        // Act
        const shard = shardForKey(key, shards);
        // Assess: the hash lies in [shard * 2^128 / n, (shard + 1) * 2^128 / n)
        const h = BigInt(`0x${createHash('md5').update(key).digest('hex')}`);
        const size = (1n << 128n) / BigInt(shards);
        expect(h >= BigInt(shard) * size || shard === 0).toBe(true);
        expect(h < BigInt(shard + 1) * size + BigInt(shards)).toBe(true);
      }
    }
  });

  it('gives increasing sequence numbers per shard and reads records back in order', () => {
    // Prepare
    const { stream } = fixture(Array.from({ length: 25 }, (_, i) => ({ key: 'BTCUSDT', data: `r${i}` })));
    const shard = stream.shardOf('BTCUSDT');
    // Act
    const got = stream.reader(shard).read(100);
    // Assess
    expect(got.map((r) => Buffer.from(r.data, 'base64').toString())).toEqual(Array.from({ length: 25 }, (_, i) => `r${i}`));
    const seqs = got.map((r) => BigInt(r.sequenceNumber));
    expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!)).toBe(true);
    expect(got.every((r) => r.sequenceNumber.length === 56)).toBe(true);
  });

  it('cuts a torn last line after a crash and continues the sequence', () => {
    // Prepare
    const { dir, stream } = fixture([
      { key: 'k', data: 'a' },
      { key: 'k', data: 'b' },
    ]);
    stream.close();
    const log = join(dir, 'stream', 'shardId-000000000000.log');
    appendFileSync(log, '49630000000000000000000000000000000000000000000000000099\tk\t1\tYm'); // no newline
    // Act
    const reopened = LocalStream.open(join(dir, 'stream'), 'test-stream', 1);
    reopened.putOne('k', 'c', T0);
    reopened.flush();
    // Assess
    const recs = reopened.reader(0).read(10);
    expect(recs.map((r) => Buffer.from(r.data, 'base64').toString())).toEqual(['a', 'b', 'c']);
    expect(BigInt(recs[2]!.sequenceNumber) - BigInt(recs[1]!.sequenceNumber)).toBe(1n);
    expect(readFileSync(log, 'utf8').endsWith('\n')).toBe(true);
  });
});

describe('shard poller (event source mapping semantics)', () => {
  it('batches by batch size and checkpoints past every delivered record', async () => {
    // Prepare
    const { stream, checkpoints, dlq } = fixture(Array.from({ length: 25 }, (_, i) => ({ key: 'k', data: `r${i}` })));
    const sizes: number[] = [];
    const handler: KinesisHandler = async (e) => {
      sizes.push(e.Records.length);
      return { batchItemFailures: [] };
    };
    // Act
    await new ShardPoller(stream, 0, handler, checkpoints, dlq, FAST).run(() => true);
    // Assess
    expect(sizes).toEqual([10, 10, 5]);
    expect(checkpoints.load('shardId-000000000000').offset).toBe(stream.committedSize(0));
  });

  it('resumes from the first reported failure, redelivering only from there', async () => {
    // Prepare
    const { stream, checkpoints, dlq } = fixture(Array.from({ length: 6 }, (_, i) => ({ key: 'k', data: `r${i}` })));
    const seen: string[][] = [];
    let failOnce = true;
    const handler: KinesisHandler = async (e) => {
      seen.push(decode(e));
      const bad = e.Records.find((r) => Buffer.from(r.kinesis.data, 'base64').toString() === 'r3');
      if (bad && failOnce) {
        failOnce = false;
        return { batchItemFailures: [{ itemIdentifier: bad.kinesis.sequenceNumber }] };
      }
      return { batchItemFailures: [] };
    };
    // Act
    await new ShardPoller(stream, 0, handler, checkpoints, dlq, FAST).run(() => true);
    // Assess
    expect(seen).toEqual([
      ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'],
      ['r3', 'r4', 'r5'],
    ]);
    expect(dlq.sent).toBe(0);
  });

  it('isolates a poison record by bisection: neighbours are delivered, the poison goes to the on-failure destination', async () => {
    // Prepare
    const { dir, stream, checkpoints, dlq } = fixture(Array.from({ length: 10 }, (_, i) => ({ key: 'k', data: `r${i}` })));
    const delivered: string[] = [];
    let invocations = 0;
    const handler: KinesisHandler = async (e) => {
      invocations++;
      const texts = decode(e);
      if (texts.includes('r6')) throw new Error('handler crashed on r6');
      delivered.push(...texts);
      return { batchItemFailures: [] };
    };
    // Act
    await new ShardPoller(stream, 0, handler, checkpoints, dlq, { ...FAST, maximumRetryAttempts: 2 }).run(() => true);
    // Assess
    expect(delivered.sort()).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r7', 'r8', 'r9']);
    const dead = readFileSync(join(dir, 'dlq.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as FailedBatch);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.KinesisBatchInfo.batchSize).toBe(1);
    expect(dead[0]!.requestContext).toMatchObject({ condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 });
    expect(Buffer.from(dead[0]!.records[0]!.data, 'base64').toString()).toBe('r6');
    expect(invocations).toBeLessThan(20);
  });

  it('does not bisect when bisection is off: the failing batch is retried then dead-lettered whole', async () => {
    // Prepare
    const { stream, checkpoints, dlq } = fixture(Array.from({ length: 4 }, (_, i) => ({ key: 'k', data: `r${i}` })));
    let calls = 0;
    const handler: KinesisHandler = async () => {
      calls++;
      throw new Error('down');
    };
    // Act
    await new ShardPoller(stream, 0, handler, checkpoints, dlq, { ...FAST, bisectBatchOnFunctionError: false, maximumRetryAttempts: 3 }).run(() => true);
    // Assess
    expect(calls).toBe(4);
    expect(dlq.sent).toBe(1);
  });

  it('sends records older than the maximum record age to the on-failure destination without invoking', async () => {
    // Prepare
    const { stream, checkpoints, dlq } = fixture([{ key: 'k', data: 'old' }]);
    let calls = 0;
    const handler: KinesisHandler = async () => {
      calls++;
      return { batchItemFailures: [] };
    };
    // Act
    await new ShardPoller(stream, 0, handler, checkpoints, dlq, { ...FAST, maximumRecordAgeSeconds: 60 }, () => T0 + 61_000).run(() => true);
    // Assess
    expect(calls).toBe(0);
    expect(dlq.sent).toBe(1);
  });

  it('loses and doubles nothing when the process dies between the lake write and the checkpoint', async () => {
    // Prepare: 3 shards, 90 trades; the 4th invocation writes to the lake and then the process "dies"
    // (the handler never returns, so no checkpoint is written after that write).
    const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];
    const msgs = Array.from({ length: 90 }, (_, i) => ({ key: symbols[i % 3]!, data: tradeMessage({ s: symbols[i % 3]!, t: 1000 + i, T: T0 + i }) }));
    const { dir, stream, checkpoints, dlq } = fixture(msgs, 3);
    const lakeRoot = join(dir, 'lake');
    const transform = createStreamTransform({ lake: new FileObjectStore(lakeRoot), clock: () => T0 + 60_000 });
    let writes = 0;
    let died!: () => void;
    const death = new Promise<void>((r) => (died = r));
    const dying: KinesisHandler = async (e) => {
      const res = await transform(e);
      if (++writes === 4) {
        died();
        return new Promise(() => undefined);
      }
      return res;
    };
    void Promise.all([0, 1, 2].map((i) => new ShardPoller(stream, i, dying, checkpoints, dlq, FAST).run(() => writes >= 4)));
    await death;
    // Act: restart from what is on disk, with the healthy handler
    const restarted = LocalStream.open(join(dir, 'stream'), 'test-stream', 3);
    await Promise.all([0, 1, 2].map((i) => new ShardPoller(restarted, i, transform, new CheckpointStore(join(dir, 'cp')), dlq, FAST).run(() => true)));
    // Assess
    const rows = await duck(`SELECT count(*) AS n, count(DISTINCT (symbol, trade_id)) AS d FROM read_parquet('${lakeRoot}/curated/trades/**/*.parquet')`);
    expect(Number(rows[0]!.n)).toBe(90);
    expect(Number(rows[0]!.d)).toBe(90);
    expect(await physicalRows(join(lakeRoot, 'raw', 'raw_events'))).toBe(90);
  });

  it('doubles nothing when a function error after a successful write makes the batch retry bisected', async () => {
    // Prepare: the first invocation writes everything, then fails (e.g. a timeout after the write)
    const msgs = Array.from({ length: 10 }, (_, i) => ({ key: 'BTCUSDT', data: tradeMessage({ t: 1 + i, T: i % 2 ? T0 + 3_600_000 : T0 }) }));
    const { dir, stream, checkpoints, dlq } = fixture(msgs);
    const lakeRoot = join(dir, 'lake');
    const transform = createStreamTransform({ lake: new FileObjectStore(lakeRoot), clock: () => T0 + 7_200_000 });
    let calls = 0;
    const flaky: KinesisHandler = async (e) => {
      const res = await transform(e);
      if (++calls === 1) throw new Error('Task timed out after the write');
      return res;
    };
    // Act
    const poller = new ShardPoller(stream, 0, flaky, checkpoints, dlq, FAST);
    await poller.run(() => true);
    // Assess: the batch was bisected, yet each trade is in the lake once, across both hour partitions
    expect(poller.stats.bisections).toBe(1);
    const rows = await duck(
      `SELECT count(*) AS n, count(DISTINCT trade_id) AS d, count(DISTINCT hour) AS h FROM read_parquet('${lakeRoot}/curated/trades/**/*.parquet', hive_partitioning = true)`,
    );
    expect(rows[0]).toMatchObject({ n: 10n, d: 10n, h: 2n });
  });
});
