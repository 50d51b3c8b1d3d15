/**
 * Simulated stock ticks for the stock-trading source: about ten tickers from
 * data/company_profile.json, a tick per ticker every few seconds, prices as a
 * random walk, market cap = price x shares outstanding. Pure and seeded.
 */
import { Rng } from '../../core/random.js';
import { COMPANY_PROFILES } from './profiles.js';
import type { CompanyProfile } from './stock-tick.js';

export { COMPANY_PROFILES } from './profiles.js';

/** Start prices (USD) of the simulated tickers. */
const START_PRICE: Readonly<Record<string, number>> = {
  AAPL: 229,
  MSFT: 415,
  NVDA: 138,
  AMZN: 197,
  TSLA: 251,
  JPM: 224,
  GS: 540,
  XOM: 118,
  CVX: 155,
  JNJ: 158,
  PFE: 29,
};

export interface StockSimConfig {
  readonly minutes: number;
  readonly seed?: number | string;
  readonly startTimeMs?: number;
  /** Id of the first tick (default 1). */
  readonly firstId?: number;
  /** Seconds between a ticker's ticks (jittered). Default 10, as the old producer. */
  readonly intervalSec?: number;
  readonly profiles?: readonly CompanyProfile[];
}

/** One tick message ready for the stream. */
export interface StockTickRecord {
  readonly timeMs: number;
  readonly partitionKey: string;
  readonly payload: string;
}

/** Ticks of every ticker, in time order. */
export function* simulateStockTicks(cfg: StockSimConfig): Generator<StockTickRecord> {
  const list = cfg.profiles ?? COMPANY_PROFILES;
  const rng = Rng.derive(cfg.seed ?? 1, 'stock-ticks');
  const start = cfg.startTimeMs ?? Date.UTC(2026, 10, 2);
  const end = start + cfg.minutes * 60_000;
  const interval = (cfg.intervalSec ?? 10) * 1000;
  const state = list.map((p) => ({ p, price: START_PRICE[p.ticker] ?? 100, next: start + rng.uniform(0, interval) }));
  let id = cfg.firstId ?? 1;
  for (;;) {
    let s = state[0]!;
    for (const x of state) if (x.next < s.next) s = x;
    if (s.next >= end) return;
    // ~1.5% daily volatility, in steps of one interval (390 trading minutes a day)
    s.price = Math.max(0.01, s.price * Math.exp(0.015 * Math.sqrt(interval / (390 * 60_000)) * rng.normal()));
    const price = Math.round(s.price * 100) / 100;
    const volume = Math.max(1, Math.round(rng.logNormal(Math.log(800), 1.1)));
    const tick = {
      source: 'stock-ticks',
      id: id++,
      created_at: new Date(Math.floor(s.next)).toISOString(),
      ticker: s.p.ticker,
      sector: s.p.sector,
      volume,
      market_cap: price * s.p.shares,
      price,
    };
    yield { timeMs: Math.floor(s.next), partitionKey: s.p.ticker, payload: JSON.stringify(tick) };
    s.next += interval * rng.uniform(0.8, 1.2);
  }
}
