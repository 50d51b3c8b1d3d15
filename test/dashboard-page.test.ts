/**
 * The dashboard in a real browser: Debian's headless Chromium (playwright-core)
 * on the local server, over lakes the real pipeline wrote (the sources'
 * simulators through the stream-transform handler). What the page shows is
 * checked against direct SQL on the same lake.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openDashboard, writeDemoData } from '../lib/tools/dashboard-demo.js';
import { type DashboardServer, startDashboardServer } from '../src/adapters/http/dashboard-server.js';
import type { PanelInfo } from '../src/dashboard/panels.js';
import { LakeSql } from '../src/local/lake-sql.js';
import { clearOfUtcMidnight } from './helpers/utc-day.js';

// What the functions handed to the browser use (they run there; this project type-checks without the DOM lib).
declare const document: any;
declare function getComputedStyle(el: unknown): { outlineStyle: string };

const MINUTE = 60_000;
const dirs: string[] = [];
const servers: DashboardServer[] = [];
let browser: Browser;
/** Every source, 15 minutes ending 5 minutes ago (the refresh test adds the last 5). */
let full: { dir: string; url: string };
/** Binance trades only: no crypto quotes, no stock ticks. */
let tradesOnly: { dir: string; url: string };

async function lakeWith(sources: readonly string[] | undefined, minutes: number, endMs: number) {
  const dir = mkdtempSync(join(tmpdir(), 'ticklake-dashboard-'));
  dirs.push(dir);
  await writeDemoData(dir, { minutes, endMs, ...(sources ? { sources } : {}) });
  const server = await startDashboardServer({ dataDir: dir, port: 0 });
  servers.push(server);
  return { dir, url: server.url };
}

async function sql<T extends unknown[]>(dir: string, text: string, params: string[] = []): Promise<T[]> {
  const lake = await LakeSql.open(join(dir, 'lake'));
  try {
    return (
      await lake.queryBound(
        text,
        params.map((value) => ({ type: 'varchar' as const, value })),
      )
    ).rows as T[];
  } finally {
    lake.close();
  }
}

