/**
 * The enriched stream: closed minute bars put back on a stream by the bar
 * publisher, and the time-series writer building the store from it, with the
 * first stream's guarantees (at least once, in order per shard; the consumer
 * keeps the highest version of each bar, so redeliveries change nothing and a
 * correction replaces the bar).
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BarRow } from '../src/core/bars.js';
import { barEntry, ENRICHED_STREAM, type EnrichedBar, type EnrichedEngagement, latestByKey, parseEnriched } from '../src/enriched/records.js';
import { createStreamTransform } from '../src/ingest/stream-transform.js';
import { publishClosedBars } from '../src/local/bar-publisher.js';
import { publishClosedEngagement } from '../src/local/engagement-publisher.js';
import { EmbeddedTimeSeriesStore } from '../src/local/embedded-store.js';
import { FileObjectStore } from '../src/local/file-object-store.js';
import { LakeSql } from '../src/local/lake-sql.js';
import { LocalStream } from '../src/local/local-stream.js';
import { LocalStreamProducer } from '../src/local/local-stream-producer.js';
import type { TimeSeriesSink } from '../src/timeseries/point.js';
import { createTimeSeriesWriter } from '../src/timeseries/timeseries-writer.js';
import { kinesisEvent, tradeMessage } from './helpers/kinesis-events.js';
import { tempDir } from './helpers/lake-files.js';

const T0 = Date.UTC(2026, 10, 2, 10, 0, 0);
const MIN = 60_000;

/** Runs `f` on a fresh DuckDB view of the lake under `root`. */
async function withLakeSql<T>(root: string, f: (sql: LakeSql) => Promise<T>): Promise<T> {
  const sql = await LakeSql.open(join(root, 'lake'));
  try {
    return await f(sql);
  } finally {
    sql.close();
  }
}

const bar = (symbol: string, minute: number, tradeCount: number): BarRow => ({
  symbol,
  minute_start: (T0 + minute * MIN) * 1000,
  open: 100,
  high: 101 + tradeCount,
  low: 99,
  close: 100.5,
  vwap: 100.2,
  avg_price: 100.1,
  avg_quantity: 0.5,
  avg_quote_quantity: 50,
  volume: 0.5 * tradeCount,
  quote_volume: 50 * tradeCount,
  trade_count: tradeCount,
  buyer_maker_share: 0.5,
});

describe('enriched records', () => {
  it('round-trip a bar with its natural key, version (trade count) and partition key per symbol', () => {
    // Act
    const e = barEntry(bar('ETHUSDT', 3, 7), true);
    const r = parseEnriched(e.data);
    // Assess
    expect(e.partitionKey).toBe('bar_1m/ETHUSDT');
    expect(e.data.startsWith('{"enriched":"bar_1m"')).toBe(true);
    expect(r).toEqual({ enriched: 'bar_1m', key: `ETHUSDT/${(T0 + 3 * MIN) * 1000}`, version: 7, correction: true, bar: bar('ETHUSDT', 3, 7) });
    expect(parseEnriched('{"enriched":"bar_1m","key":"x"}')).toBeUndefined();
    expect(parseEnriched('{"enriched":"view_interval","key":"x","version":1}')).toBeUndefined();
    expect(parseEnriched('{"source":"iot"}')).toBeUndefined();
  });

  it('latestByKey keeps the highest version of each bar, whatever the order and the duplicates (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('A', 'B'), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 9 })), { maxLength: 40 }), (specs) => {
        const records = specs.map(([s, m, n]) => parseEnriched(barEntry(bar(s, m, n), false).data) as EnrichedBar);
        const kept = latestByKey(records);
        const max = new Map<string, number>();
        for (const r of records) max.set(r.key, Math.max(max.get(r.key) ?? 0, r.version));
        expect(new Map(kept.map((r) => [r.key, r.version]))).toEqual(max);
        expect(kept).toHaveLength(max.size);
      }),
    );
  });
});

describe('the time-series writer on the enriched stream', () => {
  it('writes each bar once at its highest version: redeliveries change nothing, a correction replaces the bar', async () => {
    // Prepare
    const store = await EmbeddedTimeSeriesStore.open(tempDir());
    const seen: EnrichedBar[][] = [];
    const writer = createTimeSeriesWriter({ sink: store, onBars: (b) => void seen.push([...b]) });
    const v3 = barEntry(bar('BTCUSDT', 0, 3), false).data;
    const v5 = barEntry(bar('BTCUSDT', 0, 5), true).data;
    const other = barEntry(bar('BTCUSDT', 1, 2), false).data;
    try {
      // Act: a batch with a duplicate and a correction, then the same batch redelivered, then a malformed record
      await writer(kinesisEvent([v3, v3, other, v5]));
      await writer(kinesisEvent([v3, v3, other, v5]));
      await writer(kinesisEvent(['{"enriched":"bar_1m","key":"broken"', '{"enriched":"view_interval","key":"k","version":1,"interval":{}}']));
      const points = await store.range({ measurement: 'bar_1m', tags: { symbol: 'BTCUSDT' } });
      // Assess
      expect(points.map((p) => [p.time, p.fields.trade_count])).toEqual([
        [(T0 + 0 * MIN) * 1000, 5],
        [(T0 + 1 * MIN) * 1000, 2],
      ]);
      expect(seen.map((b) => b.map((x) => x.version))).toEqual([
        [5, 2],
        [5, 2],
      ]);
    } finally {
      await store.close();
    }
  });
});

