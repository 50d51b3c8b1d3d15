/**
 * `cdc_changes_per_s`: the change reader's path from a real PostgreSQL to the
 * local stream, one Node.js thread: pgoutput decoding of the replication
 * stream (pg-logical-replication), one envelope per changed row, batched puts
 * to the file-backed local stream (written and committed per call), the LSN
 * confirmed after each put. The web shop's tables are filled first (bulk
 * inserts, updates and deletes in transactions of 10,000 rows) with the slot
 * already created, so the reader then drains a backlog: its throughput, not
 * the database's write rate. PostgreSQL (server and walsender) runs in its own
 * processes. Needs Debian's postgresql (else the figure is skipped).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { CdcReader, ensureReplication } from '../src/adapters/postgres/replication-reader.js';
import { createShopSchema, shopConnection } from '../src/adapters/postgres/web-shop.js';
import { LocalStream } from '../src/local/local-stream.js';
import { LocalStreamProducer } from '../src/local/local-stream-producer.js';
import { Postgres, postgresBinDir } from '../test/helpers/postgres.js';

export interface CdcBench {
  readonly changes: number;
  readonly seconds: number;
  readonly changesPerSec: number;
  /** CPU seconds of this process (all its threads) per wall second of the drain. */
  readonly cpuShare: number;
}

const CHUNK = 10_000;

/** Bulk changes of the shop's tables: inserts, updates (with old rows: REPLICA IDENTITY FULL) and deletes. */
async function writeBacklog(shop: pg.Client, orders: number): Promise<number> {
  let changes = 0;
  const tx = async (sql: string, params: unknown[]) => {
    const r = await shop.query(sql, params);
    changes += r.rowCount ?? 0;
  };
  await tx(
    `INSERT INTO shop.customers SELECT g, 'c' || g || '@example.com', 'Customer ' || g, 'DE', 'standard', now(), now() FROM generate_series(1, $1::int) g`,
    [orders / 5],
  );
  for (let from = 1; from <= orders; from += CHUNK) {
    await tx(
      `INSERT INTO shop.orders SELECT g, 1 + g % $3::int, 'placed', round((10 + g % 90)::numeric, 2), 'EUR', 1 + g % 4, now(), now() FROM generate_series($1::int, $2::int) g`,
      [from, from + CHUNK - 1, orders / 5],
    );
  }
  for (let from = 1; from <= orders; from += CHUNK) {
    await tx(`UPDATE shop.orders SET status = 'paid', updated_at = now() WHERE order_id BETWEEN $1 AND $2 AND order_id % 2 = 0`, [from, from + CHUNK - 1]);
  }
  for (let from = 1; from <= orders; from += CHUNK) {
    await tx(`DELETE FROM shop.orders WHERE order_id BETWEEN $1 AND $2 AND order_id % 5 = 0`, [from, from + CHUNK - 1]);
  }
  return changes;
}

/** Runs the measurement; undefined when PostgreSQL is not installed. */
export async function benchCdc(log: (line: string) => void, orders = 100_000): Promise<CdcBench | undefined> {
  if (!postgresBinDir()) {
    log('cdc_changes_per_s skipped: PostgreSQL is not installed (Debian package postgresql)');
    return undefined;
  }
  const server = await Postgres.start();
  const dir = mkdtempSync(join(tmpdir(), 'ticklake-bench-cdc-'));
  try {
    const shop = await shopConnection(server.url);
    await createShopSchema(shop);
    await ensureReplication({ url: server.url });
    const changes = await writeBacklog(shop, orders);
    await shop.end();
    const stream = LocalStream.open(dir, 'ticklake-events', 4);
    const reader = new CdcReader({ url: server.url, producer: new LocalStreamProducer(stream) });
    const cpu = process.cpuUsage();
    const t = performance.now();
    await reader.start();
    while (reader.status().put < changes) await new Promise((r) => setTimeout(r, 5));
    const seconds = (performance.now() - t) / 1000;
    const used = process.cpuUsage(cpu);
    await reader.stop();
    stream.close();
    return { changes, seconds, changesPerSec: changes / seconds, cpuShare: (used.user + used.system) / 1e6 / seconds };
  } finally {
    await server.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchCdc(console.log);
  if (r) console.log(JSON.stringify(r));
}
