/**
 * The enriched stream: closed minute bars put back on a stream by the bar
 * publisher, and the time-series writer building the store from it, with the
 * first stream's guarantees (at least once, in order per shard; the consumer
 * keeps the highest version of each bar, so redeliveries change nothing and a
 * correction replaces the bar); category aggregates and view intervals put
 * there under `ticklake up`.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BarRow } from '../src/core/bars.js';
import {
  barEntry,
  ENRICHED_STREAM,
  type EnrichedBar,
  type EnrichedEngagement,
  type EnrichedView,
  latestByKey,
  parseEnriched,
  viewEntry,
  viewKey,
} from '../src/enriched/records.js';
import type { PutEntry, StreamProducer } from '../src/ingest/stream-producer.js';
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
import { publishClosedViews, publishViews } from '../src/local/view-publisher.js';
import type { ViewingEvent } from '../src/sources/viewing/event.js';
import { CHANNELS } from '../src/sources/viewing/schedule.js';
import { type ClosedView, MAX_INTERVAL_MS, Sessionizer, sessionize } from '../src/sources/viewing/sessionize.js';
import { kinesisEvent, tradeMessage, viewingEvent } from './helpers/kinesis-events.js';
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
    expect(parseEnriched('{"enriched":"candle_5m","key":"x","version":1,"bar":{}}')).toBeUndefined();
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
      await writer(kinesisEvent(['{"enriched":"bar_1m","key":"broken"', '{"enriched":"candle_5m","key":"k","version":1,"candle":{}}']));
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
      const { results, records } = await publishAroundLate<EnrichedEngagement>(stream, publish, () =>
        transform(kinesisEvent([view('music', T0 + 5000, 6, true)], 'shardId-000000000000', 20)),
      );
      // Assess
      expect(results).toEqual([
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

/** Publishes, publishes again, lets a late record in, publishes a third time: the three results and the records on the stream. */
async function publishAroundLate<E>(stream: LocalStream, publish: () => Promise<unknown>, late: () => Promise<unknown>) {
  const results = [await publish(), await publish()];
  await late();
  results.push(await publish());
  const records = stream
    .reader(0, 0)
    .read(100)
    .map((r) => parseEnriched(Buffer.from(r.data, 'base64').toString('utf8')) as E);
  return { results, records };
}

/** A producer that keeps what is put. */
class CapturingProducer implements StreamProducer {
  readonly put: PutEntry[] = [];
  async putRecords(entries: readonly PutEntry[]) {
    this.put.push(...entries);
    return { failed: [] };
  }
}

const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
const asRecords = (views: readonly ClosedView[]) => views.map((v) => ({ key: viewKey(v), view: v })).sort(byKey);

