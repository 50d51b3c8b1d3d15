import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePayload } from '../src/sources/binance-trades/binance.js';
import { BINANCE_CSV_HEADER } from '../src/sources/binance-trades/binance.js';
import {
  CSV_MALFORMED_KINDS,
  JSONL_MALFORMED_KINDS,
  MAX_ENCODED_RECORD_BYTES,
  encodeCsvLine,
  encodeTradeMessage,
  makeMalformed,
  toCsvLine,
  toTradeMessage,
  trimDecimal,
  type MalformedKind,
  type RecordFormat,
} from '../src/sources/binance-trades/binance-format.js';
import {
  DEFAULT_START_TIME_MS,
  SYMBOL_PRESETS,
  formatUnits8,
  resolveSymbol,
  simulateRecords,
  simulateTrades,
  simulationWindowUs,
  type SimTrade,
  type SymbolSpec,
} from '../src/sources/binance-trades/market.js';
import { Rng } from '../src/core/random.js';

function take<T>(it: Iterable<T>, n: number): T[] {
  const out: T[] = [];
  for (const x of it) {
    if (out.length >= n) break;
    out.push(x);
  }
  return out;
}

function moments(xs: readonly number[]): { mean: number; variance: number; kurtosis: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  let m2 = 0;
  let m4 = 0;
  for (const x of xs) {
    const d = x - mean;
    m2 += d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  m4 /= n;
  return { mean, variance: m2, kurtosis: m4 / (m2 * m2) };
}

function autocorrelation(xs: readonly number[], lag: number): number {
  const { mean } = moments(xs);
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    den += (xs[i]! - mean) ** 2;
    if (i >= lag) num += (xs[i]! - mean) * (xs[i - lag]! - mean);
  }
  return num / den;
}

/** Decimals of a power-of-ten step. */
function decimalsOf(step: number): number {
  return Math.round(-Math.log10(step));
}

/** Exact decimal string -> scaled BigInt (8 decimals). */
function units8(s: string): bigint {
  const [i, f = ''] = s.split('.');
  return BigInt(i! + f.padEnd(8, '0'));
}

describe('Rng', () => {
  it('is deterministic by seed and differs between seeds', () => {
    // Prepare
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);

    // Act
    const sa = Array.from({ length: 1000 }, () => a.next());
    const sb = Array.from({ length: 1000 }, () => b.next());
    const sc = Array.from({ length: 1000 }, () => c.next());

    // Assess
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
    expect(Math.min(...sa)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...sa)).toBeLessThan(1);
  });

  it('draws normals with mean 0 and variance 1, and Pareto draws above the scale', () => {
    // Prepare
    const rng = new Rng('moments');

    // Act
    const z = Array.from({ length: 200_000 }, () => rng.normal());
    const p = Array.from({ length: 10_000 }, () => rng.pareto(2, 1.5));
    const { mean, variance, kurtosis } = moments(z);

    // Assess
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
    expect(Math.abs(kurtosis - 3)).toBeLessThan(0.1);
    expect(Math.min(...p)).toBeGreaterThanOrEqual(2);
  });
});

