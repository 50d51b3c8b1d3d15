/** What the bridge and reader tests share: a producer that keeps what it is given, a wait, and a lake from what was put. */
import type { PutEntry, PutRecordsResult, StreamProducer } from '../../src/ingest/stream-producer.js';
import { createStreamTransform } from '../../src/ingest/stream-transform.js';
import { FileObjectStore } from '../../src/local/file-object-store.js';
import { kinesisEvent } from './kinesis-events.js';
import { tempDir } from './lake-files.js';

/** A stream producer that keeps what it is given; `gate` may hold a put back. */
export class CollectingProducer implements StreamProducer {
  readonly entries: PutEntry[] = [];
  gate: ((e: readonly PutEntry[]) => Promise<void>) | undefined;

  async putRecords(entries: readonly PutEntry[]): Promise<PutRecordsResult> {
    await this.gate?.(entries);
    this.entries.push(...entries);
    return { failed: [] };
  }
}

/** Waits until `cond` holds (polling every 20 ms), failing after `timeoutMs`. */
export async function until(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Puts the entries through the stream transform (batches of 50, one shard) into a lake; returns its root. */
export async function toLake(entries: readonly PutEntry[]): Promise<string> {
  const root = tempDir();
  const handler = createStreamTransform({ lake: new FileObjectStore(root) });
  for (let i = 0; i < entries.length; i += 50) {
    const batch = entries.slice(i, i + 50).map((e) => ({ data: e.data, partitionKey: e.partitionKey }));
    await handler(kinesisEvent(batch, 'shardId-000000000000', i + 1));
  }
  return root;
}
