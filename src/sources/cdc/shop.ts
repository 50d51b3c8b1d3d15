/**
 * A simulated web shop: customers sign up and edit their profile, place
 * orders that are paid, shipped and delivered (or cancelled), old orders are
 * purged and a few customers close their account (their orders deleted with
 * them, in one transaction). Transactions arrive as a Poisson process at
 * `ratePerSec`. Pure and seeded: the same options give the same transactions.
 *
 * It serves two uses: the transactions the web-shop driver runs against
 * PostgreSQL (src/adapters/postgres/web-shop.ts, what `ticklake up --cdc-url`
 * runs), and, as the replication reader would put them, stream records for
 * `ticklake demo` (with made-up LSNs).
 */
import { Rng } from '../../core/random.js';
import { isoMicros } from '../../sql/dialect.js';
import type { SimulatedRecord } from '../contract.js';
import { type CdcOperation, CDC_SOURCE, changePartitionKey, pgoutputEnvelope } from './change.js';

/** The PostgreSQL schema of the shop's tables. */
export const SHOP_SCHEMA = 'shop';

/** A row as the shop writes it (column name to value). */
export type ShopRow = Readonly<Record<string, string | number | null>>;

/** One row change of a transaction. */
export interface ShopRowChange {
  readonly op: CdcOperation;
  readonly table: 'customers' | 'orders';
  readonly before: ShopRow | null;
  readonly after: ShopRow | null;
}

/** One transaction of the shop. */
export interface ShopTransaction {
  /** When it happens, ms since epoch. */
  readonly timeMs: number;
  /** What the shop did, e.g. `place order`. */
  readonly action: string;
  readonly changes: readonly ShopRowChange[];
}

export interface ShopSimConfig {
  readonly seed?: number | string;
  readonly startTimeMs?: number;
  /** Stop after this many minutes (default: never). */
  readonly minutes?: number;
  /** Transactions per second on average (default 5). */
  readonly ratePerSec?: number;
  /** Ids count up from here + 1 (live runs pass one derived from their start time). */
  readonly idBase?: number;
}

/** The DDL of the shop's tables: primary keys, and REPLICA IDENTITY FULL so updates and deletes carry the whole old row. */
export const SHOP_DDL: readonly string[] = [
  `CREATE SCHEMA IF NOT EXISTS ${SHOP_SCHEMA}`,
  `CREATE TABLE IF NOT EXISTS ${SHOP_SCHEMA}.customers (
  customer_id bigint PRIMARY KEY,
  email text NOT NULL,
  name text NOT NULL,
  country text NOT NULL,
  tier text NOT NULL,
  created_at timestamptz(3) NOT NULL,
  updated_at timestamptz(3) NOT NULL
)`,
  `CREATE TABLE IF NOT EXISTS ${SHOP_SCHEMA}.orders (
  order_id bigint PRIMARY KEY,
  customer_id bigint NOT NULL,
  status text NOT NULL,
  amount numeric(12,2) NOT NULL,
  currency text NOT NULL,
  items integer NOT NULL,
  created_at timestamptz(3) NOT NULL,
  updated_at timestamptz(3) NOT NULL
)`,
  `ALTER TABLE ${SHOP_SCHEMA}.customers REPLICA IDENTITY FULL`,
  `ALTER TABLE ${SHOP_SCHEMA}.orders REPLICA IDENTITY FULL`,
];

