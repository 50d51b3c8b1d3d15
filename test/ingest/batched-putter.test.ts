/**
 * The batching putter: its pure pieces (sizes, batch splitting, backoff schedule)
 * and its behaviour against fake producers (partial failures, rejected calls,
 * linger, back-pressure, order), with a property test that every entry is put
 * exactly once under random partial failures.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffCeilingMs, backoffDelayMs } from '../../src/core/backoff.js';
import { BatchedPutter, batchLength, entryBytes, entryProblem, splitBatches, utf8Length } from '../../src/ingest/batched-putter.js';
import {
  PUT_RECORD_MAX_BYTES,
  PUT_RECORDS_MAX_BYTES,
  PUT_RECORDS_MAX_ENTRIES,
  type PutEntry,
  type PutRecordsResult,
  type StreamProducer,
} from '../../src/ingest/stream-producer.js';

/** A producer that records every call and answers with `decide` (default: all put). */
class FakeProducer implements StreamProducer {
  readonly calls: PutEntry[][] = [];
  readonly put: PutEntry[] = [];
  constructor(private readonly decide: (entries: readonly PutEntry[], call: number) => Promise<PutRecordsResult> | PutRecordsResult = () => ({ failed: [] })) {}

  async putRecords(entries: readonly PutEntry[]): Promise<PutRecordsResult> {
    const call = this.calls.length;
    this.calls.push([...entries]);
    const res = await this.decide(entries, call);
    const failed = new Set(res.failed.map((f) => f.index));
    entries.forEach((e, i) => {
      if (!failed.has(i)) this.put.push(e);
    });
    return res;
  }
}

const entry = (key: string, n: number, pad = 0): PutEntry => ({ partitionKey: key, data: `${key}:${n}${'x'.repeat(pad)}` });
const noSleep = async () => {};

describe('batch sizes (pure)', () => {
  it('counts UTF-8 bytes of data and partition key as Kinesis does', () => {
    // Prepare
    const texts = ['', 'abc', 'é', '€', '😀', 'a😀b', '\ud800x', '\u07ff\u0800'];
    // Act
    const lengths = texts.map(utf8Length);
    // Assess
    expect(lengths).toEqual(texts.map((t) => Buffer.byteLength(t, 'utf8')));
    expect(entryBytes({ partitionKey: 'BTCUSDT', data: '{"a":"é"}' })).toBe(7 + 10);
  });

  it('agrees with Buffer.byteLength on any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), (a, b) => {
        expect(utf8Length(a)).toBe(Buffer.byteLength(a, 'utf8'));
        expect(utf8Length(b)).toBe(Buffer.byteLength(b, 'utf8'));
      }),
    );
  });

  it('splits by count (500) and by bytes (5 MiB), an entry alone when it is the only fit', () => {
    // Prepare
    const small = Array.from({ length: 1_201 }, () => 100);
    const big = Array.from({ length: 12 }, () => 1024 * 1024);
    // Act
    const byCount = splitBatches(small);
    const byBytes = splitBatches(big);
    // Assess
    expect(byCount).toEqual([500, 500, 201]);
    expect(byBytes).toEqual([5, 5, 2]);
    expect(batchLength([10, 10, 10], 1, 500, 15)).toBe(1);
    expect(batchLength([30], 0, 500, 15)).toBe(1);
    expect(splitBatches([])).toEqual([]);
  });

  it('never exceeds either limit and keeps every entry in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 2_000 }), { maxLength: 3_000 }),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 2_000, max: 50_000 }),
        (sizes, maxEntries, maxBytes) => {
          // Act
          const parts = splitBatches(sizes, maxEntries, maxBytes);
          // Assess
          expect(parts.reduce((a, b) => a + b, 0)).toBe(sizes.length);
          let i = 0;
          for (const n of parts) {
            const slice = sizes.slice(i, i + n);
            expect(n).toBeGreaterThan(0);
            expect(n).toBeLessThanOrEqual(maxEntries);
            expect(slice.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(maxBytes);
            // Greedy: the next entry would not have fitted.
            if (i + n < sizes.length && n < maxEntries) expect(slice.reduce((a, b) => a + b, 0) + sizes[i + n]!).toBeGreaterThan(maxBytes);
            i += n;
          }
        },
      ),
    );
  });

  it('names entries Kinesis can never take', () => {
    expect(entryProblem({ partitionKey: '', data: 'x' })).toMatch(/empty/);
    expect(entryProblem({ partitionKey: 'k'.repeat(257), data: 'x' })).toMatch(/256/);
    expect(entryProblem({ partitionKey: '😀'.repeat(256), data: 'x' })).toBeUndefined();
    expect(entryProblem({ partitionKey: 'k', data: 'x'.repeat(PUT_RECORD_MAX_BYTES) })).toMatch(/1048576-byte limit/);
    expect(entryProblem({ partitionKey: 'k', data: 'x'.repeat(PUT_RECORD_MAX_BYTES - 1) })).toBeUndefined();
  });
});