describe('simulateTrades', () => {
  it('gives the same trades for the same seed and different trades for another seed', () => {
    // Prepare
    const config = { symbols: ['BTCUSDT', 'ETHUSDT'], minutes: 2, seed: 7 };

    // Act
    const a = [...simulateTrades(config)];
    const b = [...simulateTrades(config)];
    const c = [...simulateTrades({ ...config, seed: 8 })];

    // Assess
    expect(a.length).toBeGreaterThan(1000);
    expect(b).toEqual(a);
    expect(c.slice(0, 100)).not.toEqual(a.slice(0, 100));
  });

  it("keeps a symbol's trades unchanged when other symbols are added", () => {
    // Prepare
    const config = { minutes: 2, seed: 3 };

    // Act
    const alone = [...simulateTrades({ ...config, symbols: ['ETHUSDT'] })];
    const mixed = [...simulateTrades({ ...config, symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'] })].filter((t) => t.symbol === 'ETHUSDT');

    // Assess
    expect(mixed).toEqual(alone);
  });

  it('produces valid, exchange-shaped trades: ticks, steps, exact quote, ids, times', () => {
    // Prepare
    const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'BNBUSDT', 'XRPUSDT', 'DOGEUSDT'];
    const { startUs, endUs } = simulationWindowUs({ minutes: 5 });
    const specs = new Map(symbols.map((s) => [s, resolveSymbol(s)]));
    const lastId = new Map<string, number>();
    const problems: string[] = [];
    const check = (ok: boolean, what: string, t: SimTrade): void => {
      if (!ok && problems.length < 10) problems.push(`${what}: ${JSON.stringify(t)}`);
    };
    const decimal8 = /^\d+\.\d{8}$/;

    // Act
    const trades = [...simulateTrades({ symbols, minutes: 5, seed: 11 })];

    // Assess (plain checks per trade, one assertion at the end: ~100k trades)
    let prevTime = -Infinity;
    for (const t of trades) {
      const spec = specs.get(t.symbol)!;
      check(decimal8.test(t.price) && decimal8.test(t.qty) && decimal8.test(t.quoteQty), '8-decimal text', t);
      const price = units8(t.price);
      const qty = units8(t.qty);
      check(price > 0n && qty > 0n, 'positive price and qty', t);
      // Multiples of the tick and step: digits past their decimals are zeros.
      check(price % 10n ** BigInt(8 - decimalsOf(spec.tickSize)) === 0n, 'price on a tick', t);
      check(qty % 10n ** BigInt(8 - decimalsOf(spec.qtyStep)) === 0n, 'qty on a step', t);
      // quote = price x qty exactly (products here have at most 8 decimals).
      check(units8(t.quoteQty) * 10n ** 8n === price * qty, 'quote = price x qty', t);
      const prev = lastId.get(t.symbol);
      check(t.id === (prev === undefined ? spec.firstTradeId : prev + 1), 'ids +1 per symbol', t);
      lastId.set(t.symbol, t.id);
      check(t.tradeTimeUs >= prevTime, 'time order', t);
      prevTime = t.tradeTimeUs;
      check(t.tradeTimeUs >= startUs && t.tradeTimeUs < endUs, 'inside the window', t);
      const tradeMs = Math.floor(t.tradeTimeUs / 1000);
      check(t.eventTimeMs >= tradeMs + 1 && t.eventTimeMs <= tradeMs + 61, 'E a few ms after T', t);
      check(t.isBestMatch, 'M true', t);
      // The taker's order is the newer one.
      check(t.isBuyerMaker ? t.sellerOrderId > t.buyerOrderId : t.buyerOrderId > t.sellerOrderId, 'taker order newer', t);
    }
    expect(new Set(trades.map((t) => t.symbol))).toEqual(new Set(symbols));
    expect(trades.length).toBeGreaterThan(50_000);
    expect(problems).toEqual([]);
  });

  it('has a balanced buyer-maker flag that still comes in runs', () => {
    // Prepare
    const trades = take(simulateTrades({ symbols: ['BTCUSDT'], minutes: 60, seed: 5 }), 100_000);

    // Act
    const makers = trades.filter((t) => t.isBuyerMaker).length;
    let runs = 1;
    for (let i = 1; i < trades.length; i++) if (trades[i]!.isBuyerMaker !== trades[i - 1]!.isBuyerMaker) runs++;

    // Assess
    expect(trades).toHaveLength(100_000);
    expect(makers / trades.length).toBeGreaterThan(0.45);
    expect(makers / trades.length).toBeLessThan(0.55);
    // Independent fair flags give runs of 2 on average; order-flow persistence
    // and multi-fill orders make them longer.
    expect(trades.length / runs).toBeGreaterThan(3);
  });

  it('has heavy-tailed 1-second returns and bursty per-second trade counts', () => {
    // Prepare
    const minutes = 30;
    const { startUs } = simulationWindowUs({ minutes });
    const lastPrice = new Map<number, number>();
    const counts = new Array<number>(minutes * 60).fill(0);

    // Act
    for (const t of simulateTrades({ symbols: ['BTCUSDT'], minutes, seed: 1 })) {
      const sec = Math.floor((t.tradeTimeUs - startUs) / 1e6);
      lastPrice.set(sec, Number(t.price));
      counts[sec]!++;
    }
    const secs = [...lastPrice.keys()];
    const returns = secs.slice(1).map((s, i) => Math.log(lastPrice.get(s)! / lastPrice.get(secs[i]!)!));
    const r = moments(returns);
    const c = moments(counts);

    // Assess
    expect(returns.length).toBeGreaterThan(1500);
    expect(r.kurtosis).toBeGreaterThan(4);
    // Poisson arrivals would give variance = mean; bursts push it far above.
    expect(c.variance).toBeGreaterThan(3 * c.mean);
    expect(Math.max(...counts)).toBeGreaterThan(4 * c.mean);
  });

  it('clusters volatility: squared minute returns are positively autocorrelated', () => {
    // Prepare: a slow market keeps 12 hours of minutes cheap to simulate.
    const slow: SymbolSpec = { ...SYMBOL_PRESETS.BTCUSDT!, meanRatePerSec: 3 };
    const minutes = 720;
    const { startUs } = simulationWindowUs({ minutes });
    const close = new Array<number>(minutes).fill(Number.NaN);
    let n = 0;

    // Act
    for (const t of simulateTrades({ symbols: [slow], minutes, seed: 2 })) {
      close[Math.floor((t.tradeTimeUs - startUs) / 60e6)] = Number(t.price);
      n++;
    }
    const closes = close.filter((p) => !Number.isNaN(p));
    const sq = closes.slice(1).map((p, i) => Math.log(p / closes[i]!) ** 2);

    // Assess
    expect(closes.length).toBeGreaterThan(700);
    expect(autocorrelation(sq, 1)).toBeGreaterThan(0.05);
    // And the configured rate is roughly met (seasonality makes nights quieter).
    expect(n / (minutes * 60)).toBeGreaterThan(1.5);
    expect(n / (minutes * 60)).toBeLessThan(4.5);
  });

  it('draws heavy-tailed sizes with round-number clusters', () => {
    // Prepare
    const trades = take(simulateTrades({ symbols: ['BTCUSDT'], minutes: 20, seed: 9 }), 50_000);

    // Act
    const qty = trades.map((t) => Number(t.qty)).sort((a, b) => a - b);
    const median = qty[Math.floor(qty.length / 2)]!;
    const big = qty.filter((q) => q > 20 * median).length / qty.length;
    const round = trades.filter((t) => /^0\.0*[125]0*$/.test(t.qty)).length / trades.length;

    // Assess
    expect(qty[0]).toBeGreaterThanOrEqual(0.00001);
    expect(qty[qty.length - 1]! / median).toBeGreaterThan(200);
    // A log-normal body alone would put ~0.3 % of sizes above 20x the median.
    expect(big).toBeGreaterThan(0.01);
    expect(round).toBeGreaterThan(0.1);
  });
});

// Arbitrary trades for formatter properties: any valid symbol, id, tick/step
// decimals and times from 2025 to 2035 (post-switch, so CSV defaults to us).
const arbTrade: fc.Arbitrary<SimTrade> = fc
  .record({
    symbol: fc.stringMatching(/^[A-Z0-9]{2,20}$/),
    id: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    dp: fc.integer({ min: 0, max: 8 }),
    dq: fc.integer({ min: 0, max: 8 }),
    priceUnits: fc.integer({ min: 1, max: 1e12 }),
    qtyUnits: fc.integer({ min: 1, max: 1e9 }),
    tradeTimeUs: fc.integer({ min: Date.UTC(2025, 0, 1) * 1000, max: Date.UTC(2035, 0, 1) * 1000 }),
    latencyMs: fc.integer({ min: 0, max: 100 }),
    isBuyerMaker: fc.boolean(),
    isBestMatch: fc.boolean(),
    buyerOrderId: fc.integer({ min: 0, max: 2 ** 40 }),
    sellerOrderId: fc.integer({ min: 0, max: 2 ** 40 }),
  })
  .map((r) => ({
    symbol: r.symbol,
    id: r.id,
    price: formatUnits8(r.priceUnits, r.dp),
    qty: formatUnits8(r.qtyUnits, r.dq),
    quoteQty: formatUnits8(Math.min(r.priceUnits * r.qtyUnits, Number.MAX_SAFE_INTEGER), Math.min(8, r.dp + r.dq)),
    tradeTimeUs: r.tradeTimeUs,
    eventTimeMs: Math.floor(r.tradeTimeUs / 1000) + r.latencyMs,
    isBuyerMaker: r.isBuyerMaker,
    isBestMatch: r.isBestMatch,
    buyerOrderId: r.buyerOrderId,
    sellerOrderId: r.sellerOrderId,
  }));

describe('formatters', () => {
  it('formatUnits8 writes exact 8-decimal text', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 0, max: 8 }), (units, d) => {
        // Prepare
        const s = String(units).padStart(d + 1, '0');
        const expected = d === 0 ? `${s}.00000000` : `${s.slice(0, s.length - d)}.${s.slice(s.length - d)}${'0'.repeat(8 - d)}`;

        // Act
        const text = formatUnits8(units, d);

        // Assess
        expect(text).toBe(expected);
      }),
    );
  });

  it('writes CSV lines with 7 fields, True/False and the right time magnitude', () => {
    fc.assert(
      fc.property(arbTrade, fc.constantFrom('ms' as const, 'us' as const), fc.boolean(), (trade, unit, trim) => {
        // Prepare
        const buf = new Uint8Array(MAX_ENCODED_RECORD_BYTES);

        // Act
        const line = toCsvLine(trade, { timeUnit: unit, trimZeros: trim });
        const end = encodeCsvLine(trade, buf, 0, { timeUnit: unit, trimZeros: trim });
        const f = line.split(',');

        // Assess
        expect(f).toHaveLength(7);
        expect(Number(f[0])).toBe(trade.id);
        expect(Number(f[1])).toBe(Number(trade.price));
        expect(Number(f[2])).toBe(Number(trade.qty));
        expect(Number(f[3])).toBe(Number(trade.quoteQty));
        if (trim) expect(f[1]).toBe(trimDecimal(trade.price));
        else expect(f[1]).toMatch(/^\d+\.\d{8}$/);
        const time = Number(f[4]);
        if (unit === 'ms') {
          expect(time).toBeLessThan(1e13);
          expect(time).toBe(Math.floor(trade.tradeTimeUs / 1000));
        } else {
          expect(time).toBeGreaterThanOrEqual(1e15);
          expect(time).toBe(trade.tradeTimeUs);
        }
        expect(f[5]).toBe(trade.isBuyerMaker ? 'True' : 'False');
        expect(f[6]).toBe(trade.isBestMatch ? 'True' : 'False');
        expect(Buffer.from(buf.subarray(0, end)).toString('latin1')).toBe(`${line}\n`);
      }),
    );
  });

  it('defaults the CSV time unit by date, as Binance files do', () => {
    // Prepare
    const [trade] = take(simulateTrades({ symbols: ['BTCUSDT'], minutes: 1 }), 1);
    const old = { ...trade!, tradeTimeUs: Date.UTC(2024, 5, 1) * 1000 };

    // Act
    const newer = Number(toCsvLine(trade!).split(',')[4]);
    const older = Number(toCsvLine(old).split(',')[4]);

    // Assess
    expect(newer).toBe(trade!.tradeTimeUs);
    expect(older).toBe(Date.UTC(2024, 5, 1));
    expect(BINANCE_CSV_HEADER.split(',')).toHaveLength(7);
  });

  it('writes stream messages with exactly Binance keys in Binance order', () => {
    fc.assert(
      fc.property(arbTrade, fc.boolean(), (trade, withOrderIds) => {
        // Prepare
        const buf = new Uint8Array(MAX_ENCODED_RECORD_BYTES);

        // Act
        const text = toTradeMessage(trade, { withOrderIds });
        const end = encodeTradeMessage(trade, buf, 0, { withOrderIds });
        const m = JSON.parse(text) as Record<string, unknown>;

        // Assess
        expect(Object.keys(m)).toEqual(withOrderIds ? ['e', 'E', 's', 't', 'p', 'q', 'b', 'a', 'T', 'm', 'M'] : ['e', 'E', 's', 't', 'p', 'q', 'T', 'm', 'M']);
        expect(m).toMatchObject({
          e: 'trade',
          E: trade.eventTimeMs,
          s: trade.symbol,
          t: trade.id,
          p: trade.price,
          q: trade.qty,
          T: Math.floor(trade.tradeTimeUs / 1000),
          m: trade.isBuyerMaker,
          M: trade.isBestMatch,
        });
        if (withOrderIds) expect([m.b, m.a]).toEqual([trade.buyerOrderId, trade.sellerOrderId]);
        expect(m.T as number).toBeLessThan(1e13);
        expect(m.E as number).toBeGreaterThanOrEqual(m.T as number);
        expect(Buffer.from(buf.subarray(0, end)).toString('latin1')).toBe(`${text}\n`);
      }),
    );
  });

  it("passes the project's validator for every simulated record", () => {
    // Prepare
    const { endUs } = simulationWindowUs({ minutes: 3 });
    const ctx = { nowUs: endUs };
    const config = { symbols: ['BTCUSDT', 'DOGEUSDT'], minutes: 3, seed: 4 };

    // Act
    const results = (['jsonl', 'csv'] as const).flatMap((format) =>
      [...simulateRecords({ ...config, format })].map((r) => parsePayload(r.payload, r.partitionKey, ctx)),
    );

    // Assess
    expect(results.length).toBeGreaterThan(5000);
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });
});

