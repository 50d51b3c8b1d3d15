/**
 * A simulated CoinGecko `/coins/markets` price table: twenty coins whose prices
 * move as correlated random walks (a common market factor, a shared volatility
 * regime, stablecoins held near 1), with market cap = price x circulating
 * supply, 24 h change, high and low from the simulated last 24 hours, rolling
 * 24 h volumes, ranks by market cap, and API update times a few seconds to a
 * minute before the snapshot. Pure and seeded.
 *
 * It serves two uses: the demo's records (a snapshot every 5 minutes through
 * {@link marketsToRecords}, exactly as the poller puts a real response) and a
 * stand-in API the poller can fetch from without network.
 */
import { Rng } from '../../core/random.js';
import type { SimulatedRecord } from '../contract.js';
import { type CoinGeckoMarket, marketsToRecords } from './quote.js';

/** One simulated coin: CoinGecko's id, symbol and name, and the parameters of its walk. */
export interface SimCoin {
  readonly id: string;
  readonly symbol: string;
  readonly name: string;
  /** Price (USD) 24 hours before the simulation starts. */
  readonly price: number;
  readonly circulatingSupply: number;
  readonly maxSupply: number | null;
  /** Daily volatility of log returns (0.03 = 3 %). */
  readonly dailyVol: number;
  /** 24 h volume as a share of market cap. */
  readonly turnover: number;
  /** Pegged to 1 USD. */
  readonly stable?: boolean;
}

/** Twenty large coins with realistic supplies, prices and turnover. */
export const SIM_COINS: readonly SimCoin[] = [
  { id: 'bitcoin', symbol: 'btc', name: 'Bitcoin', price: 97_250, circulatingSupply: 19_962_000, maxSupply: 21_000_000, dailyVol: 0.025, turnover: 0.025 },
  { id: 'ethereum', symbol: 'eth', name: 'Ethereum', price: 3_420, circulatingSupply: 120_690_000, maxSupply: null, dailyVol: 0.035, turnover: 0.07 },
  { id: 'tether', symbol: 'usdt', name: 'Tether', price: 1, circulatingSupply: 184_600_000_000, maxSupply: null, dailyVol: 0, turnover: 0.45, stable: true },
  { id: 'ripple', symbol: 'xrp', name: 'XRP', price: 2.31, circulatingSupply: 60_150_000_000, maxSupply: 100_000_000_000, dailyVol: 0.045, turnover: 0.03 },
  { id: 'binancecoin', symbol: 'bnb', name: 'BNB', price: 905, circulatingSupply: 139_180_000, maxSupply: 200_000_000, dailyVol: 0.028, turnover: 0.015 },
  { id: 'solana', symbol: 'sol', name: 'Solana', price: 188.4, circulatingSupply: 546_300_000, maxSupply: null, dailyVol: 0.05, turnover: 0.05 },
  { id: 'usd-coin', symbol: 'usdc', name: 'USDC', price: 1, circulatingSupply: 76_200_000_000, maxSupply: null, dailyVol: 0, turnover: 0.12, stable: true },
  { id: 'tron', symbol: 'trx', name: 'TRON', price: 0.296, circulatingSupply: 94_700_000_000, maxSupply: null, dailyVol: 0.025, turnover: 0.025 },
  { id: 'dogecoin', symbol: 'doge', name: 'Dogecoin', price: 0.2215, circulatingSupply: 150_800_000_000, maxSupply: null, dailyVol: 0.06, turnover: 0.06 },
  { id: 'cardano', symbol: 'ada', name: 'Cardano', price: 0.742, circulatingSupply: 36_600_000_000, maxSupply: 45_000_000_000, dailyVol: 0.05, turnover: 0.03 },
  {
    id: 'chainlink',
    symbol: 'link',
    name: 'Chainlink',
    price: 18.15,
    circulatingSupply: 678_100_000,
    maxSupply: 1_000_000_000,
    dailyVol: 0.055,
    turnover: 0.05,
  },
  {
    id: 'stellar',
    symbol: 'xlm',
    name: 'Stellar',
    price: 0.352,
    circulatingSupply: 32_000_000_000,
    maxSupply: 50_001_806_812,
    dailyVol: 0.05,
    turnover: 0.025,
  },
  {
    id: 'avalanche-2',
    symbol: 'avax',
    name: 'Avalanche',
    price: 24.9,
    circulatingSupply: 422_300_000,
    maxSupply: 720_000_000,
    dailyVol: 0.055,
    turnover: 0.06,
  },
  { id: 'sui', symbol: 'sui', name: 'Sui', price: 3.18, circulatingSupply: 3_610_000_000, maxSupply: 10_000_000_000, dailyVol: 0.065, turnover: 0.07 },
  {
    id: 'bitcoin-cash',
    symbol: 'bch',
    name: 'Bitcoin Cash',
    price: 521.6,
    circulatingSupply: 19_930_000,
    maxSupply: 21_000_000,
    dailyVol: 0.04,
    turnover: 0.04,
  },
  {
    id: 'hedera-hashgraph',
    symbol: 'hbar',
    name: 'Hedera',
    price: 0.2204,
    circulatingSupply: 42_400_000_000,
    maxSupply: 50_000_000_000,
    dailyVol: 0.055,
    turnover: 0.025,
  },
  { id: 'litecoin', symbol: 'ltc', name: 'Litecoin', price: 95.3, circulatingSupply: 76_240_000, maxSupply: 84_000_000, dailyVol: 0.045, turnover: 0.07 },
  { id: 'polkadot', symbol: 'dot', name: 'Polkadot', price: 4.02, circulatingSupply: 1_620_000_000, maxSupply: null, dailyVol: 0.055, turnover: 0.05 },
  { id: 'dai', symbol: 'dai', name: 'Dai', price: 1, circulatingSupply: 5_360_000_000, maxSupply: null, dailyVol: 0, turnover: 0.03, stable: true },
  {
    id: 'shiba-inu',
    symbol: 'shib',
    name: 'Shiba Inu',
    price: 0.00001312,
    circulatingSupply: 589_250_000_000_000,
    maxSupply: null,
    dailyVol: 0.06,
    turnover: 0.04,
  },
];

