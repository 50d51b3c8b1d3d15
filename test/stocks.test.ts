import { describe, expect, it } from 'vitest';
import { createStreamTransform } from '../src/ingest/stream-transform.js';
import { sectorVolumes, stockTickFrom, type CompanyProfile } from '../src/sources/stock-ticks/stock-tick.js';
import { COMPANY_PROFILES, simulateStockTicks } from '../src/sources/stock-ticks/simulator.js';
import { FileObjectStore } from '../src/local/file-object-store.js';
import { kinesisEvent, stockTick } from './helpers/kinesis-events.js';
import { tempDir, withLake } from './helpers/lake-files.js';
import { clearOfUtcMidnight } from './helpers/utc-day.js';

const PROFILES = new Map<string, CompanyProfile>(COMPANY_PROFILES.map((p) => [p.ticker, p]));
const ctx = { nowUs: Date.UTC(2026, 10, 22) * 1000 };

describe('stock-trading source', () => {
  it('ships a company_profile of about ten tickers with sectors and shares', () => {
    // Assess
    expect(COMPANY_PROFILES.length).toBeGreaterThanOrEqual(10);
    expect(new Set(COMPANY_PROFILES.map((p) => p.sector)).size).toBeGreaterThanOrEqual(4);
    expect(COMPANY_PROFILES.every((p) => Number.isSafeInteger(p.shares) && p.shares > 0)).toBe(true);
  });

  it.each([
    [{}, undefined],
    [{ ticker: 'ZZZZ' }, 'UNKNOWN_TICKER'],
    [{ sector: 'Energy' }, 'SECTOR_MISMATCH'],
    [{ market_cap: 1 }, 'MARKET_CAP_MISMATCH'],
    [{ volume: 0 }, 'NON_POSITIVE_VOLUME'],
    [{ price: -1 }, 'NON_POSITIVE_PRICE'],
    [{ created_at: 'yesterday' }, 'BAD_NUMBER'],
    [{ created_at: '2031-01-01T00:00:00Z' }, 'TIME_OUT_OF_RANGE'],
    [{ volume: '12' }, 'WRONG_TYPE'],
    [{ price: undefined }, 'MISSING_FIELD'],
  ])('validates %j against the profile -> %s', (over, code) => {
    // Act
    const r = stockTickFrom(stockTick(over), PROFILES, ctx);
    // Assess
    expect(r.ok ? undefined : r.rejection.code).toBe(code);
  });

  it('simulates ticks whose market cap is price x shares, every ~10 s per ticker', () => {
    // Act
    const ticks = [...simulateStockTicks({ minutes: 10, seed: 5 })].map((t) => JSON.parse(t.payload) as ReturnType<typeof stockTick>);
    // Assess
    const perTicker = ticks.filter((t) => t.ticker === 'MSFT').length;
    expect(perTicker).toBeGreaterThanOrEqual(50);
    expect(perTicker).toBeLessThanOrEqual(70);
    expect(ticks.every((t) => stockTickFrom(t, PROFILES, ctx).ok)).toBe(true);
    const times = ticks.map((t) => Date.parse(t.created_at));
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
  });

  it('sums volume by date and sector per micro-batch', () => {
    // Prepare
    const a = { id: 1, created_at: Date.UTC(2026, 10, 2, 23, 59) * 1000, ticker: 'AAPL', sector: 'Technology', volume: 5, market_cap: 1, price: 1 };
    // Act
    const v = sectorVolumes([a, { ...a, volume: 7 }, { ...a, sector: 'Energy', volume: 3 }, { ...a, created_at: Date.UTC(2026, 10, 3) * 1000, volume: 11 }]);
    // Assess
    expect(v).toEqual([
      { date: '2026-11-02', sector: 'Energy', total_volume: 3 },
      { date: '2026-11-02', sector: 'Technology', total_volume: 12 },
      { date: '2026-11-03', sector: 'Technology', total_volume: 11 },
    ]);
  });

  it('flows through the same stream handler: stock_ticks rows, sector_volume per batch, volume_today, quarantine', async () => {
    // Prepare: two batches of ticks of today, one bad tick, a retried batch; volume_today reads the
    // clock, so the test keeps clear of a UTC midnight between writing the ticks and querying the view
    const now = await clearOfUtcMidnight();
    const today = new Date(now - 1_000).toISOString();
    const good = [
      stockTick({ id: 1, created_at: today }),
      stockTick({ id: 2, created_at: today, volume: 250 }),
      stockTick({ id: 3, created_at: today, ticker: 'XOM', sector: 'Energy', price: 118, market_cap: 118 * 4_300_000_000, volume: 40 }),
    ];
    const root = tempDir();
    const handler = createStreamTransform({ lake: new FileObjectStore(root) });
    const first = kinesisEvent([JSON.stringify(good[0]), JSON.stringify(good[1])], 'shardId-000000000000', 1);
    const second = kinesisEvent([JSON.stringify(good[2]), JSON.stringify(stockTick({ id: 4, created_at: today, ticker: 'NOPE' }))], 'shardId-000000000000', 3);
    // Act
    await handler(first);
    await handler(first);
    await handler(second);
    await withLake(root, async (sql) => {
      const ticks = await sql.query('SELECT ticker, volume FROM stock_ticks ORDER BY id');
      const sv = await sql.query('SELECT count(DISTINCT processing_id), sum(total_volume) FROM sector_volume');
      const vt = await sql.query('SELECT sector, total_volume FROM volume_today ORDER BY sector');
      const q = await sql.query('SELECT source, reason_code FROM quarantine');
      const dim = await sql.query("SELECT company_name FROM company_profile WHERE ticker = 'AAPL'");
      // Assess
      expect(ticks.rows).toEqual([
        ['AAPL', 100],
        ['AAPL', 250],
        ['XOM', 40],
      ]);
      expect(sv.rows).toEqual([[2, 390]]);
      expect(vt.rows).toEqual([
        ['Energy', 40],
        ['Technology', 350],
      ]);
      expect(q.rows).toEqual([['stock-ticks', 'UNKNOWN_TICKER']]);
      expect(dim.rows).toEqual([['Apple Inc.']]);
    });
  });
});
