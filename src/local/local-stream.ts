/**
 * An embedded, file-backed stand-in for a Kinesis data stream.
 *
 * Kinesis semantics kept where they matter to the pipeline:
 * - N shards; a record goes to the shard whose hash-key range contains the
 *   MD5 of its partition key (128-bit, split evenly, as CreateStream does).
 * - Sequence numbers increase within a shard (56-digit decimal strings, like
 *   the service's; they compare correctly both as numbers and as strings).
 * - Records are durable once appended and are read back in order from any
 *   position, so consumers resume from their own checkpoints.
 *
 * Storage: one append-only log per shard, one record per line:
 * `<sequenceNumber>\t<partitionKey>\t<arrivalMs>\t<base64 data>\n`.
 * A torn last line (crash mid-append) is cut off when the stream is opened.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** One record as stored and read back. */
export interface StreamRecord {
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  /** Approximate arrival time, ms since epoch. */
  readonly arrivalMs: number;
  /** Payload, base64 (as Kinesis delivers it to Lambda). */
  readonly data: string;
  /** Byte offset just past this record in the shard log (the checkpoint position). */
  readonly endOffset: number;
}

/** Record to append. */
export interface PutRecord {
  readonly partitionKey: string;
  /** Payload as text (encoded UTF-8) or bytes. */
  readonly data: string | Uint8Array;
}

interface StreamMeta {
  readonly name: string;
  readonly shards: number;
  readonly createdAt: string;
}

const MAX_HASH = 1n << 128n;

/** Kinesis shard id for shard index `i`. */
export function shardId(i: number): string {
  return `shardId-${String(i).padStart(12, '0')}`;
}

/** 56-digit sequence number: shard index and a per-shard counter, increasing within a shard. */
export function makeSequenceNumber(shardIndex: number, counter: number): string {
  return `4963${String(shardIndex).padStart(4, '0')}${String(counter).padStart(48, '0')}`;
}

function counterOf(seq: string): number {
  return Number(seq.slice(8));
}

/** Index of the shard owning `partitionKey` among `shards` evenly split hash-key ranges. */
export function shardForKey(partitionKey: string, shards: number): number {
  const h = BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
  return Number((h * BigInt(shards)) / MAX_HASH);
}

class ShardLog {
  readonly fd: number;
  /** Bytes written to the log. */
  size: number;
  /** Bytes visible to readers (a producer commits after recording its own progress). */
  committed: number;
  counter: number;
  private pending: string[] = [];
  private pendingBytes = 0;

  constructor(
    readonly index: number,
    readonly path: string,
    readOnly = false,
  ) {
    this.fd = openSync(path, readOnly ? 'r' : existsSync(path) ? 'r+' : 'w+');
    this.size = fstatSync(this.fd).size;
    this.counter = 0;
    if (!readOnly) this.recover();
    this.committed = this.size;
  }

  /** Cuts a torn last line and recovers the sequence counter from the last record. */
  private recover(): void {
    if (this.size === 0) return;
    const tail = Math.min(this.size, 1 << 20);
    const buf = Buffer.alloc(tail);
    readSync(this.fd, buf, 0, tail, this.size - tail);
    const lastNl = buf.lastIndexOf(10);
    if (lastNl < 0) throw new Error(`${this.path}: no complete record in the last MiB; the log is corrupt`);
    const good = this.size - tail + lastNl + 1;
    if (good !== this.size) {
      ftruncateSync(this.fd, good);
      this.size = good;
    }
    const prevNl = buf.lastIndexOf(10, lastNl - 1);
    const line = buf.toString('utf8', prevNl + 1, lastNl);
    this.counter = counterOf(line.slice(0, line.indexOf('\t')));
  }

