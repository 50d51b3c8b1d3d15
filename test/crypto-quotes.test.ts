/**
 * The crypto price-table source: CoinGecko /coins/markets snapshots as one
 * record per coin, validation with reasons (duplicate symbols judged per record,
 * however a snapshot is split), the simulator, and the way through the stream
 * transform into crypto_quotes, the quarantine and the crypto_ranking view.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createStreamTransform } from '../src/ingest/stream-transform.js';
import { FileObjectStore } from '../src/local/file-object-store.js';
import { CRYPTO_QUOTE_MEASUREMENT, cryptoQuotes } from '../src/sources/crypto-quotes/index.js';
import {
  type CoinGeckoMarket,
  marketsToRecords,
  type QuoteRecord,
  quoteFrom,
  REASON_CODES,
  STALE_AFTER_MS,
  snapshotPartitionKey,
} from '../src/sources/crypto-quotes/quote.js';
import { CoinMarketSim, SIM_COINS, simulateCryptoQuotes, snapshotCount } from '../src/sources/crypto-quotes/simulator.js';
import { kinesisEvent } from './helpers/kinesis-events.js';
import { tempDir, withLake } from './helpers/lake-files.js';

/** A real-format /coins/markets response (12 coins, fetched 2026-11-02 10:05 UTC). */
const FIXTURE = JSON.parse(readFileSync(join(import.meta.dirname, 'coingecko-coins-markets.json'), 'utf8')) as CoinGeckoMarket[];
const URL_USD = 'https://api.coingecko.com/api/v3/coins/markets?vs_currency=usd&order=market_cap_desc&per_page=100&page=1';
const SLOT = Date.UTC(2026, 10, 2, 10, 5);
const POLL = { slotMs: SLOT, fetchedAtMs: SLOT + 412, url: URL_USD };
const ctx = { nowUs: Date.UTC(2026, 10, 22) * 1000 };

/** The records of a snapshot of `coins`, parsed. */
function records(coins: unknown, poll = POLL): QuoteRecord[] {
  const out = marketsToRecords(coins, poll);
  if ('error' in out) throw new Error(out.error);
  return out.records.map((r) => JSON.parse(r.payload) as QuoteRecord);
}

/** The first fixture coin's record with fields of the coin and of the envelope replaced (`undefined` deletes). */
function record(coinOver: Record<string, unknown> = {}, envOver: Record<string, unknown> = {}): Record<string, unknown> {
  const r = records(FIXTURE)[0]!;
  const coin: Record<string, unknown> = { ...(r.coin as object), ...coinOver };
  const doc: Record<string, unknown> = { ...r, coin, ...envOver };
  for (const o of [coin, doc]) for (const [k, v] of Object.entries(o)) if (v === undefined) delete o[k];
  return doc;
}

const code = (doc: Record<string, unknown>) => {
  const r = quoteFrom(doc, ctx);
  return r.ok ? undefined : r.rejection.code;
};

