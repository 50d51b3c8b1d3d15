/**
 * Batches records onto the stream through a {@link StreamProducer}: what a live
 * connector or poller hands its records to. Runtime-neutral (the producer is a
 * port: Kinesis `PutRecords` in the cloud, the local file-backed stream locally).
 *
 * - **Batches.** Entries wait in a buffer and go out in calls of at most 500
 *   entries and 5 MiB (data plus partition keys, Kinesis's `PutRecords` limits),
 *   as soon as a full call is buffered, else after a short linger (default 50 ms)
 *   after the oldest entry arrived. One call is in flight at a time; entries that
 *   arrive meanwhile form the next call.
 * - **Partial failures.** Only the entries a call reports as failed are sent
 *   again, before any newer entry, after a jittered exponential backoff (full
 *   jitter, {@link backoffDelayMs}); a call that rejects is sent again whole. It
 *   retries until the entries are put: a live source has nowhere else to keep
 *   them, and back-pressure stops it from reading more meanwhile.
 * - **Order.** Per partition key, entries are sent in the order they were pushed,
 *   and a failed entry is resent before anything newer. The one reordering left
 *   is Kinesis's own: when an entry fails and a later entry of the same key in
 *   the same call succeeds, the retry lands after it (the stream transform keys
 *   everything by natural key and event time, so nothing downstream relies on it).
 * - **Back-pressure.** {@link BatchedPutter.push} never drops and answers whether
 *   the buffer (waiting, retrying and in-flight entries) is below the high-water
 *   mark; a caller that gets `false` stops reading (a connector pauses its socket)
 *   until {@link BatchedPutter.writable} resolves, when the buffer has fallen to
 *   the low-water mark. {@link BatchedPutter.offer} does both for callers that can await.
 * - **Exactly once** as far as the putter can tell: every pushed entry is sent
 *   until a call reports it put, and is never sent again after that. A call that
 *   rejects may still have put some of its entries (the port says none is *known*
 *   to be put); such a retry can then duplicate them, which is Kinesis's
 *   at-least-once contract.
 */
import { backoffDelayMs } from '../core/backoff.js';
import {
  PARTITION_KEY_MAX_LENGTH,
  PUT_RECORD_MAX_BYTES,
  PUT_RECORDS_MAX_BYTES,
  PUT_RECORDS_MAX_ENTRIES,
  type PutEntry,
  type StreamProducer,
} from './stream-producer.js';

/** UTF-8 length of a string in bytes, without encoding it (lone surrogates count 3, as U+FFFD). */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      // A surrogate pair: 2 UTF-16 units, 4 bytes.
      n += 2;
      i++;
    } else n += 2;
  }
  return n;
}

/** Bytes an entry counts for against the `PutRecords` limits: its data plus its partition key. */
export function entryBytes(e: PutEntry): number {
  return utf8Length(e.data) + utf8Length(e.partitionKey);
}

/**
 * How many of the entries with these byte sizes, from `start`, fit in one call
 * of at most `maxEntries` entries and `maxBytes` bytes. At least one (an entry
 * alone is always sent, the caller checks the per-record limit).
 */
export function batchLength(sizes: readonly number[], start: number, maxEntries: number, maxBytes: number): number {
  let n = 0;
  let bytes = 0;
  while (start + n < sizes.length && n < maxEntries) {
    const b = sizes[start + n]!;
    if (n > 0 && bytes + b > maxBytes) break;
    bytes += b;
    n++;
  }
  return n;
}

/** Splits entries with these byte sizes into consecutive calls; returns the length of each. */
export function splitBatches(sizes: readonly number[], maxEntries = PUT_RECORDS_MAX_ENTRIES, maxBytes = PUT_RECORDS_MAX_BYTES): number[] {
  const out: number[] = [];
  for (let i = 0; i < sizes.length; ) {
    const n = batchLength(sizes, i, maxEntries, maxBytes);
    out.push(n);
    i += n;
  }
  return out;
}

