/**
 * The change reader against a real PostgreSQL 15 (Debian's, started here on a
 * free loopback port with wal_level=logical): the simulated web shop writes,
 * logical replication (pgoutput) reads, the records go through the real stream
 * transform into a lake read by DuckDB. Each test has its own database (its own
 * publication and slot).
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CdcReader, type CdcReaderOptions, ensureReplication } from '../src/adapters/postgres/replication-reader.js';
import { createShopSchema, runShopTransaction, shopConnection } from '../src/adapters/postgres/web-shop.js';
import type { PutEntry, PutRecordsResult } from '../src/ingest/stream-producer.js';
import { compactLake } from '../src/local/compaction.js';
import { readChange, type ShopTransaction, simulateShop } from '../src/sources/cdc/index.js';
import { withLake } from './helpers/lake-files.js';
import { Postgres } from './helpers/postgres.js';
import { CollectingProducer, toLake, until } from './helpers/stream-capture.js';

let server: Postgres;
let dbCount = 0;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  server = await Postgres.start();
}, 60_000);
afterAll(async () => {
  await server?.destroy();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/** A fresh database with the shop's tables; returns its URL and a connection to it. */
async function shopDatabase(): Promise<{ url: string; shop: pg.Client; slot: string }> {
  const name = `shop_${++dbCount}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = server.url.replace(/\/postgres$/, `/${name}`);
  const shop = await shopConnection(url);
  cleanups.push(() => shop.end());
  await createShopSchema(shop);
  // Slot names are per server: one per database.
  return { url, shop, slot: `cdc_${name}` };
}

/** The shop's next `n` transactions (ids from `idBase`), run at once. */
async function runShop(shop: pg.Client, txs: Iterator<ShopTransaction>, n: number): Promise<ShopTransaction[]> {
  const done: ShopTransaction[] = [];
  for (let i = 0; i < n; i++) {
    const tx = txs.next().value as ShopTransaction;
    await runShopTransaction(shop, tx);
    done.push(tx);
  }
  return done;
}

const shopTxs = (seed: number) => simulateShop({ seed, startTimeMs: Date.now(), ratePerSec: 1000 });
const changesOf = (txs: readonly ShopTransaction[]) => txs.reduce((n, t) => n + t.changes.length, 0);

function startReader(db: { url: string; slot: string }, producer: CollectingProducer, o: Partial<CdcReaderOptions> = {}): CdcReader {
  const reader = new CdcReader({ url: db.url, slot: db.slot, producer, reconnectDelayMs: 100, putter: { lingerMs: 5 }, ...o });
  cleanups.push(() => reader.kill());
  return reader;
}

/** The natural key of each record put: (lsn, table, seq). */
const naturalKeys = (entries: readonly PutEntry[]) =>
  entries.map((e) => {
    const d = JSON.parse(e.data) as { lsn: string; table: string; seq: number };
    return `${d.lsn}|${d.table}|${d.seq}`;
  });

async function slotConfirmed(db: { url: string; slot: string }): Promise<string> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    return (await c.query<{ lsn: string }>('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [db.slot])).rows[0]!.lsn;
  } finally {
    await c.end();
  }
}

const lsnNumber = (text: string) => {
  const [hi, lo] = text.split('/').map((x) => Number.parseInt(x, 16));
  return hi! * 2 ** 32 + lo!;
};

describe('change reader on PostgreSQL (pgoutput)', () => {
  it('puts every insert, update and delete with its before and after images, in commit order, and confirms after the put', async () => {
    // Prepare
    const db = await shopDatabase();
    const { shop } = db;
    const producer = new CollectingProducer();
    const reader = startReader(db, producer);
    await reader.start();
    // Act
    const txs = await runShop(shop, shopTxs(1), 300);
    const expected = txs.flatMap((t) => t.changes);
    await until(() => producer.entries.length === expected.length, 'every change put');
    await until(() => reader.status().pending === 0, 'the putter to drain');
    // Assess: each record reads back as the change the shop made
    const changes = producer.entries.map((e) => {
      const r = readChange(e.data, undefined, Date.now() * 1000);
      if (!r.ok) throw new Error(`${r.rejection.code}: ${r.rejection.message}`);
      return r.change;
    });
    expect(new Set(changes.map((c) => c.op))).toEqual(new Set(['insert', 'update', 'delete']));
    changes.forEach((c, i) => {
      const want = expected[i]!;
      expect({ op: c.op, table: c.table_name, schema: c.schema_name, format: c.format }).toEqual({
        op: want.op,
        table: want.table,
        schema: 'shop',
        format: 'pgoutput',
      });
      expect(c.after_json === null ? null : JSON.parse(c.after_json)).toEqual(want.after);
      expect(c.before_json === null ? null : JSON.parse(c.before_json)).toEqual(want.op === 'insert' ? null : want.before);
    });
    // Positions: one commit LSN per transaction, increasing; seq counts within it
    const orders = changes.map((c) => c.commit_order);
    expect([...orders].sort((a, b) => a - b)).toEqual(orders);
    expect(new Set(changes.map((c) => c.lsn)).size).toBe(txs.length);
    expect(new Set(naturalKeys(producer.entries)).size).toBe(expected.length);
    // The slot is confirmed up to the last commit put, no further than the reader said
    await until(() => reader.status().confirmedLsn !== '0/0', 'a confirmation');
    const last = Math.max(...orders);
    let confirmed = '';
    await until(() => lsnNumber(reader.status().confirmedLsn) > last, 'the last commit confirmed');
    for (let i = 0; i < 50 && lsnNumber(confirmed || '0/0') <= last; i++) {
      confirmed = await slotConfirmed(db);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(lsnNumber(confirmed)).toBeGreaterThan(last);
    expect(lsnNumber(confirmed)).toBeLessThanOrEqual(lsnNumber(reader.status().confirmedLsn));
  });

  it('creates the publication of the shop tables and the pgoutput slot once, and refuses a slot name another database holds', async () => {
    // Prepare
    const a = await shopDatabase();
    const b = await shopDatabase();
    // Act
    const first = await ensureReplication({ url: a.url, slot: a.slot });
    const again = await ensureReplication({ url: a.url, slot: a.slot });
    const elsewhere = await ensureReplication({ url: b.url, slot: a.slot }).catch((e: Error) => e.message);
    const published = (await a.shop.query("SELECT schemaname || '.' || tablename AS t FROM pg_publication_tables WHERE pubname = 'ticklake_cdc' ORDER BY 1"))
      .rows;
    // Assess
    expect(again).toBe(first);
    expect(published.map((r) => r.t)).toEqual(['shop.customers', 'shop.orders']);
    expect(elsewhere).toBe(`replication slot ${a.slot} belongs to database shop_${Number(a.slot.split('_').pop())}; name another slot`);
  });

  it('confirms nothing while the stream holds the put back (a slow stream), reads no further than its buffer, and loses nothing', async () => {
    // Prepare: every put waits for the gate; the putter holds at most 20 entries
    const db = await shopDatabase();
    const { shop } = db;
    const producer = new CollectingProducer();
    let open = false;
    producer.gate = async () => {
      while (!open) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 5));
    };
    const reader = startReader(db, producer, { putter: { lingerMs: 5, maxEntries: 10, highWaterMark: 20 } });
    await reader.start();
    const before = await slotConfirmed(db);
    // Act
    const txs = await runShop(shop, shopTxs(2), 400);
    const n = changesOf(txs);
    await until(() => reader.status().backPressureWaits > 0, 'the reader to stop on a full buffer');
    const held = reader.status();
    const confirmedWhileHeld = await slotConfirmed(db);
    open = true;
    await until(() => producer.entries.length === n, 'every change put', 30_000);
    // Assess
    expect(held.put).toBe(0);
    expect(held.received).toBeLessThan(n);
    expect(held.confirmedLsn).toBe(before);
    expect(confirmedWhileHeld).toBe(before);
    expect(reader.status().maxPending).toBeLessThanOrEqual(21);
    expect(new Set(naturalKeys(producer.entries)).size).toBe(n);
    await until(() => lsnNumber(reader.status().confirmedLsn) > lsnNumber(before), 'a confirmation after the puts');
  });

  it('resumes from the slot after the reader stops and after a PostgreSQL restart mid-run: nothing lost, nothing doubled', async () => {
    // Prepare
    const db = await shopDatabase();
    const { url, shop } = db;
    const txs = shopTxs(3);
    const first = new CollectingProducer();
    const a = startReader(db, first);
    await a.start();
    const part1 = await runShop(shop, txs, 100);
    await until(() => first.entries.length === changesOf(part1), 'part 1 put');
    await a.stop();
    // Act 1: changes while no reader runs, then a new reader on the same slot
    const part2 = await runShop(shop, txs, 100);
    const second = new CollectingProducer();
    const b = startReader(db, second);
    await b.start();
    await until(() => second.entries.length === changesOf(part2), 'part 2 put from the slot');
    // Act 2: the server restarts (immediate: crash recovery) under the running reader
    await server.restart('immediate');
    await until(() => b.status().connected && b.status().reconnects > 0, 'the reader to reconnect', 30_000);
    const shop2 = await shopConnection(url);
    cleanups.push(() => shop2.end());
    const part3 = await runShop(shop2, txs, 100);
    await until(() => second.entries.length === changesOf(part2) + changesOf(part3), 'part 3 put');
    // Assess
    const keys = naturalKeys([...first.entries, ...second.entries]);
    expect(keys.length).toBe(changesOf([...part1, ...part2, ...part3]));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('a reader that dies after its put but before confirming gets those changes again; the lake holds each once and the current-state views match the database', async () => {
    // Prepare: the first reader dies right after a put went through, before it can confirm
    const db = await shopDatabase();
    const { shop } = db;
    const txs = shopTxs(4);
    let reader: CdcReader | undefined;
    let died = false;
    class DyingProducer extends CollectingProducer {
      override async putRecords(entries: readonly PutEntry[]): Promise<PutRecordsResult> {
        const r = await super.putRecords(entries);
        if (!died && this.entries.length >= 150) {
          died = true;
          await reader!.kill();
        }
        return r;
      }
    }
    const first = new DyingProducer();
    reader = startReader(db, first, { putter: { lingerMs: 5, maxEntries: 25 } });
    await reader.start();
    const all = await runShop(shop, txs, 250);
    await until(() => died, 'the reader to die');
    const confirmedAtDeath = await slotConfirmed(db);
    // Act: a new process resumes from the slot
    const second = new CollectingProducer();
    const again = startReader(db, second);
    await again.start();
    const more = await runShop(shop, txs, 50);
    const expected = changesOf([...all, ...more]);
    const entries = () => [...first.entries, ...second.entries];
    await until(() => new Set(naturalKeys(entries())).size === expected, 'every change put');
    await again.stop();
    const root = await toLake(entries());
    const rowsBefore = await withLake(root, (sql) => sql.query('SELECT count(*) FROM cdc_changes'));
    await compactLake({ lakeRoot: root, olderThanMs: -3_600_000, graceMs: 0, nowMs: Date.now() });
    // Assess: some changes were put twice, kept once
    expect(lsnNumber(confirmedAtDeath)).toBeLessThan(Math.max(...first.entries.map((e) => lsnNumber(JSON.parse(e.data).lsn))));
    expect(entries().length).toBeGreaterThan(expected);
    expect(Number(rowsBefore.rows[0]![0])).toBe(entries().length);
    const state = {
      customers: (await shop.query('SELECT customer_id::text AS id, email, tier FROM shop.customers ORDER BY customer_id')).rows,
      orders: (await shop.query('SELECT order_id::text AS id, status, amount::float8 AS amount FROM shop.orders ORDER BY order_id')).rows,
    };
    await withLake(root, async (sql) => {
      const counts = await sql.query('SELECT count(*), count(DISTINCT (lsn, table_name, seq)) FROM cdc_changes');
      expect(counts.rows[0]!.map(Number)).toEqual([expected, expected]);
      const customers = await sql.query('SELECT CAST(customer_id AS VARCHAR), email, tier FROM customers_current ORDER BY customer_id');
      expect(customers.rows.map(([id, email, tier]) => ({ id, email, tier }))).toEqual(state.customers);
      const orders = await sql.query('SELECT CAST(order_id AS VARCHAR), status, amount FROM orders_current ORDER BY order_id');
      expect(orders.rows.map(([id, status, amount]) => ({ id, status, amount }))).toEqual(state.orders);
    });
    expect(state.customers.length).toBeGreaterThan(0);
  });
});
