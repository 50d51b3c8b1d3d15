/**
 * Writes the viewing source's shipped dimensions, data/tv_schedule.json and
 * data/tv_ad_spots.json, from the grid in src/sources/viewing/schedule.ts (a
 * test checks they are equal). Run after changing the grid:
 *
 *   npx tsx lib/tools/tv-schedule.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TV_AD_SPOTS, TV_AD_SPOTS_FILE, TV_SCHEDULE, TV_SCHEDULE_FILE } from '../../src/sources/viewing/schedule.js';

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  for (const [file, rows] of [
    [TV_SCHEDULE_FILE, TV_SCHEDULE],
    [TV_AD_SPOTS_FILE, TV_AD_SPOTS],
  ] as const) {
    writeFileSync(join(root, file), `${JSON.stringify(rows, null, 2)}\n`);
    console.log(`${file}: ${rows.length} rows`);
  }
}
