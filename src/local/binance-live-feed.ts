/** The Binance live connector as a feed of `ticklake up` (its records are the binance-trades source's). */
import { WebSocket } from 'ws';
import { type BinanceLive, binanceStreamUrl, type ConnectorLogger, formatGaps, startBinanceLive } from '../adapters/binance/live-connector.js';
import type { StreamProducer } from '../ingest/stream-producer.js';
import type { LiveFeed, LiveFeedStatus } from './live.js';

export class BinanceLiveFeed implements LiveFeed {
  readonly source = 'binance-trades';
  private live: BinanceLive | undefined;

  constructor(
    private readonly url: string,
    private readonly symbols: readonly string[],
    private readonly logger?: ConnectorLogger,
    /** Binance REST API to heal gaps from (none: gaps are only counted). */
    private readonly restUrl?: string,
  ) {}

  get label(): string {
    return `live ${this.url}`;
  }

  /** Opens one connection and closes it: an unreachable endpoint fails here, before anything starts. */
  async preflight(timeoutMs = 10_000): Promise<void> {
    const url = binanceStreamUrl(this.url, this.symbols);
    await new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(url, { handshakeTimeout: timeoutMs });
      ws.once('open', () => {
        ws.close(1000);
        resolve();
      });
      ws.once('error', (e) => reject(new Error(`binance-live: cannot reach ${this.url}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
    });
  }

  start(producer: StreamProducer): void {
    this.live = startBinanceLive({
      url: this.url,
      symbols: this.symbols,
      producer,
      ...(this.logger ? { logger: this.logger } : {}),
      ...(this.restUrl ? { heal: { url: this.restUrl } } : {}),
    });
  }

  status(): LiveFeedStatus {
    if (!this.live) return { put: 0, reconnects: 0, errors: 0, state: 'not started' };
    const s = this.live.status();
    const gaps = s.gaps ? ` ${formatGaps(s)}` : '';
    return {
      put: s.tradesPut + s.malformedPut,
      ...(s.lastTradeAgeMs !== undefined ? { newestEventMs: Date.now() - s.lastTradeAgeMs } : {}),
      reconnects: s.reconnects,
      errors: s.connectFailures,
      ...(s.connected && !gaps ? {} : { state: `${s.connected ? '' : 'connecting'}${gaps}`.trim() }),
    };
  }

  async stop(): Promise<void> {
    await this.live?.stop(10_000);
  }
}
