/**
 * `ticklake up`: the pipeline running live on the local runtime. Feeds put
 * records on the local stream as they happen (each put is durable and visible
 * when it returns), the shard pollers run the stream-transform handler
 * continuously, closed minute bars, short-video category aggregates and view
 * intervals go onto the enriched stream every few seconds (the time-series writer consumes
 * it: the bars into the embedded time-series store), the champions' forecasts
 * go to the store, and the forecasting schedule
 * fires on the wall clock. Stopping (SIGINT/SIGTERM, `--for`) stops the feeds,
 * lets the pollers drain what is on the stream and checkpoints; a `kill -9`
 * loses nothing either: what was put is on disk, and the pollers resume from
 * their checkpoints.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { embeddedDir } from '../adapters/timeseries-factory.js';
import type { BarRow } from '../core/bars.js';
import type { PutEntry, StreamProducer } from '../ingest/stream-producer.js';
import type { SimulatedRecord, SourceDefinition } from '../sources/contract.js';
import { ENRICHED_STREAM } from '../enriched/records.js';
import { createTimeSeriesWriter } from '../timeseries/timeseries-writer.js';
import { publishClosedBars } from './bar-publisher.js';
import { publishClosedEngagement } from './engagement-publisher.js';
import { publishClosedViews } from './view-publisher.js';
import { BatchTotals, pollInThread, startConsumers } from './consumers.js';
import { lockDataDir } from './data-dir-lock.js';
import { COMPACT_LOCK, compactLake } from './compaction.js';
import { EmbeddedTimeSeriesStore } from './embedded-store.js';
import { DEFAULT_EVENT_SOURCE_SETTINGS, type EventSourceSettings } from './event-source.js';
import { LakeSql } from './lake-sql.js';
import { LocalStream } from './local-stream.js';
import { LocalStreamProducer } from './local-stream-producer.js';
import { type LiveSchedule, LiveScheduler, type ScheduledRun } from './live-scheduler.js';
import { openLocalLivePredictions } from './ml/local-ml.js';
import { DEFAULT_SHARDS, DEFAULT_STREAM, dataPaths, defaultWorkers } from './pipeline.js';

/** What a feed reports for the status line. */
export interface LiveFeedStatus {
  /** Records put on the stream so far. */
  readonly put: number;
  /** Event time of the newest record put (ms), for the lag. */
  readonly newestEventMs?: number;
  readonly reconnects: number;
  readonly errors: number;
  /** A word on its state when not simply running (e.g. `reconnecting`). */
  readonly state?: string;
}

/** A live producer of one source's records. */
export interface LiveFeed {
  /** The registry source its records belong to. */
  readonly source: string;
  /** What it is, e.g. `simulated` or a URL. */
  readonly label: string;
  /** Checks the feed can start (e.g. its endpoint answers); throws a readable error otherwise. */
  preflight?(): Promise<void>;
  start(producer: StreamProducer): void;
  status(): LiveFeedStatus;
  /** Stops producing and puts what it holds. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Ids of live simulations count from here, two per millisecond of start time: no two runs share one. */
const LIVE_ID_EPOCH_MS = Date.UTC(2026, 0, 1);

/**
 * A source's simulator in real time: records are put when their event time
 * comes (checked every `tickMs`), so timestamps are now and the rates are the
 * simulator's (Binance trades with their bursts, a tick per ticker every ~10 s).
 * A simulation runs for `runMinutes`, then the next starts where it ended.
 */
export class SimulatedLiveFeed implements LiveFeed {
  readonly label = 'simulated';
  private put = 0;
  private newest: number | undefined;
  private errors = 0;
  private stopped = false;
  private running: Promise<void> | undefined;

  constructor(
    private readonly def: SourceDefinition,
    private readonly extra: Readonly<Record<string, unknown>>,
    private readonly opts: { readonly malformedShare?: number; readonly tickMs?: number; readonly runMinutes?: number; readonly clock?: () => number } = {},
  ) {
    if (!def.simulator) throw new Error(`source ${def.id} has no simulator`);
  }

  get source(): string {
    return this.def.id;
  }

