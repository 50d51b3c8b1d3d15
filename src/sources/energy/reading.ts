/**
 * Household smart-meter readings: one record per household and interval, the
 * energy used and the appliance sub-meters. Pure.
 *
 * Record: `{"source":"energy","household":"H-0007","reading_time":"2026-11-02T10:15:00.000Z","interval_minutes":15,
 *   "kwh":0.812,"submeters":{"hvac":0.41,"water_heater":0.12,"kitchen":0.05,"laundry":0}}`
 *
 * `reading_time` is when the meter read the interval, its end (10:15 for
 * 10:00-10:15), so a reading is never labelled before the energy was used;
 * the natural key is (household, reading_time), and the partition key,
 * `energy/<household>`, keeps a meter's readings in order on one shard.
 */
import { CORE_REASON_CODES, type CoreReasonCode, reject as rejectAs, type Rejection as CoreRejection } from '../../core/reasons.js';
import { checkEventTime, type ValidationContext } from '../../core/validation.js';

/** The source id, also its envelope value. */
export const ENERGY_SOURCE = 'energy';

/** The energy source's own reasons, on top of the core set. */
export const ENERGY_REASON_CODES = ['BAD_HOUSEHOLD', 'BAD_INTERVAL', 'NEGATIVE_ENERGY', 'ENERGY_OUT_OF_RANGE', 'SUBMETERS_EXCEED_TOTAL'] as const;
export type EnergyReasonCode = CoreReasonCode | (typeof ENERGY_REASON_CODES)[number];
/** Every reason a reading is quarantined with. */
export const REASON_CODES = [...CORE_REASON_CODES, ...ENERGY_REASON_CODES] as const;
export type Rejection = CoreRejection<EnergyReasonCode>;
const reject = (code: EnergyReasonCode, message: string): Rejection => rejectAs(code, message);

/** The sub-meters, as the record names them. */
export const SUBMETERS = ['hvac', 'water_heater', 'kitchen', 'laundry'] as const;
export type Submeter = (typeof SUBMETERS)[number];

/** The highest average power a household meter may report, kW (a 200 A, 240 V service is 48 kW). */
export const MAX_POWER_KW = 48;
/** Sub-meters are read apart from the total: they may exceed it by this much (rounding), kWh. */
export const SUBMETER_TOLERANCE_KWH = 0.002;
const HOUSEHOLD = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/** The stream record of one reading (see the module comment). */
export interface EnergyRecord {
  readonly source: typeof ENERGY_SOURCE;
  readonly household: string;
  readonly reading_time: string;
  readonly interval_minutes: number;
  readonly kwh: number;
  readonly submeters: Readonly<Record<Submeter, number>>;
}

/** A validated reading (column names as in glue-schemas/energy_readings.json; times in microseconds). */
export interface EnergyReading {
  readonly household: string;
  readonly reading_time: number;
  readonly interval_start: number;
  readonly interval_minutes: number;
  readonly kwh: number;
  readonly hvac_kwh: number;
  readonly water_heater_kwh: number;
  readonly kitchen_kwh: number;
  readonly laundry_kwh: number;
  readonly other_kwh: number;
}

export type ReadingResult = { readonly ok: true; readonly reading: EnergyReading } | { readonly ok: false; readonly rejection: Rejection };

const fail = (r: Rejection): ReadingResult => ({ ok: false, rejection: r });
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isMissing = (v: unknown) => v === undefined || v === null;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** The partition key of a household's readings. */
export function householdPartitionKey(household: string): string {
  return `${ENERGY_SOURCE}/${household}`;
}

/** True when a parsed JSON document claims to be an energy record. */
export function isEnergyRecord(doc: unknown): doc is Record<string, unknown> {
  return isObject(doc) && doc.source === ENERGY_SOURCE;
}

/**
 * Validates one reading. In order: required fields and types, the household
 * id, the interval (a divisor of 60 minutes, the time aligned to it, in range),
 * the total (not negative, not above {@link MAX_POWER_KW} over the interval),
 * each sub-meter (present, not negative), and their sum against the total.
 */
