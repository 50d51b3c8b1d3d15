/**
 * `ticklake up` with the cdc source: against a real PostgreSQL (--cdc-url) the
 * simulated web shop's changes land in cdc_changes and the current-state views;
 * without a URL, `--sources` skips cdc and says why.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/lake-files.js';
import { Postgres } from './helpers/postgres.js';

const CLI = join(import.meta.dirname, '..', 'bin', 'ticklake.js');
const env = { ...process.env, TICKLAKE_DATA_DIR: '' };
const run = (args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

let server: Postgres;
beforeAll(async () => {
  server = await Postgres.start();
}, 60_000);
afterAll(async () => {
  await server?.destroy();
});

describe('ticklake up --cdc-url', () => {
  it('runs the web shop on the database and puts its changes into cdc_changes and the current-state views; a second run resumes from the slot', async () => {
    // Prepare
    const dir = tempDir();
    const args = ['up', '--data-dir', dir, '--sources', 'cdc', '--cdc-url', server.url, '--for', '6s', '--no-schedule', '--no-dashboard', '--no-compact'];
    // Act: two runs on the same data directory and database
    const first = run(args);
    const second = run(args);
    const query = (sql: string) => run(['query', '--data-dir', dir, '--format', 'json', sql]);
    const changes = JSON.parse(query('SELECT op, count(*) AS n FROM cdc_changes GROUP BY op ORDER BY op').stdout) as { op: string; n: number }[];
    const dupes = JSON.parse(query('SELECT count(*) - count(DISTINCT (lsn, table_name, seq)) AS d FROM cdc_changes').stdout) as { d: number }[];
    const current = JSON.parse(query('SELECT count(*) AS n FROM customers_current').stdout) as { n: number }[];
    const c = new pg.Client({ connectionString: server.url });
    await c.connect();
    const inDb = Number((await c.query('SELECT count(*) AS n FROM shop.customers')).rows[0].n);
    const slot = (await c.query("SELECT count(*) AS n FROM pg_replication_slots WHERE slot_name = 'ticklake_cdc'")).rows[0].n;
    await c.end();
    // Assess
    expect(first.code, first.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    expect(first.stderr).toMatch(/ticklake up: cdc \(PostgreSQL postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres, simulated web shop\)/);
    expect(first.stderr).toMatch(/\] cdc [\d.]+\/s rows [\d,]+ quarantined 0/);
    expect(changes.find((x) => x.op === 'insert')?.n).toBeGreaterThan(5);
    expect(Number(dupes[0]!.d)).toBe(0);
    expect(Number(current[0]!.n)).toBe(inDb);
    expect(Number(slot)).toBe(1);
  }, 90_000);

  it('without --cdc-url, cdc is skipped and said so; the other sources run', () => {
    // Act
    const r = run(['up', '--data-dir', tempDir(), '--sources', 'stock-ticks,cdc', '--for', '2s', '--no-schedule', '--no-dashboard', '--no-compact']);
    // Assess
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/cdc: skipped: it captures changes from a PostgreSQL database; give --cdc-url postgres:\/\//);
    expect(r.stderr).toMatch(/ticklake up: stock-ticks \(simulated\) into/);
  }, 60_000);

  it.each([
    [['up', '--sources', 'cdc'], /nothing to run: cdc needs --cdc-url/],
    [['up', '--sources', 'stock-ticks', '--cdc-url', 'postgres://127.0.0.1:2/x'], /--cdc-url is the database of the cdc source: add cdc to --sources/],
    [
      ['up', '--sources', 'cdc', '--cdc-url', 'postgres://postgres@127.0.0.1:2/x'],
      /cdc: postgres:\/\/postgres@127\.0\.0\.1:2\/x: cannot connect: ECONNREFUSED/,
    ],
    [['up', '--sources', 'cdc', '--cdc-url', 'http://h/x'], /is not a postgres:\/\/ URL/],
  ])('fails with a one-line error and exit code 2 for %j', (args, message) => {
    const r = run(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(message);
  });
});
