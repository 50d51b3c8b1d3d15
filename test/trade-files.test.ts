import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { parseCsvTrade } from '../src/sources/binance-trades/binance.js';
import { readLineBatches, readLines, symbolFromFileName, writeSimulatedFile, type ReadProgress } from '../src/local/trade-files.js';
import { simulateRecords, simulationWindowUs } from '../src/sources/binance-trades/market.js';
import { BINANCE_CSV_HEADER } from '../src/sources/binance-trades/binance.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ticklake-trade-files-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(path: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const l of readLines(path)) lines.push(l);
  return lines;
}

function zipEntries(path: string): Promise<{ name: string; size: number; flags: number }[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: false }, (err, zip) => {
      if (err || !zip) return reject(err);
      const out: { name: string; size: number; flags: number }[] = [];
      zip.on('entry', (e: yauzl.Entry) => out.push({ name: e.fileName, size: e.uncompressedSize, flags: e.generalPurposeBitFlag }));
      zip.on('end', () => resolve(out));
      zip.on('error', reject);
    });
  });
}

describe('writeSimulatedFile + readLines round trips', () => {
  it.each([
    { timeUnit: 'ms' as const, header: true },
    { timeUnit: 'us' as const, header: false },
    { timeUnit: 'us' as const, header: true },
  ])('CSV with time in $timeUnit, header $header', async ({ timeUnit, header }) => {
    // Prepare
    const out = join(dir, `BTCUSDT-${timeUnit}-${header}.csv`);
    const config = { symbols: ['BTCUSDT'], minutes: 2, seed: 5, timeUnit };
    const expected = [...simulateRecords({ ...config, format: 'csv' })].map((r) => r.payload);

    // Act
    const result = await writeSimulatedFile({ ...config, out, format: 'csv', header });
    const lines = await collect(out);

    // Assess
    expect(result.records).toBe(expected.length);
    expect(result.files).toHaveLength(1);
    expect(lines).toEqual(header ? [BINANCE_CSV_HEADER, ...expected] : expected);
    const time = Number(lines[header ? 1 : 0]!.split(',')[4]);
    if (timeUnit === 'ms') expect(time).toBeLessThan(1e13);
    else expect(time).toBeGreaterThanOrEqual(1e15);
    const text = await readFile(out, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(Buffer.byteLength(text)).toBe(result.bytes);
  });

  it('JSON lines with several symbols and malformed records, empty payloads included', async () => {
    // Prepare
    const out = join(dir, 'mixed.jsonl');
    const config = { symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'], minutes: 2, seed: 8, malformedShare: 0.05, withOrderIds: true };
    const expected = [...simulateRecords({ ...config, format: 'jsonl' })];

    // Act
    const result = await writeSimulatedFile({ ...config, out, format: 'jsonl' });
    const lines = await collect(out);

    // Assess
    expect(result.records).toBe(expected.length);
    expect(result.malformed).toBe(expected.filter((r) => r.malformed).length);
    expect(result.malformed).toBeGreaterThan(0);
    expect(lines).toEqual(expected.map((r) => r.payload));
    expect(lines.some((l) => l.trim() === '')).toBe(true);
    const valid = lines.filter((_, i) => expected[i]!.malformed === undefined);
    expect(new Set(valid.map((l) => (JSON.parse(l) as { s: string }).s))).toEqual(new Set(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']));
  });

  it('zips like Binance: one CSV entry per symbol, same lines, reproducible bytes', async () => {
    // Prepare
    const zipDir = join(dir, 'zips');
    const plainDir = join(dir, 'plain');
    const config = { symbols: ['BTCUSDT', 'ETHUSDT'], minutes: 3, seed: 13, malformedShare: 0.01 };

    // Act
    const zipped = await writeSimulatedFile({ ...config, out: zipDir, format: 'csv', zip: true });
    const again = await writeSimulatedFile({ ...config, out: join(dir, 'zips-again'), format: 'csv', zip: true });
    const plain = await writeSimulatedFile({ ...config, out: plainDir, format: 'csv' });
    const btcZip = join(zipDir, 'BTCUSDT-trades-2026-11-02.zip');
    const entries = await zipEntries(btcZip);
    const fromZip = await collect(btcZip);
    const fromCsv = await collect(join(plainDir, 'BTCUSDT-trades-2026-11-02.csv'));

    // Assess
    expect((await readdir(zipDir)).sort()).toEqual(['BTCUSDT-trades-2026-11-02.zip', 'ETHUSDT-trades-2026-11-02.zip']);
    expect(entries).toEqual([{ name: 'BTCUSDT-trades-2026-11-02.csv', size: plain.files[0]!.bytes, flags: 0x0808 }]);
    expect(fromZip).toEqual(fromCsv);
    expect(fromZip).toHaveLength(zipped.files[0]!.records + 1);
    expect(zipped.files[0]!.bytes).toBeLessThan(zipped.files[0]!.textBytes / 2);
    expect(await readFile(again.files[0]!.path)).toEqual(await readFile(zipped.files[0]!.path));
  });

  it('writes a single zip file when the path ends in .zip', async () => {
    // Prepare
    const out = join(dir, 'stream.zip');

    // Act
    const result = await writeSimulatedFile({ out, format: 'jsonl', minutes: 1, seed: 2 });
    const entries = await zipEntries(out);
    const lines = await collect(out);

    // Assess
    expect(result.files.map((f) => [f.path, f.zipEntry])).toEqual([[out, 'stream.jsonl']]);
    expect(entries.map((e) => e.name)).toEqual(['stream.jsonl']);
    expect(lines).toHaveLength(result.records);
  });

  it('writes files a reader of real Binance files accepts', async () => {
    // Prepare
    const out = join(dir, 'real-shaped');
    const { endUs } = simulationWindowUs({ minutes: 2 });

    // Act
    const result = await writeSimulatedFile({ out, format: 'csv', symbols: ['DOGEUSDT', 'XRPUSDT'], minutes: 2, seed: 1, trimZeros: true });
    const outcomes: boolean[] = [];
    for (const f of result.files) {
      const symbol = symbolFromFileName(f.path)!;
      for await (const line of readLines(f.path)) {
        if (line === BINANCE_CSV_HEADER) continue;
        outcomes.push(parseCsvTrade(line, symbol, { nowUs: endUs }).ok);
      }
    }

    // Assess
    expect(result.files.map((f) => symbolFromFileName(f.path))).toEqual(['DOGEUSDT', 'XRPUSDT']);
    expect(outcomes.length).toBe(result.records);
    expect(outcomes.every(Boolean)).toBe(true);
  });

  it('refuses several symbols in one CSV file (Binance CSVs have no symbol column)', async () => {
    // Act
    const act = writeSimulatedFile({ out: join(dir, 'two.csv'), format: 'csv', symbols: ['BTCUSDT', 'ETHUSDT'], minutes: 1 });

    // Assess
    await expect(act).rejects.toThrow(/one symbol/);
  });
});

describe('readLines', () => {
  it('handles CRLF, a byte-order mark, a missing final newline and keeps inner empty lines', async () => {
    // Prepare
    const path = join(dir, 'crlf.csv');
    await writeFile(path, '\ufeffid,price\r\n1,2\r\n\r\n3,4');

    // Act
    const lines = await collect(path);

    // Assess
    expect(lines).toEqual(['id,price', '1,2', '', '3,4']);
  });

  it('splits lines across chunk boundaries and multi-byte characters', async () => {
    // Prepare
    const path = join(dir, 'small-chunks.jsonl');
    const expected = Array.from({ length: 500 }, (_, i) => `{"i":${i},"t":"${'é€'.repeat(i % 7)}"}`);
    await writeFile(path, `${expected.join('\n')}\n`);

    // Act
    const lines: string[] = [];
    for await (const batch of readLineBatches(path, { chunkSize: 7 })) lines.push(...batch);

    // Assess
    expect(lines).toEqual(expected);
  });

  it('reads gzip files and reports byte progress up to the total', async () => {
    // Prepare
    const path = join(dir, 'lines.csv.gz');
    const expected = Array.from({ length: 20_000 }, (_, i) => `${i},${i * 2}`);
    await writeFile(path, gzipSync(`${expected.join('\n')}\n`));
    const progress: ReadProgress[] = [];

    // Act
    const lines: string[] = [];
    for await (const l of readLines(path, { chunkSize: 4096, onProgress: (p) => progress.push(p) })) lines.push(l);

    // Assess
    expect(lines).toEqual(expected);
    expect(progress.length).toBeGreaterThan(0);
    const last = progress[progress.length - 1]!;
    expect(last.bytesRead).toBe(last.totalBytes);
  });

  it('reports progress through a zip entry and stops cleanly when the reader breaks early', async () => {
    // Prepare
    const out = join(dir, 'progress.zip');
    const written = await writeSimulatedFile({ out, format: 'csv', symbols: ['BTCUSDT'], minutes: 2, seed: 3 });
    const progress: ReadProgress[] = [];

    // Act
    let n = 0;
    for await (const _ of readLines(out, { onProgress: (p) => progress.push(p) })) n++;
    const firstTwo: string[] = [];
    for await (const l of readLines(out)) {
      firstTwo.push(l);
      if (firstTwo.length === 2) break;
    }

    // Assess
    expect(n).toBe(written.records + 1);
    expect(progress[progress.length - 1]).toEqual({ bytesRead: written.files[0]!.textBytes, totalBytes: written.files[0]!.textBytes });
    expect(firstTwo[0]).toBe(BINANCE_CSV_HEADER);
  });

  it('rejects a zip without a text entry', async () => {
    // Prepare: an empty zip is just the end-of-central-directory record.
    const path = join(dir, 'empty.zip');
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    await writeFile(path, eocd);

    // Act
    const act = collect(path);

    // Assess
    await expect(act).rejects.toThrow(/no CSV or JSON lines entry/);
  });
});

describe('symbolFromFileName', () => {
  it('reads the symbol from Binance file names only', () => {
    // Assess
    expect(symbolFromFileName('/data/BTCUSDT-trades-2026-11-02.zip')).toBe('BTCUSDT');
    expect(symbolFromFileName('ETHUSDT-trades-2024-01-01.csv')).toBe('ETHUSDT');
    expect(symbolFromFileName('trades-2026-11-02.jsonl')).toBeUndefined();
  });
});