describe('crypto quotes: a snapshot as stream records', () => {
  it('makes one record per coin, in response order, the item verbatim behind the envelope, keyed by the snapshot', () => {
    // Act
    const out = marketsToRecords(FIXTURE, POLL);
    // Assess
    if ('error' in out) throw new Error(out.error);
    expect(out.records).toHaveLength(FIXTURE.length);
    expect(new Set(out.records.map((r) => r.partitionKey))).toEqual(new Set([snapshotPartitionKey('2026-11-02T10:05:00.000Z')]));
    for (const [i, r] of out.records.entries()) {
      expect(r.payload.startsWith('{"source":"crypto-quotes","snapshot_time":"2026-11-02T10:05:00.000Z","fetched_at":"2026-11-02T10:05:00.412Z"')).toBe(true);
      const doc = JSON.parse(r.payload) as QuoteRecord;
      expect(doc).toMatchObject({ vs_currency: 'usd', index: i });
      expect(doc.coin).toEqual(FIXTURE[i]);
      expect(doc.symbols).toEqual(FIXTURE.map((c) => c.symbol));
    }
  });

  it.each([
    [{ status: { error_code: 429, error_message: "You've exceeded the Rate Limit." } }, /error object: You've exceeded the Rate Limit/],
    [{ error: 'coin not found' }, /error object: coin not found/],
    [[], /empty/],
    [null, /got null/],
    ['[]', /got a string/],
  ])('refuses a body that is not a price table: %j', (body, message) => {
    // Act
    const out = marketsToRecords(body, POLL);
    // Assess
    expect('error' in out && out.error).toMatch(message);
  });

  it('reads the currency from the URL', () => {
    // Act
    const r = records(FIXTURE.slice(0, 1), { ...POLL, url: 'https://api.coingecko.com/api/v3/coins/markets?vs_currency=EUR' });
    // Assess
    expect(r[0]!.vs_currency).toBe('eur');
  });
});

describe('crypto quotes: validation with reasons', () => {
  it('accepts a CoinGecko item and keeps its columns', () => {
    // Act
    const r = quoteFrom(record(), ctx);
    // Assess
    expect(r).toEqual({
      ok: true,
      quote: {
        snapshot_time: SLOT * 1000,
        symbol: 'BTC',
        coin_id: 'bitcoin',
        name: 'Bitcoin',
        vs_currency: 'usd',
        price: 97412,
        change_pct_24h: 1.21874,
        volume_24h: 38214477196,
        market_cap: 1944590069772,
        market_cap_rank: 1,
        circulating_supply: 19962531,
        as_of: Date.parse('2026-11-02T10:04:41.207Z') * 1000,
        fetched_at: (SLOT + 412) * 1000,
      },
    });
  });

  it.each([
    ['no change', {}, {}, undefined],
    ['null 24 h change and rank (new listings)', { price_change_percentage_24h: null, market_cap_rank: null }, {}, undefined],
    ['no circulating supply', { circulating_supply: undefined }, {}, undefined],
    ['null price', { current_price: null }, {}, 'MISSING_FIELD'],
    ['no price', { current_price: undefined }, {}, 'MISSING_FIELD'],
    ['no name', { name: undefined }, {}, 'MISSING_FIELD'],
    ['no market cap', { market_cap: undefined }, {}, 'MISSING_FIELD'],
    ['no last_updated', { last_updated: null }, {}, 'MISSING_FIELD'],
    ['zero price', { current_price: 0 }, {}, 'NON_POSITIVE_PRICE'],
    ['negative price', { current_price: -97412 }, {}, 'NON_POSITIVE_PRICE'],
    ['price as a string', { current_price: '97412' }, {}, 'WRONG_TYPE'],
    ['rank as a string', { market_cap_rank: '1' }, {}, 'WRONG_TYPE'],
    ['empty symbol', { symbol: ' ' }, {}, 'BAD_SYMBOL'],
    ['symbol with a space', { symbol: 'b tc' }, { symbols: ['b tc', ...FIXTURE.slice(1).map((c) => c.symbol)] }, 'BAD_SYMBOL'],
    ['negative market cap', { market_cap: -1 }, {}, 'BAD_NUMBER'],
    ['fractional rank', { market_cap_rank: 1.5 }, {}, 'BAD_NUMBER'],
    ['change of -100 %', { price_change_percentage_24h: -100 }, {}, 'BAD_NUMBER'],
    ['last_updated not a date-time', { last_updated: 'yesterday' }, {}, 'BAD_NUMBER'],
    ['updated 2 h before the fetch', { last_updated: '2026-11-02T08:05:00.000Z' }, {}, 'STALE_QUOTE'],
    ['updated 1 h after the fetch', { last_updated: '2026-11-02T11:05:00.000Z' }, {}, 'TIME_OUT_OF_RANGE'],
    ['coin an array', {}, { coin: [] }, 'WRONG_TYPE'],
    ['no snapshot time', {}, { snapshot_time: undefined }, 'MISSING_FIELD'],
    ['snapshot in 2031', {}, { snapshot_time: '2031-01-01T00:00:00.000Z', fetched_at: '2031-01-01T00:00:00.300Z' }, 'TIME_OUT_OF_RANGE'],
    ['fetched before its slot', {}, { fetched_at: '2026-11-02T10:00:00.000Z' }, 'BAD_SNAPSHOT'],
    ['index beyond the snapshot', {}, { index: 12 }, 'BAD_SNAPSHOT'],
    ['symbol not where the snapshot lists it', {}, { symbols: ['eth', 'btc'] }, 'BAD_SNAPSHOT'],
  ])('%s -> %s', (_what, coinOver, envOver, expected) => {
    // Act / Assess
    expect(code(record(coinOver, envOver))).toBe(expected);
  });

  it('a quote is stale exactly when it was updated more than 30 minutes before the fetch', () => {
    // Prepare
    const at = (msBefore: number) => new Date(SLOT + 412 - msBefore).toISOString();
    // Act / Assess
    expect(code(record({ last_updated: at(STALE_AFTER_MS) }))).toBeUndefined();
    expect(code(record({ last_updated: at(STALE_AFTER_MS + 1) }))).toBe('STALE_QUOTE');
  });

  it('quarantines the later of two coins sharing a symbol (case-insensitively), however the snapshot is split or ordered', () => {
    // Prepare: coin 6 (usd-coin) claims the symbol of coin 0 (bitcoin), in other case
    const coins = FIXTURE.map((c, i) => (i === 6 ? { ...c, symbol: 'BTC' } : c));
    const recs = records(coins);
    // Act: each record alone, in reverse order, as separate batches would see them
    const codes = recs.toReversed().map((r) => code(r as unknown as Record<string, unknown>));
    // Assess
    expect(codes.toReversed()).toEqual(recs.map((_, i) => (i === 6 ? 'DUPLICATE_SYMBOL' : undefined)));
    const r = quoteFrom(recs[6] as unknown as Record<string, unknown>, ctx);
    expect(!r.ok && r.rejection.message).toMatch(/symbol BTC of coin "usd-coin" \(BTC\) at position 6 already appears at position 0/);
  });

  it('never throws, and accepts only positive prices, fresh quotes and the first coin of each symbol (property)', () => {
    // Prepare: arbitrary mutations of real items; symbols drawn from a small set so duplicates are common
    const value = fc.oneof(fc.constant(null), fc.constant(undefined), fc.double(), fc.integer(), fc.string({ maxLength: 8 }), fc.boolean(), fc.constant([]));
    const mutation = fc.record({
      coin: fc.nat(FIXTURE.length - 1),
      field: fc.constantFrom(
        'id',
        'symbol',
        'name',
        'current_price',
        'market_cap',
        'market_cap_rank',
        'total_volume',
        'price_change_percentage_24h',
        'last_updated',
      ),
      value,
    });
    const snapshot = fc.record({
      symbols: fc.array(fc.constantFrom('btc', 'eth', 'BTC', 'sol', ' eth ', 'usdt'), { minLength: FIXTURE.length, maxLength: FIXTURE.length }),
      ageMs: fc.array(fc.integer({ min: -10 * 60_000, max: 2 * STALE_AFTER_MS }), { minLength: FIXTURE.length, maxLength: FIXTURE.length }),
      mutations: fc.array(mutation, { maxLength: 6 }),
    });
    fc.assert(
      fc.property(snapshot, ({ symbols, ageMs, mutations }) => {
        const coins: Record<string, unknown>[] = FIXTURE.map((c, i) => ({
          ...c,
          symbol: symbols[i],
          last_updated: new Date(POLL.fetchedAtMs - ageMs[i]!).toISOString(),
        }));
        for (const m of mutations) {
          if (m.value === undefined) delete coins[m.coin]![m.field];
          else coins[m.coin]![m.field] = m.value;
        }
        // Act
        const results = records(coins).map((r) => quoteFrom(JSON.parse(JSON.stringify(r)) as Record<string, unknown>, ctx));
        // Assess
        const seen = new Map<string, number>();
        results.forEach((r, i) => {
          const sym = typeof coins[i]!.symbol === 'string' ? (coins[i]!.symbol as string).trim().toUpperCase() : undefined;
          const firstOfSymbol = sym !== undefined && !seen.has(sym);
          if (sym !== undefined && !seen.has(sym)) seen.set(sym, i);
          if (!r.ok) {
            expect(REASON_CODES).toContain(r.rejection.code);
            expect(r.rejection.message.length).toBeGreaterThan(0);
            return;
          }
          expect(firstOfSymbol).toBe(true);
          expect(r.quote.symbol).toBe(sym);
          expect(r.quote.price).toBeGreaterThan(0);
          expect(r.quote.fetched_at - r.quote.as_of).toBeLessThanOrEqual(STALE_AFTER_MS * 1000);
          expect(r.quote.market_cap).toBeGreaterThanOrEqual(0);
        });
        const accepted = results.flatMap((r) => (r.ok ? [r.quote.symbol] : []));
        expect(new Set(accepted).size).toBe(accepted.length);
      }),
      { numRuns: 300 },
    );
  });
});

describe('crypto quotes: the simulated price table', () => {
  it('has about twenty coins with market cap = price x circulating supply, ranked by market cap, stablecoins near 1', () => {
    // Act
    const table = new CoinMarketSim(7, Date.UTC(2026, 10, 2)).marketsAt(Date.UTC(2026, 10, 2, 6));
    // Assess
    expect(table).toHaveLength(SIM_COINS.length);
    expect(table.length).toBeGreaterThanOrEqual(18);
    for (const c of table) expect(Math.abs(c.market_cap! - c.current_price! * c.circulating_supply!)).toBeLessThanOrEqual(1);
    expect(table.map((c) => c.market_cap_rank)).toEqual(table.map((_, i) => i + 1));
    expect(table.every((c, i) => i === 0 || c.market_cap! <= table[i - 1]!.market_cap!)).toBe(true);
    for (const id of ['tether', 'usd-coin', 'dai']) expect(Math.abs(table.find((c) => c.id === id)!.current_price! - 1)).toBeLessThan(0.01);
    expect(Math.abs(table.find((c) => c.id === 'bitcoin')!.price_change_percentage_24h!)).toBeLessThan(25);
  });

  it('yields a snapshot every 5 minutes on wall-clock slots, deterministic per seed, all valid without corruption', () => {
    // Prepare
    const start = Date.UTC(2026, 10, 2, 0, 2);
    // Act
    const a = [...simulateCryptoQuotes({ minutes: 60, seed: 3, startTimeMs: start })];
    const b = [...simulateCryptoQuotes({ minutes: 60, seed: 3, startTimeMs: start })];
    // Assess
    expect(a).toEqual(b);
    expect(a).toHaveLength(SIM_COINS.length * 12);
    expect(a).toHaveLength(SIM_COINS.length * snapshotCount(start, 60));
    const slots = [...new Set(a.map((r) => (JSON.parse(r.payload) as QuoteRecord).snapshot_time))];
    expect(slots[0]).toBe('2026-11-02T00:05:00.000Z');
    expect(slots.map((s) => Date.parse(s) % 300_000)).toEqual(slots.map(() => 0));
    expect(a.every((r, i) => i === 0 || r.timeMs >= a[i - 1]!.timeMs)).toBe(true);
    expect(a.every((r) => quoteFrom(JSON.parse(r.payload) as Record<string, unknown>, ctx).ok)).toBe(true);
  });

  it('corrupts a share of rows the way real price tables go wrong', () => {
    // Act
    const recs = [...simulateCryptoQuotes({ minutes: 600, seed: 9, malformedShare: 0.05 })];
    const codes = new Set(recs.map((r) => code(JSON.parse(r.payload) as Record<string, unknown>)));
    // Assess
    expect(codes).toEqual(new Set([undefined, 'MISSING_FIELD', 'NON_POSITIVE_PRICE', 'STALE_QUOTE', 'DUPLICATE_SYMBOL']));
  });

  it('is the poller spec of the source: a stand-in API that moves on with time', () => {
    // Prepare
    const api = cryptoQuotes.poller!.simulate!(5);
    // Act
    const first = api(Date.UTC(2026, 11, 4, 10), URL_USD) as CoinGeckoMarket[];
    const later = api(Date.UTC(2026, 11, 4, 10, 30), URL_USD) as CoinGeckoMarket[];
    // Assess
    expect(first).toHaveLength(SIM_COINS.length);
    expect(later.find((c) => c.id === 'bitcoin')!.current_price).not.toBe(first.find((c) => c.id === 'bitcoin')!.current_price);
    expect(later[0]!.last_updated < '2026-12-04T10:30:00.000Z').toBe(true);
  });
});

describe('crypto quotes: through the stream transform', () => {
  it('lands valid coins in crypto_quotes, bad ones in the quarantine with reasons, and ranks the latest snapshot', async () => {
    // Prepare: a 10:00 snapshot, then the 10:05 one with bad rows, split over two batches and put twice (at least once)
    const earlier = marketsToRecords(FIXTURE, { ...POLL, slotMs: SLOT - 300_000, fetchedAtMs: SLOT - 300_000 + 250 });
    const coins: Record<string, unknown>[] = FIXTURE.map((c) => ({ ...c }));
    delete coins[3]!.current_price; // xrp
    coins[5]!.current_price = 0; // sol
    coins[9]!.symbol = 'eth'; // ada claims eth's symbol
    coins[10]!.last_updated = '2026-11-02T09:00:00.000Z'; // link, stale
    const latest = marketsToRecords(coins, POLL);
    if ('error' in earlier || 'error' in latest) throw new Error('unexpected');
    const spec = (r: { partitionKey: string; payload: string }) => ({ data: r.payload, partitionKey: r.partitionKey });
    const root = tempDir();
    const handler = createStreamTransform({ lake: new FileObjectStore(root), clock: () => Date.UTC(2026, 10, 2, 10, 6) });
    // Act
    await handler(kinesisEvent(earlier.records.map(spec), 'shardId-000000000000', 1));
    await handler(kinesisEvent(latest.records.slice(0, 7).map(spec), 'shardId-000000000000', 20));
    await handler(kinesisEvent(latest.records.slice(7).map(spec), 'shardId-000000000000', 40));
    await handler(kinesisEvent(latest.records.map(spec), 'shardId-000000000000', 60));
    await withLake(root, async (sql) => {
      const perSnapshot = await sql.query('SELECT CAST(snapshot_time AS VARCHAR), count(*), count(DISTINCT symbol) FROM crypto_quotes GROUP BY 1 ORDER BY 1');
      const q = await sql.query("SELECT reason_code, count(*) FROM quarantine WHERE source = 'crypto-quotes' GROUP BY 1 ORDER BY 1");
      const ranking = await sql.query('SELECT cap_rank, symbol, price, change_pct_24h, CAST(snapshot_time AS VARCHAR) FROM crypto_ranking ORDER BY cap_rank');
      const types = await sql.query('SELECT typeof(market_cap_rank), typeof(as_of), dt, hour FROM crypto_quotes LIMIT 1');
      // Assess
      expect(perSnapshot.rows).toEqual([
        ['2026-11-02 10:00:00', 12, 12],
        ['2026-11-02 10:05:00', 16, 8],
      ]);
      expect(q.rows).toEqual([
        ['DUPLICATE_SYMBOL', 2],
        ['MISSING_FIELD', 2],
        ['NON_POSITIVE_PRICE', 2],
        ['STALE_QUOTE', 2],
      ]);
      expect(ranking.rows.map((r) => r[1])).toEqual(['BTC', 'ETH', 'USDT', 'BNB', 'USDC', 'DOGE', 'TRX', 'SHIB']);
      expect(ranking.rows.map((r) => r[0])).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(ranking.rows[0]).toEqual([1, 'BTC', 97412, 1.21874, '2026-11-02 10:05:00']);
      expect(types.rows).toEqual([['INTEGER', 'TIMESTAMP', '2026-11-02', 10]]);
    });
  });

  it('makes a crypto_quote point per valid coin for the time-series writer', () => {
    // Prepare
    const [good, bad] = records(FIXTURE.slice(0, 2).map((c, i) => (i === 1 ? { ...c, current_price: null } : c)));
    // Act
    const points = [good, bad].flatMap((r) => cryptoQuotes.points!(JSON.stringify(r), '', undefined, { ingestUs: ctx.nowUs }));
    // Assess
    expect(points).toEqual([
      {
        measurement: CRYPTO_QUOTE_MEASUREMENT,
        tags: { symbol: 'BTC', vs_currency: 'usd' },
        fields: { price: 97412, market_cap: 1944590069772, volume_24h: 38214477196, change_pct_24h: 1.21874, market_cap_rank: 1n },
        time: SLOT * 1000,
      },
    ]);
  });
});