describe('the local bar publisher onto the enriched stream', () => {
  it('puts each closed bar once, and a correction with a higher version when a late trade changes a published minute', async () => {
    // Prepare: trades in minutes 0..3 in the lake; an enriched stream
    const root = tempDir();
    const lake = new FileObjectStore(join(root, 'lake'));
    const transform = createStreamTransform({ lake, clock: () => T0 + 3600_000 });
    await transform(kinesisEvent([0, 1, 2, 3].map((m) => tradeMessage({ t: 100 + m, T: T0 + m * MIN + 5000 }))));
    const stream = LocalStream.open(join(root, 'enriched'), ENRICHED_STREAM, 1);
    const enriched = new LocalStreamProducer(stream);
    const statePath = join(root, 'published.json');
    const publish = () => withLakeSql(root, (sql) => publishClosedBars({ sql, sink: new NoSink(), enriched, statePath, allowedLatenessSeconds: 10 }));
    try {
      // Act: publish, publish again (nothing new), then a late trade for minute 0 and publish
      const first = await publish();
      const again = await publish();
      await transform(kinesisEvent([tradeMessage({ t: 99, T: T0 + 500 })], 'shardId-000000000000', 20));
      const third = await publish();
      const records = stream
        .reader(0, 0)
        .read(100)
        .map((r) => parseEnriched(Buffer.from(r.data, 'base64').toString('utf8')) as EnrichedBar);
      // Assess
      expect([first.closed, again.closed, third.closed, third.corrections]).toEqual([2, 0, 0, 1]);
      expect(records.map((r) => [r.bar.minute_start, r.version, r.correction])).toEqual([
        [T0 * 1000, 1, false],
        [(T0 + MIN) * 1000, 1, false],
        [T0 * 1000, 2, true],
      ]);
    } finally {
      stream.close();
    }
  });
});

describe('the local engagement publisher onto the enriched stream', () => {
  it('puts each closed category minute once with its view count as version, and a correction when a late view changes it', async () => {
    // Prepare: views of two categories in minutes 0 and 1, and one in minute 2 (the watermark)
    const root = tempDir();
    const transform = createStreamTransform({ lake: new FileObjectStore(join(root, 'lake')), clock: () => T0 + 3600_000 });
    const view = (category: string, atMs: number, i: number, liked = false) =>
      JSON.stringify({
        source: 'engagement',
        timestamp: new Date(atMs).toISOString(),
        user_id: `u${i}`,
        video_id: `v-${category}-${i}`,
        category,
        watch_time: 10 + i,
        liked,
      });
    await transform(
      kinesisEvent([
        view('music', T0 + 1000, 1, true),
        view('music', T0 + 2000, 2),
        view('news', T0 + 3000, 3),
        view('music', T0 + MIN + 1000, 4),
        view('news', T0 + 2 * MIN + 15_000, 5),
      ]),
    );
    const stream = LocalStream.open(join(root, 'enriched'), ENRICHED_STREAM, 1);
    const enriched = new LocalStreamProducer(stream);
    const statePath = join(root, 'published-engagement.json');
    const publish = () => withLakeSql(root, (sql) => publishClosedEngagement({ sql, enriched, statePath, allowedLatenessSeconds: 10 }));
    try {
      // Act: publish, again, then a late view for music in minute 0
      const first = await publish();
      const again = await publish();
      await transform(kinesisEvent([view('music', T0 + 5000, 6, true)], 'shardId-000000000000', 20));
      const third = await publish();
      const records = stream
        .reader(0, 0)
        .read(100)
        .map((r) => parseEnriched(Buffer.from(r.data, 'base64').toString('utf8')) as EnrichedEngagement);
      // Assess
      expect([first, again, third]).toEqual([
        { closed: 3, corrections: 0 },
        { closed: 0, corrections: 0 },
        { closed: 0, corrections: 1 },
      ]);
      expect(records.map((r) => [r.key, r.version, r.correction, r.aggregate.likes])).toEqual([
        [`music/${T0 * 1000}`, 2, false, 1],
        [`news/${T0 * 1000}`, 1, false, 0],
        [`music/${(T0 + MIN) * 1000}`, 1, false, 0],
        [`music/${T0 * 1000}`, 3, true, 2],
      ]);
    } finally {
      stream.close();
    }
  });

  it('the time-series writer leaves category aggregates to other consumers', async () => {
    // Prepare
    const store = await EmbeddedTimeSeriesStore.open(tempDir());
    const seen: number[] = [];
    const writer = createTimeSeriesWriter({ sink: store, onBatch: (s) => void seen.push(s.points) });
    const aggregate = {
      category: 'music',
      window_start: T0 * 1000,
      window_end: (T0 + MIN) * 1000,
      views: 2,
      likes: 1,
      like_rate: 0.5,
      avg_watch_time: 10,
      total_watch_time: 20,
      max_watch_time: 11,
    };
    try {
      // Act
      const r = await writer(kinesisEvent([JSON.stringify({ enriched: 'engagement_1m', key: 'music/1', version: 2, correction: false, aggregate })]));
      // Assess
      expect(r).toEqual({ batchItemFailures: [] });
      expect(seen).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

/** A sink that must not be written to (the bars go to the enriched stream). */
class NoSink implements TimeSeriesSink {
  readonly kind = 'none' as const;
  async write(): Promise<never> {
    throw new Error('written to the store instead of the enriched stream');
  }
  async close(): Promise<void> {}
}
