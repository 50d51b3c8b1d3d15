/**
 * `viewing_panel_p95_ms`: the three viewing panels' queries (DuckDB over the
 * lake, through the panel runner the dashboard uses), at a 1 h and a 24 h range
 * ending at the data's end, on a lake of 2 days of 5,000 simulated TV
 * households (late and re-sent records included) written by the real stream
 * transform in 10,000-record batches.
 *
 * Before: the panels as they read the unbounded views (`watch_time_by_show` /
 * `watch_time_by_ad` filtered by the range: every event of the lake
 * sessionized per request). After: the panels as shipped, sessionizing only the
 * events the range needs (src/sources/viewing/sql.ts). Both must return the
 * same rows; the run fails otherwise.
 *
 * Usage: npx tsx bench/viewing-panels.ts [rounds]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStreamTransform } from '../src/ingest/stream-transform.js';
import { FileObjectStore } from '../src/local/file-object-store.js';
import { LakePanelRunner } from '../src/local/lake-panel-runner.js';
import type { BoundSql, PanelArgs, PanelDefinition } from '../src/sql/panel.js';
import { bind } from '../src/sql/panel.js';
import { DUCKDB } from '../src/sql/dialect.js';
import { VIEWING_PANELS } from '../src/sources/viewing/panels.js';
import { simulateViewing } from '../src/sources/viewing/simulator.js';
import { watchTimeByAdInRange, watchTimeByShowInRange } from '../src/sources/viewing/sql.js';
import { kinesisEvent } from '../test/helpers/kinesis-events.js';

const DAYS = 2;
const USERS = 5_000;
const START_MS = Date.UTC(2026, 10, 23);
const END_MS = START_MS + DAYS * 86_400_000;
const BATCH = 10_000;
const RANGES_MS = [3_600_000, 86_400_000];

export interface ViewingPanelsBench {
  /** Viewing events written (records, duplicates included). */
  readonly events: number;
  readonly requests: number;
  /** p95 ms over the three panels, per range (`1h`, `24h`) and over both (`all`). */
  readonly before: Readonly<Record<string, number>>;
  readonly after: Readonly<Record<string, number>>;
  /** Median ms per panel and range, before and after. */
  readonly medians: Readonly<Record<string, { readonly before: number; readonly after: number }>>;
}

/**
 * The panel's query as it was, over the unbounded view filtered by the range:
 * the bounded relation it reads swapped for the view (the rest of the text unchanged).
 */
export function unboundedQuery(p: PanelDefinition, a: PanelArgs): BoundSql {
  const q = p.query(a, DUCKDB);
  const range = [bind.time(a.fromUs), bind.time(a.toUs)];
  for (const [bounded, view] of [
    [watchTimeByShowInRange(a.fromUs, a.toUs), '(SELECT * FROM watch_time_by_show WHERE aired_at >= ? AND aired_at < ?) watch_time_by_show'],
    [watchTimeByAdInRange(a.fromUs, a.toUs), '(SELECT * FROM watch_time_by_ad WHERE spot_aired_at >= ? AND spot_aired_at < ?) watch_time_by_ad'],
  ] as const) {
    if (q.text.includes(bounded.text) && q.params.length === bounded.params.length) return { text: q.text.replace(bounded.text, view), params: range };
  }
  throw new Error(`${p.id}: no bounded viewing relation in its query`);
}

/** Writes 2 days of simulated viewing through the stream transform into `lake`; the number of records. */
export async function writeViewingLake(lake: string, users = USERS, days = DAYS, startMs = START_MS): Promise<number> {
  const handler = createStreamTransform({ lake: new FileObjectStore(lake), clock: () => startMs + days * 86_400_000 + 3_600_000 });
  let batch: string[] = [];
  let n = 0;
  let b = 0;
  const flush = async () => {
    await handler(kinesisEvent(batch, `shardId-00000000000${b++ % 2}`, n - batch.length + 1));
    batch = [];
  };
  for (const r of simulateViewing({ minutes: days * 1440, seed: 7, startTimeMs: startMs, users })) {
    batch.push(r.payload);
    n++;
    if (batch.length === BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  return n;
}

const p95 = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)]!;
};
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Builds the lake, then times `rounds` requests of each viewing panel at each range, before and after (one warm-up round each). */
export async function benchViewingPanels(rounds = 10, log: (line: string) => void = () => undefined): Promise<ViewingPanelsBench> {
  const dir = mkdtempSync(join(tmpdir(), 'ticklake-bench-viewing-'));
  try {
    log(`  viewing panels: simulating ${DAYS} days of ${USERS.toLocaleString('en-US')} TV households into the lake ...`);
    const events = await writeViewingLake(dir);
    const runner = await LakePanelRunner.open(dir);
    const times = { before: [] as { key: string; range: string; ms: number }[], after: [] as { key: string; range: string; ms: number }[] };
    try {
      for (let r = -1; r < rounds; r++) {
        for (const p of VIEWING_PANELS) {
          for (const rangeMs of RANGES_MS) {
            const args: PanelArgs = { fromUs: (END_MS - rangeMs) * 1000, toUs: END_MS * 1000, symbols: [], nowUs: END_MS * 1000 };
            const range = `${rangeMs / 3_600_000}h`;
            const results: string[] = [];
            for (const [phase, q] of [
              ['before', unboundedQuery(p, args)],
              ['after', p.query(args, DUCKDB)],
            ] as const) {
              const t = performance.now();
              const res = await runner.run(q);
              const ms = performance.now() - t;
              results.push(JSON.stringify(res.rows));
              if (r >= 0) times[phase].push({ key: `${p.id} ${range}`, range, ms }); // round -1 warms DuckDB's caches
            }
            if (results[0] !== results[1]) throw new Error(`${p.id} ${range}: the bounded query's rows differ from the view's`);
            if (r < 0 && results[1] === '[]') throw new Error(`${p.id} ${range}: no rows`);
          }
        }
      }
    } finally {
      runner.close();
    }
    const summary = (xs: readonly { range: string; ms: number }[]) => ({
      ...Object.fromEntries(RANGES_MS.map((m) => `${m / 3_600_000}h`).map((range) => [range, p95(xs.filter((x) => x.range === range).map((x) => x.ms))])),
      all: p95(xs.map((x) => x.ms)),
    });
    const medians: Record<string, { before: number; after: number }> = {};
    for (const key of new Set(times.after.map((t) => t.key))) {
      const of = (xs: readonly { key: string; ms: number }[]) => median(xs.filter((x) => x.key === key).map((x) => x.ms));
      medians[key] = { before: of(times.before), after: of(times.after) };
    }
    return { events, requests: times.after.length, before: summary(times.before), after: summary(times.after), medians };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchViewingPanels(Number(process.argv[2] ?? NaN) || 10, console.log);
  console.log(`${r.events.toLocaleString('en-US')} viewing records, ${r.requests} requests per phase`);
  for (const [key, m] of Object.entries(r.medians))
    console.log(`  ${key.padEnd(36)} median ${m.before.toFixed(1).padStart(8)} ms -> ${m.after.toFixed(1).padStart(7)} ms`);
  for (const range of Object.keys(r.after))
    console.log(
      `viewing_panel_p95_ms ${range.padEnd(4)} before ${r.before[range]!.toFixed(1).padStart(8)} ms  after ${r.after[range]!.toFixed(1).padStart(7)} ms`,
    );
}
