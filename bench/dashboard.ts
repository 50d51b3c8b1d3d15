/**
 * The dashboard's render figure: `dashboard_render_ms`, from navigation to every
 * panel drawn (`document.body.dataset.rendered === '1'`) in headless Chromium,
 * median of five loads after a warm-up, over a lake of 30 simulated minutes of
 * every source written by the real pipeline.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, measureRenderMs, writeDemoData } from '../lib/tools/dashboard-demo.js';
import { startDashboardServer } from '../src/adapters/http/dashboard-server.js';

export interface DashboardRenderFigure {
  readonly renderMs: number;
  readonly loads: number;
  readonly panels: number;
}

export async function dashboardRenderMs(loads = 5, minutes = 30): Promise<DashboardRenderFigure> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ticklake-bench-dashboard-'));
  try {
    await writeDemoData(dataDir, { minutes });
    const server = await startDashboardServer({ dataDir, port: 0 });
    const browser = await launchChromium();
    try {
      const renderMs = await measureRenderMs(browser, server.url, loads);
      const list = (await (await fetch(new URL('api/panels', server.url))).json()) as { groups: { panels: unknown[] }[] };
      return { renderMs, loads, panels: list.groups.reduce((n, g) => n + g.panels.length, 0) };
    } finally {
      await browser.close();
      await server.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
