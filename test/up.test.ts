import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dueFiring, LiveScheduler } from '../src/local/live-scheduler.js';
import { parseDuration } from '../src/cli/args.js';
import { SCHEDULES } from '../src/orchestration/schedules.js';
import { BinanceRestServer } from './helpers/binance-rest-server.js';
import { BinanceWsServer, binanceTrade, combined } from './helpers/binance-ws-server.js';
import { duck, tempDir } from './helpers/lake-files.js';
import { twoSymbolBars, writeBars } from './ml-orchestration/helpers.js';

const CLI = join(import.meta.dirname, '..', 'bin', 'ticklake.js');
const env = { ...process.env, TICKLAKE_DATA_DIR: '' };

function run(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function start(args: string[]): { child: ChildProcess; exited: Promise<number | null>; stdout: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b) => {
    out += String(b);
  });
  child.stderr!.resume();
  return { child, exited: new Promise((r) => child.on('exit', (code) => r(code))), stdout: () => out };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Records on the local stream (one line each in the shard logs). */
function recordsOnStream(dir: string): number {
  const s = join(dir, 'stream', 'ticklake-events');
  return readdirSync(s)
    .filter((f) => f.endsWith('.log'))
    .reduce((a, f) => a + readFileSync(join(s, f), 'utf8').split('\n').filter(Boolean).length, 0);
}

/** Waits until `pred` holds (polled), at most `ms`. */
async function until(pred: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(100);
  }
}

