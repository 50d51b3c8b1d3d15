/**
 * The simulated web shop against a real PostgreSQL: creates the `shop` schema
 * (customers, orders, REPLICA IDENTITY FULL) when missing, and runs the
 * simulator's transactions in real time, each as one database transaction,
 * so that logical replication sees what a shop's application would write.
 */
import pg from 'pg';
import { CAPTURED_TABLES, SHOP_DDL, SHOP_SCHEMA, type ShopRowChange, type ShopTransaction, simulateShop } from '../../sources/cdc/index.js';

export interface WebShopLogger {
  info(message: string): void;
  warn(message: string): void;
}

/** Creates the shop's schema and tables when missing (idempotent). */
export async function createShopSchema(client: pg.ClientBase): Promise<void> {
  for (const statement of SHOP_DDL) await client.query(statement);
}

/** One row change as a statement with its parameters (updates set only the columns that changed). */
export function changeStatement(c: ShopRowChange): { readonly text: string; readonly values: readonly unknown[] } {
  const table = `${SHOP_SCHEMA}.${c.table}`;
  const key = CAPTURED_TABLES[c.table]!.key;
  const where = (from: number) => key.map((k, i) => `${k} = $${from + i}`).join(' AND ');
  if (c.op === 'insert') {
    const cols = Object.keys(c.after!);
    return { text: `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`, values: cols.map((k) => c.after![k]) };
  }
  if (c.op === 'delete') return { text: `DELETE FROM ${table} WHERE ${where(1)}`, values: key.map((k) => c.before![k]) };
  const changed = Object.keys(c.after!).filter((k) => c.after![k] !== c.before?.[k]);
  return {
    text: `UPDATE ${table} SET ${changed.map((k, i) => `${k} = $${i + 1}`).join(', ')} WHERE ${where(changed.length + 1)}`,
    values: [...changed.map((k) => c.after![k]), ...key.map((k) => c.after![k])],
  };
}

/** Runs one shop transaction as one database transaction. */
export async function runShopTransaction(client: pg.ClientBase, tx: ShopTransaction): Promise<void> {
  await client.query('BEGIN');
  try {
    for (const c of tx.changes) {
      const s = changeStatement(c);
      await client.query(s.text, s.values as unknown[]);
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

/** A connection whose timestamps without a zone are UTC (the simulator writes UTC text). */
export async function shopConnection(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  // A server that goes away fails the next query; without a listener the idle client's error would end the process.
  client.on('error', () => undefined);
  await client.connect();
  await client.query("SET TIME ZONE 'UTC'");
  return client;
}

export interface WebShopOptions {
  readonly url: string;
  /** Transactions per second on average (default 5). */
  readonly ratePerSec?: number;
  readonly seed?: number | string;
  /** Ids count up from here (default: derived from the start time, so a restarted shop never reuses one). */
  readonly idBase?: number;
  readonly logger?: WebShopLogger;
  /** Milliseconds between reconnect attempts (default 1000). */
  readonly reconnectDelayMs?: number;
}

export interface WebShopStatus {
  readonly connected: boolean;
  /** Transactions committed. */
  readonly transactions: number;
  /** Row changes committed. */
  readonly changes: number;
  /** Transactions that failed (a lost connection): skipped, the shop goes on. */
  readonly failed: number;
  readonly lastError?: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Ids of live shops count from here, a thousand per millisecond of start time. */
const LIVE_ID_EPOCH_MS = Date.UTC(2026, 0, 1);

/** The shop running in real time until stopped. */
export class WebShop {
  private client: pg.Client | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private s = { connected: false, transactions: 0, changes: 0, failed: 0, lastError: undefined as string | undefined };

  constructor(private readonly o: WebShopOptions) {}

  /** Connects and creates the schema (errors here are the caller's: a URL that does not work), then runs in the background. */
  async start(): Promise<void> {
    this.client = await shopConnection(this.o.url);
    await createShopSchema(this.client);
    this.s.connected = true;
    this.running = this.run();
  }

  private async run(): Promise<void> {
    const startMs = Date.now();
    const txs = simulateShop({
      seed: this.o.seed ?? startMs,
      startTimeMs: startMs,
      ratePerSec: this.o.ratePerSec ?? 5,
      idBase: this.o.idBase ?? (startMs - LIVE_ID_EPOCH_MS) * 1000,
    });
    for (const tx of txs) {
      while (!this.stopped && Date.now() < tx.timeMs) await sleep(Math.min(100, tx.timeMs - Date.now()));
      if (this.stopped) return;
      try {
        if (!this.client) {
          this.client = await shopConnection(this.o.url);
          this.s.connected = true;
          this.o.logger?.info('cdc: web shop reconnected');
        }
        await runShopTransaction(this.client, tx);
        this.s.transactions++;
        this.s.changes += tx.changes.length;
      } catch (e) {
        this.s.failed++;
        this.s.lastError = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        if (this.s.connected) this.o.logger?.warn(`cdc: web shop transaction failed (${this.s.lastError}); reconnecting`);
        this.s.connected = false;
        const c = this.client;
        this.client = undefined;
        await c?.end().catch(() => undefined);
        await sleep(this.o.reconnectDelayMs ?? 1000);
      }
    }
  }

  status(): WebShopStatus {
    const { lastError, ...rest } = this.s;
    return { ...rest, ...(lastError !== undefined ? { lastError } : {}) };
  }

  /** Stops after the transaction in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
    this.s.connected = false;
  }
}
