/**
 * Starts a real InfluxDB 1.x server (Debian's `influxdb` package) for tests:
 * loopback only, temporary data directory, free ports, no reporting, HTTP
 * authentication on with one admin user. No systemd involved: `influxd run`
 * is spawned directly and killed when the test is done.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * Path of the influxd binary, or undefined when it is not installed.
 * `TICKLAKE_INFLUXD` names another binary (or, pointing nowhere, disables it).
 */
export function findInfluxd(): string | undefined {
  const override = process.env.TICKLAKE_INFLUXD;
  const candidates =
    override !== undefined
      ? [override]
      : [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin', '/usr/sbin'].filter(Boolean).map((d) => join(d, 'influxd'));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface RunningInfluxd {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  /** Runs an InfluxQL statement as the admin; big integers (ns timestamps) come back as strings. */
  query(q: string, db?: string, epoch?: 'ns' | 'u'): Promise<InfluxQueryResult>;
  /** Rows of the first series of the first statement, as objects keyed by column. */
  rows(q: string, db?: string): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
  readonly startupMs: number;
}

export interface InfluxQueryResult {
  results: { statement_id: number; error?: string; series?: { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }[] }[];
  error?: string;
}

export async function startInfluxd(binary: string): Promise<RunningInfluxd> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'ticklake-influxd-'));
  const [httpPort, rpcPort] = [await freePort(), await freePort()];
  const config = join(dir, 'influxdb.conf');
  writeFileSync(
    config,
    [
      'reporting-enabled = false',
      `bind-address = "127.0.0.1:${rpcPort}"`,
      '[meta]',
      `  dir = "${join(dir, 'meta')}"`,
      '[data]',
      `  dir = "${join(dir, 'data')}"`,
      `  wal-dir = "${join(dir, 'wal')}"`,
      '  query-log-enabled = false',
      '[monitor]',
      '  store-enabled = false',
      '[http]',
      `  bind-address = "127.0.0.1:${httpPort}"`,
      '  auth-enabled = true',
      '  log-enabled = false',
      '[logging]',
      '  level = "warn"',
      '[continuous_queries]',
      '  enabled = false',
      '[retention]',
      '  enabled = false',
      '[shard-precreation]',
      '  enabled = false',
      '[subscriber]',
      '  enabled = false',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(binary, ['run', '-config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HOME: dir },
  });
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  let exited = false;
  child.on('exit', () => (exited = true));
  const url = `http://127.0.0.1:${httpPort}`;

  const stop = async () => {
    if (!exited) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  // Wait for /ping (204) for at most 20 s.
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`influxd exited during startup:\n${log}`);
    }
    try {
      const res = await fetch(`${url}/ping`);
      if (res.status === 204) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`influxd did not answer /ping within 20 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  const username = 'admin';
  const password = 'ticklake test p@ss';
  const basic = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  const query = async (q: string, db?: string, epoch: 'ns' | 'u' = 'ns'): Promise<InfluxQueryResult> => {
    const params = new URLSearchParams({ q, epoch });
    if (db) params.set('db', db);
    const res = await fetch(`${url}/query`, {
      method: 'POST',
      headers: { Authorization: basic, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: params,
    });
    // Nanosecond timestamps exceed 2^53: keep every integer of 16+ digits as a string.
    const text = (await res.text()).replace(/([[,:])(-?\d{16,})(?=[,\]}])/g, '$1"$2"');
    return JSON.parse(text) as InfluxQueryResult;
  };
  // With authentication on and no user yet, InfluxDB allows creating the first admin.
  const created = await fetch(`${url}/query`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ q: `CREATE USER ${username} WITH PASSWORD '${password}' WITH ALL PRIVILEGES` }),
  });
  if (created.status !== 200) throw new Error(`creating the admin user failed: ${created.status} ${await created.text()}`);

  return {
    url,
    username,
    password,
    query,
    async rows(q, db) {
      const r = await query(q, db);
      const res = r.results[0];
      if (r.error || res?.error) throw new Error(r.error ?? res?.error);
      const s = res?.series?.[0];
      if (!s) return [];
      return s.values.map((v) => Object.fromEntries(s.columns.map((c, i) => [c, v[i]])));
    },
    stop,
    startupMs: performance.now() - started,
  };
}
