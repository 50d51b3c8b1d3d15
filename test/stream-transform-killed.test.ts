import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStreamTransform } from '../src/ingest/stream-transform.js';
import { RAW_EVENTS } from '../src/lake/table-schema.js';
import { TRADES } from '../src/sources/binance-trades/tables.js';
import { FileObjectStore } from '../src/local/file-object-store.js';
import { kinesisEvent, tradeMessage } from './helpers/kinesis-events.js';
import { physicalRows, tempDir } from './helpers/lake-files.js';

const NOW_MS = Date.UTC(2026, 10, 2, 12, 0, 0);
const T0 = Date.UTC(2026, 10, 2, 10, 15, 0);
const trades = (n: number) => Array.from({ length: n }, (_, i) => tradeMessage({ t: 7_000_000_000 + i, T: T0 + i * 10 }));

/**
 * A lake whose writes stop for good after `allowed` puts: the invocation never
 * settles, as when Lambda kills it at its timeout (no catch, no clean-up runs).
 * `dead` resolves once a write has hung and every earlier write has landed.
 */
function dyingLake(root: string, allowed: number): { lake: FileObjectStore; dead: Promise<void> } {
  let puts = 0;
  const landed: Promise<void>[] = [];
  let die!: () => void;
  const hung = new Promise<void>((r) => (die = r));
  const lake = new (class extends FileObjectStore {
    override put(key: string, body: Uint8Array): Promise<void> {
      if (++puts > allowed) {
        die();
        return new Promise<void>(() => undefined);
      }
      const p = super.put(key, body);
      landed.push(p);
      return p;
    }
  })(root);
  return { lake, dead: hung.then(() => Promise.all(landed)).then(() => undefined) };
}

describe('stream transform killed mid-write', () => {
  it.each([1, 2, 3, 4])('doubles no row when the invocation dies after %i lake writes and the retry is bisected', async (allowed) => {
    // Prepare: a batch spanning two hour partitions, so the attempt writes several objects.
    const root = tempDir();
    const lake = new FileObjectStore(root);
    const payloads = [...trades(30), ...trades(30).map((p) => p.replace(`"T":${T0}`, `"T":${T0 + 3_600_000}`))];
    const event = kinesisEvent(payloads);
    const dying = dyingLake(root, allowed);
    void createStreamTransform({ lake: dying.lake, clock: () => NOW_MS })(event); // never settles
    await dying.dead;
    const handler = createStreamTransform({ lake, clock: () => NOW_MS });
    // Act: Lambda retries the failed batch bisected, first half then second half.
    await handler({ Records: event.Records.slice(0, 30) });
    await handler({ Records: event.Records.slice(30) });
    // Assess
    expect(await physicalRows(join(root, TRADES.zone, TRADES.name))).toBe(60);
    expect(await physicalRows(join(root, RAW_EVENTS.zone, RAW_EVENTS.name))).toBe(60);
  });
});