export function readingFrom(doc: Record<string, unknown>, ctx: ValidationContext): ReadingResult {
  for (const k of ['household', 'reading_time', 'interval_minutes', 'kwh', 'submeters'] as const) {
    if (isMissing(doc[k])) return fail(reject('MISSING_FIELD', `field "${k}" is missing`));
  }
  const { household, reading_time, interval_minutes, kwh, submeters } = doc;
  if (typeof household !== 'string') return fail(reject('WRONG_TYPE', 'household must be a string'));
  if (!HOUSEHOLD.test(household))
    return fail(reject('BAD_HOUSEHOLD', `household ${JSON.stringify(household.slice(0, 70))} is not a meter id (1-64 letters, digits, _.:-)`));
  if (typeof reading_time !== 'string') return fail(reject('WRONG_TYPE', 'reading_time must be an ISO-8601 string'));
  const timeMs = ISO_TIME.test(reading_time) ? Date.parse(reading_time) : Number.NaN;
  if (Number.isNaN(timeMs)) return fail(reject('BAD_NUMBER', `reading_time ${JSON.stringify(reading_time.slice(0, 40))} is not a date-time`));
  if (typeof interval_minutes !== 'number' || typeof kwh !== 'number') return fail(reject('WRONG_TYPE', 'interval_minutes and kwh must be numbers'));
  if (!isObject(submeters)) return fail(reject('WRONG_TYPE', 'submeters must be an object'));
  if (!Number.isInteger(interval_minutes) || interval_minutes < 1 || 60 % interval_minutes !== 0)
    return fail(reject('BAD_INTERVAL', `interval_minutes ${interval_minutes} is not a whole divisor of 60`));
  if (timeMs % (interval_minutes * 60_000) !== 0)
    return fail(reject('BAD_INTERVAL', `reading_time ${reading_time} is not aligned to its ${interval_minutes}-minute interval`));
  const tErr = checkEventTime(timeMs * 1000, ctx, 'reading time');
  if (tErr) return fail(tErr);
  if (!Number.isFinite(kwh)) return fail(reject('BAD_NUMBER', `kwh ${kwh} is not a finite number`));
  if (kwh < 0) return fail(reject('NEGATIVE_ENERGY', `${household} at ${reading_time}: kwh ${kwh} is negative`));
  const max = (MAX_POWER_KW * interval_minutes) / 60;
  if (kwh > max)
    return fail(reject('ENERGY_OUT_OF_RANGE', `${household} at ${reading_time}: ${kwh} kWh in ${interval_minutes} min is above ${MAX_POWER_KW} kW`));
  const sub: Record<Submeter, number> = { hvac: 0, water_heater: 0, kitchen: 0, laundry: 0 };
  for (const m of SUBMETERS) {
    const v = submeters[m];
    if (isMissing(v)) return fail(reject('MISSING_FIELD', `submeters.${m} is missing`));
    if (typeof v !== 'number' || !Number.isFinite(v)) return fail(reject('WRONG_TYPE', `submeters.${m} must be a finite number`));
    if (v < 0) return fail(reject('NEGATIVE_ENERGY', `${household} at ${reading_time}: submeters.${m} ${v} is negative`));
    sub[m] = v;
  }
  const sum = sub.hvac + sub.water_heater + sub.kitchen + sub.laundry;
  if (sum > kwh + SUBMETER_TOLERANCE_KWH)
    return fail(reject('SUBMETERS_EXCEED_TOTAL', `${household} at ${reading_time}: sub-meters add up to ${round(sum)} kWh, above the total ${kwh} kWh`));
  return {
    ok: true,
    reading: {
      household,
      reading_time: timeMs * 1000,
      interval_start: (timeMs - interval_minutes * 60_000) * 1000,
      interval_minutes,
      kwh,
      hvac_kwh: sub.hvac,
      water_heater_kwh: sub.water_heater,
      kitchen_kwh: sub.kitchen,
      laundry_kwh: sub.laundry,
      other_kwh: Math.max(0, round(kwh - sum)),
    },
  };
}
