/**
 * The cdc source as a feed of `ticklake up --cdc-url postgres://…`: the
 * simulated web shop writes to that database (creating its `shop` schema when
 * missing) and the change reader streams its changes through logical
 * replication onto the stream, confirming positions after the put. The
 * publication and slot are created when missing; an existing slot is resumed,
 * so changes made while `up` was down arrive when it comes back.
 */
import pg from 'pg';
import { CdcReader, type ReaderLogger } from '../adapters/postgres/replication-reader.js';
import { WebShop } from '../adapters/postgres/web-shop.js';
import type { StreamProducer } from '../ingest/stream-producer.js';
import { CDC_SOURCE } from '../sources/cdc/index.js';
import type { LiveFeed, LiveFeedStatus } from './live.js';
import { settled } from './mqtt-feed.js';

export interface CdcFeedOptions {
  /** The database, `postgres://user[:password]@host:port/db`. */
  readonly url: string;
  readonly logger?: ReaderLogger;
  /** Web-shop transactions per second (default 5). */
  readonly ratePerSec?: number;
  readonly slot?: string;
  readonly publication?: string;
}

/** The URL without its password, for messages. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(an unparsable URL)';
  }
}

export class CdcFeed implements LiveFeed {
  readonly source = CDC_SOURCE;
  private shop: WebShop | undefined;
  private reader: CdcReader | undefined;
  private starting: Promise<void> | undefined;
  private failure: string | undefined;

  constructor(private readonly o: CdcFeedOptions) {}

  get label(): string {
    return `PostgreSQL ${redactedUrl(this.o.url)}, simulated web shop`;
  }

  /** A database that does not answer, or is not set up for logical replication, is an error before anything starts. */
  async preflight(): Promise<void> {
    const what = `cdc: ${redactedUrl(this.o.url)}`;
    let u: URL;
    try {
      u = new URL(this.o.url);
    } catch {
      throw new Error(`${what} is not a postgres:// URL`);
    }
    if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw new Error(`${what} is not a postgres:// URL`);
    const client = new pg.Client({ connectionString: this.o.url, connectionTimeoutMillis: 10_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (e) {
      throw new Error(`${what}: cannot connect: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    try {
      const level = (await client.query<{ wal_level: string }>('SHOW wal_level')).rows[0]?.wal_level;
      if (level !== 'logical') throw new Error(`${what}: wal_level is ${level}; change data capture needs wal_level=logical (postgresql.conf, then restart)`);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  start(producer: StreamProducer): void {
    this.starting = this.run(producer).catch((e) => {
      this.failure = (e as Error).message;
      this.o.logger?.warn(`cdc: ${this.failure}`);
    });
  }

  private async run(producer: StreamProducer): Promise<void> {
    // The shop first: the publication needs its tables.
    this.shop = new WebShop({
      url: this.o.url,
      ...(this.o.ratePerSec ? { ratePerSec: this.o.ratePerSec } : {}),
      ...(this.o.logger ? { logger: this.o.logger } : {}),
    });
    await this.shop.start();
    this.reader = new CdcReader({
      url: this.o.url,
      producer,
      ...(this.o.slot ? { slot: this.o.slot } : {}),
      ...(this.o.publication ? { publication: this.o.publication } : {}),
      ...(this.o.logger ? { logger: this.o.logger } : {}),
    });
    await this.reader.start();
  }

  status(): LiveFeedStatus {
    if (!this.reader) return { put: 0, reconnects: 0, errors: this.failure ? 1 : 0, state: this.failure ?? 'starting' };
    const s = this.reader.status();
    const shop = this.shop?.status();
    return {
      put: s.put,
      ...(s.lastCommitMs !== undefined ? { newestEventMs: s.lastCommitMs } : {}),
      reconnects: s.reconnects,
      errors: s.errors + (shop?.failed ?? 0),
      ...(s.connected ? {} : { state: 'connecting' }),
    };
  }

  /** Stops the shop, lets the reader take its last changes, then stops the reader (putting and confirming what it holds). */
  async stop(): Promise<void> {
    await this.starting;
    await this.shop?.stop();
    if (this.reader && this.shop) await settled(() => this.reader!.status().received, 5000);
    await this.reader?.stop();
  }
}
