import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStreamTransform } from '../src/ingest/stream-transform.js';
import { FileObjectStore } from '../src/local/file-object-store.js';
import { DUCKDB_TYPE } from '../src/local/lake-sql.js';
import type { TableSchema } from '../src/lake/table-schema.js';
import { STREAM_TRANSFORM_TABLES, TABLES } from '../src/catalog.js';
import { SOURCES } from '../src/sources/index.js';
import { kinesisEvent, tradeMessage } from './helpers/kinesis-events.js';
import { duck, parquetFiles, readWithHyparquet, tempDir, withLake } from './helpers/lake-files.js';

/** Parquet physical/converted type each Glue type must be written as. */
const PARQUET_OF: Record<string, string> = {
  string: 'BYTE_ARRAY/UTF8',
  bigint: 'INT64/',
  int: 'INT32/',
  double: 'DOUBLE/',
  boolean: 'BOOLEAN/',
  timestamp: 'INT64/TIMESTAMP_MICROS',
  date: 'INT32/DATE',
};

/** One batch with a few records of every simulated source (so every table the transform writes gets a file) and two bad ones. */
async function writeOneBatch() {
  const root = tempDir();
  const handler = createStreamTransform({ lake: new FileObjectStore(root), clock: () => Date.UTC(2026, 10, 2, 12) });
  const T = Date.UTC(2026, 10, 2, 11, 30);
  const simulated = SOURCES.flatMap((src) => {
    if (!src.simulator) return [];
    const records = src.simulator.simulate({ minutes: 2, seed: 3, startTimeMs: T, malformedShare: 0, extra: {} });
    return [...records].slice(0, 20).map((r) => ({ data: r.payload, partitionKey: r.partitionKey }));
  });
  await handler(kinesisEvent([tradeMessage({ t: 7, T }), tradeMessage({ t: 8, T: T + 5, m: false }), ...simulated, '{"e":"trade"}', '']));
  return root;
}

/** Every table the transform writes, from the registry: a new source's tables are checked too. */
const handlerTables = STREAM_TRANSFORM_TABLES;

describe('lake files follow glue-schemas/', () => {
  it.each(handlerTables.map((t) => [t.name, t] as const))('%s: Parquet columns and types equal the schema (DuckDB)', async (_name, table: TableSchema) => {
    // Prepare
    const root = await writeOneBatch();
    const files = parquetFiles(join(root, table.zone, table.name));
    expect(files.length).toBeGreaterThan(0);
    // Act
    const described = await duck(`DESCRIBE SELECT * FROM read_parquet('${join(root, table.zone, table.name, files[0]!)}', hive_partitioning = false)`);
    // Assess
    expect(described.map((d) => [d.column_name, d.column_type])).toEqual(table.columns.map((c) => [c.name, DUCKDB_TYPE[c.type]]));
  });

  it.each(handlerTables.map((t) => [t.name, t] as const))(
    '%s: Parquet physical types equal the schema (hyparquet, a second reader)',
    async (_name, table: TableSchema) => {
      // Prepare
      const root = await writeOneBatch();
      const file = join(root, table.zone, table.name, parquetFiles(join(root, table.zone, table.name))[0]!);
      // Act
      const { schema } = await readWithHyparquet(file);
      // Assess
      expect(schema.map((s) => `${s.name}:${s.type}/${s.converted_type ?? ''}`)).toEqual(table.columns.map((c) => `${c.name}:${PARQUET_OF[c.type]}`));
    },
  );

  it('hyparquet reads back the same trade values DuckDB does', async () => {
    // Prepare
    const root = await writeOneBatch();
    const dir = join(root, 'curated', 'trades');
    const file = join(dir, parquetFiles(dir)[0]!);
    // Act
    const rows = (await readWithHyparquet(file)).rows.sort((a, b) => Number(a.trade_id) - Number(b.trade_id));
    const viaDuck = await duck(`SELECT trade_id, price, quantity, is_buyer_maker, epoch_us(trade_time) AS us FROM read_parquet('${file}') ORDER BY trade_id`);
    // Assess
    expect(rows.map((r) => [Number(r.trade_id), r.price, r.quantity, r.is_buyer_maker])).toEqual(
      viaDuck.map((r) => [Number(r.trade_id), r.price, r.quantity, r.is_buyer_maker]),
    );
    expect(rows.map((r) => (r.trade_time as Date).getTime() * 1000)).toEqual(viaDuck.map((r) => Number(r.us)));
    expect(rows[1]!.is_buyer_maker).toBe(false);
  });

  it('the local SQL views expose every schema column and partition key with its type', async () => {
    // Prepare
    const root = await writeOneBatch();
    await withLake(root, async (sql) => {
      for (const table of handlerTables) {
        // Act
        const r = await sql.query(`DESCRIBE ${table.name}`);
        // Assess
        const expected = [...table.columns, ...table.partitionKeys].map((c) => [c.name, DUCKDB_TYPE[c.type]]);
        expect(r.rows.map((row) => [row[0], row[1]])).toEqual(expected);
      }
    });
  });

  it('views of tables with no files yet are empty but typed', async () => {
    // Prepare
    await withLake(tempDir(), async (sql) => {
      // Act
      const r = await sql.query('SELECT count(*) AS n FROM trades');
      const d = await sql.query('DESCRIBE trades');
      // Assess
      expect(r.rows).toEqual([[0]]);
      expect(d.rows.length).toBe(TABLES.trades!.columns.length + TABLES.trades!.partitionKeys.length);
    });
  });
});
