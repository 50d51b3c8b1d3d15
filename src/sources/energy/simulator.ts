/**
 * Simulated household smart meters, driven by the weather: each household sits
 * near one of the climate model's stations (src/core/climate.ts, the same
 * hourly temperatures the weather source reports) and heats below its balance
 * point (a heat pump, resistance heaters, or gas with only a fan on the meter)
 * and, if it has air conditioning, cools above another, some with a night setback;
 * on top come a base load, occupants' daily and weekly rhythm (Seattle time),
 * a water heater, kitchen and laundry. A reading every 15 minutes. Pure and seeded.
 */
import { type ClimateSite, hourlyWeather, SEATTLE_SITES, SEATTLE_UTC_OFFSET_MS } from '../../core/climate.js';
import { Rng } from '../../core/random.js';
import type { SimulatedRecord } from '../contract.js';
import { ENERGY_SOURCE, type EnergyRecord, householdPartitionKey } from './reading.js';

/** Minutes per reading. */
export const INTERVAL_MINUTES = 15;
const INTERVAL_MS = INTERVAL_MINUTES * 60_000;
const HOURS = INTERVAL_MINUTES / 60;
/** Households simulated by default. */
export const DEFAULT_HOUSEHOLDS = 24;

/** A simulated household: where it is and how it uses energy. */
export interface Household {
  readonly id: string;
  readonly site: ClimateSite;
  /** Heat loss, kW per °C between inside and outside. */
  readonly heatLossKwPerC: number;
  /** Outside temperature below which it heats, °C. */
  readonly heatingBalanceC: number;
  /** Electric energy per unit of heat (1 resistance, ~0.35 heat pump, ~0.03 gas furnace fan). */
  readonly heatingElectricShare: number;
  /** Outside temperature above which it cools, °C (Infinity without air conditioning). */
  readonly coolingBalanceC: number;
  /** How much lower the thermostat is set at night (23:00-06:00), °C. */
  readonly nightSetbackC: number;
  /** Occupants' scale of the activity loads. */
  readonly occupancy: number;
  /** Always-on load (fridge, standby), kW. */
  readonly baseKw: number;
}

/** The households of a seed: the same ids and profiles for the same seed. */
export function households(seed: number | string, count = DEFAULT_HOUSEHOLDS): Household[] {
  return Array.from({ length: count }, (_, i) => {
    const r = Rng.derive(seed, `energy/household/${i}`);
    const kind = r.next();
    return {
      id: `H-${String(i + 1).padStart(4, '0')}`,
      site: SEATTLE_SITES[i % SEATTLE_SITES.length]!,
      heatLossKwPerC: r.uniform(0.12, 0.3),
      heatingBalanceC: r.uniform(14.5, 17),
      heatingElectricShare: kind < 0.45 ? r.uniform(0.3, 0.4) : kind < 0.8 ? 1 : 0.03,
      coolingBalanceC: r.chance(0.4) ? r.uniform(21, 24) : Number.POSITIVE_INFINITY,
      nightSetbackC: r.chance(0.4) ? r.uniform(1, 3) : 0,
      occupancy: r.uniform(0.7, 1.5),
      baseKw: r.uniform(0.15, 0.35),
    };
  });
}

/** Occupants' activity (kW before the occupancy scale) by local hour and weekend. */
function activityKw(localHour: number, weekend: boolean): number {
  if (localHour < 6) return 0.05;
  if (localHour < 9) return weekend ? 0.35 : 0.5;
  if (localHour < 17) return weekend ? 0.45 : 0.15;
  if (localHour < 22) return 0.75;
  return 0.3;
}