/** Minutes between snapshots, as the old tracker scraped. */
export const SNAPSHOT_INTERVAL_MS = 5 * 60_000;
const STEPS_PER_DAY = 86_400_000 / SNAPSHOT_INTERVAL_MS;
/** Weight of the common market factor in a coin's return. */
const MARKET_BETA = 0.7;

/** `x` rounded to `digits` significant digits (CoinGecko's prices carry about six). */
export function roundSignificant(x: number, digits = 6): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const scale = 10 ** (digits - 1 - Math.floor(Math.log10(Math.abs(x))));
  return Math.round(x * scale) / scale;
}

const round5 = (x: number) => Math.round(x * 1e5) / 1e5;

interface CoinState {
  readonly coin: SimCoin;
  price: number;
  /** Prices of the last 24 hours, oldest first (STEPS_PER_DAY + 1 values once warmed up). */
  readonly history: number[];
  /** Log deviation of the 24 h volume from its mean (an AR(1)). */
  volume: number;
}

/**
 * The simulated market. It starts 24 hours before `startMs` (so the first
 * snapshot has a 24 h change, high and low) and moves on in 5-minute steps as
 * later times are asked for. Same seed, same calls, same tables.
 */
export class CoinMarketSim {
  private readonly rng: Rng;
  private readonly state: CoinState[];
  private timeMs: number;
  /** Log of the shared volatility multiplier (volatility clustering). */
  private regime = 0;

  constructor(seed: number | string, startMs: number, coins: readonly SimCoin[] = SIM_COINS) {
    this.rng = Rng.derive(seed, 'crypto-quotes');
    this.state = coins.map((coin) => ({ coin, price: coin.price, history: [coin.price], volume: 0 }));
    this.timeMs = startMs - 86_400_000;
    this.advanceTo(startMs);
  }

  private step(): void {
    const r = this.rng;
    this.regime = 0.98 * this.regime + 0.05 * r.normal();
    const vol = Math.exp(this.regime);
    const market = r.normal();
    for (const s of this.state) {
      if (s.coin.stable) {
        // Held at the peg by arbitrage: a fast mean-reverting wobble of a few basis points.
        s.price = Math.min(1.005, Math.max(0.995, 1 + 0.6 * (s.price - 1) + 0.0002 * r.normal()));
      } else {
        const z = MARKET_BETA * market + Math.sqrt(1 - MARKET_BETA ** 2) * r.normal();
        s.price *= Math.exp(s.coin.dailyVol * Math.sqrt(1 / STEPS_PER_DAY) * vol * z);
      }
      s.volume = 0.97 * s.volume + 0.04 * r.normal();
      s.history.push(s.price);
      if (s.history.length > STEPS_PER_DAY + 1) s.history.shift();
    }
  }

  /** Moves the market on to `timeMs` (whole 5-minute steps; earlier times change nothing). */
  advanceTo(timeMs: number): void {
    while (this.timeMs + SNAPSHOT_INTERVAL_MS <= timeMs) {
      this.step();
      this.timeMs += SNAPSHOT_INTERVAL_MS;
    }
  }

