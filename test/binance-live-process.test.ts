/**
 * The Binance live connector's container process without Docker: the bundle the
 * Dockerfile builds (`npm run bundle:binance-live`, the same esbuild command),
 * run by `node` from a directory with no node_modules, as the image runs it,
 * against the local Binance-speaking server and a local HTTP endpoint that
 * answers Kinesis PutRecords (the real AWS SDK client, pointed at it with
 * AWS_ENDPOINT_URL_KINESIS). Also: the Dockerfile and .dockerignore agree with
 * the bundle (every file it is built from is in the build context).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { IgnoreStrategy } from 'aws-cdk-lib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BinanceWsServer, binanceTrade, combined, until } from './helpers/binance-ws-server.js';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = mkdtempSync(join(tmpdir(), 'ticklake-binance-live-'));
const BUNDLE = join(OUT, 'index.cjs');
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

const SCRIPT: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts['bundle:binance-live'];
let inputs: string[] = [];

beforeAll(async () => {
  // The package script's esbuild command, writing to a temp dir, with a metafile listing its inputs.
  const [bin, ...args] = SCRIPT.split(/\s+/);
  expect(bin).toBe('esbuild');
  const withOut = args.map((a) => (a.startsWith('--outfile=') ? `--outfile=${BUNDLE}` : a));
  const meta = join(OUT, 'meta.json');
  await new Promise<void>((done, fail) =>
    execFile(join(ROOT, 'node_modules', '.bin', 'esbuild'), [...withOut, `--metafile=${meta}`], { cwd: ROOT }, (e, _o, stderr) =>
      e ? fail(new Error(stderr)) : done(),
    ),
  );
  inputs = Object.keys(JSON.parse(readFileSync(meta, 'utf8')).inputs as Record<string, unknown>);
}, 60_000);

/** A local Kinesis endpoint: answers PutRecords (JSON 1.1 over HTTP/2 without TLS, as the SDK's Kinesis client speaks it) and keeps what was put. */
class FakeKinesis {
  readonly records: { stream: string; key: string; data: string }[] = [];
  private constructor(private readonly server: Http2Server) {}
  static async start(): Promise<FakeKinesis> {
    let self!: FakeKinesis;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const target = String(req.headers['x-amz-target']);
        if (target !== 'Kinesis_20131202.PutRecords') {
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify({ __type: 'UnknownOperationException' }));
          return;
        }
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { StreamName: string; Records: { Data: string; PartitionKey: string }[] };
        const answers = body.Records.map((r) => {
          self.records.push({ stream: body.StreamName, key: r.PartitionKey, data: Buffer.from(r.Data, 'base64').toString('utf8') });
          return { SequenceNumber: String(self.records.length), ShardId: 'shardId-000000000000' };
        });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ FailedRecordCount: 0, Records: answers }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    self = new FakeKinesis(server);
    return self;
  }
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** The environment of the container, with nothing of the shell's AWS settings. */
function containerEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, NODE_ENV: 'production', WS_NO_BUFFER_UTIL: '1', WS_NO_UTF_8_VALIDATE: '1' };
  return { ...env, AWS_CONFIG_FILE: join(OUT, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(OUT, 'none'), ...extra };
}

interface Run {
  readonly child: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  readonly exit: Promise<number | null>;
}

function runBundle(env: NodeJS.ProcessEnv): Run {
  // cwd: a directory without node_modules, as /app in the image.
  const child = spawn(process.execPath, ['--enable-source-maps', BUNDLE], { cwd: OUT, env });
  const stdout: string[] = [];
  const stderr: string[] = [];
  let outRest = '';
  child.stdout.on('data', (c: Buffer) => {
    const lines = (outRest + c.toString('utf8')).split('\n');
    outRest = lines.pop()!;
    stdout.push(...lines);
  });
  child.stderr.on('data', (c: Buffer) => stderr.push(...c.toString('utf8').split('\n').filter(Boolean)));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, stdout, stderr, exit };
}

let ws: BinanceWsServer | undefined;
let kinesis: FakeKinesis | undefined;
let run: Run | undefined;
afterEach(async () => {
  if (run && run.child.exitCode === null) run.child.kill('SIGKILL');
  await ws?.close();
  await kinesis?.close();
  ws = undefined;
  kinesis = undefined;
  run = undefined;
});

