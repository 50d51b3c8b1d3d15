/**
 * Forecasting core: bars → features and targets → models → metrics → champion.
 * Pure: no I/O, no clock, no cloud SDK; storage adapters implement {@link ModelStore}.
 */
export * from './bar.js';
export * from './bars-from-trades.js';
export * from './champion.js';
export * from './evaluate.js';
export * from './features.js';
export * from './models/index.js';
export * from './predict.js';
export * from './registry.js';
export { Rng as SeededRng } from '../sim/random.js';
export * from './synthetic.js';
export * from './train.js';
