import type { BatchContext, Quarantined, SourceDefinition } from '../contract.js';
import { ENERGY_PANELS } from './panels.js';
import { ENERGY_SOURCE, type EnergyReading, isEnergyRecord, REASON_CODES, readingFrom } from './reading.js';
import { EnergyReadingRows } from './rows.js';
import { DEFAULT_HOUSEHOLDS, INTERVAL_MINUTES, intervalCount, simulateEnergy } from './simulator.js';
import { ENERGY_READINGS } from './tables.js';
import { oneTableBatch, readJsonRecord } from '../json-record.js';
import { ENERGY_MESSAGE } from './message-schema.js';

export { ENERGY_READINGS, ENERGY_SOURCE };

/** Parses and validates one reading: the reading, or why it is quarantined. */
function readReading(text: string, json: unknown, nowUs: number): { ok: true; reading: EnergyReading } | ({ ok: false } & Quarantined) {
  return readJsonRecord(text, json, {
    schema: ENERGY_MESSAGE,
    format: ENERGY_SOURCE,
    is: isEnergyRecord,
    notMine: 'JSON payload is not an energy reading',
    from: (doc) => readingFrom(doc, { nowUs }),
  });
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
  messageSchema: ENERGY_MESSAGE,
  formats: [ENERGY_SOURCE, 'unknown'],
  newBatch: (ctx: BatchContext) => oneTableBatch({ ingestUs: ctx.ingestUs, rows: new EnergyReadingRows(), read: readReading, value: (r) => r.reading }),
  simulator: {
    options: [{ flags: '--households <n>', description: 'households metered', parse: parseHouseholds, defaultValue: DEFAULT_HOUSEHOLDS }],
    *simulate(o) {
      yield* simulateEnergy({
        minutes: o.minutes,
        seed: o.seed,
        startTimeMs: o.startTimeMs,
        households: householdCount(o.extra),
        malformedShare: o.malformedShare,
        ...(o.idBase === undefined ? {} : { run: o.idBase }),
      });
    },
    describe: (o) => `${householdCount(o.extra)} households' meters every ${INTERVAL_MINUTES} min`,
    expectedRecords: (o) => householdCount(o.extra) * intervalCount(o.startTimeMs, o.minutes),
  },
};