describe('ticklake up', () => {
  it('runs live for --for, processes every record it put, and prints a summary', async () => {
    // Prepare
    const dir = tempDir();
    // Act
    const r = run(['up', '--data-dir', dir, '--for', '6s', '--status-every', '2', '--no-schedule']);
    // Assess
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\] binance-trades [\d.]+\/s rows [\d,]+ quarantined 0 lag [\d.]+s \| stock-ticks/);
    expect(r.stdout).toMatch(/stopped cleanly/);
    const [raw] = await duck(`SELECT count(*) AS n FROM read_parquet('${dir}/lake/raw/raw_events/**/*.parquet')`);
    expect(Number(raw!.n)).toBe(recordsOnStream(dir));
    const [t] = await duck(`SELECT count(*) AS n, max(trade_time) AS newest FROM read_parquet('${dir}/lake/curated/trades/**/*.parquet')`);
    const [tradeRecords] = await duck(
      `SELECT count(*) AS n FROM read_parquet('${dir}/lake/raw/raw_events/**/*.parquet') WHERE starts_with(CAST(data AS VARCHAR), '{"e":"trade"')`,
    );
    // Every trade message put became a trade row, stamped now (about 180/s at the simulator's rates; how many
    // fit in 6 s depends on the machine's load, so the count is checked against what was put, not a rate).
    expect(Number(t!.n)).toBe(Number(tradeRecords!.n));
    expect(Number(t!.n)).toBeGreaterThan(50);
    expect(Date.now() - (t!.newest as Date).getTime()).toBeLessThan(60_000);
  }, 60_000);

  it('serves the dashboard while it runs, on the port given, and says where', async () => {
    // Prepare
    const dir = tempDir();
    const up = spawn(process.execPath, [CLI, 'up', '--data-dir', dir, '--no-schedule', '--dashboard-port', '0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    up.stderr!.on('data', (b) => {
      err += String(b);
    });
    try {
      // Act
      await until(() => /dashboard: http:\/\/127\.0\.0\.1:\d+\//.test(err), 30_000);
      const url = /dashboard: (http:\S+)/.exec(err)![1]!;
      let candles: { rows: unknown[]; empty: boolean } = { rows: [], empty: true };
      for (let i = 0; i < 100 && candles.empty; i++) {
        await sleep(200);
        candles = (await (await fetch(`${url}api/panels/health-records?from=now-5m`)).json()) as typeof candles;
      }
      const page = await fetch(url);
      // Assess
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(candles.rows.length).toBeGreaterThan(0);
    } finally {
      up.kill('SIGINT');
      await new Promise((r) => up.on('exit', r));
    }
  }, 60_000);

  it('after kill -9 and a restart, the lake has every record on the stream exactly once', async () => {
    // Prepare: an `up` killed once records are flowing
    const dir = tempDir();
    const first = start(['up', '--data-dir', dir, '--no-schedule', '--quiet']);
    await until(() => existsSync(join(dir, 'lake', 'curated', 'trades')), 20_000);
    await sleep(1500);
    first.child.kill('SIGKILL');
    await first.exited;
    // Act: the next run resumes (the lock of the killed process is stale)
    const again = run(['up', '--data-dir', dir, '--for', '4s', '--no-schedule', '--quiet']);
    // Assess
    expect(again.code).toBe(0);
    const [raw] = await duck(
      `SELECT count(*) AS n, count(DISTINCT (shard_id, sequence_number)) AS d FROM read_parquet('${dir}/lake/raw/raw_events/**/*.parquet')`,
    );
    expect(Number(raw!.n)).toBe(recordsOnStream(dir));
    expect(Number(raw!.d)).toBe(Number(raw!.n));
    const [t] = await duck(`SELECT count(*) AS n, count(DISTINCT (symbol, trade_id)) AS d FROM read_parquet('${dir}/lake/curated/trades/**/*.parquet')`);
    expect(Number(t!.d)).toBe(Number(t!.n));
  }, 60_000);

  it('stops cleanly on SIGINT, and a second up on a busy data directory ends with exit code 2', async () => {
    // Prepare
    const dir = tempDir();
    const first = start(['up', '--data-dir', dir, '--no-schedule', '--quiet']);
    await until(() => existsSync(join(dir, 'up.lock')), 20_000);
    // Act
    const second = run(['up', '--data-dir', dir, '--for', '2s']);
    first.child.kill('SIGINT');
    const code = await first.exited;
    // Assess
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/^ticklake: data directory .* is busy: ticklake up \(pid \d+\)/m);
    expect(code).toBe(0);
    expect(first.stdout()).toMatch(/stopped cleanly/);
    expect(existsSync(join(dir, 'up.lock'))).toBe(false);
  }, 60_000);

  it('--sources binance-live puts the trades of a Binance stream into the lake, once each, healing a gap from --binance-rest-url', async () => {
    // Prepare: local servers speaking Binance's stream and REST protocols
    const server = await BinanceWsServer.start();
    const rest = await BinanceRestServer.start();
    const dir = tempDir();
    try {
      const up = start([
        'up',
        '--data-dir',
        dir,
        '--sources',
        'binance-live',
        '--symbols',
        'BTCUSDT,ETHUSDT',
        '--binance-ws-url',
        server.url,
        '--binance-rest-url',
        rest.url,
        '--for',
        '8s',
        '--no-schedule',
        '--quiet',
      ]);
      const conn = await server.connection(1, 20_000); // #0 was the preflight check
      // Act: 60 trades per symbol (BTCUSDT 21-25 only from the REST API), the first ten of BTCUSDT sent twice (a replay after a reconnect), and a malformed frame
      for (const s of ['BTCUSDT', 'ETHUSDT']) {
        for (let id = 1; id <= 60; id++) if (s === 'ETHUSDT' || id < 21 || id > 25) conn.ws.send(combined(s, binanceTrade(s, id)));
      }
      for (let id = 1; id <= 10; id++) conn.ws.send(combined('BTCUSDT', binanceTrade('BTCUSDT', id)));
      conn.ws.send('{"stream":"btcusdt@trade","data":{"e":"trade"');
      const code = await up.exited;
      // Assess
      expect(code).toBe(0);
      expect(conn.path).toBe('/stream?streams=btcusdt@trade/ethusdt@trade');
      const rows = await duck(
        `SELECT symbol, count(*) AS n, count(DISTINCT trade_id) AS d FROM read_parquet('${dir}/lake/curated/trades/**/*.parquet') GROUP BY 1 ORDER BY 1`,
      );
      expect(rows.map((r) => [r.symbol, Number(r.n), Number(r.d)])).toEqual([
        ['BTCUSDT', 60, 60],
        ['ETHUSDT', 60, 60],
      ]);
      const q = await duck(`SELECT reason_code FROM read_parquet('${dir}/lake/quarantine/quarantine/**/*.parquet')`);
      expect(q.map((r) => r.reason_code)).toEqual(['MALFORMED_JSON']);
      expect(rest.requests.map((r) => [r.symbol, r.fromId, r.limit])).toEqual([['BTCUSDT', 21, 5]]);
    } finally {
      await server.close();
      await rest.close();
    }
  }, 60_000);

  it('a source that drops after start is reconnected, shown in the status line, and loses nothing', async () => {
    // Prepare
    const server = await BinanceWsServer.start();
    const dir = tempDir();
    try {
      const up = spawn(
        process.execPath,
        [
          CLI,
          'up',
          '--data-dir',
          dir,
          '--sources',
          'binance-live',
          '--symbols',
          'BTCUSDT',
          '--binance-ws-url',
          server.url,
          '--for',
          '9s',
          '--status-every',
          '1',
          '--no-schedule',
        ],
        { env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      up.stderr.on('data', (b) => {
        stderr += String(b);
      });
      const exited = new Promise<number | null>((r) => up.on('exit', (c) => r(c)));
      // Act: 30 trades, an abrupt drop, then trades 31-60 on the new connection
      const first = await server.connection(1, 20_000); // #0 was the preflight check
      for (let id = 1; id <= 30; id++) first.ws.send(combined('BTCUSDT', binanceTrade('BTCUSDT', id)));
      await sleep(300);
      first.ws.terminate();
      const second = await server.connection(2, 20_000);
      for (let id = 31; id <= 60; id++) second.ws.send(combined('BTCUSDT', binanceTrade('BTCUSDT', id)));
      // Assess
      expect(await exited).toBe(0);
      expect(stderr).toMatch(/binance-trades [\d.]+\/s .* reconnects 1/);
      const [t] = await duck(`SELECT count(*) AS n, count(DISTINCT trade_id) AS d FROM read_parquet('${dir}/lake/curated/trades/**/*.parquet')`);
      expect([Number(t!.n), Number(t!.d)]).toEqual([60, 60]);
    } finally {
      await server.close();
    }
  }, 60_000);

  it('--quotes-url polls a CoinGecko-format API on its interval into crypto_quotes', async () => {
    // Prepare: a local HTTP server answering with the real format's fixture
    const fixture = JSON.parse(readFileSync(join(import.meta.dirname, 'coingecko-coins-markets.json'), 'utf8')) as Record<string, unknown>[];
    const coins = fixture.length;
    let requests = 0;
    // Fresh quotes: the fixture's own last_updated times are long past (they would be quarantined as STALE_QUOTE).
    const server = createServer((_req, res) => {
      requests++;
      const now = new Date().toISOString();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(fixture.map((c) => ({ ...c, last_updated: now }))));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3/coins/markets?vs_currency=usd`;
    const dir = tempDir();
    try {
      // Act (spawned, not spawnSync: the server answers from this process's event loop)
      const up = start([
        'up',
        '--data-dir',
        dir,
        '--sources',
        'crypto-quotes',
        '--quotes-url',
        url,
        '--poll-interval',
        '2',
        '--for',
        '5s',
        '--no-schedule',
        '--quiet',
      ]);
      // Assess: every poll's snapshot, each coin once per snapshot (the preflight request put nothing)
      expect(await up.exited).toBe(0);
      const [q] = await duck(
        `SELECT count(*) AS n, count(DISTINCT snapshot_time) AS snapshots FROM read_parquet('${dir}/lake/curated/crypto_quotes/**/*.parquet')`,
      );
      expect(Number(q!.snapshots)).toBeGreaterThanOrEqual(2);
      expect(Number(q!.n)).toBe(Number(q!.snapshots) * coins);
      // One request more for the preflight; up to two more may reach the server yet put nothing, by design: the
      // first poll runs at once, anywhere in its slot, and its deadline (the slot's end less a guard) can cut it
      // short while the process starts; and stopping at --for aborts a poll in flight.
      const unanswered = requests - (Number(q!.snapshots) + 1);
      expect(unanswered).toBeGreaterThanOrEqual(0);
      expect(unanswered).toBeLessThanOrEqual(2);
    } finally {
      server.close();
    }
  }, 60_000);

  it.each([
    [
      ['up', '--sources', 'crypto-quotes', '--quotes-url', 'http://127.0.0.1:2/markets'],
      /crypto-quotes: cannot reach http:\/\/127\.0\.0\.1:2\/markets: ECONNREFUSED/,
    ],
    [['up', '--for', '5x'], /--for.*must be a duration/],
    [['up', '--sources', 'nope'], /no source or live feed nope; known: .*binance-live/],
    [['up', '--sources', 'binance-live,binance-trades'], /write the same table: choose one/],
    [['up', '--sources', 'binance-live', '--symbols', 'btc-usdt'], /binance-live: symbols must be 2-20 upper-case letters or digits/],
    [['up', '--batching-window', '-1'], /--batching-window must be an integer from 0 to 300/],
    [['up', '--sources', 'binance-live', '--binance-ws-url', 'ws://127.0.0.1:9'], /binance-live: cannot reach ws:\/\/127\.0\.0\.1:9: ECONNREFUSED/],
    [['up', '--sources', 'binance-live', '--binance-rest-url', 'ftp://h'], /binance-live: ftp:\/\/h is not an http:\/\/ or https:\/\/ URL/],
    [['up', '--binance-rest-url', 'https://api.binance.com'], /--binance-rest-url heals the gaps of binance-live: add it to --sources/],
  ])('fails with a one-line error and exit code 2 for %j', (args, message) => {
    const r = run(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(message);
  });

  it('reads durations', () => {
    expect([parseDuration('45s'), parseDuration('10m'), parseDuration('2h'), parseDuration('1h30m')]).toEqual([45_000, 600_000, 7_200_000, 5_400_000]);
    expect(() => parseDuration('')).toThrow();
    expect(() => parseDuration('10')).toThrow();
  });
});

describe('the live schedule', () => {
  const at = (iso: string) => Date.parse(iso);

  it('makes up a firing missed while up was down, once, and only the most recent one', () => {
    // Prepare: last evaluation ran on Dec 1; up restarts on Dec 4 at 10:00
    const last = at('2026-12-01T00:30:00Z');
    // Act / Assess
    expect(new Date(dueFiring(SCHEDULES.dailyEvaluation, last, at('2026-12-04T10:00:00Z'))!).toISOString()).toBe('2026-12-04T00:30:00.000Z');
    expect(dueFiring(SCHEDULES.dailyEvaluation, at('2026-12-04T00:30:00Z'), at('2026-12-04T10:00:00Z'))).toBeUndefined();
    expect(dueFiring(SCHEDULES.dailyEvaluation, at('2026-12-04T00:30:00Z'), at('2026-12-05T00:30:00Z'))).toBe(at('2026-12-05T00:30:00Z'));
    // Never run before: the most recent firing runs at start
    expect(new Date(dueFiring(SCHEDULES.weeklyTraining, undefined, at('2026-12-04T10:00:00Z'))!).toISOString()).toBe('2026-11-30T03:00:00.000Z');
  });
});

describe('the live scheduler on a data directory', () => {
  it('fires the training and the evaluation state machines when due, makes a missed firing up once, and records them', async () => {
    // Prepare: eight days of bars from Monday 2026-11-02
    const dir = tempDir();
    await writeBars(dir, twoSymbolBars(8));
    let now = Date.parse('2026-11-09T03:05:00Z');
    const log: string[] = [];
    const scheduler = new LiveScheduler(
      dir,
      undefined,
      (m) => log.push(m),
      () => now,
    );
    // Act: up starts on Monday 2026-11-09 after the 03:00 training and the 00:30 evaluation were due; then the next evaluation
    await scheduler.check();
    now = Date.parse('2026-11-10T00:35:00Z');
    await scheduler.check();
    await scheduler.check();
    // Assess
    expect(scheduler.runs.map((r) => [r.schedule, r.scheduledFor, r.outcome])).toEqual([
      ['dailyEvaluation', '2026-11-09T00:30:00.000Z', 'succeeded'],
      ['weeklyTraining', '2026-11-09T03:00:00.000Z', 'succeeded'],
      ['dailyEvaluation', '2026-11-10T00:30:00.000Z', 'succeeded'],
    ]);
    expect(scheduler.runs[2]!.detail).toMatch(/^evaluated 2026-11-09; champions \{"BTCUSDT":"[^"]+","ETHUSDT":"[^"]+"\}$/);
    expect(JSON.parse(readFileSync(join(dir, 'schedules.json'), 'utf8'))).toEqual({
      dailyEvaluation: Date.parse('2026-11-10T00:30:00Z'),
      weeklyTraining: Date.parse('2026-11-09T03:00:00Z'),
    });
    expect(log).toHaveLength(3);
  }, 120_000);
});