  /** The `/coins/markets` response at `timeMs` (ordered by market cap, descending, as the API's default). */
  marketsAt(timeMs: number): CoinGeckoMarket[] {
    this.advanceTo(timeMs);
    const rows = this.state.map((s) => {
      const c = s.coin;
      const price = roundSignificant(s.price);
      const before = roundSignificant(s.history[0]!);
      const marketCap = Math.round(price * c.circulatingSupply);
      const capBefore = Math.round(before * c.circulatingSupply);
      const totalSupply = c.maxSupply ?? c.circulatingSupply;
      return {
        id: c.id,
        symbol: c.symbol,
        name: c.name,
        current_price: price,
        market_cap: marketCap,
        market_cap_rank: 0,
        fully_diluted_valuation: Math.round(price * totalSupply),
        total_volume: Math.round(marketCap * c.turnover * Math.exp(s.volume)),
        high_24h: roundSignificant(Math.max(...s.history)),
        low_24h: roundSignificant(Math.min(...s.history)),
        price_change_24h: roundSignificant(price - before),
        price_change_percentage_24h: round5((price / before - 1) * 100),
        market_cap_change_24h: marketCap - capBefore,
        market_cap_change_percentage_24h: round5((marketCap / capBefore - 1) * 100),
        circulating_supply: c.circulatingSupply,
        total_supply: totalSupply,
        max_supply: c.maxSupply,
        roi: null,
        last_updated: new Date(timeMs - Math.round(this.rng.uniform(5_000, 75_000))).toISOString(),
      };
    });
    rows.sort((a, b) => b.market_cap - a.market_cap || a.id.localeCompare(b.id));
    return rows.map((r, i) => ({ ...r, market_cap_rank: i + 1 }));
  }
}

/** The first snapshot slot at or after `timeMs` (slots are aligned to the wall clock). */
export function firstSlotMs(timeMs: number, intervalMs = SNAPSHOT_INTERVAL_MS): number {
  return Math.ceil(timeMs / intervalMs) * intervalMs;
}

/** Snapshots in [start, start + minutes). */
export function snapshotCount(startTimeMs: number, minutes: number, intervalMs = SNAPSHOT_INTERVAL_MS): number {
  return Math.max(0, Math.ceil((startTimeMs + minutes * 60_000 - firstSlotMs(startTimeMs, intervalMs)) / intervalMs));
}

export interface CryptoSimConfig {
  readonly minutes: number;
  readonly seed?: number | string;
  readonly startTimeMs?: number;
  /** Share (0..1) of coin rows corrupted as real APIs do: a null or zero price, a stale update, a repeated symbol, a missing name. */
  readonly malformedShare?: number;
  readonly coins?: readonly SimCoin[];
  /** The URL the snapshots claim to come from (its vs_currency is recorded). */
  readonly url?: string;
}

/** Corrupts one item in place, in one of the ways real price tables go wrong. */
function corrupt(items: Record<string, unknown>[], i: number, slotMs: number, rng: Rng): void {
  const item = items[i]!;
  switch (rng.int(5)) {
    case 0:
      item.current_price = null;
      break;
    case 1:
      item.current_price = 0;
      break;
    case 2:
      item.last_updated = new Date(slotMs - 2 * 3_600_000).toISOString();
      break;
    case 3:
      if (i > 0) item.symbol = items[i - 1]!.symbol;
      else item.current_price = null;
      break;
    default:
      delete item.name;
  }
}

/**
 * The demo's records: a snapshot every 5 minutes (wall-clock slots), each
 * coin a record made by the same function the poller uses for a real response.
 */
export function* simulateCryptoQuotes(cfg: CryptoSimConfig): Generator<SimulatedRecord> {
  const start = cfg.startTimeMs ?? Date.UTC(2026, 10, 2);
  const end = start + cfg.minutes * 60_000;
  const seed = cfg.seed ?? 1;
  const first = firstSlotMs(start);
  const market = new CoinMarketSim(seed, first, cfg.coins);
  const rng = Rng.derive(seed, 'crypto-quotes/poll');
  const share = cfg.malformedShare ?? 0;
  const url = cfg.url ?? 'https://api.coingecko.com/api/v3/coins/markets?vs_currency=usd';
  for (let slot = first; slot < end; slot += SNAPSHOT_INTERVAL_MS) {
    const items = market.marketsAt(slot).map((m) => ({ ...m }) as Record<string, unknown>);
    if (share > 0) for (let i = 0; i < items.length; i++) if (rng.chance(share)) corrupt(items, i, slot, rng);
    // The response arrives a fraction of a second after the slot.
    const fetchedAtMs = slot + Math.round(rng.uniform(150, 900));
    const out = marketsToRecords(items, { slotMs: slot, fetchedAtMs, url });
    if ('error' in out) throw new Error(`simulated table rejected: ${out.error}`);
    for (const r of out.records) yield { timeMs: fetchedAtMs, partitionKey: r.partitionKey, payload: r.payload };
  }
}