describe('malformed records', () => {
  const { endUs } = simulationWindowUs({ minutes: 1 });
  const ctx = { nowUs: endUs };
  const valid = take(simulateTrades({ symbols: ['BTCUSDT', 'DOGEUSDT'], minutes: 1, seed: 12 }), 400);
  const cases: [RecordFormat, MalformedKind][] = [
    ...JSONL_MALFORMED_KINDS.map((k) => ['jsonl', k] as [RecordFormat, MalformedKind]),
    ...CSV_MALFORMED_KINDS.map((k) => ['csv', k] as [RecordFormat, MalformedKind]),
  ];

  it.each(cases)('%s %s is rejected by the validator with the stated reason', (format, kind) => {
    // Prepare
    const rng = new Rng(`${format}/${kind}`);

    // Act
    const outcomes = valid.map((t) => {
      const payload = format === 'csv' ? toCsvLine(t) : toTradeMessage(t, { withOrderIds: t.id % 2 === 0 });
      const bad = makeMalformed(rng, payload, format, kind);
      return { payload, bad, parsed: parsePayload(bad.payload, t.symbol, ctx) };
    });

    // Assess
    for (const { payload, bad, parsed } of outcomes) {
      expect(bad.kind).toBe(kind);
      expect(bad.payload).not.toBe(payload);
      expect(bad.payload).not.toMatch(/[\r\n]/);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect({ kind, code: parsed.rejection.code }).toEqual({ kind, code: bad.reason });
    }
    // Variety: the same kind comes in several spellings.
    expect(new Set(outcomes.map((o) => o.bad.payload.length)).size).toBeGreaterThan(1);
  });

  it('replaces the configured share of records with every kind, leaving the valid ones unchanged', () => {
    // Prepare
    const config = { symbols: ['BTCUSDT', 'ETHUSDT'], minutes: 3, seed: 21 };

    for (const format of ['jsonl', 'csv'] as const) {
      // Act
      const clean = [...simulateRecords({ ...config, format })];
      const mixed = [...simulateRecords({ ...config, format, malformedShare: 0.2 })];
      const again = [...simulateRecords({ ...config, format, malformedShare: 0.2 })];
      const bad = mixed.filter((r) => r.malformed !== undefined);

      // Assess
      expect(again.map((r) => r.payload).join('\n')).toBe(mixed.map((r) => r.payload).join('\n'));
      expect(mixed).toHaveLength(clean.length);
      expect(bad.length / mixed.length).toBeGreaterThan(0.18);
      expect(bad.length / mixed.length).toBeLessThan(0.22);
      expect(new Set(bad.map((r) => r.malformedKind))).toEqual(new Set(format === 'csv' ? CSV_MALFORMED_KINDS : JSONL_MALFORMED_KINDS));
      const changed = mixed.filter((r, i) => r.partitionKey !== clean[i]!.partitionKey || (r.malformed === undefined && r.payload !== clean[i]!.payload));
      expect(changed).toEqual([]);
    }
  });

  it('refuses kinds that do not apply to the format', () => {
    // Prepare
    const rng = new Rng(1);
    const line = toCsvLine(valid[0]!);

    // Act
    const act = (): unknown => makeMalformed(rng, line, 'csv', 'bad-symbol');

    // Assess
    expect(act).toThrow(/does not apply/);
  });
});

describe('defaults', () => {
  it('starts on 2026-11-02 with BTCUSDT and ETHUSDT near their preset prices', () => {
    // Act
    const trades = take(simulateTrades(), 2000);

    // Assess
    expect(new Date(DEFAULT_START_TIME_MS).toISOString()).toBe('2026-11-02T00:00:00.000Z');
    expect(new Set(trades.map((t) => t.symbol))).toEqual(new Set(['BTCUSDT', 'ETHUSDT']));
    const btc = trades.find((t) => t.symbol === 'BTCUSDT')!;
    expect(Number(btc.price)).toBeGreaterThan(90_000);
    expect(Number(btc.price)).toBeLessThan(105_000);
    expect(btc.id).toBe(5_000_000_000);
  });
});