  append(partitionKey: string, arrivalMs: number, data: string): void {
    this.counter++;
    const line = `${makeSequenceNumber(this.index, this.counter)}\t${partitionKey}\t${arrivalMs}\t${data}\n`;
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (this.pendingBytes > 1 << 20) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const buf = Buffer.from(this.pending.join(''), 'latin1');
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off, this.size + off);
    this.size += buf.length;
    this.pending = [];
    this.pendingBytes = 0;
  }

  truncate(size: number): void {
    this.pending = [];
    this.pendingBytes = 0;
    if (size < this.size) {
      ftruncateSync(this.fd, size);
      this.size = size;
      this.committed = Math.min(this.committed, size);
      this.counter = 0;
      if (size > 0) this.recover();
    }
  }
}

/** A file-backed stream with Kinesis-like sharding and sequence numbers. */
export class LocalStream {
  readonly arn: string;
  private readonly logs: ShardLog[];
  private readonly shardCache = new Map<string, number>();

  private constructor(
    readonly dir: string,
    readonly meta: StreamMeta,
    /** Committed sizes published by the producer in another thread (reader-only streams). */
    private readonly sharedCommitted?: BigInt64Array,
  ) {
    this.arn = `arn:aws:kinesis:local:000000000000:stream/${meta.name}`;
    this.logs = Array.from({ length: meta.shards }, (_, i) => new ShardLog(i, join(dir, `${shardId(i)}.log`), sharedCommitted !== undefined));
  }

  /**
   * Opens an existing stream for reading only, in another thread than its
   * producer: readers see what the producer has committed to `committed`
   * (one slot per shard, written by {@link publishCommitted}).
   */
  static openReader(dir: string, committed: BigInt64Array): LocalStream {
    const meta = JSON.parse(readFileSync(join(dir, 'stream.json'), 'utf8')) as StreamMeta;
    return new LocalStream(dir, meta, committed);
  }

  /** Copies this (producer-side) stream's committed sizes to a shared array for reader threads. */
  publishCommitted(target: BigInt64Array): void {
    this.logs.forEach((l, i) => {
      Atomics.store(target, i, BigInt(l.committed));
    });
  }

  /**
   * Opens the stream stored in `dir`, creating it with `shards` shards if absent.
   * An existing stream keeps its shard count (resharding is not supported).
   */
  static open(dir: string, name: string, shards: number): LocalStream {
    if (!Number.isInteger(shards) || shards < 1 || shards > 1024) throw new Error(`shard count must be an integer 1-1024, got ${shards}`);
    mkdirSync(dir, { recursive: true });
    const metaPath = join(dir, 'stream.json');
    let meta: StreamMeta;
    if (existsSync(metaPath)) {
      meta = JSON.parse(readFileSync(metaPath, 'utf8')) as StreamMeta;
    } else {
      meta = { name, shards, createdAt: new Date().toISOString() };
      writeFileSync(metaPath, JSON.stringify(meta, null, 2));
    }
    return new LocalStream(dir, meta);
  }

  get shardCount(): number {
    return this.meta.shards;
  }

  shardIds(): string[] {
    return this.logs.map((l) => shardId(l.index));
  }

  shardOf(partitionKey: string): number {
    let s = this.shardCache.get(partitionKey);
    if (s === undefined) {
      s = shardForKey(partitionKey, this.meta.shards);
      if (this.shardCache.size < 100_000) this.shardCache.set(partitionKey, s);
    }
    return s;
  }

  /** Appends records (buffered; call {@link flush} to make them durable and visible). */
  put(records: readonly PutRecord[], arrivalMs = Date.now()): void {
    for (const r of records) {
      const b64 = typeof r.data === 'string' ? Buffer.from(r.data, 'utf8').toString('base64') : Buffer.from(r.data).toString('base64');
      this.logs[this.shardOf(r.partitionKey)]!.append(r.partitionKey, arrivalMs, b64);
    }
  }

  /** Appends one record (buffered). */
  putOne(partitionKey: string, data: string, arrivalMs: number): void {
    this.logs[this.shardOf(partitionKey)]!.append(partitionKey, arrivalMs, Buffer.from(data, 'utf8').toString('base64'));
  }

