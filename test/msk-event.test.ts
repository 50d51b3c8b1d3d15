import type { MSKEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { isMskEvent, mskToKinesisEvents } from '../src/ingest/msk-event.js';
import { createStreamTransform } from '../src/ingest/stream-transform.js';
import { tradeMessage } from './helpers/kinesis-events.js';
import { MemoryObjectStore } from './helpers/memory-object-store.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const T = Date.UTC(2026, 10, 2, 9);

function mskEvent(): MSKEvent {
  const rec = (partition: number, offset: number, t: number) => ({
    topic: 'ticklake-events',
    partition,
    offset,
    timestamp: T + offset,
    timestampType: 'CREATE_TIME' as const,
    key: b64('BTCUSDT'),
    value: b64(tradeMessage({ t, T: T + t })),
    headers: [],
  });
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/ticklake/abc-1',
    bootstrapServers: 'b-1.example:9098',
    records: { 'ticklake-events-0': [rec(0, 11, 1), rec(0, 10, 2)], 'ticklake-events-1': [rec(1, 5, 3)] },
  } as MSKEvent;
}

describe('MSK event source', () => {
  it('turns each topic-partition into a Kinesis-shaped batch in offset order', () => {
    // Act
    const events = mskToKinesisEvents(mskEvent());
    // Assess
    expect(isMskEvent(mskEvent())).toBe(true);
    expect(events).toHaveLength(2);
    expect(events[0]!.Records.map((r) => r.eventID)).toEqual(['ticklake-events-0:00000000000000000010', 'ticklake-events-0:00000000000000000011']);
    expect(events[0]!.Records[0]!.kinesis.partitionKey).toBe('BTCUSDT');
  });

  it('the stream transform writes one object set per partition, named after topic-partition and offsets', async () => {
    // Prepare
    const lake = new MemoryObjectStore();
    const transform = createStreamTransform({ lake, clock: () => T + 3_600_000 });
    // Act
    for (const e of mskToKinesisEvents(mskEvent())) await transform(e);
    // Assess
    const keys = [...lake.objects.keys()];
    expect(keys.filter((k) => k.startsWith('curated/trades/')).map((k) => k.split('/').pop())).toEqual([
      'ticklake-events-0-00000000000000000010-00000000000000000011.parquet',
      'ticklake-events-1-00000000000000000005-00000000000000000005.parquet',
    ]);
    expect(keys.filter((k) => k.startsWith('_batches/ticklake-events/'))).toHaveLength(2);
  });
});
