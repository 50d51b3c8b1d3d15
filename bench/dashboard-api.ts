/**
 * `dashboard_api_p95_ms`: every dashboard panel's query through the API (the
 * Hono app in process, DuckDB over the lake), on a lake of 7 days of two
 * symbols' trades made by the real backfill, at the page's ranges (1 h, 24 h,
 * 7 d ending at the data's last minute).
 *
 * The simulated rates are lowered (BTCUSDT 4/s, ETHUSDT 2/s: 3.6 M trades)
 * so the lake builds in seconds; the panels read minute bars and partitions,
 * whose counts (20,160 bars, 168 hour partitions per table) do not depend on the rate.
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDashboardApi } from '../src/dashboard/api.js';
import { SQL_PANELS, STATS_PANELS } from '../src/dashboard/panels.js';
import { backfill } from '../src/local/backfill.js';
import { LakePanelRunner, LocalLakeStats } from '../src/local/lake-panel-runner.js';
import { BINANCE_CSV_HEADER } from '../src/sources/binance-trades/binance.js';
import { SYMBOL_PRESETS, simulateRecords } from '../src/sources/binance-trades/market.js';

const DAYS = 7;
const START_MS = Date.UTC(2026, 10, 23);
const RATES: Readonly<Record<string, number>> = { BTCUSDT: 4, ETHUSDT: 2 };

export interface DashboardApiBench {
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly requests: number;
  readonly panels: number;
  readonly trades: number;
  readonly slowest: { readonly panel: string; readonly ms: number };
  /** Median ms per panel and range. */
  readonly medians: Readonly<Record<string, number>>;
}

async function writeTrades(dir: string, symbol: string): Promise<string> {
  const file = join(dir, `${symbol}-trades-2026-11.csv`);
  const out = createWriteStream(file);
  let chunk: string[] = [BINANCE_CSV_HEADER];
  const spec = { ...SYMBOL_PRESETS[symbol]!, meanRatePerSec: RATES[symbol]! };
  for (const r of simulateRecords({ format: 'csv', symbols: [spec], minutes: DAYS * 1440, startTimeMs: START_MS, seed: 7 })) {
    chunk.push(r.payload);
    if (chunk.length === 50_000) {
      if (!out.write(`${chunk.join('\n')}\n`)) await once(out, 'drain');
      chunk = [];
    }
  }
  out.end(`${chunk.join('\n')}\n`);
  await once(out, 'finish');
  return file;
}

/** Builds the lake, then times `rounds` requests of every panel at each range. */
export async function benchDashboardApi(rounds = 10, log: (line: string) => void = () => undefined): Promise<DashboardApiBench> {
  const dir = mkdtempSync(join(tmpdir(), 'ticklake-bench-dashboard-'));
  try {
    const lake = join(dir, 'lake');
    let trades = 0;
    for (const symbol of Object.keys(RATES)) {
      log(`  dashboard: simulating 7 days of ${symbol} trades and backfilling them ...`);
      const s = await backfill({ input: await writeTrades(dir, symbol), symbol, lakeRoot: lake });
      trades += s.trades;
    }
    const endMs = START_MS + DAYS * 86_400_000;
    const runner = await LakePanelRunner.open(lake);
    const app = createDashboardApi({ runner, stats: new LocalLakeStats(lake, join(dir, 'dead-letter.jsonl')), now: () => endMs });
    const ranges = [3_600_000, 86_400_000, DAYS * 86_400_000];
    const panels = [...SQL_PANELS, ...STATS_PANELS];
    const times: { panel: string; ms: number }[] = [];
    for (let r = -1; r < rounds; r++) {
      for (const p of panels) {
        for (const range of p.params.includes('range') ? ranges : [0]) {
          const q = new URLSearchParams(range ? { from: String(endMs - range), to: String(endMs) } : {});
          if (p.params.includes('symbol')) q.set('symbol', 'BTCUSDT');
          const t = performance.now();
          const res = await app.request(`/api/panels/${p.id}?${q}`);
          await res.json();
          const ms = performance.now() - t;
          if (res.status !== 200) throw new Error(`${p.id}: HTTP ${res.status}`);
          if (r >= 0) times.push({ panel: `${p.id}${range ? ` ${range / 3_600_000}h` : ''}`, ms }); // round -1 warms DuckDB's caches
        }
      }
    }
    runner.close();
    const sorted = times.map((t) => t.ms).sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
    const slowest = times.reduce((a, b) => (b.ms > a.ms ? b : a));
    const medians: Record<string, number> = {};
    for (const key of new Set(times.map((t) => t.panel))) {
      const own = times
        .filter((t) => t.panel === key)
        .map((t) => t.ms)
        .sort((a, b) => a - b);
      medians[key] = Math.round(own[Math.floor(own.length / 2)]! * 10) / 10;
    }
    return { p50Ms: at(0.5), p95Ms: at(0.95), requests: times.length, panels: panels.length, trades, slowest, medians };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
