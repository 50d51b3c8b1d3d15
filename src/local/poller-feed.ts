/** A polled source (its JSON API on wall-clock slots) as a feed of `ticklake up`. */
import { HttpPoller, type PollerLogger, pollTargetOf } from '../adapters/http/poller.js';
import type { StreamProducer } from '../ingest/stream-producer.js';
import type { SourceDefinition } from '../sources/contract.js';
import type { LiveFeed, LiveFeedStatus } from './live.js';

export class PollerFeed implements LiveFeed {
  private poller: HttpPoller | undefined;

  /** @param url the API; without one the source's simulated API answers in-process */
  constructor(
    private readonly def: SourceDefinition,
    private readonly url: string | undefined,
    private readonly opts: { readonly intervalMs?: number; readonly logger?: PollerLogger } = {},
  ) {
    if (!def.poller) throw new Error(`source ${def.id} is not polled`);
  }

  get source(): string {
    return this.def.id;
  }

  get label(): string {
    return this.url === undefined ? 'simulated API' : `polling ${this.url}`;
  }

  /** A URL that cannot be reached at all (DNS, refused, timeout) is an error before anything starts; HTTP errors are the poller's to retry. */
  async preflight(timeoutMs = 10_000): Promise<void> {
    if (this.url === undefined) return;
    try {
      const res = await fetch(this.url, { signal: AbortSignal.timeout(timeoutMs) });
      await res.body?.cancel();
    } catch (e) {
      const c = (e as { cause?: { code?: string; message?: string } }).cause;
      const cause = c?.code ?? c?.message ?? (e as Error).message;
      throw new Error(`${this.def.id}: cannot reach ${this.url}: ${cause}`);
    }
  }

  start(producer: StreamProducer): void {
    const target = pollTargetOf(this.def, {
      ...(this.url !== undefined ? { url: this.url } : {}),
      ...(this.opts.intervalMs ? { intervalMs: this.opts.intervalMs } : {}),
    });
    this.poller = new HttpPoller({ target, producer, immediate: true, ...(this.opts.logger ? { logger: this.opts.logger } : {}) }).start();
  }

  status(): LiveFeedStatus {
    if (!this.poller) return { put: 0, reconnects: 0, errors: 0, state: 'not started' };
    const s = this.poller.stats();
    const failing = s.lastFailure && (s.lastSuccessMs === undefined || s.lastFailure.atMs > s.lastSuccessMs);
    return {
      put: s.records,
      ...(s.lastSuccessMs !== undefined ? { newestEventMs: s.lastSuccessMs } : {}),
      reconnects: 0,
      errors: s.failures,
      ...(failing ? { state: `last poll failed: ${s.lastFailure!.reason}` } : {}),
    };
  }

  async stop(): Promise<void> {
    await this.poller?.stop();
  }
}
