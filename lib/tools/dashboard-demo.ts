/**
 * What the dashboard's browser tests, its screenshots and its render figure
 * share: a small lake made by the real pipeline (the sources' simulators
 * through the stream-transform handler, timestamped up to now so the page's
 * "last hour" has data) and Debian's Chromium driven by playwright-core.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { runPipeline } from '../../src/local/pipeline.js';
import { simulatorSource } from '../../src/local/sources.js';
import { SOURCES } from '../../src/sources/index.js';

/** The browser: Debian's `chromium` package (`.ci/run` installs it), or `$CHROMIUM_PATH`. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface DemoLakeOptions {
  /** Simulated minutes. */
  readonly minutes: number;
  /** The simulated span ends here (ms); default now, rounded down to the minute. */
  readonly endMs?: number;
  /** Source ids; default every source with a simulator. */
  readonly sources?: readonly string[];
  readonly seed?: number;
}

/** Runs the selected simulators through the local pipeline into `dataDir` (a new job each call, so batches add up). */
export async function writeDemoData(dataDir: string, o: DemoLakeOptions): Promise<void> {
  const endMs = o.endMs ?? Math.floor(Date.now() / 60_000) * 60_000;
  const startTimeMs = endMs - o.minutes * 60_000;
  const selected = SOURCES.filter((s) => s.simulator && (o.sources === undefined || o.sources.includes(s.id)));
  await runPipeline({
    dataDir,
    jobId: `dashboard-${selected.map((s) => s.id).join('+')}-${startTimeMs}-${o.minutes}m`,
    // Ids offset by the start time: a later batch never reuses an earlier one's natural keys.
    source: () => simulatorSource(selected, { minutes: o.minutes, seed: o.seed ?? 7, startTimeMs, malformedShare: 0.001, extra: {}, idBase: startTimeMs }),
    shards: 2,
    workers: 0,
  });
}

/** Launches headless Chromium; says how to get it when it is not installed. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: install Debian's chromium package (.ci/run installs it: apt-get install chromium) or set CHROMIUM_PATH`);
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'], headless: true });
}

/** Opens `url` and waits until the page says its first refresh is drawn. */
export async function openDashboard(page: Page, url: string, timeoutMs = 30_000): Promise<void> {
  await page.goto(url);
  await page.waitForFunction('Number(document.body.dataset.rendered ?? 0) >= 1', undefined, { timeout: timeoutMs });
}

/** Median ms from navigation start to all panels drawn (`body[data-rendered="1"]`) over `loads` fresh page loads. */
export async function measureRenderMs(browser: Browser, url: string, loads = 5): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < loads + 1; i++) {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    await openDashboard(page, url);
    const ms = await page.evaluate(() => performance.now());
    await context.close();
    // The first load warms the server's DuckDB session and the browser's caches: not counted.
    if (i > 0) times.push(ms);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}
