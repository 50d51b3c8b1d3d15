/**
 * Household energy (the old lake's smart-meter producer): a reading per
 * household every 15 minutes, the energy used and the appliance sub-meters
 * (heating and cooling, water heater, kitchen, laundry), validated on its own
 * (see reading.ts) into `energy_readings`. The simulated households heat and
 * cool with the weather of the shared climate model (src/core/climate.ts),
 * the temperatures the weather source reports.
 *
 * Recognition: the envelope, `{"source":"energy",…}`.
 */
import { reject } from '../../core/reasons.js';
import type { BatchContext, Quarantined, SourceBatch, SourceDefinition, TableRows } from '../contract.js';
import { ENERGY_PANELS } from './panels.js';
import { ENERGY_SOURCE, type EnergyReading, isEnergyRecord, REASON_CODES, readingFrom } from './reading.js';
import { EnergyReadingRows } from './rows.js';
import { DEFAULT_HOUSEHOLDS, INTERVAL_MINUTES, intervalCount, simulateEnergy } from './simulator.js';
import { ENERGY_READINGS } from './tables.js';

export { ENERGY_READINGS, ENERGY_SOURCE };

/** Parses and validates one reading: the reading, or why it is quarantined. */
function readReading(text: string, json: unknown, nowUs: number): { ok: true; reading: EnergyReading } | ({ ok: false } & Quarantined) {
  let doc = json;
  if (doc === undefined) {
    try {
      doc = JSON.parse(text);
    } catch (e) {
      return { ok: false, source: ENERGY_SOURCE, rejection: reject('MALFORMED_JSON', `not valid JSON: ${(e as Error).message}`) };
    }
  }
  if (!isEnergyRecord(doc)) return { ok: false, source: 'unknown', rejection: reject('UNKNOWN_FORMAT', 'JSON payload is not an energy reading') };
  const r = readingFrom(doc, { nowUs });
  return r.ok ? r : { ok: false, source: ENERGY_SOURCE, rejection: r.rejection };
}

class EnergyBatch implements SourceBatch {
  private readonly rows = new EnergyReadingRows();
  constructor(private readonly ingestUs: number) {}

  add(text: string, _partitionKey: string, json?: unknown): Quarantined | undefined {
    const r = readReading(text, json, this.ingestUs);
    if (!r.ok) return r;
    this.rows.add(r.reading, this.ingestUs);
    return undefined;
  }

  outputs(): readonly TableRows[] {
    return [this.rows];
  }
}

/** `--households <n>`: how many households the simulator meters. */
function parseHouseholds(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new Error('--households must be a whole number from 1 to 10000');
  return n;
}

const householdCount = (extra: Readonly<Record<string, unknown>>) => (typeof extra.households === 'number' ? extra.households : DEFAULT_HOUSEHOLDS);

export const energy: SourceDefinition = {
  id: ENERGY_SOURCE,
  title: 'Household energy',
  description: `Smart-meter readings per household every ${INTERVAL_MINUTES} minutes, with heating and cooling, water heater, kitchen and laundry sub-meters`,
  enters: ['stream'],
  recognition: { envelope: ENERGY_SOURCE },
  tables: [ENERGY_READINGS],
  panels: ENERGY_PANELS,
  reasonCodes: REASON_CODES,
  formats: [ENERGY_SOURCE, 'unknown'],
  newBatch: (ctx: BatchContext) => new EnergyBatch(ctx.ingestUs),
  simulator: {
    options: [{ flags: '--households <n>', description: 'households metered', parse: parseHouseholds, defaultValue: DEFAULT_HOUSEHOLDS }],
    *simulate(o) {
      yield* simulateEnergy({
        minutes: o.minutes,
        seed: o.seed,
        startTimeMs: o.startTimeMs,
        households: householdCount(o.extra),
        malformedShare: o.malformedShare,
      });
    },
    describe: (o) => `${householdCount(o.extra)} households' meters every ${INTERVAL_MINUTES} min`,
    expectedRecords: (o) => householdCount(o.extra) * intervalCount(o.startTimeMs, o.minutes),
  },
};