describe('the bundle, run as the container runs it', () => {
  it('ends with one line on stderr and exit code 2 when the configuration is wrong', async () => {
    run = runBundle(containerEnv({ BINANCE_SYMBOLS: 'BTCUSDT,btc' }));
    expect(await run.exit).toBe(2);
    expect(run.stderr.filter((l) => l.startsWith('binance-live:'))).toEqual([
      'binance-live: STREAM_NAME is required (the Kinesis stream to put to); BINANCE_SYMBOLS: symbols must be 2-20 upper-case letters or digits: btc',
    ]);
    expect(run.stdout.filter(Boolean)).toEqual([]);
  });

  it('ends with exit code 2 when there is no AWS region', async () => {
    run = runBundle(containerEnv({ STREAM_NAME: 'ticklake-test-events' }));
    expect(await run.exit).toBe(2);
    expect(run.stderr.filter((l) => l.startsWith('binance-live:'))).toEqual([
      'binance-live: no AWS region: set AWS_REGION (ECS sets it on Fargate) or use a profile with a region',
    ]);
  });

  it('puts trades with Kinesis PutRecords, writes JSON logs and EMF heartbeats, and on SIGTERM drains and exits 0', async () => {
    ws = await BinanceWsServer.start();
    kinesis = await FakeKinesis.start();
    run = runBundle(
      containerEnv({
        STREAM_NAME: 'ticklake-test-events',
        BINANCE_SYMBOLS: 'BTCUSDT,ETHUSDT',
        BINANCE_WS_URL: ws.url,
        HEARTBEAT_SECONDS: '0.2',
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_ENDPOINT_URL_KINESIS: kinesis.url,
      }),
    );
    const conn = await ws.connection(0, 20_000);
    expect(conn.path).toBe('/stream?streams=btcusdt@trade/ethusdt@trade');
    for (let id = 1; id <= 40; id++) {
      conn.ws.send(combined('BTCUSDT', binanceTrade('BTCUSDT', id)));
      if (id % 2 === 0) conn.ws.send(combined('ETHUSDT', binanceTrade('ETHUSDT', id / 2)));
    }
    const docs = () => run!.stdout.filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
    await until(() => kinesis!.records.length === 60, '60 records put', 20_000).catch((e: Error) => {
      throw new Error(`${e.message}; got ${kinesis!.records.length}; stdout:\n${run!.stdout.join('\n')}\nstderr:\n${run!.stderr.join('\n')}`);
    });
    await until(() => docs().some((d) => d.message === 'heartbeat' && d.LastTradeAgeSeconds !== undefined), 'a heartbeat after the trades', 20_000);

    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);

    expect(new Set(kinesis.records.map((r) => r.stream))).toEqual(new Set(['ticklake-test-events']));
    expect(kinesis.records.filter((r) => r.key === 'BTCUSDT')).toHaveLength(40);
    expect(kinesis.records[0]!.data).toBe(combined('BTCUSDT', binanceTrade('BTCUSDT', 1)));
    const lines = docs();
    // Every stdout line is JSON: logs and heartbeats.
    expect(lines.length).toBe(run.stdout.filter(Boolean).length);
    expect(lines[0]).toMatchObject({ level: 'INFO', message: 'binance-live: starting', service: 'binance-live' });
    expect(lines.at(-1)).toMatchObject({ level: 'INFO', message: 'binance-live: exiting', tradesPut: 60 });
    const beats = lines.filter((d) => d.message === 'heartbeat');
    expect(beats.reduce((n, b) => n + b.TradesPut, 0)).toBe(60);
    expect(beats.at(-1)!._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'ticklake', Dimensions: [['service']] });
  }, 60_000);
});

describe('Dockerfile and .dockerignore', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));

  it('builds on node:22-slim with the locked runtime dependencies and the package script, and runs the bundle as a non-root user', () => {
    expect(instructions.filter((l) => l.startsWith('FROM '))).toEqual(['FROM --platform=$BUILDPLATFORM node:22-slim AS build', 'FROM node:22-slim']);
    expect(instructions).toContain('RUN npm ci --omit=dev --no-audit --no-fund');
    expect(instructions).toContain('RUN npm run -s bundle:binance-live');
    const outfile = /--outfile=(\S+)/.exec(SCRIPT)![1]!;
    expect(instructions).toContain(`COPY --from=build /build/${outfile.replace(/[^/]+$/, '')} ./`);
    expect(instructions).toContain('USER node');
    expect(instructions.at(-1)).toBe(`CMD ["node", "--enable-source-maps", "${outfile.split('/').pop()}"]`);
    // The runtime stage runs nothing (no emulation needed for another platform).
    const runtime = instructions.slice(instructions.indexOf('FROM node:22-slim'));
    expect(runtime.filter((l) => l.startsWith('RUN '))).toEqual([]);
  });

  it('the build context holds every file the bundle is made of, and nothing of node_modules, cdk.out, .ticklake or .git', () => {
    const patterns = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    const ignore = IgnoreStrategy.docker(ROOT, patterns);
    const ours = inputs.filter((p) => !p.includes('node_modules/'));
    expect(ours).toContain('bin/binance-live.ts');
    for (const p of [...ours, 'package.json', 'package-lock.json', 'tsconfig.json']) expect(ignore.ignores(join(ROOT, p)), p).toBe(false);
    for (const p of [
      'node_modules/ws/index.js',
      'cdk.out/manifest.json',
      '.ticklake/lake/x',
      '.git/HEAD',
      'test/binance-live.test.ts',
      'lib/config.ts',
      'README.md',
    ]) {
      expect(ignore.ignores(join(ROOT, p)), p).toBe(true);
    }
    // COPY lines name only what the context holds.
    for (const l of instructions.filter((x) => x.startsWith('COPY ') && !x.includes('--from='))) {
      for (const src of l.split(/\s+/).slice(1, -1)) expect(ignore.ignores(join(ROOT, src)), src).toBe(false);
    }
  });
});
