import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONVERTED, type CellValue, type ColumnChunkInput, type PhysicalType, writeParquetFile } from '../src/lake/parquet/file-writer.js';
import { PlainByteArrays } from '../src/lake/parquet/plain-byte-arrays.js';
import { readWithHyparquet, tempDir } from './helpers/lake-files.js';

const dir = tempDir('ticklake-parquet-');
let db: DuckDBInstance;
let duck: DuckDBConnection;
beforeAll(async () => {
  db = await DuckDBInstance.create(':memory:');
  duck = await db.connect();
});
afterAll(() => {
  duck.closeSync();
  db.closeSync();
});

let fileNo = 0;
function writeFile(columns: ColumnChunkInput[]): string {
  const path = join(dir, `f${fileNo++}.parquet`);
  writeFileSync(path, writeParquetFile({ columns, keyValueMetadata: [{ key: 'k', value: 'v' }], createdBy: 'test' }));
  return path;
}

/** Values as both readers hand them back: INT64 as bigint, the rest as JS values. */
function expected(type: PhysicalType, v: CellValue): unknown {
  if (v === null) return null;
  return type === 'INT64' ? BigInt(v as number) : v;
}

const valueArb: Record<PhysicalType, fc.Arbitrary<CellValue>> = {
  // Few distinct values (dictionary pages) mixed with arbitrary Unicode.
  BYTE_ARRAY: fc.oneof(fc.constantFrom('BTCUSDT', 'ETHUSDT', '', 'ü€😀'), fc.string({ unit: 'grapheme', maxLength: 30 })),
  INT64: fc.oneof(fc.maxSafeInteger(), fc.integer({ min: -5, max: 5 })),
  INT32: fc.integer(),
  DOUBLE: fc.double({ noNaN: true }),
  BOOLEAN: fc.boolean(),
};

const columnArb = fc
  .record({
    type: fc.constantFrom<PhysicalType>('BYTE_ARRAY', 'INT64', 'INT32', 'DOUBLE', 'BOOLEAN'),
    optional: fc.boolean(),
    dictionary: fc.boolean(),
    statistics: fc.boolean(),
  })
  .map((c) => ({ ...c, convertedType: c.type === 'BYTE_ARRAY' ? CONVERTED.UTF8 : undefined }));

/** A table: 1-5 columns of random types and options, 0-300 rows, nulls only in optional columns. */
const tableArb = fc
  .array(columnArb, { minLength: 1, maxLength: 5 })
  .chain((cols) =>
    fc
      .integer({ min: 0, max: 300 })
      .chain((rows) =>
        fc
          .tuple(
            ...cols.map((c) =>
              fc.array(c.optional ? fc.option(valueArb[c.type], { nil: null, freq: 4 }) : valueArb[c.type], { minLength: rows, maxLength: rows }),
            ),
          )
          .map((values) => cols.map((c, i): ColumnChunkInput => ({ name: `c${i}`, ...c, values: values[i]! }))),
      ),
  );

