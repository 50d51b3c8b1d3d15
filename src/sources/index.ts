/**
 * The source registry: every source ticklake ingests, one line each. Adding a
 * source is its folder (`src/sources/<id>/`), its `glue-schemas/` files, and a
 * line here; tables, grants, views, reason codes, metrics and CLI options are
 * derived from this list.
 */
import { binanceTrades } from './binance-trades/index.js';
import { cdc } from './cdc/index.js';
import type { SourceDefinition } from './contract.js';
import { cryptoQuotes } from './crypto-quotes/index.js';
import { energy } from './energy/index.js';
import { engagement } from './engagement/index.js';
import { iotReadings } from './iot-readings/index.js';
import { stockTicks } from './stock-ticks/index.js';
import { viewing } from './viewing/index.js';
import { weather } from './weather/index.js';

export const SOURCES: readonly SourceDefinition[] = [binanceTrades, stockTicks, cryptoQuotes, weather, energy, engagement, iotReadings, viewing, cdc];

export type { SourceDefinition } from './contract.js';

/** The source with this id, or a readable error naming the known ones. */
export function sourceById(id: string): SourceDefinition {
  const s = SOURCES.find((x) => x.id === id);
  if (!s) throw new Error(`unknown source ${JSON.stringify(id)}; known: ${SOURCES.map((x) => x.id).join(', ')}`);
  return s;
}