  /**
   * Writes buffered records to the shard logs and, unless `commit` is false,
   * makes them visible to readers. A producer that must not be read ahead of
   * its own saved progress flushes with `commit=false`, saves, then {@link commit}s.
   */
  flush(commit = true): void {
    for (const l of this.logs) l.flush();
    if (commit) this.commit();
  }

  /** Makes everything written so far visible to readers. */
  commit(): void {
    for (const l of this.logs) l.committed = l.size;
  }

  /** Durable size of every shard log, in bytes (a producer's resume point). */
  sizes(): number[] {
    return this.logs.map((l) => l.size);
  }

  /** Drops records beyond `sizes` (undoing appends a crashed producer did not commit). */
  truncateTo(sizes: readonly number[]): void {
    for (const [i, s] of sizes.entries()) this.logs[i]?.truncate(s);
  }

  /** Number of records ever appended to each shard. */
  counts(): number[] {
    return this.logs.map((l) => l.counter);
  }

  /** Bytes readable on shard `i` (its committed size). */
  committedSize(i: number): number {
    if (this.sharedCommitted) return Number(Atomics.load(this.sharedCommitted, i));
    return this.logs[i]?.committed ?? 0;
  }

  /** Opens a sequential reader on shard `i` from byte offset `offset`. */
  reader(i: number, offset = 0): ShardReader {
    const l = this.logs[i];
    if (!l) throw new Error(`no shard ${i}`);
    return new ShardReader(l.fd, () => this.committedSize(i), offset);
  }

  close(): void {
    if (!this.sharedCommitted) this.flush();
    for (const l of this.logs) closeSync(l.fd);
  }
}

/** Reads a shard log sequentially in large chunks. */
export class ShardReader {
  private buf = Buffer.alloc(0);
  private bufStart: number;
  private pos: number;

  constructor(
    private readonly fd: number,
    private readonly committed: () => number,
    offset: number,
  ) {
    this.bufStart = offset;
    this.pos = offset;
  }

  /** Byte offset of the next unread record. */
  get offset(): number {
    return this.pos;
  }

  /** Moves the read position (e.g. back to a checkpoint after a failed batch). */
  seek(offset: number): void {
    if (offset >= this.bufStart && offset <= this.bufStart + this.buf.length) {
      this.pos = offset;
      return;
    }
    this.buf = Buffer.alloc(0);
    this.bufStart = offset;
    this.pos = offset;
  }

  /** Reads up to `max` complete records at the current position; fewer (or none) at the end of the log. */
  read(max: number): StreamRecord[] {
    const out: StreamRecord[] = [];
    while (out.length < max) {
      let rel = this.pos - this.bufStart;
      let nl = this.buf.indexOf(10, rel);
      if (nl < 0) {
        if (!this.fill()) break;
        rel = this.pos - this.bufStart;
        nl = this.buf.indexOf(10, rel);
        if (nl < 0) break;
      }
      const line = this.buf.toString('latin1', rel, nl);
      const t1 = line.indexOf('\t');
      const t2 = line.indexOf('\t', t1 + 1);
      const t3 = line.indexOf('\t', t2 + 1);
      this.pos = this.bufStart + nl + 1;
      out.push({
        sequenceNumber: line.slice(0, t1),
        partitionKey: line.slice(t1 + 1, t2),
        arrivalMs: Number(line.slice(t2 + 1, t3)),
        data: line.slice(t3 + 1),
        endOffset: this.pos,
      });
    }
    return out;
  }

  /** Loads more of the log after the current position; false when nothing new is durable. */
  private fill(): boolean {
    const available = this.committed() - this.pos;
    if (available <= 0) return false;
    const want = Math.min(available, Math.max(4 << 20, this.buf.length - (this.pos - this.bufStart)));
    const next = Buffer.allocUnsafe(want);
    const n = readSync(this.fd, next, 0, want, this.pos);
    this.buf = next.subarray(0, n);
    this.bufStart = this.pos;
    return n > 0;
  }
}