/** The sub-meters and other loads of one interval, kWh. */
export function intervalEnergy(
  h: Household,
  timeMs: number,
  outsideC: number,
  r: Rng,
): { hvac: number; water: number; kitchen: number; laundry: number; other: number } {
  const local = new Date(timeMs + SEATTLE_UTC_OFFSET_MS);
  const hour = local.getUTCHours();
  const weekend = local.getUTCDay() === 0 || local.getUTCDay() === 6;
  // Thermostat setback at night: heat only below a lower outside temperature.
  const setback = hour >= 23 || hour < 6 ? h.nightSetbackC : 0;
  const heatKw = h.heatLossKwPerC * Math.max(0, h.heatingBalanceC - setback - outsideC) * h.heatingElectricShare;
  const coolKw = Number.isFinite(h.coolingBalanceC) ? (h.heatLossKwPerC * Math.max(0, outsideC - h.coolingBalanceC)) / 3 : 0;
  const hvac = (heatKw + coolKw) * HOURS * (1 + 0.08 * r.normal());
  const hotWaterP = hour >= 6 && hour < 9 ? 0.35 : hour >= 18 && hour < 22 ? 0.3 : 0.05;
  const water = r.chance(hotWaterP * Math.min(1, h.occupancy)) ? 4.5 * HOURS * r.uniform(0.3, 1) : 0;
  const meal = (hour >= 7 && hour < 8) || (hour >= 17 && hour < 19) || (weekend && hour >= 12 && hour < 13);
  const kitchen = meal && r.chance(0.55) ? 2 * HOURS * r.uniform(0.2, 1) * h.occupancy : 0.01;
  const laundryP = hour >= 8 && hour < 21 ? (weekend ? 0.08 : 0.03) : 0;
  const laundry = r.chance(laundryP) ? 2.4 * HOURS * r.uniform(0.4, 1) : 0;
  const other = (h.baseKw + activityKw(hour, weekend) * h.occupancy) * HOURS * r.logNormal(0, 0.15);
  return { hvac: Math.max(0, hvac), water, kitchen, laundry, other };
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** The record of the interval starting at `timeMs` (read at its end; sub-meters rounded first, so they never exceed the rounded total). */
export function energyRecord(household: string, timeMs: number, e: ReturnType<typeof intervalEnergy>): EnergyRecord {
  const submeters = { hvac: r3(e.hvac), water_heater: r3(e.water), kitchen: r3(e.kitchen), laundry: r3(e.laundry) };
  const kwh = r3(submeters.hvac + submeters.water_heater + submeters.kitchen + submeters.laundry + r3(e.other));
  return { source: ENERGY_SOURCE, household, reading_time: new Date(timeMs + INTERVAL_MS).toISOString(), interval_minutes: INTERVAL_MINUTES, kwh, submeters };
}

export interface EnergySimConfig {
  readonly minutes: number;
  readonly seed?: number | string;
  readonly startTimeMs?: number;
  readonly households?: number;
  /** Share (0..1) of readings corrupted as meters go wrong: negative energy, sub-meters above the total, a misaligned time, a spike, no household. */
  readonly malformedShare?: number;
  /** A separate run of the same households (same seed): its appliance use is drawn anew. */
  readonly run?: number;
}

/** Corrupts a record in one of the ways meter feeds go wrong. */
function corrupt(rec: Record<string, unknown>, r: Rng): void {
  switch (r.int(5)) {
    case 0:
      rec.kwh = -Number(rec.kwh) - 0.1;
      break;
    case 1:
      rec.submeters = { ...(rec.submeters as object), hvac: Number(rec.kwh) + 1 };
      break;
    case 2:
      rec.reading_time = new Date(Date.parse(String(rec.reading_time)) + 7 * 60_000).toISOString();
      break;
    case 3:
      rec.kwh = 950;
      break;
    default:
      delete rec.household;
  }
}

/**
 * The first interval read: the last one complete at `timeMs`, reported at once
 * (a live run has readings from its first second, not after 15 minutes).
 */
export function firstIntervalMs(timeMs: number): number {
  return Math.floor(timeMs / INTERVAL_MS) * INTERVAL_MS - INTERVAL_MS;
}

/** Intervals read in [start, start + minutes): those ending by the end. */
export function intervalCount(startTimeMs: number, minutes: number): number {
  return Math.max(0, Math.floor((startTimeMs + minutes * 60_000 - firstIntervalMs(startTimeMs)) / INTERVAL_MS));
}

/** Readings of every household, interval by interval, in time order (each put half a second or so after its interval ends). */
export function* simulateEnergy(cfg: EnergySimConfig): Generator<SimulatedRecord> {
  const start = cfg.startTimeMs ?? Date.UTC(2026, 10, 2);
  const end = start + cfg.minutes * 60_000;
  const seed = cfg.seed ?? 1;
  const list = households(seed, cfg.households ?? DEFAULT_HOUSEHOLDS);
  const rngs = list.map((h) => Rng.derive(cfg.run === undefined ? seed : `${seed}/${cfg.run}`, `energy/${h.id}`));
  const bad = Rng.derive(seed, 'energy/malformed');
  const share = cfg.malformedShare ?? 0;
  let hourMs = Number.NaN;
  const temps = new Map<string, number>();
  for (let t = firstIntervalMs(start); t + INTERVAL_MS <= end; t += INTERVAL_MS) {
    const h0 = Math.floor(t / 3_600_000) * 3_600_000;
    if (h0 !== hourMs) {
      hourMs = h0;
      temps.clear();
      for (const s of SEATTLE_SITES) temps.set(s.id, hourlyWeather(h0, s).temperatureC);
    }
    for (const [i, h] of list.entries()) {
      const outside = temps.get(h.site.id) ?? hourlyWeather(h0, h.site).temperatureC;
      const rec: Record<string, unknown> = { ...energyRecord(h.id, t, intervalEnergy(h, t, outside, rngs[i]!)) };
      if (share > 0 && bad.chance(share)) corrupt(rec, bad);
      // A meter reports its interval once it has ended.
      yield { timeMs: Math.max(start, t + INTERVAL_MS) + 500 + i * 20, partitionKey: householdPartitionKey(h.id), payload: JSON.stringify(rec) };
    }
  }
}