  start(producer: StreamProducer): void {
    this.running = this.loop(producer);
  }

  private async loop(producer: StreamProducer): Promise<void> {
    const clock = this.opts.clock ?? Date.now;
    const tickMs = this.opts.tickMs ?? 100;
    let startMs = clock();
    while (!this.stopped) {
      const records = this.def
        .simulator!.simulate({
          minutes: this.opts.runMinutes ?? 24 * 60,
          seed: startMs % 2 ** 31,
          startTimeMs: startMs,
          malformedShare: this.opts.malformedShare ?? 0,
          extra: this.extra,
          idBase: 2 * (startMs - LIVE_ID_EPOCH_MS),
        })
        [Symbol.iterator]();
      let head = records.next();
      while (!head.done && !this.stopped) {
        const now = clock();
        const due: PutEntry[] = [];
        let last: SimulatedRecord | undefined;
        while (!head.done && head.value.timeMs <= now) {
          last = head.value;
          due.push({ partitionKey: head.value.partitionKey, data: head.value.payload });
          head = records.next();
        }
        for (let i = 0; i < due.length; i += 500) {
          try {
            await producer.putRecords(due.slice(i, i + 500));
            this.put += Math.min(500, due.length - i);
          } catch {
            this.errors++;
          }
        }
        if (last) this.newest = last.timeMs;
        await sleep(tickMs);
      }
      // The next simulation starts where this one ended.
      startMs = Math.max(clock(), startMs + (this.opts.runMinutes ?? 24 * 60) * 60_000);
    }
  }

