/**
 * Writes data/seattle-weather.json, the columnar form of the `vega-datasets`
 * package's `data/seattle-weather.csv` the climate model (src/core/climate.ts)
 * imports. Run after upgrading vega-datasets:
 *
 *   npm run data:seattle-weather
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSeattleWeatherCsv, type SeattleSeries, toSeattleSeries } from '../../src/core/seattle-daily.js';

/** Where the JSON lives, relative to the project root. */
export const SEATTLE_JSON = 'data/seattle-weather.json';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// The package's exports map hides its data files from resolution: read them by path.
const PACKAGE = join(ROOT, 'node_modules', 'vega-datasets');

/** The package's CSV file. */
export const SEATTLE_CSV = join(PACKAGE, 'data', 'seattle-weather.csv');

/** The series parsed from the installed package's CSV. */
export function seattleSeriesFromPackage(): SeattleSeries {
  const { version } = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as { version: string };
  return toSeattleSeries(parseSeattleWeatherCsv(readFileSync(SEATTLE_CSV, 'utf8')), `vega-datasets ${version} data/seattle-weather.csv`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = ROOT;
  const s = seattleSeriesFromPackage();
  writeFileSync(join(root, SEATTLE_JSON), `${JSON.stringify(s)}\n`);
  console.log(`${SEATTLE_JSON}: ${s.temp_max.length} days from ${s.firstDate} (${s.source})`);
}