/** Why an entry cannot be put at all (too large, bad partition key), or undefined. */
export function entryProblem(e: PutEntry, bytes = entryBytes(e)): string | undefined {
  if (e.partitionKey.length === 0) return 'partition key is empty';
  if (e.partitionKey.length > PARTITION_KEY_MAX_LENGTH && [...e.partitionKey].length > PARTITION_KEY_MAX_LENGTH)
    return `partition key is longer than ${PARTITION_KEY_MAX_LENGTH} characters`;
  if (bytes > PUT_RECORD_MAX_BYTES) return `record is ${bytes} bytes, over the ${PUT_RECORD_MAX_BYTES}-byte limit of one record`;
  return undefined;
}

/** What the putter has done (for status lines and tests). */
export interface PutterStats {
  /** Entries pushed. */
  readonly pushed: number;
  /** Entries put (reported put by a call). */
  readonly put: number;
  readonly bytesPut: number;
  /** `putRecords` calls made. */
  readonly calls: number;
  /** Calls that rejected (all their entries resent). */
  readonly rejectedCalls: number;
  /** Entries resent after a partial failure or a rejected call (counted per resend). */
  readonly resent: number;
  /** Entries not yet put: waiting, waiting for a retry, and in flight. */
  readonly buffered: number;
  readonly inFlight: number;
  /** The highest `buffered` seen. */
  readonly maxBuffered: number;
  /** Times a push found the buffer at or above the high-water mark. */
  readonly highWaterHits: number;
  /** The last error or failure code a call returned, if any. */
  readonly lastError?: string;
}

/** Why a retry happens (for logging). */
export interface RetryInfo {
  /** Entries to resend. */
  readonly entries: number;
  /** Consecutive failing calls so far. */
  readonly attempt: number;
  readonly delayMs: number;
  /** The rejection, or the first failure code of a partial failure. */
  readonly reason: string;
}

export interface BatchedPutterOptions<E extends PutEntry = PutEntry> {
  /** Entries per call (at most 500). */
  readonly maxEntries?: number;
  /** Bytes per call, data plus keys (at most 5 MiB). */
  readonly maxBytes?: number;
  /** How long a partial call waits for more entries, in ms (default 50). */
  readonly lingerMs?: number;
  /** Buffered entries at which {@link BatchedPutter.push} answers false (default 10,000). */
  readonly highWaterMark?: number;
  /** Buffered entries at which {@link BatchedPutter.writable} resolves (default half the high-water mark). */
  readonly lowWaterMark?: number;
  /** Backoff between failing calls (default 100 ms doubling to 5 s, full jitter). */
  readonly retry?: { readonly baseDelayMs: number; readonly maxDelayMs: number };
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly clock?: () => number;
  /** Called with the entries of each call that were put. */
  readonly onPut?: (entries: readonly E[]) => void;
  /** Called before each backoff. */
  readonly onRetry?: (info: RetryInfo) => void;
}

interface Item<E> {
  readonly entry: E;
  readonly bytes: number;
}