describe('view intervals on the enriched stream', () => {
  /** Viewing events of two users and three devices over ten hours (so the 4-hour cap is reached); seq unique, as a device's counter is. */
  const events = fc
    .array(
      fc.record({
        device: fc.integer({ min: 0, max: 2 }),
        minute: fc.integer({ min: 0, max: 600 }),
        second: fc.integer({ min: 0, max: 59 }),
        type: fc.constantFrom('start' as const, 'switch' as const, 'stop' as const),
        channel: fc.constantFrom(...CHANNELS),
      }),
      { maxLength: 30 },
    )
    .map((specs) =>
      specs.map(
        (x, i): ViewingEvent => ({
          event_time: (T0 + x.minute * MIN + x.second * 1000) * 1000,
          user_id: x.device === 2 ? 'u/2' : 'u1',
          device_id: ['u1-tv', 'u1-phone', 'tv'][x.device]!,
          device_type: 'smart-tv',
          location: 'leeds',
          event_type: x.type,
          channel: x.channel,
          seq: i,
        }),
      ),
    );

  it('the records put for any arrival order, batches and duplicates are the sessionizer closed views, each key once at its highest version (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        events.chain((evs) =>
          fc.tuple(
            fc.constant(evs),
            // The arrival: every event once or more, in any order, in batches.
            fc.shuffledSubarray([...evs, ...evs], { minLength: evs.length, maxLength: 2 * evs.length }),
            fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 10 }),
          ),
        ),
        async ([evs, sent, sizes]) => {
          // Prepare: every event arrives at least once
          const arrival = [...sent, ...evs.filter((e) => !sent.includes(e))];
          const producer = new CapturingProducer();
          const statePath = join(tempDir(), 'published-views.json');
          const sessionizer = new Sessionizer();
          let watermarkUs = Number.NEGATIVE_INFINITY;
          // Act: after each batch, publish what is closed by then
          for (let i = 0, b = 0; i < arrival.length; b++) {
            for (const e of arrival.slice(i, i + sizes[b % sizes.length]!)) {
              sessionizer.add(e);
              watermarkUs = Math.max(watermarkUs, e.event_time);
            }
            i += sizes[b % sizes.length]!;
            await publishViews(producer, statePath, sessionizer.closedViews(watermarkUs));
          }
          const records = producer.put.map((p) => parseEnriched(p.data) as EnrichedView);
          const latest = latestByKey(records);
          // Assess: the latest record of each key is the closed view of all events, and closed-by-an-event views have the sessionizer's rows
          const all = new Sessionizer();
          for (const e of evs) all.add(e);
          expect(latest.map((r) => ({ key: r.key, view: r.view })).sort(byKey)).toEqual(asRecords(all.closedViews(watermarkUs)));
          expect(latest).toHaveLength(new Set(records.map((r) => r.key)).size);
          expect(all.closedViews(Number.NEGATIVE_INFINITY).flatMap((v) => v.rows)).toEqual(sessionize(evs));
          for (const r of records) expect(r.version).toBe(MAX_INTERVAL_MS - (r.view.closed_at - r.view.opened_at) / 1000 + 1);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('round-trip a view with its key, version (shorter is higher) and partition key per user and device', () => {
    // Prepare
    const view: ClosedView = { user_id: 'u/2', device_id: 'tv', opened_at: T0 * 1000, closed_at: (T0 + MIN) * 1000, rows: [] };
    // Act
    const e = viewEntry(view, false);
    // Assess
    expect(e.partitionKey).toBe('view_interval/u/2/tv');
    expect(parseEnriched(e.data)).toEqual({
      enriched: 'view_interval',
      key: `u%2F2/tv/${T0 * 1000}`,
      version: MAX_INTERVAL_MS - MIN + 1,
      correction: false,
      view,
    });
  });

  it('publishClosedViews puts the lake viewing events closed views once, and a correction when a late event ends one earlier', async () => {
    // Prepare: a start and a stop 40 minutes later on one device, an open start on another
    const root = tempDir();
    const transform = createStreamTransform({ lake: new FileObjectStore(join(root, 'lake')), clock: () => T0 + 3600_000 });
    const ev = (device: string, atMs: number, type: string, seq: number, channel = 'news-24') =>
      JSON.stringify(viewingEvent({ timestamp: new Date(atMs).toISOString(), user_id: 'u1', device_id: device, event_type: type, channel, seq }));
    await transform(kinesisEvent([ev('u1-tv', T0, 'start', 1), ev('u1-tv', T0 + 40 * MIN, 'stop', 3), ev('u1-phone', T0 + 5 * MIN, 'start', 1)]));
    const stream = LocalStream.open(join(root, 'enriched'), ENRICHED_STREAM, 1);
    const enriched = new LocalStreamProducer(stream);
    const statePath = join(root, 'published-views.json');
    const publish = () => withLakeSql(root, (sql) => publishClosedViews({ sql, enriched, statePath }));
    try {
      // Act: publish, again, then a late switch 20 minutes in
      const { results, records } = await publishAroundLate<EnrichedView>(stream, publish, () =>
        transform(kinesisEvent([ev('u1-tv', T0 + 20 * MIN, 'switch', 2, 'movies')], 'shardId-000000000000', 20)),
      );
      // Assess
      expect(results).toEqual([
        { closed: 1, corrections: 0 },
        { closed: 0, corrections: 0 },
        { closed: 1, corrections: 1 },
      ]);
      expect(records.map((r) => [r.key, r.version, r.correction, r.view.closed_at])).toEqual([
        [`u1/u1-tv/${T0 * 1000}`, MAX_INTERVAL_MS - 40 * MIN + 1, false, (T0 + 40 * MIN) * 1000],
        [`u1/u1-tv/${(T0 + 20 * MIN) * 1000}`, MAX_INTERVAL_MS - 20 * MIN + 1, false, (T0 + 40 * MIN) * 1000],
        [`u1/u1-tv/${T0 * 1000}`, MAX_INTERVAL_MS - 20 * MIN + 1, true, (T0 + 20 * MIN) * 1000],
      ]);
      const tv = (atMs: number, event_type: ViewingEvent['event_type'], seq: number, channel = 'news-24'): ViewingEvent => ({
        event_time: atMs * 1000,
        user_id: 'u1',
        device_id: 'u1-tv',
        device_type: 'smart-tv',
        location: 'leeds',
        event_type,
        channel,
        seq,
      });
      expect(latestByKey(records).flatMap((r) => r.view.rows)).toEqual(
        sessionize([tv(T0, 'start', 1), tv(T0 + 40 * MIN, 'stop', 3), tv(T0 + 20 * MIN, 'switch', 2, 'movies')]),
      );
    } finally {
      stream.close();
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
