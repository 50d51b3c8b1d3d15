import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SOURCES } from '../src/sources/index.js';
import { duck, tempDir } from './helpers/lake-files.js';

const CLI = join(import.meta.dirname, '..', 'bin', 'ticklake.js');

function run(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, TICKLAKE_DATA_DIR: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the CLI and SIGKILLs it as soon as `when()` holds (polled); resolves when it is gone. */
function runAndKillWhen(args: string[], when: () => boolean): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: 'ignore' });
    const timer = setInterval(() => {
      let hit = false;
      try {
        hit = when();
      } catch {
        // state not written yet
      }
      if (hit) child.kill('SIGKILL');
    }, 20);
    child.on('exit', (code) => {
      clearInterval(timer);
      resolve(code);
    });
  });
}

describe('ticklake CLI', () => {
  it('replays a Binance CSV to the lake exactly once even when killed twice mid-run', async () => {
    // Prepare: 20 simulated minutes of BTCUSDT with 1% malformed lines, as a Binance-named CSV
    const dir = tempDir();
    const sim = run(['simulate', '--out', dir, '--format', 'csv', '--minutes', '20', '--seed', '5', '--malformed-share', '0.01', '--quiet']);
    expect(sim.code).toBe(0);
    const file = join(dir, readdirSync(dir).find((f) => f.endsWith('.csv'))!);
    const lines = (
      await duck(`SELECT count(*) AS n FROM read_csv('${file}', header = true, all_varchar = true, columns = {'a': 'VARCHAR'}, delim = '\\x01', quote = '')`)
    )[0]!.n;
    const dataDir = join(dir, 'data');
    const args = ['replay', '--input', file, '--data-dir', dataDir, '--quiet', '--batch-size', '500', '--rate', '20000'];
    const producerState = () => {
      const dir = join(dataDir, 'stream', 'ticklake-events', 'producers');
      return JSON.parse(readFileSync(join(dir, readdirSync(dir).find((f) => f.endsWith('.json'))!), 'utf8')) as { consumed: number; done: boolean };
    };
    // Act: kill it twice mid-run (a quarter and half of the way through), then let it finish
    const total = Number(lines);
    await runAndKillWhen(args, () => producerState().consumed >= total / 4);
    const afterFirst = producerState();
    await runAndKillWhen(args, () => producerState().consumed >= total / 2);
    const afterSecond = producerState();
    const last = run(args);
    // Assess: both kills landed mid-run, and the run after them finished the job
    expect(afterFirst.done).toBe(false);
    expect(afterSecond.done).toBe(false);
    expect(afterSecond.consumed).toBeGreaterThan(afterFirst.consumed);
    expect(last.code, last.stderr).toBe(0);
    const lake = join(dataDir, 'lake');
    const trades = (await duck(`SELECT count(*) AS n, count(DISTINCT trade_id) AS d FROM read_parquet('${lake}/curated/trades/**/*.parquet')`))[0]!;
    const quarantined = (await duck(`SELECT count(*) AS n FROM read_parquet('${lake}/quarantine/quarantine/**/*.parquet')`))[0]!;
    const raw = (
      await duck(`SELECT count(*) AS n, count(DISTINCT (shard_id, sequence_number)) AS d FROM read_parquet('${lake}/raw/raw_events/**/*.parquet')`)
    )[0]!;
    expect(trades.n).toBe(trades.d);
    expect(raw.n).toBe(raw.d);
    expect(raw.n).toBe(BigInt(lines as bigint));
    expect((trades.n as bigint) + (quarantined.n as bigint)).toBe(raw.n);
    expect(quarantined.n).toBeGreaterThan(0n);
  }, 120_000);

  it('query --format json prints a JSON array of row objects and nothing else', () => {
    // Prepare
    const dataDir = tempDir();
    // Act
    const r = run(['query', '--data-dir', dataDir, '--format', 'json', "SELECT 1 AS a, 'x' AS b, 5000000000::BIGINT AS c"]);
    // Assess
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ a: 1, b: 'x', c: 5_000_000_000 }]);
  });

  it('query --format csv quotes fields that need it', () => {
    // Act
    const r = run(['query', '--data-dir', tempDir(), '--format', 'csv', `SELECT 'a,b' AS x, 'say "hi"' AS y`]);
    // Assess
    expect(r.stdout.trim().split('\n')).toEqual(['x,y', '"a,b","say ""hi"""']);
  });

  it('tables lists every lake table with its columns', () => {
    // Act
    const r = run(['tables', '--data-dir', tempDir(), '--format', 'json']);
    // Assess
    const tables = JSON.parse(r.stdout) as { table: string; rows: number; columns: string[] }[];
    expect(tables.map((t) => t.table)).toEqual(expect.arrayContaining(['trades', 'quarantine', 'raw_events']));
    expect(tables.find((t) => t.table === 'trades')!.columns).toContain('trade_time timestamp');
  });

  it.each([
    [['demo', '--minutes', 'abc'], /--minutes must be a positive number/],
    [['replay', '--input', '/no/such/file.csv'], /cannot read input .*no such file/],
    [['replay'], /required option '--input <file>'/],
    [['query', 'SELECT * FROM nowhere'], /query failed/],
    [['frobnicate'], /unknown command/],
    [
      ['demo', '--sources', 'nope'],
      new RegExp(
        `no simulated source nope; known: ${SOURCES.filter((s) => s.simulator)
          .map((s) => s.id)
          .join(', ')}`,
      ),
    ],
    [['demo', '--symbols', 'FOOBAR'], /no simulator preset for FOOBAR/],
    [['replay', '--input', 'BTCUSDT-trades-2026-11-02.csv', '--symbol', 'bad sym'], /symbol "BAD SYM" is not 2-20 upper-case letters or digits/],
    [['backfill', '--input', '/no/such/dir', '--symbol', 'btc-usdt'], /symbol "BTC-USDT" is not 2-20/],
    [['backfill', '--input', '/no/such/file.zip'], /cannot read input .*no such file/],
    [['compact', '--data-dir', '/no/such/dir'], /no data directory \/no\/such\/dir: nothing to compact/],
  ])('fails with a one-line error and exit code 2 for %j', (args, message) => {
    // Act
    const r = run(args as string[]);
    // Assess
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(message);
  });

  it('a lake file that is not readable Parquet fails only its partition in compact, names it in query and tables, and the rest goes on', () => {
    // Prepare: 20 minutes across two hours through the stream handler, then one trades file of the first hour cut short
    const dir = tempDir();
    const input = join(dir, 'in.jsonl');
    const dataDir = join(dir, 'data');
    expect(run(['simulate', '--out', input, '--format', 'jsonl', '--minutes', '20', '--start', '2026-11-02T00:50:00Z', '--seed', '31', '-q']).code).toBe(0);
    expect(run(['replay', '--input', input, '--data-dir', dataDir, '--batch-size', '2000', '-q']).code).toBe(0);
    const hour = (h: string) => join(dataDir, 'lake', 'curated', 'trades', 'dt=2026-11-02', h);
    const [broken, ...others] = readdirSync(hour('hour=00')).sort();
    const path = join(hour('hour=00'), broken!);
    writeFileSync(path, readFileSync(path).subarray(0, 100));
    // Act
    const compact = run(['compact', '--data-dir', dataDir, '--older-than', '0s', '--grace', '0s', '--quiet']);
    const query = run(['query', '--data-dir', dataDir, 'SELECT count(*) FROM trades']);
    const tables = run(['tables', '--data-dir', dataDir, '--format', 'json']);
    // Assess: the broken hour failed alone, with the file and what to do; the other hour became one file
    expect(compact.code).toBe(1);
    expect(compact.stdout).toMatch(/ticklake compact: [1-9]\d* partitions compacted .*; 1 partitions failed/);
    expect(compact.stderr).toContain(`trades dt=2026-11-02/hour=00: failed: `);
    expect(compact.stderr).toContain(broken);
    expect(compact.stderr).toMatch(/not readable Parquet: move it out of the lake folder/);
    expect(readdirSync(hour('hour=00')).length).toBe(others.length + 1);
    expect(readdirSync(hour('hour=01')).filter((f) => f.endsWith('.parquet'))).toEqual([]);
    expect(readdirSync(join(hour('hour=01'), '_compacted'))).toHaveLength(1);
    expect(query.code).toBe(2);
    expect(query.stderr).toContain(broken);
    expect(query.stderr).toMatch(/not readable Parquet/);
    expect(tables.code).toBe(0);
    const rows = Object.fromEntries((JSON.parse(tables.stdout) as { table: string; rows: number | null; error?: string }[]).map((t) => [t.table, t]));
    expect(rows.trades).toMatchObject({ rows: null, error: expect.stringContaining(broken!) });
    expect(rows.stock_ticks).toMatchObject({ rows: 0 });
    expect(rows.raw_events!.rows).toBeGreaterThan(10_000);
  }, 120_000);

  it('backfill reports the files it loaded, then fails with exit code 1 naming the file it could not read', () => {
    // Prepare: one good CSV and a truncated zip in one directory.
    const input = tempDir();
    const dataDir = tempDir();
    writeFileSync(
      join(input, 'BTCUSDT-trades-2026-11-02.csv'),
      '1,97000.5,0.01,970.005,1793577600000,true,true\n2,97001,0.02,1940.02,1793577601000,false,true\n',
    );
    writeFileSync(join(input, 'BTCUSDT-trades-2026-11-03.zip'), Buffer.from('PK\u0003\u0004truncated'));
    // Act
    const r = run(['backfill', '--input', input, '--data-dir', dataDir, '--quiet']);
    // Assess
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/BTCUSDT-trades-2026-11-02\.csv: BTCUSDT, 2 lines -> 2 trades/);
    expect(r.stdout).toMatch(/backfilled 2 trades from 1 of 2 file\(s\)/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/BTCUSDT-trades-2026-11-03\.zip/);
  });

  it.each(['demo', 'replay', 'simulate', 'query', 'tables', 'sources'])('has --help on the %s command', (cmd) => {
    // Act
    const r = run([cmd, '--help']);
    // Assess
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Usage: ticklake ${cmd}`));
  });

  it('sources lists the registry; demo --sources simulates only the chosen ones, and tables names who writes each table', () => {
    // Prepare
    const dir = tempDir();
    // Act
    const sources = run(['sources', '--format', 'json']);
    const demo = run(['demo', '--sources', 'stock-ticks', '--minutes', '3', '--data-dir', dir, '--quiet']);
    const tables = run(['tables', '--format', 'json', '--data-dir', dir]);
    // Assess
    expect(sources.code).toBe(0);
    expect((JSON.parse(sources.stdout) as { id: string }[]).map((s) => s.id)).toEqual(SOURCES.map((s) => s.id));
    expect(demo.code).toBe(0);
    expect(demo.stdout.split('\n')[0]).toMatch(/^ticklake demo: 11 tickers' ticks, 3 simulated minutes/);
    const rows = Object.fromEntries((JSON.parse(tables.stdout) as { table: string; rows: number; writtenBy: string }[]).map((t) => [t.table, t]));
    expect(rows.trades).toMatchObject({ rows: 0, writtenBy: 'binance-trades' });
    expect(rows.stock_ticks!.rows).toBeGreaterThan(150);
    expect(rows.stock_ticks!.writtenBy).toBe('stock-ticks');
    expect(rows.quarantine!.writtenBy).toBe('ingest');
  });
});