  status(): LiveFeedStatus {
    return { put: this.put, ...(this.newest !== undefined ? { newestEventMs: this.newest } : {}), reconnects: 0, errors: this.errors };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }
}

/** One source's line of the status. */
export interface LiveSourceStatus {
  readonly source: string;
  readonly label: string;
  readonly recordsPerSec: number;
  readonly put: number;
  readonly rows: number;
  readonly quarantined: number;
  /** Age of the newest record put (ms), when any. */
  readonly lagMs?: number;
  readonly reconnects: number;
  readonly errors: number;
  readonly state?: string;
}

/** What the status line shows every few seconds. */
export interface LiveStatus {
  readonly elapsedMs: number;
  readonly sources: readonly LiveSourceStatus[];
  readonly barsPublished: number;
  readonly predictions: number;
  readonly runs: readonly ScheduledRun[];
}

export interface LiveOptions {
  readonly dataDir: string;
  readonly feeds: readonly LiveFeed[];
  readonly shards?: number;
  readonly eventSource?: Partial<EventSourceSettings>;
  readonly workers?: number;
  /** Stop after this long (ms); default: until `signal` aborts. */
  readonly forMs?: number;
  readonly signal?: AbortSignal;
  readonly statusEveryMs?: number;
  readonly onStatus?: (s: LiveStatus) => void;
  /** How often closed bars are published (ms, default 10 s; 0 = never). */
  readonly publishEveryMs?: number;
  /**
   * Called with the newly closed bars once their points are written to the
   * time-series store (committed, so readable), and the time then: what the
   * bench measures the trade-to-point latency with. Corrections are not passed.
   */
  readonly onBarsPublished?: (bars: readonly BarRow[], atMs: number) => void;
  /** The forecasting schedule; false = none. */
  readonly schedule?: LiveSchedule | false;
  readonly log?: (message: string) => void;
  /** Called once the data directory is locked and the stream is open. */
  readonly onStart?: () => void;
  /** Lake compaction of closed partitions (`ticklake compact`) every `everyMs`; false = none. Default: every 10 min, partitions older than 1 h. */
  readonly compaction?: { readonly everyMs: number; readonly olderThanMs?: number; readonly graceMs?: number } | false;
}

/** What a live run did. */
export interface LiveSummary {
  readonly seconds: number;
  readonly recordsPut: number;
  readonly totals: BatchTotals;
  readonly deadLettered: number;
  readonly barsPublished: number;
  readonly predictions: number;
  readonly runs: readonly ScheduledRun[];
  /** Closed partitions compacted by this run. */
  readonly partitionsCompacted: number;
}

/** Runs the pipeline live until `forMs` passes or `signal` aborts, then drains and returns. */
export async function runLive(o: LiveOptions): Promise<LiveSummary> {
  const started = Date.now();
  mkdirSync(o.dataDir, { recursive: true });
  const release = lockDataDir(o.dataDir);
  try {
    return await live(o, started);
  } finally {
    release();
  }
}

async function live(o: LiveOptions, started: number): Promise<LiveSummary> {
  const log = o.log ?? (() => undefined);
  const paths = dataPaths(o.dataDir, DEFAULT_STREAM);
  mkdirSync(paths.producers, { recursive: true });
  const stream = LocalStream.open(paths.stream, DEFAULT_STREAM, o.shards ?? DEFAULT_SHARDS);
  o.onStart?.();
  const totals = new BatchTotals();
  const settings: EventSourceSettings = { ...DEFAULT_EVENT_SOURCE_SETTINGS, maximumBatchingWindowMs: 1000, ...o.eventSource };
  const consumers = startConsumers({ stream, paths, settings, workers: o.workers ?? defaultWorkers(stream.shardCount), onBatch: (s) => totals.add(s) });
  const producer = new LocalStreamProducer(stream, { onCommit: () => consumers.publish() });
  const tsDir = embeddedDir(o.dataDir);
  mkdirSync(tsDir, { recursive: true });
  const store = await EmbeddedTimeSeriesStore.open(tsDir);
  // Closed bars go on the enriched stream; the time-series writer (the Lambda's handler) consumes it into the store.
  const enrichedPaths = dataPaths(o.dataDir, ENRICHED_STREAM, 'timeseries-writer');
  const enrichedStream = LocalStream.open(enrichedPaths.stream, ENRICHED_STREAM, 1);
  const enrichedProducer = new LocalStreamProducer(enrichedStream);
  let enrichedDone = false;
  const enrichedConsumer = pollInThread({
    stream: enrichedStream,
    paths: enrichedPaths,
    settings,
    finished: () => enrichedDone,
    handler: createTimeSeriesWriter({
      sink: store,
      onBars: (bars) => {
        const closed = bars.filter((b) => !b.correction).map((b) => b.bar);
        if (closed.length > 0) o.onBarsPublished?.(closed, Date.now());
      },
    }),
  });
  const predictions = openLocalLivePredictions(o.dataDir, store);
  const scheduler = o.schedule === false ? undefined : new LiveScheduler(o.dataDir, o.schedule, log);
  let barsPublished = 0;
  let predicted = 0;
  let publishing: Promise<void> = Promise.resolve();
  const publishBars = () => {
    publishing = publishing.then(async () => {
      const sql = await LakeSql.open(paths.lake);
      try {
        const r = await publishClosedBars({
          sql,
          sink: store,
          enriched: enrichedProducer,
          statePath: join(tsDir, 'published-bars.json'),
          onClosed: async (bars) => {
            predicted += (await predictions.onClosed(bars)).predictions;
          },
        });
        barsPublished += r.closed + r.corrections;
      } catch (e) {
        log(`publishing closed bars failed (the next round retries): ${(e as Error).message}`);
      }
      try {
        await publishClosedEngagement({ sql, enriched: enrichedProducer, statePath: join(tsDir, 'published-engagement.json') });
      } catch (e) {
        log(`publishing closed engagement aggregates failed (the next round retries): ${(e as Error).message}`);
      }
      try {
        await publishClosedViews({ sql, enriched: enrichedProducer, statePath: join(tsDir, 'published-views.json') });
      } catch (e) {
        log(`publishing closed view intervals failed (the next round retries): ${(e as Error).message}`);
      } finally {
        sql.close();
      }
    });
    return publishing;
  };

  let partitionsCompacted = 0;
  let compacting: Promise<void> = Promise.resolve();
  const compaction = o.compaction === false ? undefined : (o.compaction ?? { everyMs: 10 * 60_000 });
  const compact = () => {
    compacting = compacting.then(async () => {
      let release: (() => void) | undefined;
      try {
        release = lockDataDir(o.dataDir, 'ticklake up (compaction)', COMPACT_LOCK);
        const r = await compactLake({
          lakeRoot: paths.lake,
          ...(compaction?.olderThanMs !== undefined ? { olderThanMs: compaction.olderThanMs } : {}),
          ...(compaction?.graceMs !== undefined ? { graceMs: compaction.graceMs } : {}),
        });
        partitionsCompacted += r.partitions;
        if (r.partitions > 0 || r.deleted > 0)
          log(`compaction: ${r.partitions} partitions (${r.filesIn} files -> ${r.partitions}), ${r.deleted} replaced files deleted`);
        for (const w of r.waiting) log(`compaction: ${w.table} ${w.partition} waits for a later run: ${w.reason}`);
        for (const f of r.failed) log(`compaction: ${f.table} ${f.partition} failed (the next round tries again): ${f.reason}`);
      } catch (e) {
        // A `ticklake compact` holding the lock, or a failure: the next round tries again; readers stay exact either way.
        log(`compaction skipped: ${(e as Error).message}`);
      } finally {
        release?.();
      }
    });
    return compacting;
  };

  let lastCounts = new Map(o.feeds.map((f) => [f.source, { records: 0, at: started }]));
  const status = (): LiveStatus => {
    const now = Date.now();
    const sources = o.feeds.map((f) => {
      const s = f.status();
      const c = totals.bySource[f.source];
      const prev = lastCounts.get(f.source);
      const records = c?.records ?? 0;
      const perSec = prev ? ((records - prev.records) * 1000) / Math.max(1, now - prev.at) : 0;
      return {
        source: f.source,
        label: f.label,
        recordsPerSec: perSec,
        put: s.put,
        rows: c?.rows ?? 0,
        quarantined: c?.quarantined ?? 0,
        ...(s.newestEventMs !== undefined ? { lagMs: Math.max(0, now - s.newestEventMs) } : {}),
        reconnects: s.reconnects,
        errors: s.errors,
        ...(s.state ? { state: s.state } : {}),
      };
    });
    lastCounts = new Map(o.feeds.map((f) => [f.source, { records: totals.bySource[f.source]?.records ?? 0, at: now }]));
    return { elapsedMs: now - started, sources, barsPublished, predictions: predicted, runs: scheduler?.runs ?? [] };
  };

  const stop = new AbortController();
  const onAbort = () => stop.abort();
  o.signal?.addEventListener('abort', onAbort);
  const timers: NodeJS.Timeout[] = [];
  if (o.forMs !== undefined) timers.push(setTimeout(onAbort, o.forMs));
  timers.push(setInterval(() => o.onStatus?.(status()), o.statusEveryMs ?? 5000));
  const publishEvery = o.publishEveryMs ?? 10_000;
  if (publishEvery > 0) timers.push(setInterval(() => void publishBars(), publishEvery));
  if (compaction) timers.push(setInterval(() => void compact(), compaction.everyMs));
  let recordsPut = 0;
  try {
    for (const f of o.feeds) f.start(producer);
    scheduler?.start();
    await Promise.race([new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true })), consumers.done]);
  } finally {
    for (const t of timers) clearTimeout(t);
    o.signal?.removeEventListener('abort', onAbort);
    await Promise.all(o.feeds.map((f) => f.stop()));
    recordsPut = o.feeds.reduce((a, f) => a + f.status().put, 0);
    await scheduler?.stop();
  }
  const { deadLettered } = await consumers.finish();
  if (publishEvery > 0) await publishBars();
  enrichedDone = true;
  const enriched = await enrichedConsumer;
  await compacting;
  o.onStatus?.(status());
  stream.close();
  enrichedStream.close();
  await store.close();
  return {
    seconds: (Date.now() - started) / 1000,
    recordsPut,
    totals,
    deadLettered: deadLettered + enriched.deadLettered,
    barsPublished,
    predictions: predicted,
    runs: scheduler?.runs ?? [],
    partitionsCompacted,
  };
}
