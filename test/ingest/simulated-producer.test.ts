/**
 * The simulated producers' generator (src/ingest/simulated-producer.ts) and
 * its Lambda entry point (lambdas/simulated-producer/handler.ts) against a
 * mocked Kinesis client: a window's records are the registry's simulated
 * records of those 5 minutes, recognised by the stream transform's router as
 * their sources and accepted by them; windows are aligned, never share a
 * natural key, and a retried invocation puts the same records again (so at
 * least once is safe); entries Kinesis refuses are put again, once.
 */
import { KinesisClient, PutRecordsCommand, type PutRecordsCommandInput, type PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { putSimulatedWindow, SIMULATION_INTERVAL_MS, simulatedSourcesOf, simulateWindow, simulationWindow } from '../../src/ingest/simulated-producer.js';
import { SourceRouter } from '../../src/ingest/source-router.js';
import type { PutEntry, PutRecordsResult, StreamProducer } from '../../src/ingest/stream-producer.js';
import { SOURCES } from '../../src/sources/index.js';

const DEMO = 'weather,energy,engagement';
/** Scheduled a little after 10:05: the window is [10:00, 10:05), which holds an hourly poll and a meter interval. */
const SCHEDULED = '2026-12-04T10:05:07Z';
const HOUR = 3_600_000;

/** One put record as the stream gets it. */
interface Put {
  readonly partitionKey: string;
  readonly data: string;
}

/** The natural key of a simulated record of these sources, from its payload. */
function naturalKey(data: string): string {
  const d = JSON.parse(data) as Record<string, any>;
  if (d.source === 'weather') return `weather|${d.latitude},${d.longitude}|${d.hour.time}`;
  if (d.source === 'energy') return `energy|${d.household}|${d.reading_time}`;
  return `engagement|${d.user_id}|${d.video_id}|${d.timestamp}`;
}

/** The source the stream transform's router hands a record to, and whether that source accepts it. */
function recognise(records: readonly Put[], nowMs: number): { bySource: Record<string, number>; quarantined: number } {
  const router = new SourceRouter(SOURCES);
  const batches = new Map<string, ReturnType<(typeof SOURCES)[number]['newBatch']>>();
  const bySource: Record<string, number> = {};
  let quarantined = 0;
  for (const r of records) {
    const i = router.route(r.data);
    const source = SOURCES[i]!;
    bySource[source.id] = (bySource[source.id] ?? 0) + 1;
    const batch = batches.get(source.id) ?? source.newBatch({ ingestUs: nowMs * 1000 });
    batches.set(source.id, batch);
    if (batch.add(r.data, r.partitionKey, router.json) !== undefined) quarantined++;
  }
  return { bySource, quarantined };
}

describe('lambdas/simulated-producer/handler.ts (mocked Kinesis)', () => {
  const kinesis = mockClient(KinesisClient);
  /** Per call: the indexes Kinesis refuses. */
  let refuse: (call: number) => number[] = () => [];
  let calls: PutRecordsCommandInput[] = [];

  beforeEach(() => {
    calls = [];
    refuse = () => [];
    kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput): PutRecordsCommandOutput => {
      const failed = refuse(calls.length);
      calls.push(input);
      return {
        $metadata: {},
        FailedRecordCount: failed.length,
        Records: input.Records!.map((_, i) =>
          failed.includes(i)
            ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' }
            : { SequenceNumber: String(i), ShardId: 'shardId-000000000000' },
        ),
      };
    });
    vi.stubEnv('SIMULATED_SOURCES', DEMO);
    vi.stubEnv('STREAM_NAME', 'ticklake-test-events');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  });
  afterEach(() => {
    kinesis.reset();
    vi.unstubAllEnvs();
  });

  /** The records Kinesis took, in the order it took them. */
  const taken = (): Put[] =>
    calls.flatMap((c, n) => {
      const failed = refuse(n);
      return c.Records!.flatMap((r, i) => (failed.includes(i) ? [] : [{ partitionKey: r.PartitionKey!, data: Buffer.from(r.Data!).toString('utf8') }]));
    });

  it('puts the window of the scheduled time: every record recognised by the router as its source and accepted by it', async () => {
    // Prepare
    const { handler } = await import('../../lambdas/simulated-producer/handler.js');
    // Act
    const summary = await handler({ scheduledTime: SCHEDULED, scheduleExecutionId: 'test' });
    // Assess
    expect(summary).toMatchObject({ windowStart: '2026-12-04T10:00:00.000Z', windowEnd: '2026-12-04T10:05:00.000Z', resent: 0 });
    expect(summary.records.weather).toBe(4);
    expect(summary.records.energy).toBe(24);
    expect(summary.records.engagement).toBeGreaterThan(1_000);
    const records = taken();
    expect(summary.put).toBe(records.length);
    expect(calls.every((c) => c.StreamName === 'ticklake-test-events' && c.Records!.length <= 500)).toBe(true);
    const { bySource, quarantined } = recognise(records, Date.parse(SCHEDULED));
    expect(bySource).toEqual(summary.records);
    expect(quarantined).toBe(0);
    expect(records.every((r) => r.partitionKey.length > 0)).toBe(true);
  });

  it('a retried invocation of the same schedule time puts the same records with the same partition keys; the next window others', async () => {
    // Prepare
    const { handler } = await import('../../lambdas/simulated-producer/handler.js');
    await handler({ scheduledTime: SCHEDULED });
    const first = taken();
    calls = [];
    // Act: Lambda's retry (same event), then the next schedule
    await handler({ scheduledTime: SCHEDULED });
    const retried = taken();
    calls = [];
    await handler({ scheduledTime: new Date(Date.parse(SCHEDULED) + SIMULATION_INTERVAL_MS).toISOString() });
    const next = taken();
    // Assess
    expect(retried).toEqual(first);
    const firstKeys = new Set(first.map((r) => naturalKey(r.data)));
    expect(firstKeys.size).toBe(first.length);
    expect(next.filter((r) => firstKeys.has(naturalKey(r.data)))).toEqual([]);
  });

  it('entries Kinesis refuses are put again, and each record is put once', async () => {
    // Prepare: the first call refuses three entries
    refuse = (call) => (call === 0 ? [0, 7, 499] : []);
    const { handler } = await import('../../lambdas/simulated-producer/handler.js');
    // Act
    const summary = await handler({ scheduledTime: SCHEDULED });
    // Assess
    const records = taken();
    expect(summary.resent).toBe(3);
    expect(records).toHaveLength(summary.put);
    const expected = simulateWindow(simulatedSourcesOf(DEMO), simulationWindow(Date.parse(SCHEDULED)));
    expect(records.map((r) => r.data).sort()).toEqual(expected.map((r) => r.payload).sort());
  });

  it('a source list naming no simulated source fails with a readable error', async () => {
    // Prepare
    vi.stubEnv('SIMULATED_SOURCES', 'weather,thermo');
    vi.resetModules();
    const { handler } = await import('../../lambdas/simulated-producer/handler.js');
    // Act + Assess
    await expect(handler({ scheduledTime: SCHEDULED })).rejects.toThrow(/unknown source "thermo"; known: binance-trades/);
    expect(calls).toEqual([]);
    vi.resetModules();
  });
});

