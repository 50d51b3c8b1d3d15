/** The Binance live connector as a feed of `ticklake up` (its records are the binance-trades source's). */
import { type BinanceLive, type ConnectorLogger, startBinanceLive } from '../adapters/binance/live-connector.js';
import type { StreamProducer } from '../ingest/stream-producer.js';
import type { LiveFeed, LiveFeedStatus } from './live.js';

export class BinanceLiveFeed implements LiveFeed {
  readonly source = 'binance-trades';
  private live: BinanceLive | undefined;

  constructor(
    private readonly url: string,
    private readonly symbols: readonly string[],
    private readonly logger?: ConnectorLogger,
  ) {}

  get label(): string {
    return `live ${this.url}`;
  }

  start(producer: StreamProducer): void {
    this.live = startBinanceLive({ url: this.url, symbols: this.symbols, producer, ...(this.logger ? { logger: this.logger } : {}) });
  }

  status(): LiveFeedStatus {
    if (!this.live) return { put: 0, reconnects: 0, errors: 0, state: 'not started' };
    const s = this.live.status();
    const gaps = s.gaps ? ` gaps ${s.gaps} (${s.gapTrades} trades)` : '';
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
