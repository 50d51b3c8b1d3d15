import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { readOutputs, smokeMessages } from '../../lib/tools/localstack-smoke.js';
import { entriesFromLines, MAX_RECORDS_PER_CALL, putAll } from '../../lib/tools/put-records.js';
import { parsePayload } from '../../src/sources/binance-trades/binance.js';
import { SHIPPED_DIMENSIONS } from '../../lib/catalog/derived-views.js';
import { dimensionObjects } from '../../lib/tools/seed-dimensions.js';
import { readWithHyparquet } from '../helpers/lake-files.js';

describe('put-records tool', () => {
  it('keys each message by its symbol and keeps malformed lines as they are', () => {
    const e = entriesFromLines(['{"e":"trade","s":"ETHUSDT"}', '', '{"broken', '  {"s":"BTCUSDT"}  ']);
    expect(e.map((x) => x.PartitionKey)).toEqual(['ETHUSDT', 'unknown', 'BTCUSDT']);
    expect(Buffer.from(e[1]!.Data!).toString()).toBe('{"broken');
  });

  it('sends at most 500 records per call and resends the ones a call rejects', async () => {
    const calls: number[] = [];
    let rejectOnce = true;
    const client = {
      send: async (cmd: PutRecordsCommand) => {
        const records = cmd.input.Records!;
        calls.push(records.length);
        const reject = rejectOnce && records.length > 10;
        if (reject) rejectOnce = false;
        return { Records: records.map((_, i) => (reject && i < 3 ? { ErrorCode: 'ProvisionedThroughputExceededException' } : { SequenceNumber: '1' })) };
      },
    };
    const entries = entriesFromLines(smokeMessages(1203, 1_793_577_600_000));
    const r = await putAll(client as never, 's', entries, { sleep: async () => undefined });
    expect(calls).toEqual([MAX_RECORDS_PER_CALL, 3, 500, 203]);
    expect(r).toEqual({ sent: 1203, calls: 4, retried: 3 });
  });
});

describe('LocalStack smoke helpers', () => {
  it('smoke messages are valid Binance trade messages for the pipeline parser', () => {
    const start = 1_793_577_600_000;
    for (const m of smokeMessages(5, start)) {
      const parsed = parsePayload(m, 'BTCUSDT', { nowUs: (start + 3_600_000) * 1000 });
      expect(JSON.stringify(parsed)).not.toMatch(/"code"/);
      expect(JSON.stringify(parsed)).toMatch(/BTCUSDT/);
    }
  });

  it('reads the stream and lake bucket from cdklocal --outputs-file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ticklake-outputs-'));
    try {
      const file = join(dir, 'o.json');
      writeFileSync(
        file,
        JSON.stringify({
          'ticklake-local-ingestion': { StreamName: 'ticklake-local-events' },
          'ticklake-local-storage': { LakeBucketName: 'ticklake-local-lake-000000000000-us-east-1' },
        }),
      );
      expect(readOutputs(file)).toEqual({ streamName: 'ticklake-local-events', lakeBucket: 'ticklake-local-lake-000000000000-us-east-1' });
      expect(() => readOutputs(join(dir, 'missing.json'))).toThrow(/localstack:deploy/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('seed-dimensions tool', () => {
  it('encodes each shipped dimension as Parquet at its Glue table location, every row and column', async () => {
    const objects = dimensionObjects();
    expect(objects.map((o) => o.key)).toEqual(Object.keys(SHIPPED_DIMENSIONS).map((name) => `curated/${name}/${name}.parquet`));
    expect(objects[0]!.key).toBe('curated/company_profile/company_profile.parquet');
    const source = JSON.parse(readFileSync(SHIPPED_DIMENSIONS.company_profile!, 'utf8')) as Record<string, unknown>[];
    const { rows } = await readWithHyparquet(objects[0]!.body);
    expect(rows).toHaveLength(source.length);
    expect(rows[0]).toMatchObject({ ticker: source[0]!.ticker, sector: source[0]!.sector });
    expect(Number(rows[0]!.shares)).toBe(source[0]!.shares);
    // Every other shipped dimension: all its rows
    for (const [i, file] of Object.values(SHIPPED_DIMENSIONS).entries()) {
      const all = JSON.parse(readFileSync(file, 'utf8')) as unknown[];
      expect((await readWithHyparquet(objects[i]!.body)).rows, file).toHaveLength(all.length);
    }
  });
});