const FIRST = ['Ana', 'Ben', 'Chloé', 'Dmitri', 'Emma', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kofi', 'Lena', 'Mateo', 'Nora', 'Omar', 'Priya'];
const LAST = ['Silva', 'Müller', 'Nguyen', 'Okafor', 'Rossi', 'Kowalski', 'Tanaka', 'García', 'Dubois', 'Larsen', "O'Brien", 'Haddad'];
const COUNTRIES = [
  ['DE', 'EUR'],
  ['FR', 'EUR'],
  ['US', 'USD'],
  ['GB', 'GBP'],
  ['NL', 'EUR'],
  ['SE', 'SEK'],
] as const;
const NEXT_STATUS: Readonly<Record<string, string>> = { placed: 'paid', paid: 'shipped', shipped: 'delivered' };

const time = (ms: number) => isoMicros(ms * 1000);

/** The shop's transactions, in time order. */
export function* simulateShop(cfg: ShopSimConfig = {}): Generator<ShopTransaction> {
  const rng = Rng.derive(cfg.seed ?? 1, CDC_SOURCE);
  const rate = cfg.ratePerSec ?? 5;
  if (!(rate > 0)) throw new RangeError(`ratePerSec must be > 0, got ${rate}`);
  const end = cfg.minutes === undefined ? Number.POSITIVE_INFINITY : (cfg.startTimeMs ?? 0) + cfg.minutes * 60_000;
  let t = cfg.startTimeMs ?? Date.UTC(2026, 10, 2);
  let nextId = cfg.idBase ?? 0;
  const customers = new Map<number, ShopRow>();
  const customerIds: number[] = [];
  const orders = new Map<number, ShopRow>();
  const openOrders: number[] = [];
  const closedOrders: number[] = [];
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
  const removeAt = (xs: number[], i: number) => {
    xs[i] = xs[xs.length - 1]!;
    xs.pop();
  };

  const signup = (): ShopTransaction => {
    const id = ++nextId;
    const [country] = pick(COUNTRIES);
    const first = pick(FIRST);
    const last = pick(LAST);
    const row: ShopRow = {
      customer_id: id,
      email: `${first.toLowerCase()}.${id}@example.com`,
      name: `${first} ${last}`,
      country,
      tier: 'standard',
      created_at: time(t),
      updated_at: time(t),
    };
    customers.set(id, row);
    customerIds.push(id);
    return { timeMs: t, action: 'sign up', changes: [{ op: 'insert', table: 'customers', before: null, after: row }] };
  };

  for (;;) {
    t += Math.max(1, Math.round((-Math.log(1 - rng.next()) / rate) * 1000));
    if (t >= end) return;
    const u = rng.next();
    if (customerIds.length < 3 || u < 0.12) {
      yield signup();
    } else if (u < 0.42) {
      const customerId = pick(customerIds);
      const currency = COUNTRIES.find(([c]) => c === customers.get(customerId)!.country)![1];
      const items = 1 + rng.int(5);
      const id = ++nextId;
      const row: ShopRow = {
        order_id: id,
        customer_id: customerId,
        status: 'placed',
        amount: Math.round(items * rng.uniform(4, 120) * 100) / 100,
        currency,
        items,
        created_at: time(t),
        updated_at: time(t),
      };
      orders.set(id, row);
      openOrders.push(id);
      yield { timeMs: t, action: 'place order', changes: [{ op: 'insert', table: 'orders', before: null, after: row }] };
    } else if (u < 0.8 && openOrders.length > 0) {
      const i = rng.int(openOrders.length);
      const id = openOrders[i]!;
      const before = orders.get(id)!;
      const cancel = before.status !== 'shipped' && rng.chance(0.08);
      const status = cancel ? 'cancelled' : NEXT_STATUS[before.status as string]!;
      const after: ShopRow = { ...before, status, updated_at: time(t) };
      orders.set(id, after);
      if (status === 'cancelled' || status === 'delivered') {
        removeAt(openOrders, i);
        closedOrders.push(id);
      }
      const changes: ShopRowChange[] = [{ op: 'update', table: 'orders', before, after }];
      // A tenth delivered order lifts its customer's tier, in the same transaction.
      const customer = customers.get(after.customer_id as number);
      if (status === 'delivered' && customer && customer.tier !== 'gold' && rng.chance(0.1)) {
        const lifted: ShopRow = { ...customer, tier: customer.tier === 'standard' ? 'silver' : 'gold', updated_at: time(t) };
        customers.set(customer.customer_id as number, lifted);
        changes.push({ op: 'update', table: 'customers', before: customer, after: lifted });
      }
      yield { timeMs: t, action: cancel ? 'cancel order' : `order ${status}`, changes };
    } else if (u < 0.9) {
      const id = pick(customerIds);
      const before = customers.get(id)!;
      const after: ShopRow = {
        ...before,
        email: `${(before.name as string).split(' ')[0]!.toLowerCase()}.${id}.${rng.int(1000)}@example.org`,
        updated_at: time(t),
      };
      customers.set(id, after);
      yield { timeMs: t, action: 'change email', changes: [{ op: 'update', table: 'customers', before, after }] };
    } else if (u < 0.97 && closedOrders.length > 0) {
      const i = rng.int(closedOrders.length);
      const id = closedOrders[i]!;
      removeAt(closedOrders, i);
      const before = orders.get(id)!;
      orders.delete(id);
      yield { timeMs: t, action: 'purge order', changes: [{ op: 'delete', table: 'orders', before, after: null }] };
    } else if (customerIds.length > 10) {
      const i = rng.int(customerIds.length);
      const id = customerIds[i]!;
      removeAt(customerIds, i);
      const changes: ShopRowChange[] = [];
      for (const list of [openOrders, closedOrders]) {
        for (let k = list.length - 1; k >= 0; k--) {
          const o = orders.get(list[k]!)!;
          if (o.customer_id !== id) continue;
          changes.push({ op: 'delete', table: 'orders', before: o, after: null });
          orders.delete(list[k]!);
          removeAt(list, k);
        }
      }
      changes.push({ op: 'delete', table: 'customers', before: customers.get(id)!, after: null });
      customers.delete(id);
      yield { timeMs: t, action: 'close account', changes };
    } else {
      yield signup();
    }
  }
}

export interface ShopRecordsConfig extends ShopSimConfig {
  /** Share (0..1) of records corrupted on purpose. */
  readonly malformedShare?: number;
}

/** A record corrupted in one of the ways a change feed goes wrong. */
function corrupt(rng: Rng, doc: Record<string, unknown>): string {
  switch (rng.int(6)) {
    case 0:
      return JSON.stringify({ ...doc, table: 'audit_log' });
    case 1:
      return JSON.stringify({ ...doc, lsn: 'not-an-lsn' });
    case 2:
      return JSON.stringify({ ...doc, op: 'truncate' });
    case 3:
      return JSON.stringify({ ...doc, after: null, before: null });
    case 4:
      return JSON.stringify({ ...doc, after: { ...(doc.after as object), amount: 'twelve' } });
    default:
      return JSON.stringify(doc).slice(0, 40);
  }
}

/**
 * The shop's changes as the replication reader puts them on the stream, with
 * made-up commit LSNs (0x200 apart per transaction) and xids.
 */
export function* simulateShopRecords(cfg: ShopRecordsConfig = {}): Generator<SimulatedRecord> {
  const rng = Rng.derive(cfg.seed ?? 1, `${CDC_SOURCE}-malformed`);
  const bad = cfg.malformedShare ?? 0;
  let lsn = 0x1000000 + (cfg.idBase ?? 0) * 0x200;
  let xid = 1000 + (cfg.idBase ?? 0);
  for (const tx of simulateShop(cfg)) {
    lsn += 0x200;
    xid++;
    const lsnText = `${Math.floor(lsn / 2 ** 32)
      .toString(16)
      .toUpperCase()}/${(lsn % 2 ** 32).toString(16).toUpperCase()}`;
    for (const [seq, c] of tx.changes.entries()) {
      const text = pgoutputEnvelope({
        lsn: lsnText,
        xid,
        commitTimeUs: tx.timeMs * 1000,
        seq,
        schema: SHOP_SCHEMA,
        table: c.table,
        op: c.op,
        before: c.before,
        after: c.after,
      });
      const payload = bad > 0 && rng.chance(bad) ? corrupt(rng, JSON.parse(text) as Record<string, unknown>) : text;
      yield { timeMs: tx.timeMs, partitionKey: changePartitionKey(c.table, c.after ?? c.before), payload };
    }
  }
}
