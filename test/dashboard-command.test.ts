/** `ticklake dashboard` as a user runs it: where it listens, what it serves, and a taken port. */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers/lake-files.js';

const CLI = join(import.meta.dirname, '..', 'bin', 'ticklake.js');
const env = { ...process.env, TICKLAKE_DATA_DIR: '' };

describe('ticklake dashboard', () => {
  it('serves the page and the API on the port it prints; a taken port is a one-line error, exit 2', async () => {
    // Prepare
    const dir = tempDir();
    const child = spawn(process.execPath, [CLI, 'dashboard', '--data-dir', dir, '--port', '0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (b) => {
      err += String(b);
    });
    try {
      const deadline = Date.now() + 30_000;
      while (!/http:\/\/127\.0\.0\.1:\d+\//.test(err) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const url = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(err)![1]!;
      const port = new URL(url).port;
      // Act
      const panels = await fetch(`${url}api/panels`);
      const bad = await fetch(`${url}api/panels/market-candles?from=yesterday`);
      const uplot = await fetch(`${url}vendor/uPlot.iife.min.js`);
      const second = spawnSync(process.execPath, [CLI, 'dashboard', '--data-dir', dir, '--port', port], { env, encoding: 'utf8' });
      // Assess
      expect(panels.status).toBe(200);
      const body = (await panels.json()) as { groups: { id: string; panels: { id: string }[] }[] };
      expect(body.groups.map((g) => g.id)).toEqual(['markets', 'crypto', 'stocks', 'devices', 'health']);
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toMatch(/^from must be/);
      expect(uplot.status).toBe(200);
      expect(await uplot.text()).toMatch(/uPlot/);
      expect(second.status).toBe(2);
      expect(second.stderr.trim().split('\n')).toEqual([`ticklake: port ${port} is in use: choose another (0 picks a free one)`]);
    } finally {
      child.kill('SIGINT');
      await new Promise((r) => child.on('exit', r));
    }
  }, 60_000);
});
