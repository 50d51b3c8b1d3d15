import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStreamTransform, type BatchSummary } from '../src/ingest/stream-transform.js';
import { QUARANTINE, RAW_EVENTS } from '../src/lake/table-schema.js';
import { TRADES } from '../src/sources/binance-trades/tables.js';
import { FileObjectStore } from '../src/local/file-object-store.js';
import { kinesisEvent, kinesisRecord, tradeMessage } from './helpers/kinesis-events.js';
import { MemoryObjectStore } from './helpers/memory-object-store.js';
import { duck, parquetFiles, physicalRows, tempDir } from './helpers/lake-files.js';

const NOW_MS = Date.UTC(2026, 10, 2, 12, 0, 0);
const T0 = Date.UTC(2026, 10, 2, 10, 15, 0);

function setup() {
  const root = tempDir();
  const lake = new FileObjectStore(root);
  const batches: BatchSummary[] = [];
  const handler = createStreamTransform({ lake, clock: () => NOW_MS, onBatch: (s) => batches.push(s) });
  return { root, lake, handler, batches, dir: (t: { zone: string; name: string }) => join(root, t.zone, t.name) };
}

const trades = (n: number, from = 0) => Array.from({ length: n }, (_, i) => tradeMessage({ t: 5_000_000_000 + from + i, T: T0 + (from + i) * 10 }));

describe('stream transform handler', () => {
  it('quarantines a poison-pill record in the middle of a batch without blocking or dropping its neighbours', async () => {
    // Prepare
    const { handler, dir } = setup();
    const payloads = [...trades(3), '{"e":"trade","E":1,', ...trades(3, 3)];
    // Act
    const res = await handler(kinesisEvent(payloads));
    // Assess
    expect(res.batchItemFailures).toEqual([]);
    expect(await physicalRows(dir(TRADES))).toBe(6);
    expect(await physicalRows(dir(RAW_EVENTS))).toBe(7);
    const q = await duck(`SELECT * FROM read_parquet('${dir(QUARANTINE)}/**/*.parquet')`);
    expect(q).toHaveLength(1);
    expect(q[0]).toMatchObject({
      reason_code: 'MALFORMED_JSON',
      raw_payload: '{"e":"trade","E":1,',
      shard_id: 'shardId-000000000000',
      stream_name: 'ticklake-events',
      source: 'binance-ws',
    });
    expect(q[0]!.sequence_number).toBe(kinesisEvent(payloads).Records[3]!.kinesis.sequenceNumber);
    expect(String(q[0]!.reason_message)).toMatch(/JSON/);
  });

  it('reports a record that fails unexpectedly and writes only the records before it', async () => {
    // Prepare
    const { handler, dir } = setup();
    const event = kinesisEvent(trades(5));
    const broken = event.Records[2]!;
    (broken.kinesis as { data: unknown }).data = undefined;
    // Act
    const res = await handler(event);
    // Assess
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: broken.kinesis.sequenceNumber }]);
    const ids = await duck(`SELECT trade_id FROM read_parquet('${dir(TRADES)}/**/*.parquet') ORDER BY 1`);
    expect(ids.map((r) => Number(r.trade_id))).toEqual([5_000_000_000, 5_000_000_001]);
  });

  it('overwrites its own objects when the same batch is delivered again (no duplicate rows)', async () => {
    // Prepare
    const { handler, dir, root } = setup();
    const event = kinesisEvent([...trades(50), 'not,a,trade']);
    await handler(event);
    const filesBefore = parquetFiles(root);
    // Act
    await handler(event);
    await handler(event);
    // Assess
    expect(parquetFiles(root)).toEqual(filesBefore);
    expect(await physicalRows(dir(TRADES))).toBe(50);
    expect(await physicalRows(dir(QUARANTINE))).toBe(1);
    expect(await physicalRows(dir(RAW_EVENTS))).toBe(51);
  });

  it('names objects after the shard and the first and last sequence numbers, under Hive partitions', async () => {
    // Prepare
    const { handler, root } = setup();
    const event = kinesisEvent(trades(3), 'shardId-000000000007', 40);
    const first = event.Records[0]!.kinesis.sequenceNumber;
    const last = event.Records[2]!.kinesis.sequenceNumber;
    // Act
    await handler(event);
    // Assess
    expect(parquetFiles(root)).toContain(`curated/trades/dt=2026-11-02/hour=10/shardId-000000000007-${first}-${last}.parquet`);
  });

  it('splits rows of one batch across hour partitions by trade time', async () => {
    // Prepare
    const { handler, root } = setup();
    const late = Date.UTC(2026, 10, 2, 10, 59, 59, 999);
    const payloads = [tradeMessage({ t: 1, T: late }), tradeMessage({ t: 2, T: late + 1 })];
    // Act
    await handler(kinesisEvent(payloads));
    // Assess
    const files = parquetFiles(join(root, 'curated/trades'));
    expect(files.map((f) => f.split('/').slice(0, 2).join('/'))).toEqual(['dt=2026-11-02/hour=10', 'dt=2026-11-02/hour=11']);
  });

  it('fails the whole batch and removes what it wrote when the lake write fails', async () => {
    // Prepare
    let puts = 0;
    const lake = new (class extends MemoryObjectStore {
      override async put(key: string, body: Uint8Array): Promise<void> {
        if (++puts === 3) throw new Error('SlowDown');
        await super.put(key, body);
      }
    })();
    const handler = createStreamTransform({ lake, clock: () => NOW_MS });
    const event = kinesisEvent([...trades(2), 'x']);
    // Act
    const attempt = handler(event);
    // Assess
    await expect(attempt).rejects.toThrow('SlowDown');
    expect(lake.objects.size).toBe(0);
  });

  it('reports counts per batch for metrics', async () => {
    // Prepare
    const { handler, batches } = setup();
    // Act
    await handler(kinesisEvent([...trades(4), '', 'garbage']));
    // Assess
    expect(batches).toHaveLength(1);
    const b = batches[0]!;
    expect(b).toMatchObject({ records: 6, quarantined: 2, failed: 0 });
    expect(b.rowsByTable.trades).toBe(4);
    expect(b.rowsByTable.quarantine).toBe(2);
    expect(b.bySource).toEqual({ 'binance-trades': { records: 6, rows: 4 + b.rowsByTable.bar_partials!, quarantined: 2 } });
    expect(b.quarantinedByReason).toEqual({ EMPTY_PAYLOAD: 1, UNKNOWN_FORMAT: 1 });
  });

  it('accepts historical CSV lines with the symbol in the partition key', async () => {
    // Prepare
    const { handler, dir } = setup();
    const line = `4221234567,97123.45000000,0.00120000,116.54814000,${T0},True,True`;
    // Act
    await handler({ Records: [kinesisRecord({ data: line, partitionKey: 'BTCUSDT' })] });
    // Assess
    const rows = await duck(`SELECT symbol, trade_id, price, is_buyer_maker, source FROM read_parquet('${dir(TRADES)}/**/*.parquet')`);
    expect(rows).toEqual([{ symbol: 'BTCUSDT', trade_id: 4221234567n, price: 97123.45, is_buyer_maker: true, source: 'binance-csv' }]);
  });
});
