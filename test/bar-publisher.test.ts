import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStreamTransform } from '../src/ingest/stream-transform.js';
import type { BarRow } from '../src/core/bars.js';
import { publishClosedBars } from '../src/local/bar-publisher.js';
import { FileObjectStore } from '../src/local/file-object-store.js';
import { LakeSql } from '../src/local/lake-sql.js';
import { EmbeddedTimeSeriesStore } from '../src/local/embedded-store.js';
import { kinesisEvent, tradeMessage } from './helpers/kinesis-events.js';
import { tempDir } from './helpers/lake-files.js';

const T0 = Date.UTC(2026, 10, 2, 10, 0, 0);
const MIN = 60_000;

describe('publishing closed bars to the time-series store', () => {
  it('publishes each closed minute once, holds back open ones, and re-publishes a minute a late trade changed', async () => {
    // Prepare: trades in minutes 0..3; the watermark is in minute 3 (+5 s)
    const root = tempDir();
    const handler = createStreamTransform({ lake: new FileObjectStore(root), clock: () => T0 + 3600_000 });
    const trades = [0, 1, 2, 3].flatMap((m) => [
      tradeMessage({ t: 100 + m * 2, T: T0 + m * MIN + 1000 }),
      tradeMessage({ t: 101 + m * 2, T: T0 + m * MIN + 5000 }),
    ]);
    await handler(kinesisEvent(trades, 'shardId-000000000000', 1));
    const store = await EmbeddedTimeSeriesStore.open(join(root, 'ts'));
    const statePath = join(root, 'published.json');
    const closedSeen: BarRow[][] = [];
    try {
      // Act 1: minutes 0 and 1 are closed (minute 2 ends at +3:00, watermark 3:05 - lateness 10 s < 3:00 + ... )
      let sql = await LakeSql.open(root);
      const first = await publishClosedBars({ sql, sink: store, statePath, allowedLatenessSeconds: 10, onClosed: (b) => void closedSeen.push([...b]) });
      sql.close();
      // Act 2: nothing new
      sql = await LakeSql.open(root);
      const again = await publishClosedBars({ sql, sink: store, statePath, allowedLatenessSeconds: 10 });
      sql.close();
      // Act 3: a trade 2 minutes late for minute 0, and the watermark moves on
      await handler(kinesisEvent([tradeMessage({ t: 99, T: T0 + 500 }), tradeMessage({ t: 200, T: T0 + 5 * MIN })], 'shardId-000000000000', 50));
      sql = await LakeSql.open(root);
      const third = await publishClosedBars({ sql, sink: store, statePath, allowedLatenessSeconds: 10 });
      sql.close();
      const points = await store.range({ measurement: 'bar_1m', tags: { symbol: 'BTCUSDT' } });
      // Assess
      expect(first.closed).toBe(2);
      expect(closedSeen.flat().map((b) => b.minute_start)).toEqual([T0 * 1000, (T0 + MIN) * 1000]);
      expect(again.closed).toBe(0);
      expect(again.corrections).toBe(0);
      expect(third.closed).toBe(2); // minutes 2 and 3 closed now
      expect(third.corrections).toBe(1); // minute 0 gained the late trade
      expect(points.map((p) => p.time)).toEqual([0, 1, 2, 3].map((m) => (T0 + m * MIN) * 1000));
      expect(Number(points[0]!.fields.trade_count)).toBe(3);
    } finally {
      await store.close();
    }
  });
});