describe('Parquet file writer', () => {
  it('writes files DuckDB and hyparquet read back value for value (property)', async () => {
    await fc.assert(
      fc.asyncProperty(tableArb, async (columns) => {
        // Prepare
        const path = writeFile(columns);
        const values = columns.map((c) => c.values as readonly CellValue[]);
        const want = values[0]!.map((_, r) => Object.fromEntries(columns.map((c, i) => [c.name, expected(c.type, values[i]![r]!)])));
        // Act
        const viaDuck = (await duck.runAndReadAll(`SELECT * FROM read_parquet('${path}')`)).getRowObjectsJS();
        const viaHyparquet = (await readWithHyparquet(path)).rows;
        // Assess
        expect(viaDuck).toEqual(want);
        expect(viaHyparquet).toEqual(want);
      }),
      { numRuns: 60 },
    );
  });

  it('writes min/max statistics and null counts readers agree with (property)', async () => {
    const statsColumn = fc
      .constantFrom<PhysicalType>('BYTE_ARRAY', 'INT64', 'INT32')
      .chain((type) => fc.array(fc.option(valueArb[type], { nil: null, freq: 5 }), { minLength: 1, maxLength: 200 }).map((values) => ({ type, values })));
    await fc.assert(
      fc.asyncProperty(statsColumn, async ({ type, values }) => {
        // Prepare
        const path = writeFile([
          { name: 'c', type, optional: true, dictionary: false, statistics: true, convertedType: type === 'BYTE_ARRAY' ? CONVERTED.UTF8 : undefined, values },
        ]);
        const present = values.filter((v) => v !== null);
        const order = (a: CellValue, b: CellValue) =>
          type === 'BYTE_ARRAY' ? Buffer.compare(Buffer.from(a as string), Buffer.from(b as string)) : (a as number) - (b as number);
        const sorted = [...present].sort(order);
        // Act
        const [meta] = (
          await duck.runAndReadAll(`SELECT stats_min_value AS lo, stats_max_value AS hi, stats_null_count AS nulls FROM parquet_metadata('${path}')`)
        ).getRowObjectsJS();
        // Assess
        expect(meta!.nulls).toBe(BigInt(values.length - present.length));
        expect(meta!.lo).toBe(sorted.length ? String(sorted[0]) : null);
        expect(meta!.hi).toBe(sorted.length ? String(sorted[sorted.length - 1]) : null);
      }),
      { numRuns: 40 },
    );
  });

  it('lets DuckDB skip a file by its statistics alone', async () => {
    // Prepare
    const column = (statistics: boolean): ColumnChunkInput => ({
      name: 'id',
      type: 'INT64',
      optional: false,
      dictionary: false,
      statistics,
      values: [10, 20, 30],
    });
    const withStats = writeFile([column(true)]);
    const without = writeFile([column(false)]);
    const plan = async (path: string) =>
      JSON.stringify((await duck.runAndReadAll(`EXPLAIN SELECT count(*) FROM read_parquet('${path}') WHERE id > 100`)).getRowObjectsJS());
    // Act
    const pruned = await plan(withStats);
    const scanned = await plan(without);
    // Assess: min/max prove no row can match, so the scan is planned away.
    expect(pruned).toContain('EMPTY_RESULT');
    expect(scanned).not.toContain('EMPTY_RESULT');
  });

  it('falls back from a dictionary to PLAIN when the values do not repeat', async () => {
    // Prepare
    const values = Array.from({ length: 5000 }, (_, i) => `v${i}`);
    // Act
    const path = writeFile([{ name: 's', type: 'BYTE_ARRAY', convertedType: CONVERTED.UTF8, optional: false, dictionary: true, statistics: false, values }]);
    const meta = (await duck.runAndReadAll(`SELECT encodings FROM parquet_metadata('${path}')`)).getRowObjectsJS();
    const back = (await duck.runAndReadAll(`SELECT s FROM read_parquet('${path}')`)).getRowObjectsJS().map((r) => r.s);
    // Assess
    expect(meta[0]!.encodings).toBe('PLAIN');
    expect(back).toEqual(values);
  });

  it('dictionary-encodes repeating values and records the encoding', async () => {
    // Prepare
    const values = Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? 'BTCUSDT' : 'ETHUSDT'));
    // Act
    const path = writeFile([{ name: 's', type: 'BYTE_ARRAY', convertedType: CONVERTED.UTF8, optional: false, dictionary: true, statistics: false, values }]);
    const meta = (await duck.runAndReadAll(`SELECT encodings FROM parquet_metadata('${path}')`)).getRowObjectsJS();
    const back = (await readWithHyparquet(path)).rows.map((r) => r.s);
    // Assess
    expect(String(meta[0]!.encodings)).toContain('RLE_DICTIONARY');
    expect(back).toEqual(values);
  });

  it('writes a column built in PLAIN layout from base64 payloads, invalid UTF-8 stored as U+FFFD (property)', async () => {
    // Prepare: arbitrary byte payloads, as Kinesis may carry them.
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 40 }),
            fc.string({ unit: 'grapheme', maxLength: 20 }).map((t) => new Uint8Array(Buffer.from(t))),
          ),
          { maxLength: 50 },
        ),
        async (payloads) => {
          const column = new PlainByteArrays();
          const texts = payloads.map((p) => column.appendBase64(Buffer.from(p).toString('base64')));
          column.appendText('tail ü');
          // Act
          const path = writeFile([
            { name: 'data', type: 'BYTE_ARRAY', convertedType: CONVERTED.UTF8, optional: false, dictionary: false, statistics: false, values: column },
          ]);
          const viaDuck = (await duck.runAndReadAll(`SELECT data FROM read_parquet('${path}')`)).getRowObjectsJS().map((r) => r.data);
          const viaHyparquet = (await readWithHyparquet(path)).rows.map((r) => r.data);
          // Assess: the text each payload decodes to, which is the payload itself when it is valid UTF-8.
          const want = [...payloads.map((p) => Buffer.from(p).toString('utf8')), 'tail ü'];
          expect(texts).toEqual(want.slice(0, -1));
          expect(viaDuck).toEqual(want);
          expect(viaHyparquet).toEqual(want);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('rejects columns of unequal length', () => {
    // Act / Assess
    expect(() =>
      writeParquetFile({
        columns: [
          { name: 'a', type: 'INT32', optional: false, dictionary: false, statistics: false, values: [1, 2] },
          { name: 'b', type: 'INT32', optional: false, dictionary: false, statistics: false, values: [1] },
        ],
      }),
    ).toThrow(/column b: 1 values, expected 2/);
  });
});