describe('backoff schedule (pure)', () => {
  it('doubles the ceiling per attempt up to the maximum, with full jitter below it', () => {
    // Prepare
    const policy = { baseDelayMs: 100, maxDelayMs: 5_000 };
    // Act
    const ceilings = [0, 1, 2, 3, 4, 5, 6, 50].map((a) => backoffCeilingMs(a, policy));
    // Assess
    expect(ceilings).toEqual([100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000]);
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(400);
    expect(backoffDelayMs(3, policy, () => 0.999_999)).toBe(799);
  });
});

describe('BatchedPutter', () => {
  it('puts entries in calls of at most 500 entries and 5 MiB', async () => {
    // Prepare
    const producer = new FakeProducer();
    const putter = new BatchedPutter(producer, { lingerMs: 1_000 });
    const entries = [...Array.from({ length: 1_100 }, (_, i) => entry('BTCUSDT', i)), ...Array.from({ length: 12 }, (_, i) => entry('ETHUSDT', i, 900_000))];
    // Act
    for (const e of entries) putter.push(e);
    await putter.flush();
    // Assess
    expect(producer.put).toEqual(entries);
    for (const call of producer.calls) {
      expect(call.length).toBeLessThanOrEqual(PUT_RECORDS_MAX_ENTRIES);
      expect(call.reduce((a, e) => a + entryBytes(e), 0)).toBeLessThanOrEqual(PUT_RECORDS_MAX_BYTES);
    }
    expect(producer.calls.length).toBeGreaterThanOrEqual(5);
    expect(putter.stats()).toMatchObject({ pushed: 1_112, put: 1_112, buffered: 0, resent: 0 });
  });

  it('waits the linger for a partial call, and sends a full one at once', async () => {
    // Prepare
    const producer = new FakeProducer();
    const putter = new BatchedPutter(producer, { lingerMs: 80, maxEntries: 10 });
    // Act
    for (let i = 0; i < 3; i++) putter.push(entry('BTCUSDT', i));
    await new Promise((r) => setTimeout(r, 20));
    const callsEarly = producer.calls.length;
    for (let i = 3; i < 10; i++) putter.push(entry('BTCUSDT', i));
    await new Promise((r) => setTimeout(r, 10));
    const callsWhenFull = producer.calls.length;
    putter.push(entry('BTCUSDT', 10));
    await new Promise((r) => setTimeout(r, 150));
    // Assess
    expect(callsEarly).toBe(0);
    expect(callsWhenFull).toBe(1);
    expect(producer.calls.map((c) => c.length)).toEqual([10, 1]);
  });

  it('resends only the failed entries of a partial failure, before newer entries, with backoff', async () => {
    // Prepare: the first call fails entries 1 and 3 (throttled).
    const producer = new FakeProducer((_entries, call) =>
      call === 0
        ? {
            failed: [
              { index: 1, code: 'ProvisionedThroughputExceededException' },
              { index: 3, code: 'InternalFailure' },
            ],
          }
        : { failed: [] },
    );
    const delays: number[] = [];
    const retries: string[] = [];
    const putter = new BatchedPutter(producer, {
      lingerMs: 0,
      maxEntries: 5,
      random: () => 0.5,
      sleep: async (ms) => {
        delays.push(ms);
      },
      onRetry: (r) => retries.push(r.reason),
    });
    // Act
    for (let i = 0; i < 8; i++) putter.push(entry('BTCUSDT', i));
    await putter.flush();
    // Assess
    expect(producer.calls.map((c) => c.map((e) => e.data))).toEqual([
      ['BTCUSDT:0', 'BTCUSDT:1', 'BTCUSDT:2', 'BTCUSDT:3', 'BTCUSDT:4'],
      ['BTCUSDT:1', 'BTCUSDT:3', 'BTCUSDT:5', 'BTCUSDT:6', 'BTCUSDT:7'],
    ]);
    expect(producer.put.map((e) => e.data).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `BTCUSDT:${i}`).sort());
    expect(delays).toEqual([50]);
    expect(retries).toEqual(['ProvisionedThroughputExceededException']);
    expect(putter.stats()).toMatchObject({ put: 8, resent: 2, calls: 2, lastError: 'ProvisionedThroughputExceededException' });
  });

  it('resends a rejected call whole, backing off longer each time', async () => {
    // Prepare
    let rejections = 3;
    const producer = new FakeProducer(() => {
      if (rejections-- > 0) throw new Error('connect ECONNREFUSED');
      return { failed: [] };
    });
    const delays: number[] = [];
    const putter = new BatchedPutter(producer, {
      lingerMs: 0,
      random: () => 0.999,
      retry: { baseDelayMs: 100, maxDelayMs: 300 },
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    // Act
    for (let i = 0; i < 3; i++) putter.push(entry('ETHUSDT', i));
    await putter.flush();
    // Assess
    expect(producer.calls).toHaveLength(4);
    expect(producer.put.map((e) => e.data)).toEqual(['ETHUSDT:0', 'ETHUSDT:1', 'ETHUSDT:2']);
    expect(delays).toEqual([99, 199, 299]);
    expect(putter.stats()).toMatchObject({ rejectedCalls: 3, resent: 9, put: 3 });
  });

  it('answers false at the high-water mark and resolves writable() at the low-water mark', async () => {
    // Prepare: a producer that holds every call until released.
    const releases: (() => void)[] = [];
    const producer = new FakeProducer(() => new Promise<PutRecordsResult>((r) => releases.push(() => r({ failed: [] }))));
    const putter = new BatchedPutter(producer, { lingerMs: 0, maxEntries: 4, highWaterMark: 10, lowWaterMark: 4 });
    let writable = false;
    // Act
    const answers = Array.from({ length: 12 }, (_, i) => putter.push(entry('BTCUSDT', i)));
    void putter.writable().then(() => {
      writable = true;
    });
    const releaseNext = async () => {
      while (releases.length === 0) await new Promise((r) => setTimeout(r, 1));
      releases.shift()!();
      await new Promise((r) => setTimeout(r, 1));
    };
    await releaseNext();
    const afterOne = writable;
    await releaseNext();
    const afterTwo = writable;
    await releaseNext();
    // Assess
    expect(answers.indexOf(false)).toBe(9);
    expect(afterOne).toBe(false); // 8 left
    expect(afterTwo).toBe(true); // 4 left
    expect(putter.stats()).toMatchObject({ put: 12, buffered: 0, maxBuffered: 12, highWaterHits: 3 });
  });

  it('offer() waits while the buffer is full', async () => {
    // Prepare
    const producer = new FakeProducer(async () => {
      await new Promise((r) => setTimeout(r, 5));
      return { failed: [] };
    });
    const putter = new BatchedPutter(producer, { lingerMs: 0, maxEntries: 5, highWaterMark: 10 });
    // Act
    for (let i = 0; i < 100; i++) await putter.offer(entry('BTCUSDT', i));
    await putter.close();
    // Assess
    expect(producer.put).toHaveLength(100);
    expect(putter.stats().maxBuffered).toBeLessThanOrEqual(10);
    expect(() => putter.push(entry('BTCUSDT', 100))).toThrow(/after close/);
  });

  it('refuses an entry Kinesis cannot take instead of sending it', () => {
    const putter = new BatchedPutter(new FakeProducer());
    expect(() => putter.push({ partitionKey: '', data: 'x' })).toThrow(RangeError);
  });

  it('puts every entry exactly once, within the limits, under random partial failures and rejections', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ key: fc.constantFrom('BTCUSDT', 'ETHUSDT/0', 'ETHUSDT/1', 'SOLUSDT'), pad: fc.integer({ min: 0, max: 3_000 }) }), {
          minLength: 1,
          maxLength: 400,
        }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 4_000, max: 40_000 }),
        fc.infiniteStream(fc.record({ reject: fc.boolean(), failMask: fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }) })),
        async (specs, maxEntries, maxBytes, outcomes) => {
          // Prepare: each call either rejects (1 in 8) or fails a random subset (never more than 20 calls in a row fail).
          let streak = 0;
          const producer = new FakeProducer((entries) => {
            const o = outcomes.next().value;
            if (streak++ >= 20) {
              streak = 0;
              return { failed: [] };
            }
            if (o.reject && o.failMask[0] && o.failMask[1] && o.failMask[2]) throw new Error('network');
            const failed = entries.flatMap((_, i) => (o.failMask[i] ? [{ index: i, code: 'ProvisionedThroughputExceededException' }] : []));
            if (failed.length === 0) streak = 0;
            return { failed };
          });
          const putter = new BatchedPutter(producer, { lingerMs: 0, maxEntries, maxBytes, highWaterMark: 50, sleep: noSleep });
          const entries = specs.map((s, i) => entry(s.key, i, s.pad));
          // Act
          for (const e of entries) await putter.offer(e);
          await putter.flush();
          // Assess
          expect(producer.put.map((e) => e.data).sort()).toEqual(entries.map((e) => e.data).sort());
          expect(new Set(producer.put.map((e) => e.data)).size).toBe(entries.length);
          for (const call of producer.calls) {
            expect(call.length).toBeLessThanOrEqual(maxEntries);
            if (call.length > 1) expect(call.reduce((a, e) => a + entryBytes(e), 0)).toBeLessThanOrEqual(maxBytes);
          }
          expect(putter.stats()).toMatchObject({ put: entries.length, pushed: entries.length, buffered: 0 });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('keeps the order of each partition key when nothing fails', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom('A', 'B', 'C'), { maxLength: 300 }), fc.integer({ min: 1, max: 50 }), async (keys, maxEntries) => {
        // Prepare
        const producer = new FakeProducer();
        const putter = new BatchedPutter(producer, { lingerMs: 0, maxEntries });
        // Act
        for (const [i, k] of keys.entries()) putter.push(entry(k, i));
        await putter.flush();
        // Assess
        for (const k of ['A', 'B', 'C']) {
          const got = producer.put.filter((e) => e.partitionKey === k).map((e) => Number(e.data.split(':')[1]));
          expect(got).toEqual([...got].sort((a, b) => a - b));
        }
        expect(producer.put).toHaveLength(keys.length);
      }),
    );
  });
});
