import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { handler as render } from '../lambdas/backfill/render.js';
import { BACKFILL_RUNS_PREFIX, markerKey, type StagedBackfill } from '../src/backfill/plan.js';
import { publishBackfill } from '../src/backfill/publish.js';
import { stageUploads } from '../src/adapters/aws/backfill-s3.js';
import { S3ObjectStore } from '../src/adapters/aws/s3-object-store.js';
import { readLines, writeSimulatedFile } from '../src/local/trade-files.js';
import { SYMBOL_PRESETS } from '../src/sources/binance-trades/market.js';
import { csvTimeToMicros } from '../src/sources/binance-trades/binance.js';
import { tempDir } from './helpers/lake-files.js';
import { useS3rver } from './helpers/s3rver.js';

// s3rver is a real S3-compatible HTTP server: the real SDK v3 client talks to it over HTTP.
const BUCKET = 'ticklake-backfill-test';
const NOW = '2026-11-22T00:00:00.000Z';
const local = useS3rver(BUCKET);

const put = (key: string, body: Uint8Array | string) => local.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
const get = async (key: string) => Buffer.from(await (await local.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToByteArray());

async function simulated(zip: boolean, symbol: string) {
  const res = await writeSimulatedFile({ out: tempDir(), format: 'csv', symbols: [symbol], minutes: 2, seed: 5, zip, startTimeMs: Date.UTC(2026, 10, 2, 5) });
  return res.files[0]!.path;
}

describe('backfill stage step (StageUploads) against s3rver', () => {
  it('streams each file (zip or csv) to gzip into per-piece prefixes, after clearing the run', async () => {
    // Prepare: a Binance zip and a csv uploaded under raw/backfill/, a leftover of an earlier attempt
    const zip = await simulated(true, 'BTCUSDT');
    const csv = await simulated(false, 'ETHUSDT');
    await put(`raw/backfill/batch-1/${basename(zip)}`, readFileSync(zip));
    await put(`raw/backfill/batch-1/${basename(csv)}`, readFileSync(csv));
    await put(`raw/backfill/batch-1/README.txt`, 'not a trade file');
    await put(`${BACKFILL_RUNS_PREFIX}run-1/out/0/trades/dt=2026-11-02/hour=05/leftover`, 'old');
    const zipLines = [];
    for await (const l of readLines(zip)) zipLines.push(l);
    // Act
    const staged = await stageUploads(
      local.s3,
      BUCKET,
      { request: { uploadPrefix: 'raw/backfill/batch-1' }, runId: 'run-1', startedAt: NOW },
      { maxConcurrency: 3, partSize: 5 * 1024 * 1024 },
    );
    // Assess
    expect(staged.run).toEqual({ runId: 'run-1', processingTimeUs: Date.parse(NOW) * 1000, lakeRoot: `s3://${BUCKET}/`, maxConcurrency: 3 });
    expect(staged.files.map((f) => [f.index, f.symbol, f.sourceName])).toEqual([
      [0, 'BTCUSDT', basename(zip)],
      [1, 'ETHUSDT', basename(csv)],
    ]);
    expect(staged.files[0]!.linesLocation).toBe(`s3://${BUCKET}/_backfill/runs/run-1/lines/0/`);
    const k0 = staged.files[0]!.key;
    const k1 = staged.files[1]!.key;
    expect(await local.keys(`${BACKFILL_RUNS_PREFIX}run-1/`)).toEqual([
      `_backfill/runs/run-1/lines/0/${k0}.csv.gz`,
      `_backfill/runs/run-1/lines/1/${k1}.csv.gz`,
    ]);
    const unzipped = gunzipSync(await get(`_backfill/runs/run-1/lines/0/${k0}.csv.gz`)).toString('utf8');
    expect(unzipped.split('\n').filter((l) => l !== '')).toEqual(zipLines);
    expect(gunzipSync(await get(`_backfill/runs/run-1/lines/1/${k1}.csv.gz`)).equals(readFileSync(csv))).toBe(true);
  });

  it('splits a file spanning three days into one gzipped piece per UTC day, in file order, with their line offsets', async () => {
    // Prepare: three days of thin BTCUSDT trades in one zip, starting at 22:00 the day before
    const start = Date.UTC(2026, 10, 1, 22);
    const written = await writeSimulatedFile({
      out: `${tempDir()}/BTCUSDT-trades-2026-11.zip`,
      format: 'csv',
      symbols: [{ ...SYMBOL_PRESETS.BTCUSDT!, meanRatePerSec: 0.05 }],
      minutes: 3 * 1440,
      seed: 9,
      startTimeMs: start,
    });
    const zip = written.files[0]!.path;
    await put(`raw/backfill/multi/${basename(zip)}`, readFileSync(zip));
    const lines: string[] = [];
    for await (const l of readLines(zip)) lines.push(l);
    // Act
    const staged = await stageUploads(
      local.s3,
      BUCKET,
      { request: { uploadPrefix: 'raw/backfill/multi/' }, runId: 'run-m', startedAt: NOW },
      { maxConcurrency: 2 },
    );
    // Assess: days 11-01 (2 h), 11-02, 11-03, 11-04 (22 h); every piece in its own prefix, named after the file
    expect(staged.files.map((f) => [f.index, f.fileIndex, f.key, f.day])).toEqual(
      ['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04'].map((day, i) => [i, 0, 'BTCUSDT-trades-2026-11', day]),
    );
    const pieces = await Promise.all(
      staged.files.map(async (f) => gunzipSync(await get(`_backfill/runs/run-m/lines/${f.index}/BTCUSDT-trades-2026-11.csv.gz`)).toString('latin1')),
    );
    const pieceLines = pieces.map((p) => p.split('\n').filter((l) => l !== ''));
    expect(pieceLines.flat()).toEqual(lines);
    let offset = 0;
    for (const [i, f] of staged.files.entries()) {
      expect(f.lineOffset).toBe(offset);
      expect(f.linesLocation).toBe(`s3://${BUCKET}/_backfill/runs/run-m/lines/${i}/`);
      // Every line but the header has its piece's day.
      const days = new Set(
        pieceLines[i]!.filter((l) => !l.startsWith('id,')).map((l) => new Date(csvTimeToMicros(Number(l.split(',')[4])) / 1000).toISOString().slice(0, 10)),
      );
      expect([...days]).toEqual([f.day]);
      offset += pieceLines[i]!.length;
    }
  });

  it('refuses prefixes outside raw/backfill/ and files whose symbol it cannot tell, before staging anything', async () => {
    // Prepare
    await put('raw/backfill/anonymous/trades.csv', '1,1.0,1.0,1.0,1700000000000,True,True\n');
    // Act
    const outside = stageUploads(local.s3, BUCKET, { request: { uploadPrefix: 'curated/trades/' }, runId: 'run-2', startedAt: NOW }, { maxConcurrency: 1 });
    const noSymbol = stageUploads(
      local.s3,
      BUCKET,
      { request: { uploadPrefix: 'raw/backfill/anonymous/' }, runId: 'run-2', startedAt: NOW },
      { maxConcurrency: 1 },
    );
    // Assess
    await expect(outside).rejects.toThrow(/must be under raw\/backfill\//);
    await expect(noSymbol).rejects.toThrow(/cannot tell the symbol/);
    expect(await local.keys(`${BACKFILL_RUNS_PREFIX}run-2/`)).toEqual([]);
  });
});

describe('backfill render step (RenderStatements)', () => {
  it("renders the file's Athena statements: external table over its prefix, UNLOADs partitioned by dt and a zero-padded hour", async () => {
    // Prepare
    const event = {
      run: { runId: 'exec-7', processingTimeUs: Date.parse(NOW) * 1000, lakeRoot: 's3://lake/', maxConcurrency: 4 },
      file: {
        index: 2,
        key: 'BTCUSDT-trades-2026-11-02',
        symbol: 'BTCUSDT',
        sourceName: 'BTCUSDT-trades-2026-11-02.zip',
        linesLocation: 's3://lake/_backfill/runs/exec-7/lines/2/',
      },
    };
    // Act
    const sql = await render(event);
    // Assess
    expect(sql.createLines).toMatch(/^CREATE EXTERNAL TABLE IF NOT EXISTS backfill_lines_exec_7_2 \(line string\)/);
    expect(sql.createLines).toContain("LOCATION 's3://lake/_backfill/runs/exec-7/lines/2/'");
    expect(sql.trades).toMatch(/^UNLOAD \(SELECT .* FROM \(SELECT/s);
    expect(sql.trades).toContain(
      "TO 's3://lake/_backfill/runs/exec-7/out/2/trades/' WITH (format = 'PARQUET', compression = 'GZIP', partitioned_by = ARRAY['dt', 'hour'])",
    );
    expect(sql.quarantine).toContain("TO 's3://lake/_backfill/runs/exec-7/out/2/quarantine/'");
    expect(sql.barPartials).toContain("'backfill-BTCUSDT-trades-2026-11-02' AS batch_id");
    for (const s of [sql.trades, sql.quarantine, sql.barPartials]) expect(s).toContain("lpad(CAST(hour AS VARCHAR), 2, '0') AS hour");
    expect(sql.dropLines).toBe('DROP TABLE IF EXISTS backfill_lines_exec_7_2');
  });
});

describe('backfill publish step (PublishOutputs) against s3rver', () => {
  const file = (index: number, key: string) => ({ index, key, symbol: 'BTCUSDT', sourceName: `${key}.zip`, linesLocation: '' });
  const run = (runId: string): StagedBackfill['run'] => ({ runId, processingTimeUs: 0, lakeRoot: `s3://${BUCKET}/`, maxConcurrency: 1 });
  const out = (runId: string, index: number) => `${BACKFILL_RUNS_PREFIX}${runId}/out/${index}/`;

  it('publishes under deterministic names, replaces an earlier publication of the same file, and clears staging', async () => {
    // Prepare: run a stages two trades objects in hour 05 and one quarantine object; run b (a rerun) stages one trades object in hour 06
    const store = new S3ObjectStore(local.s3, BUCKET);
    await put(`${out('pub-a', 0)}trades/dt=2026-11-02/hour=05/20261122_a_00000`, 'PAR1 a0');
    await put(`${out('pub-a', 0)}trades/dt=2026-11-02/hour=05/20261122_a_00001`, 'PAR1 a1');
    await put(`${out('pub-a', 0)}quarantine/dt=2026-11-22/hour=00/20261122_q_00000`, 'PAR1 q');
    const f = file(0, 'BTCUSDT-trades-2026-11-02');
    // Act: publish run a, then run b of the same file
    const a = await publishBackfill(store, { run: run('pub-a'), files: [f], results: [{ index: 0, key: f.key, ok: true }] });
    const afterA = await local.keys('curated/');
    const markerA = JSON.parse((await get(markerKey(f.key))).toString('utf8'));
    const quarantineA = (await get(`quarantine/quarantine/dt=2026-11-22/hour=00/backfill-${f.key}-0.parquet`)).toString();
    await put(`${out('pub-b', 0)}trades/dt=2026-11-02/hour=06/20261123_b_00000`, 'PAR1 b0');
    const b = await publishBackfill(store, { run: run('pub-b'), files: [f], results: [{ index: 0, key: f.key, ok: true }] });
    // Assess
    expect(a).toEqual({ published: [{ key: f.key, objects: 3, superseded: 0 }], failedFiles: 0, failureSummary: '' });
    expect(afterA).toEqual([
      `curated/trades/dt=2026-11-02/hour=05/backfill-${f.key}-0.parquet`,
      `curated/trades/dt=2026-11-02/hour=05/backfill-${f.key}-1.parquet`,
    ]);
    expect(quarantineA).toBe('PAR1 q');
    expect(markerA).toMatchObject({ runId: 'pub-a', objects: expect.arrayContaining(afterA) });
    expect(markerA.pending).toBeUndefined();
    expect(b.published).toEqual([{ key: f.key, objects: 1, superseded: 3 }]);
    expect([...(await local.keys('curated/')), ...(await local.keys('quarantine/'))]).toEqual([
      `curated/trades/dt=2026-11-02/hour=06/backfill-${f.key}-0.parquet`,
    ]);
    expect(await local.keys(`${BACKFILL_RUNS_PREFIX}pub-`)).toEqual([]);
  });

  it('publishing the same staging again (a retried step) leaves exactly the same objects', async () => {
    // Prepare
    const store = new S3ObjectStore(local.s3, BUCKET);
    const f = file(0, 'ETHUSDT-trades-2026-11-03');
    await put(`${out('pub-c', 0)}bar_partials/dt=2026-11-03/hour=00/x0`, 'PAR1 p');
    await put(`${out('pub-c', 0)}bar_partials/dt=2026-11-03/hour=01/x0`, 'PAR1 p');
    const input = { run: run('pub-c'), files: [f], results: [{ index: 0, key: f.key, ok: true }] };
    // Act: the first attempt is interrupted after its copies (the staging is still there), then retried
    const interrupted = new (class extends S3ObjectStore {
      override async delete(): Promise<void> {
        throw new Error('interrupted');
      }
    })(local.s3, BUCKET);
    await publishBackfill(interrupted, input).catch(() => undefined);
    const first = await local.keys('aggregate/');
    await publishBackfill(store, input);
    // Assess
    expect(first).toHaveLength(2);
    expect(await local.keys('aggregate/')).toEqual(first);
    expect(JSON.parse((await get(markerKey(f.key))).toString('utf8')).objects.sort()).toEqual(first);
  });

  it('reports failed files and leaves their earlier publication alone', async () => {
    // Prepare
    const store = new S3ObjectStore(local.s3, BUCKET);
    const f = file(0, 'SOLUSDT-trades-2026-11-04');
    await put(
      markerKey(f.key),
      JSON.stringify({ runId: 'older', objects: ['curated/trades/dt=2026-11-04/hour=00/backfill-SOLUSDT-trades-2026-11-04-0.parquet'] }),
    );
    await put('curated/trades/dt=2026-11-04/hour=00/backfill-SOLUSDT-trades-2026-11-04-0.parquet', 'PAR1 old');
    // Act
    const r = await publishBackfill(store, {
      run: run('pub-d'),
      files: [f],
      results: [{ index: 0, key: f.key, ok: false, error: { Error: 'States.TaskFailed', Cause: 'HIVE_BAD_DATA' } }],
    });
    // Assess
    expect(r).toEqual({ published: [], failedFiles: 1, failureSummary: 'SOLUSDT-trades-2026-11-04.zip: States.TaskFailed (HIVE_BAD_DATA)' });
    expect(await local.keys('curated/trades/dt=2026-11-04/')).toEqual(['curated/trades/dt=2026-11-04/hour=00/backfill-SOLUSDT-trades-2026-11-04-0.parquet']);
  });
});
