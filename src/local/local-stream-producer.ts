/**
 * The {@link StreamProducer} port on the local file-backed stream: what a live
 * connector or poller puts records through when ticklake runs on one machine.
 * A call appends its entries to the shard logs, writes them and commits them
 * (makes them visible to pollers) before it resolves, so an entry the call
 * reports put is durable and readable. The local stream never throttles: a call
 * puts every entry or throws (a write error) having put none, and the caller
 * retries it whole. The producer is the stream's only writer while it runs.
 */
import type { PutEntry, PutRecordsResult, StreamProducer } from '../ingest/stream-producer.js';
import type { LocalStream } from './local-stream.js';

export interface LocalStreamProducerOptions {
  /** Called after each commit (e.g. to publish committed sizes to poller threads: `stream.publishCommitted(shared)`). */
  readonly onCommit?: () => void;
  /** Arrival time of a call's records, ms since epoch (default `Date.now`). */
  readonly clock?: () => number;
}

export class LocalStreamProducer implements StreamProducer {
  constructor(
    private readonly stream: LocalStream,
    private readonly options: LocalStreamProducerOptions = {},
  ) {}

  async putRecords(entries: readonly PutEntry[]): Promise<PutRecordsResult> {
    if (entries.length === 0) return { failed: [] };
    const arrivalMs = (this.options.clock ?? Date.now)();
    const before = this.stream.sizes();
    try {
      for (const e of entries) this.stream.putOne(e.partitionKey, e.data, arrivalMs);
      this.stream.flush(true);
    } catch (e) {
      // Nothing of a failed call stays (or becomes visible later): the caller resends it whole.
      this.stream.truncateTo(before);
      throw e;
    }
    this.options.onCommit?.();
    return { failed: [] };
  }
}