/** A new page that records what goes wrong: console errors, uncaught errors, failed and non-2xx requests. */
async function watchedPage(): Promise<{ page: Page; problems: string[]; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('request', (r) => requests.push(r.url()));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()}: ${r.url()}`);
  });
  return { page, problems, requests };
}

interface CardState {
  id: string;
  state: string;
  rows: number;
  series: number;
  points: number;
  last: string;
  note: string;
  tableRows: number;
}

const cards = (page: Page): Promise<CardState[]> =>
  page.$$eval('.card', (els) =>
    els.map((el) => {
      const card = el as any;
      const chart = card.querySelector('.chart');
      return {
        id: card.dataset.panel ?? '',
        state: card.dataset.state ?? '',
        rows: Number(card.dataset.rows),
        series: Number(chart?.dataset.series ?? 0),
        points: Number(chart?.dataset.points ?? 0),
        last: chart?.dataset.last ?? '',
        note: card.querySelector('.note')?.textContent ?? '',
        tableRows: card.querySelectorAll('tbody tr').length,
      };
    }),
  );

const rendered = (page: Page) => page.evaluate(() => Number(document.body.dataset.rendered ?? 0));

async function panelList(url: string): Promise<PanelInfo[]> {
  const body = (await (await fetch(new URL('api/panels', url))).json()) as { groups: { panels: PanelInfo[] }[] };
  return body.groups.flatMap((g) => g.panels);
}

beforeAll(async () => {
  browser = await launchChromium();
  // Clear of a UTC midnight: the full lake ends 5 minutes ago, and its stocks-volume-today panel shows today's ticks
  // only (at most about 10 minutes of waiting, only on a run that starts within minutes of midnight).
  const now = Math.floor((await clearOfUtcMidnight(7 * MINUTE, 3 * MINUTE)) / MINUTE) * MINUTE;
  [full, tradesOnly] = await Promise.all([lakeWith(undefined, 15, now - 5 * MINUTE), lakeWith(['binance-trades'], 3, now)]);
}, 12 * 60_000);

afterAll(async () => {
  await browser?.close();
  for (const s of servers) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('dashboard page in Chromium', () => {
  it('loads with no console error or failed request and draws every panel that has data', async () => {
    // Prepare
    const { page, problems } = await watchedPage();
    const panels = (await panelList(full.url)).filter((p) => !p.overlayOn);
    // Act
    await openDashboard(page, full.url);
    const shown = await cards(page);
    // Assess
    expect(problems).toEqual([]);
    expect(shown.map((c) => c.id)).toEqual(panels.map((p) => p.id));
    for (const c of shown) {
      const panel = panels.find((p) => p.id === c.id)!;
      expect(['ready', 'empty'], c.id).toContain(c.state);
      if (c.state === 'empty') expect(c.note, c.id).toBe(panel.emptyHint.replaceAll('`', ''));
      else if (panel.chart === 'table') expect(c.tableRows, c.id).toBe(c.rows);
      else {
        expect(c.series, c.id).toBeGreaterThan(0);
        expect(c.points, c.id).toBeGreaterThan(0);
      }
    }
    // The lake has trades, ticks, quotes and some quarantined records: those panels have data.
    const ready = shown.filter((c) => c.state === 'ready').map((c) => c.id);
    for (const id of ['market-candles', 'crypto-ranking', 'crypto-prices', 'stocks-volume-today', 'stocks-prices', 'health-records', 'health-quarantine'])
      expect(ready).toContain(id);
    await page.close();
  });

  it('shows the values a direct query on the lake gives', async () => {
    // Prepare
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await openDashboard(page, full.url);
    // Act
    const symbol = await page.$eval('#symbol', (s) => (s as any).value);
    const market = (await cards(page)).find((c) => c.id === 'market-candles')!;
    const firstRanked = await page.$$eval('#panel-crypto-ranking tbody tr:first-child td', (tds) =>
      tds.map((td) => ({ text: td.textContent, cls: td.className })),
    );
    const sectors = (await cards(page)).find((c) => c.id === 'stocks-volume-today')!;
    // Assess
    const [[n, lastClose]] = await sql<[bigint | number, number]>(full.dir, 'SELECT count(*), arg_max(close, minute_start) FROM bars_1m WHERE symbol = ?', [
      symbol,
    ]);
    expect(symbol).toMatch(/USDT$/);
    expect(market.rows).toBe(Number(n));
    expect(Number(market.last)).toBe(lastClose);
    const [[rank, sym, name, price, change]] = await sql<[number, string, string, number, number]>(
      full.dir,
      'SELECT cap_rank, symbol, name, price, change_pct_24h FROM crypto_ranking ORDER BY vs_currency, cap_rank LIMIT 1',
    );
    expect(firstRanked.slice(0, 3).map((c) => c.text)).toEqual([String(rank), sym, name]);
    expect(Number(firstRanked[3]!.text!.replaceAll(',', ''))).toBeCloseTo(price, 2);
    expect(firstRanked[4]!.text!.startsWith(change > 0 ? '+' : change < 0 ? '−' : '±')).toBe(true);
    expect(firstRanked[4]!.cls).toContain(change > 0 ? 'up' : change < 0 ? 'down' : 'num');
    const [[sectorCount]] = await sql<[bigint | number]>(full.dir, 'SELECT count(*) FROM volume_today');
    expect(sectors.rows).toBe(Number(sectorCount));
    await page.close();
  });

  it('picks up rows written after the page loaded, on its next refresh', async () => {
    // Prepare
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await openDashboard(page, full.url);
    const before = (await cards(page)).find((c) => c.id === 'market-candles')!.rows;
    // Act: five more minutes through the pipeline, up to now.
    await writeDemoData(full.dir, { minutes: 5, seed: 8 });
    const symbol = await page.$eval('#symbol', (s) => (s as any).value);
    const [[n]] = await sql<[bigint | number]>(full.dir, 'SELECT count(*) FROM bars_1m WHERE symbol = ?', [symbol]);
    await page.waitForFunction((want) => Number(document.querySelector('#panel-market-candles')?.dataset.rows) === want, Number(n), {
      timeout: 20_000,
    });
    // Assess
    expect(Number(n)).toBeGreaterThan(before);
    expect(await page.$eval('#panel-market-candles', (c) => (c as any).dataset.state)).toBe('ready');
    await page.close();
  });

  it("shows a source's hint instead of a blank chart when it has no data", async () => {
    // Prepare
    const { page, problems } = await watchedPage();
    const hints = new Map((await panelList(tradesOnly.url)).map((p) => [p.id, p.emptyHint.replaceAll('`', '')]));
    // Act
    await openDashboard(page, tradesOnly.url);
    const shown = await cards(page);
    // Assess
    expect(problems).toEqual([]);
    for (const id of ['crypto-ranking', 'crypto-prices', 'stocks-volume-today', 'stocks-prices']) {
      const c = shown.find((x) => x.id === id)!;
      expect(c.state, id).toBe('empty');
      expect(c.note, id).toBe(hints.get(id));
      expect(c.points, id).toBe(0);
    }
    expect(shown.find((c) => c.id === 'crypto-ranking')!.note).toContain('ticklake up --sources crypto-quotes');
    expect(shown.find((c) => c.id === 'market-candles')!.state).toBe('ready');
    expect(await page.locator('#panel-crypto-prices canvas').count()).toBe(0);
    await page.close();
  });

  it('reaches the range picker with Tab, shows focus, and refetches when it changes', async () => {
    // Prepare
    const { page, requests } = await watchedPage();
    await openDashboard(page, full.url);
    const refreshes = await rendered(page);
    // Act: Tab until a range radio has focus (the skip link comes first).
    let focused = '';
    for (let i = 0; i < 6 && !focused.startsWith('range-'); i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => document.activeElement?.id ?? '');
    }
    const outline = await page.$eval('label[for="range-1h"]', (l) => getComputedStyle(l).outlineStyle);
    const asked = requests.length;
    // The range change's own request, not just any refresh: the 5-second refresh may be under way when the key is
    // pressed, and the page then fetches the new range right after it.
    const sixHours = page.waitForRequest((r) => r.url().includes('/api/panels/market-candles') && r.url().includes('from=now-6h'), {
      timeout: 15_000,
    });
    await page.keyboard.press('ArrowRight');
    await sixHours;
    await page.waitForFunction((n) => Number(document.body.dataset.rendered) > n, refreshes, { timeout: 15_000 });
    // Assess
    expect(focused).toBe('range-1h');
    expect(outline).toBe('solid');
    expect(await page.$eval('#range-6h', (r) => (r as any).checked)).toBe(true);
    const after = requests.slice(asked).map((u) => new URL(u));
    expect(after.some((u) => u.pathname === '/api/panels/market-candles' && u.searchParams.get('from') === 'now-6h')).toBe(true);
    await page.close();
  });
});