describe('simulated windows', () => {
  const sources = simulatedSourcesOf(DEMO);

  it('are the last whole interval before the scheduled time, whatever the schedule started at', () => {
    expect(simulationWindow(Date.parse('2026-12-04T10:05:00Z'))).toEqual({
      startMs: Date.parse('2026-12-04T10:00:00Z'),
      endMs: Date.parse('2026-12-04T10:05:00Z'),
    });
    expect(simulationWindow(Date.parse('2026-12-04T10:09:59.999Z'))).toEqual({
      startMs: Date.parse('2026-12-04T10:00:00Z'),
      endMs: Date.parse('2026-12-04T10:05:00Z'),
    });
  });

  it('consecutive windows put each natural key once and keep the live rates: 4 stations an hour, 24 meters every 15 minutes (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 365 * 24 }), (hours) => {
        // Prepare: an hour of windows
        const start = Date.UTC(2026, 0, 1) + hours * HOUR;
        const seen = new Map<string, number>();
        const counts: Record<string, number> = {};
        for (let t = start + SIMULATION_INTERVAL_MS; t <= start + HOUR; t += SIMULATION_INTERVAL_MS) {
          // Act
          for (const r of simulateWindow(sources, simulationWindow(t))) {
            const k = naturalKey(r.payload);
            seen.set(k, (seen.get(k) ?? 0) + 1);
            counts[r.source] = (counts[r.source] ?? 0) + 1;
            // Assess: each record falls in its window
            expect(r.timeMs).toBeLessThan(t);
            expect(r.timeMs).toBeGreaterThanOrEqual(t - SIMULATION_INTERVAL_MS);
          }
        }
        // Assess
        expect([...seen].filter(([, n]) => n > 1)).toEqual([]);
        expect(counts.weather).toBe(4);
        expect(counts.energy).toBe(4 * 24);
        expect(counts.engagement).toBeGreaterThan(0);
      }),
      { numRuns: 3 },
    );
  });

  it('each window is a pure function of the window and the seed', () => {
    const w = simulationWindow(Date.parse(SCHEDULED));
    expect(simulateWindow(sources, w)).toEqual(simulateWindow(sources, w));
    expect(simulateWindow(sources, w, 7)).not.toEqual(simulateWindow(sources, w, 42));
  });

  it('names the sources that have a simulator when a list is wrong', () => {
    expect(simulatedSourcesOf(' weather,energy,weather ').map((s) => s.id)).toEqual(['weather', 'energy']);
    expect(() => simulatedSourcesOf('')).toThrow(/no simulated source named; sources with a simulator: binance-trades, stock-ticks/);
    expect(() => simulatedSourcesOf('thermo')).toThrow(/unknown source "thermo"/);
  });

  it('puts through the batching putter: calls of at most 500 records, the window in time order', async () => {
    // Prepare
    const calls: PutEntry[][] = [];
    const producer: StreamProducer = {
      async putRecords(entries): Promise<PutRecordsResult> {
        calls.push([...entries]);
        return { failed: [] };
      },
    };
    // Act
    const s = await putSimulatedWindow({ sources, producer }, Date.parse(SCHEDULED));
    // Assess
    expect(calls.map((c) => c.length)).toEqual(calls.map((_, i) => (i < calls.length - 1 ? 500 : expect.any(Number))));
    const expected = simulateWindow(sources, simulationWindow(Date.parse(SCHEDULED)));
    expect(calls.flat().map((e) => e.data)).toEqual(expected.map((r) => r.payload));
    expect(s.put).toBe(expected.length);
  });
});
