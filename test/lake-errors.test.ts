/** What a user is told when a lake file cannot be read: DuckDB's own errors for the ways a file is not Parquet. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { explainLakeError } from '../src/local/lake-errors.js';
import { tempDir } from './helpers/lake-files.js';

async function engineError(sql: string): Promise<string> {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  try {
    await c.runAndReadAll(sql);
    return '';
  } catch (e) {
    return (e as Error).message.split('\n')[0]!;
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

describe('explainLakeError', () => {
  it.each([
    ['empty', Buffer.alloc(0)],
    ['cut short', Buffer.from('PAR1\u0015\u0004\u0015\u0080')],
    ['magic bytes without a footer', Buffer.from('PAR1 not a footer PAR1')],
    ['JSON', Buffer.from(JSON.stringify({ symbol: 'BTCUSDT' }).repeat(10))],
  ])('names the file and what to do when it is %s', async (_name, bytes) => {
    // Prepare
    const file = join(tempDir(), 'shardId-000000000000-1-2.parquet');
    writeFileSync(file, bytes);
    // Act
    const message = explainLakeError(await engineError(`SELECT count(*) FROM read_parquet('${file}')`));
    // Assess
    expect(message).toContain(file);
    expect(message).toMatch(/not readable Parquet: move it out of the lake folder/);
    expect(explainLakeError(message)).toBe(message); // explained once, however often it passes through
  });

  it('leaves other errors as they are', async () => {
    // Act
    const message = await engineError('SELECT * FROM no_such_table');
    // Assess
    expect(message).toMatch(/no_such_table/);
    expect(explainLakeError(message)).toBe(message);
  });
});
