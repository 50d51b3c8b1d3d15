/**
 * runLive's `onBarsPublished` (what the bench's time-series latency is measured
 * with): called once per closed minute bar, after its point is in the embedded
 * time-series store, never for a minute that has not closed.
 */
import { describe, expect, it } from 'vitest';
import { embeddedDir } from '../src/adapters/timeseries-factory.js';
import type { BarRow } from '../src/core/bars.js';
import type { StreamProducer } from '../src/ingest/stream-producer.js';
import { EmbeddedTimeSeriesStore } from '../src/local/embedded-store.js';
import { type LiveFeed, runLive } from '../src/local/live.js';
import { MEASUREMENTS } from '../src/timeseries/measurements.js';
import { tradeMessage } from './helpers/kinesis-events.js';
import { tempDir } from './helpers/lake-files.js';

/** Puts its trades once, at start. */
class FixedFeed implements LiveFeed {
  readonly source = 'binance-trades';
  readonly label = 'fixed';
  private put = 0;
  constructor(private readonly trades: readonly { id: number; timeMs: number }[]) {}
  start(producer: StreamProducer): void {
    void producer.putRecords(this.trades.map((t) => ({ partitionKey: 'BTCUSDT', data: tradeMessage({ s: 'BTCUSDT', t: t.id, T: t.timeMs }) }))).then(() => {
      this.put = this.trades.length;
    });
  }
  status() {
    return { put: this.put, reconnects: 0, errors: 0 };
  }
  async stop(): Promise<void> {}
}

describe('runLive: onBarsPublished', () => {
  it('reports each closed minute bar once, with the time its point was in the store; the open minute is not reported', async () => {
    // Prepare: three trades in a minute that ended two minutes ago, one trade now (the watermark: that minute is closed, this one not).
    const now = Date.now();
    const closedMinute = Math.floor(now / 60_000) * 60_000 - 120_000;
    const feed = new FixedFeed([
      { id: 1, timeMs: closedMinute + 1_000 },
      { id: 2, timeMs: closedMinute + 30_000 },
      { id: 3, timeMs: closedMinute + 59_000 },
      { id: 4, timeMs: now },
    ]);
    const dataDir = tempDir();
    const reported: { bars: readonly BarRow[]; atMs: number }[] = [];
    // Act
    const started = Date.now();
    await runLive({
      dataDir,
      feeds: [feed],
      forMs: 3_000,
      schedule: false,
      publishEveryMs: 300,
      statusEveryMs: 3_600_000,
      onBarsPublished: (bars, atMs) => reported.push({ bars, atMs }),
    });
    const ended = Date.now();
    const store = await EmbeddedTimeSeriesStore.open(embeddedDir(dataDir));
    const points = await store.range({ measurement: MEASUREMENTS.bar1m, tags: { symbol: 'BTCUSDT' } });
    await store.close();
    // Assess: one report, of the closed minute, during the run; its point is the one stored.
    expect(reported).toHaveLength(1);
    expect(reported[0]!.bars.map((b) => [b.symbol, b.minute_start, Number(b.trade_count)])).toEqual([['BTCUSDT', closedMinute * 1000, 3]]);
    expect(reported[0]!.atMs).toBeGreaterThan(started);
    expect(reported[0]!.atMs).toBeLessThan(ended);
    expect(points.map((p) => [p.time, p.fields.trade_count])).toEqual([[closedMinute * 1000, 3]]);
  }, 30_000);
});