/** A FIFO with O(1) push and shift and a cheap prepend of a few items. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(x: T): void {
    this.items.push(x);
  }

  at(i: number): T {
    return this.items[this.head + i]!;
  }

  /** Removes and returns the first `n` items. */
  take(n: number): T[] {
    const out = this.items.slice(this.head, this.head + n);
    this.head += n;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  /** Puts `xs` back in front, in their order. */
  prepend(xs: readonly T[]): void {
    if (xs.length <= this.head) {
      this.head -= xs.length;
      for (let i = 0; i < xs.length; i++) this.items[this.head + i] = xs[i]!;
    } else {
      this.items = [...xs, ...this.items.slice(this.head)];
      this.head = 0;
    }
  }
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Buffers entries and puts them in batched, retried `PutRecords` calls. See the module comment. */
export class BatchedPutter<E extends PutEntry = PutEntry> {
  private readonly queue = new Fifo<Item<E>>();
  private queuedBytes = 0;
  private oldestAt = 0;
  private inFlight = 0;
  private pumping = false;
  private closed = false;
  private flushing = 0;
  private wake: (() => void) | undefined;
  private lingerTimer: ReturnType<typeof setTimeout> | undefined;
  private writableWaiters: (() => void)[] = [];
  private drainWaiters: (() => void)[] = [];
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly lingerMs: number;
  private readonly highWaterMark: number;
  private readonly lowWaterMark: number;
  private readonly retry: { readonly baseDelayMs: number; readonly maxDelayMs: number };
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly clock: () => number;
  private s = {
    pushed: 0,
    put: 0,
    bytesPut: 0,
    calls: 0,
    rejectedCalls: 0,
    resent: 0,
    maxBuffered: 0,
    highWaterHits: 0,
    lastError: undefined as string | undefined,
  };

  constructor(
    private readonly producer: StreamProducer,
    private readonly options: BatchedPutterOptions<E> = {},
  ) {
    this.maxEntries = options.maxEntries ?? PUT_RECORDS_MAX_ENTRIES;
    this.maxBytes = options.maxBytes ?? PUT_RECORDS_MAX_BYTES;
    if (!(this.maxEntries >= 1 && this.maxEntries <= PUT_RECORDS_MAX_ENTRIES))
      throw new RangeError(`maxEntries must be 1-${PUT_RECORDS_MAX_ENTRIES}, got ${this.maxEntries}`);
    if (!(this.maxBytes >= 1 && this.maxBytes <= PUT_RECORDS_MAX_BYTES))
      throw new RangeError(`maxBytes must be 1-${PUT_RECORDS_MAX_BYTES}, got ${this.maxBytes}`);
    this.lingerMs = options.lingerMs ?? 50;
    this.highWaterMark = options.highWaterMark ?? 10_000;
    this.lowWaterMark = options.lowWaterMark ?? Math.floor(this.highWaterMark / 2);
    if (!(this.highWaterMark >= 1 && this.lowWaterMark >= 0 && this.lowWaterMark < this.highWaterMark))
      throw new RangeError(`need 0 <= lowWaterMark < highWaterMark, got ${this.lowWaterMark} and ${this.highWaterMark}`);
    this.retry = options.retry ?? { baseDelayMs: 100, maxDelayMs: 5_000 };
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? realSleep;
    this.clock = options.clock ?? Date.now;
  }

  /** Entries not yet put (waiting, waiting for a retry, in flight). */
  get buffered(): number {
    return this.queue.length + this.inFlight;
  }

  /** True while the buffer is at or above the high-water mark. */
  get full(): boolean {
    return this.buffered >= this.highWaterMark;
  }

  stats(): PutterStats {
    const { lastError, ...rest } = this.s;
    return { ...rest, buffered: this.buffered, inFlight: this.inFlight, ...(lastError === undefined ? {} : { lastError }) };
  }

  /**
   * Adds an entry; never drops it. Throws a RangeError for an entry Kinesis can
   * never take (over 1 MiB, empty or over-long partition key) and after {@link close}.
   * @returns false when the buffer is at or above the high-water mark: stop pushing until {@link writable} resolves.
   */
  push(entry: E): boolean {
    if (this.closed) throw new Error('BatchedPutter: push after close');
    const bytes = entryBytes(entry);
    const problem = entryProblem(entry, bytes);
    if (problem) throw new RangeError(`BatchedPutter: ${problem}`);
    if (this.queue.length === 0) this.oldestAt = this.clock();
    this.queue.push({ entry, bytes });
    this.queuedBytes += bytes;
    this.s.pushed++;
    const buffered = this.buffered;
    if (buffered > this.s.maxBuffered) this.s.maxBuffered = buffered;
    if (!this.pumping) void this.pump();
    else if (this.wake && (this.queue.length >= this.maxEntries || this.queuedBytes >= this.maxBytes)) this.wakeUp();
    if (buffered >= this.highWaterMark) {
      this.s.highWaterHits++;
      return false;
    }
    return true;
  }

  /** Pushes and, when the buffer is full, waits until it has room again. */
  async offer(entry: E): Promise<void> {
    if (!this.push(entry)) await this.writable();
  }

  /** Resolves when the buffer is at or below the low-water mark (at once if it is). */
  writable(): Promise<void> {
    if (this.buffered <= this.lowWaterMark) return Promise.resolve();
    return new Promise((resolve) => this.writableWaiters.push(resolve));
  }

  /**
   * Sends what is buffered without waiting for the linger, and resolves when the
   * buffer is empty (entries pushed meanwhile are waited for too).
   */
  async flush(): Promise<void> {
    if (this.buffered === 0) return;
    this.flushing++;
    try {
      const drained = new Promise<void>((resolve) => this.drainWaiters.push(resolve));
      if (this.wake) this.wakeUp();
      await drained;
    } finally {
      this.flushing--;
    }
  }

  /** Flushes, then refuses further pushes. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = undefined;
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    w?.();
  }

  /** Waits until a full call is buffered, the linger of the oldest entry is over, or a flush asks. */
  private async linger(): Promise<void> {
    const wait = this.oldestAt + this.lingerMs - this.clock();
    if (wait <= 0) return;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      this.lingerTimer = setTimeout(() => this.wakeUp(), wait);
    });
  }

  private notify(): void {
    if (this.buffered <= this.lowWaterMark && this.writableWaiters.length > 0) {
      const ws = this.writableWaiters;
      this.writableWaiters = [];
      for (const w of ws) w();
    }
    if (this.buffered === 0 && this.drainWaiters.length > 0) {
      const ds = this.drainWaiters;
      this.drainWaiters = [];
      for (const d of ds) d();
    }
  }

  /** Sends calls while anything is buffered; one runs at a time. */
  private async pump(): Promise<void> {
    this.pumping = true;
    let attempt = 0;
    try {
      while (this.queue.length > 0) {
        const partial = this.queue.length < this.maxEntries && this.queuedBytes < this.maxBytes;
        if (partial && attempt === 0 && this.flushing === 0) {
          await this.linger();
          if (this.queue.length === 0) break;
        }
        const sizes: number[] = [];
        const limit = Math.min(this.queue.length, this.maxEntries);
        for (let i = 0; i < limit; i++) sizes.push(this.queue.at(i).bytes);
        const items = this.queue.take(batchLength(sizes, 0, this.maxEntries, this.maxBytes));
        let bytes = 0;
        for (const it of items) bytes += it.bytes;
        this.queuedBytes -= bytes;
        this.inFlight = items.length;
        const failed = await this.call(items);
        this.inFlight = 0;
        if (failed.items.length > 0) {
          // Failed entries go back in front, in their order, before anything newer.
          this.queue.prepend(failed.items);
          for (const it of failed.items) this.queuedBytes += it.bytes;
          this.s.resent += failed.items.length;
          this.s.lastError = failed.reason;
          const delayMs = backoffDelayMs(attempt, this.retry, this.random);
          attempt++;
          try {
            this.options.onRetry?.({ entries: failed.items.length, attempt, delayMs, reason: failed.reason });
          } catch {
            // a logging callback must not stop the putter
          }
          await this.sleep(delayMs);
        } else {
          attempt = 0;
        }
        this.notify();
      }
    } finally {
      this.pumping = false;
      this.notify();
    }
  }

  /** One `putRecords` call; returns the items to resend and why. */
  private async call(items: readonly Item<E>[]): Promise<{ items: Item<E>[]; reason: string }> {
    this.s.calls++;
    let failedIdx: readonly { readonly index: number; readonly code: string }[];
    try {
      failedIdx = (await this.producer.putRecords(items.map((it) => it.entry))).failed;
    } catch (e) {
      this.s.rejectedCalls++;
      return { items: [...items], reason: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
    }
    const failedSet = new Set<number>();
    for (const f of failedIdx) if (f.index >= 0 && f.index < items.length) failedSet.add(f.index);
    const put: E[] = [];
    const again: Item<E>[] = [];
    for (let i = 0; i < items.length; i++) {
      if (failedSet.has(i)) again.push(items[i]!);
      else {
        put.push(items[i]!.entry);
        this.s.bytesPut += items[i]!.bytes;
      }
    }
    this.s.put += put.length;
    if (put.length > 0) {
      try {
        this.options.onPut?.(put);
      } catch {
        // a status callback must not stop the putter
      }
    }
    return { items: again, reason: failedIdx[0]?.code ?? '' };
  }
}
