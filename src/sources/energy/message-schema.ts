/** The household energy reading (`{"source":"energy",…}`, see reading.ts). */
import { envelopeRecord, field } from '../../core/avro.js';
import type { MessageSchema } from '../contract.js';
import { SUBMETERS } from './reading.js';

export const ENERGY_MESSAGE: MessageSchema = {
  version: 1,
  avro: envelopeRecord('EnergyReading', 'energy', "One smart meter's reading at the end of its interval", [
    field('household', 'string', 'Meter id'),
    field('reading_time', 'string', 'End of the interval, ISO-8601 with zone'),
    field('interval_minutes', 'int', 'Length of the interval, a divisor of 60'),
    field('kwh', 'double', 'Energy over the interval, kWh'),
    field(
      'submeters',
      { type: 'record', name: 'Submeters', fields: SUBMETERS.map((m) => field(m, 'double', `${m} sub-meter, kWh`)) },
      'Sub-meter energies, kWh',
    ),
  ]),
};
