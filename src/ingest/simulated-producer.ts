/**
 * The registry's simulators as a scheduled producer, for demos in the cloud
 * (`-c simulators=weather,energy,engagement`): each invocation puts one
 * interval's worth of simulated records of the chosen sources on the stream,
 * as `ticklake up` does continuously on a laptop.
 *
 * - **Windows.** The interval is aligned to the wall clock: the invocation
 *   scheduled at 10:07:13 puts the records due in [10:00, 10:05), the ones a
 *   live simulation would have put then (its `timeMs`). Windows never overlap,
 *   whatever the schedule's start time or a redeployment.
 * - **Deterministic, so at least once is safe.** A window's records are a
 *   pure function of the window and the seed: a retried invocation puts the
 *   same records with the same partition keys and natural keys (weather
 *   `(station, obs_time)`, energy `(household, reading_time)`, engagement
 *   `(user_id, video_id, event_time)`), which compaction keeps once.
 * - **Warm-up.** Each window's simulation starts {@link SIMULATION_WARMUP_MS}
 *   before the window and only the records due inside it are put: a
 *   simulator's first moments are not steady (an hourly poll and the last
 *   meter interval are reported at once, late views of before the start are
 *   missing), its later ones are. The warm-up covers the longest of these
 *   (a 15-minute meter interval, views up to 10 minutes late).
 * - **Identity and variety.** The seed is the same for every window (the same
 *   households, videos and users), and `idBase` differs per window, so ids and
 *   per-window randomness differ while identities stay.
 */
import type { SimulatedRecord, SourceDefinition } from '../sources/contract.js';
import { SOURCES, sourceById } from '../sources/index.js';
import { BatchedPutter } from './batched-putter.js';
import type { StreamProducer } from './stream-producer.js';

/** How often the generator runs and how much time each run covers. */
export const SIMULATION_INTERVAL_MS = 5 * 60_000;
/** How long each window's simulation runs before the window (see the module comment). */
export const SIMULATION_WARMUP_MS = 15 * 60_000;
/** The seed every window uses unless configured. */
export const DEFAULT_SIMULATION_SEED = 42;
/** Ids count from here, four per millisecond of a simulation's start: windows never share one. */
const ID_EPOCH_MS = Date.UTC(2026, 0, 1);

/** The registry sources that have a simulator (the ones `simulators` may name). */
export function simulatedSources(): readonly SourceDefinition[] {
  return SOURCES.filter((s) => s.simulator !== undefined);
}

/**
 * The sources of a comma-separated list of ids, each a registry source with a
 * simulator; throws a readable error naming the valid ones otherwise.
 */
export function simulatedSourcesOf(list: string): SourceDefinition[] {
  const ids = [...new Set(list.split(',').map((x) => x.trim()))].filter((x) => x !== '');
  if (ids.length === 0)
    throw new Error(
      `no simulated source named; sources with a simulator: ${simulatedSources()
        .map((s) => s.id)
        .join(', ')}`,
    );
  return ids.map((id) => {
    const source = sourceById(id);
    if (!source.simulator) {
      throw new Error(
        `source ${id} has no simulator; sources with a simulator: ${simulatedSources()
          .map((s) => s.id)
          .join(', ')}`,
      );
    }
    return source;
  });
}

/** The window an invocation at (or scheduled for) `timeMs` covers: the last whole interval before it. */
export function simulationWindow(timeMs: number, intervalMs = SIMULATION_INTERVAL_MS): { readonly startMs: number; readonly endMs: number } {
  const endMs = Math.floor(timeMs / intervalMs) * intervalMs;
  return { startMs: endMs - intervalMs, endMs };
}

/** One source's record of a window. */
export interface WindowRecord extends SimulatedRecord {
  readonly source: string;
}

/**
 * The records due in [startMs, endMs) of each source, in time order (ties keep
 * the sources' order). Pure: the same window and seed give the same records.
 */
export function simulateWindow(
  sources: readonly SourceDefinition[],
  window: { readonly startMs: number; readonly endMs: number },
  seed = DEFAULT_SIMULATION_SEED,
): WindowRecord[] {
  const simStart = window.startMs - SIMULATION_WARMUP_MS;
  const out: WindowRecord[] = [];
  for (const source of sources) {
    if (!source.simulator) throw new Error(`source ${source.id} has no simulator`);
    const records = source.simulator.simulate({
      minutes: (window.endMs - simStart) / 60_000,
      seed,
      startTimeMs: simStart,
      malformedShare: 0,
      extra: {},
      idBase: 4 * (simStart - ID_EPOCH_MS),
    });
    for (const r of records) {
      if (r.timeMs >= window.endMs) break;
      if (r.timeMs >= window.startMs) out.push({ source: source.id, timeMs: r.timeMs, partitionKey: r.partitionKey, payload: r.payload });
    }
  }
  // Stable: equal times keep the sources' order.
  return out.sort((a, b) => a.timeMs - b.timeMs);
}

/** What one window put. */
export interface SimulatedWindowSummary {
  /** The window, ISO 8601. */
  readonly windowStart: string;
  readonly windowEnd: string;
  /** Records put per source (every selected source, 0 included). */
  readonly records: Readonly<Record<string, number>>;
  readonly put: number;
  /** PutRecords calls, and entries resent after a partial failure. */
  readonly calls: number;
  readonly resent: number;
}

export interface SimulatedProducerDeps {
  readonly sources: readonly SourceDefinition[];
  readonly producer: StreamProducer;
  readonly seed?: number;
  readonly intervalMs?: number;
  /** Backoff between failing PutRecords calls (default the putter's). */
  readonly retry?: { readonly baseDelayMs: number; readonly maxDelayMs: number };
}

/**
 * One window put on the stream through the batching putter (calls of 500
 * records, failed entries resent with backoff until the stream takes them).
 * Resolves when every record is put; an invocation that runs out of time is
 * retried whole by Lambda, putting the same records again.
 */
export async function putSimulatedWindow(deps: SimulatedProducerDeps, timeMs: number): Promise<SimulatedWindowSummary> {
  const window = simulationWindow(timeMs, deps.intervalMs);
  const records = simulateWindow(deps.sources, window, deps.seed);
  const putter = new BatchedPutter(deps.producer, deps.retry ? { retry: deps.retry } : {});
  const counts: Record<string, number> = Object.fromEntries(deps.sources.map((s) => [s.id, 0]));
  for (const r of records) {
    // Pushed without yielding while there is room, so the calls are full ones of 500.
    if (!putter.push({ partitionKey: r.partitionKey, data: r.payload })) await putter.writable();
    counts[r.source] = (counts[r.source] ?? 0) + 1;
  }
  await putter.close();
  const stats = putter.stats();
  return {
    windowStart: new Date(window.startMs).toISOString(),
    windowEnd: new Date(window.endMs).toISOString(),
    records: counts,
    put: stats.put,
    calls: stats.calls,
    resent: stats.resent,
  };
}
