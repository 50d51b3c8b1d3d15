/**
 * `npm run dashboard:screenshots`: builds a demo lake (every simulated source,
 * the last 45 minutes), serves the dashboard over it, and writes one PNG per
 * panel group into docs/dashboard/ (1200 px wide), as the README shows them.
 *
 *   npm run dashboard:screenshots [-- --out docs/dashboard --minutes 45]
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startDashboardServer } from '../../src/adapters/http/dashboard-server.js';
import { launchChromium, openDashboard, writeDemoData } from './dashboard-demo.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const out = resolve(arg('out', 'docs/dashboard'));
const minutes = Number(arg('minutes', '45'));
const dataDir = mkdtempSync(join(tmpdir(), 'ticklake-screenshots-'));
try {
  console.log(`building a ${minutes}-minute demo lake in ${dataDir} ...`);
  await writeDemoData(dataDir, { minutes });
  const server = await startDashboardServer({ dataDir, port: 0 });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, deviceScaleFactor: 1 });
    await openDashboard(page, server.url);
    mkdirSync(out, { recursive: true });
    // The header with its pickers, then each group's section.
    await page.locator('header.top').screenshot({ path: join(out, 'header.png') });
    console.log(join(out, 'header.png'));
    for (const section of await page.locator('section.group').all()) {
      const id = ((await section.getAttribute('aria-labelledby')) ?? 'group').replace(/^group-/, '');
      const file = join(out, `${id}.png`);
      await section.screenshot({ path: file });
      console.log(file);
    }
  } finally {
    await browser.close();
    await server.close();
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
