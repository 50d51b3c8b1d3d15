/**
 * The change reader: PostgreSQL logical replication (`pgoutput`) onto the
 * stream, confirming a position to the server only once everything before it
 * is on the stream.
 *
 * - **Setup.** {@link ensureReplication} creates the publication (the shop's
 *   tables) and the logical replication slot when they are missing; an existing
 *   slot is resumed from its confirmed position (`START_REPLICATION … 0/0`).
 * - **One record per changed row**, in the change source's envelope
 *   ({@link pgoutputEnvelope}): the transaction's commit LSN, its xid and commit
 *   time, the row's position in the transaction, the before image (REPLICA
 *   IDENTITY FULL gives the whole old row of updates and deletes) and the after
 *   image. (commit LSN, table, position) is the change's natural key.
 * - **Confirmed after the put.** A transaction's end LSN is acknowledged (the
 *   slot's confirmed flush position) when it and every earlier transaction are
 *   put: a crash before that replays them (the server resends from the slot),
 *   a crash after it loses nothing. Changes that were put but not yet confirmed
 *   when the reader died come again and land twice on the stream; the lake keeps
 *   one row per natural key. Within one process a transaction replayed after a
 *   reconnect is recognised by its commit LSN and not put again.
 * - **Back-pressure.** The data handler awaits the putter when its buffer is
 *   full, and the replication library pauses the socket meanwhile (flow
 *   control): a slow stream slows the reader, the server keeps the WAL.
 * - **Reconnects.** A lost connection (server restart, network) is retried
 *   every `reconnectDelayMs`, resuming from the slot; the reader never gives up.
 * - **Keepalives** that ask for a reply are answered with the confirmed
 *   position. The slot advances with the captured tables' transactions only: a
 *   database whose published tables stay idle while others change keeps WAL
 *   back until the next captured change.
 */
import pg from 'pg';
import { LogicalReplicationService, type Pgoutput, PgoutputPlugin } from 'pg-logical-replication';
import { BatchedPutter, type BatchedPutterOptions } from '../../ingest/batched-putter.js';
import type { PutEntry, StreamProducer } from '../../ingest/stream-producer.js';
import { type CdcOperation, changePartitionKey, parseLsn, pgoutputEnvelope, SHOP_SCHEMA } from '../../sources/cdc/index.js';

/** Where log lines go (the CLI prints them, tests collect them). */
export interface ReaderLogger {
  info(message: string): void;
  warn(message: string): void;
}

/** The publication and slot `ticklake up` uses by default. */
export const DEFAULT_PUBLICATION = 'ticklake_cdc';
export const DEFAULT_SLOT = 'ticklake_cdc';
/** The tables published by default: the web shop's. */
export const SHOP_TABLES: readonly string[] = [`${SHOP_SCHEMA}.customers`, `${SHOP_SCHEMA}.orders`];

export interface ReplicationOptions {
  /** A `postgres://` URL; the user needs the REPLICATION attribute (and ownership of the tables to create the publication). */
  readonly url: string;
  readonly publication?: string;
  readonly slot?: string;
  /** Qualified tables to publish when the publication is created (default {@link SHOP_TABLES}). */
  readonly tables?: readonly string[];
}

export interface CdcReaderOptions extends ReplicationOptions {
  readonly producer: StreamProducer;
  /** Milliseconds between reconnect attempts (default 1000). */
  readonly reconnectDelayMs?: number;
  readonly putter?: Omit<BatchedPutterOptions<ChangeEntry>, 'onPut'>;
  readonly logger?: ReaderLogger;
}

/** What the reader has done (status lines and tests). */
export interface CdcReaderStatus {
  readonly connected: boolean;
  /** Row changes received, replays included. */
  readonly received: number;
  /** Records put on the stream. */
  readonly put: number;
  /** Changes of transactions replayed after a reconnect that this process had already put (not put again). */
  readonly replaysSkipped: number;
  /** Puts waiting for the stream. */
  readonly pending: number;
  /** The most puts that were waiting at once. */
  readonly maxPending: number;
  /** Times the reader stopped reading because the stream had too much waiting (back-pressure). */
  readonly backPressureWaits: number;
  /** The position last confirmed to the server (PostgreSQL notation). */
  readonly confirmedLsn: string;
  readonly reconnects: number;
  readonly errors: number;
  /** Commit time (ms) of the newest change put. */
  readonly lastCommitMs?: number;
  readonly lastError?: string;
}

/** A stream entry that remembers its transaction. */
export interface ChangeEntry extends PutEntry {
  readonly tx: OpenTransaction;
}

/** A transaction being read or put. */
interface OpenTransaction {
  readonly commitLsn: number;
  readonly commitLsnText: string;
  readonly xid: number;
  readonly commitTimeUs: number;
  /** Changes read so far (the next one's position). */
  seq: number;
  /** Changes pushed and not yet put. */
  unput: number;
  /** The commit arrived: its end LSN. */
  endLsn?: number;
  /** A replay of a transaction this process already pushed: its changes are dropped. */
  readonly replay: boolean;
}

const lsnText = (v: number) =>
  `${Math.floor(v / 2 ** 32)
    .toString(16)
    .toUpperCase()}/${(v % 2 ** 32).toString(16).toUpperCase()}`;

function lsnValue(text: string | null | undefined, what: string): number {
  const p = text ? parseLsn(text) : undefined;
  if (!p) throw new Error(`pgoutput: ${what} ${JSON.stringify(text)} is not an LSN`);
  return p.value;
}

/** A value as JSON can carry it: timestamps as ISO text, bytes as PostgreSQL's hex text. */
function plain(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return `\\x${Buffer.from(v).toString('hex')}`;
  if (typeof v === 'bigint') return v.toString();
  return v;
}

function plainRow(row: Record<string, unknown> | null | undefined): Record<string, unknown> | null {
  if (!row) return null;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(row)) out[k] = plain(row[k]);
  return out;
}

/** Quotes a possibly schema-qualified identifier (`shop.orders` → `"shop"."orders"`). */
const qualified = (name: string) =>
  name
    .split('.')
    .map((p) => `"${p.replaceAll('"', '""')}"`)
    .join('.');

/**
 * Creates the publication and the slot when missing; returns the slot's
 * confirmed position (PostgreSQL notation). Throws a readable error when the
 * server is not set up for logical replication.
 */
export async function ensureReplication(o: ReplicationOptions): Promise<string> {
  const publication = o.publication ?? DEFAULT_PUBLICATION;
  const slot = o.slot ?? DEFAULT_SLOT;
  const client = new pg.Client({ connectionString: o.url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const level = (await client.query<{ wal_level: string }>('SHOW wal_level')).rows[0]?.wal_level;
    if (level !== 'logical') throw new Error(`the server's wal_level is ${level}; logical replication needs wal_level=logical`);
    const pub = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [publication]);
    if (pub.rowCount === 0) {
      await client.query(`CREATE PUBLICATION "${publication.replaceAll('"', '""')}" FOR TABLE ${(o.tables ?? SHOP_TABLES).map(qualified).join(', ')}`);
    }
    const s = await client.query<{ confirmed_flush_lsn: string | null; plugin: string; database: string | null; here: boolean }>(
      'SELECT confirmed_flush_lsn, plugin, database, database = current_database() AS here FROM pg_replication_slots WHERE slot_name = $1',
      [slot],
    );
    if (s.rowCount === 0) {
      const created = await client.query<{ lsn: string }>("SELECT lsn FROM pg_create_logical_replication_slot($1, 'pgoutput')", [slot]);
      return created.rows[0]!.lsn;
    }
    // Slot names are per server, publications per database.
    if (!s.rows[0]!.here) throw new Error(`replication slot ${slot} belongs to database ${s.rows[0]!.database}; name another slot`);
    if (s.rows[0]!.plugin !== 'pgoutput') throw new Error(`replication slot ${slot} uses ${s.rows[0]!.plugin}, not pgoutput`);
    return s.rows[0]!.confirmed_flush_lsn ?? '0/0';
  } finally {
    await client.end();
  }
}

/** Reads, puts, confirms. See the module comment. */
export class CdcReader {
  private service: LogicalReplicationService | undefined;
  private readonly putter: BatchedPutter<ChangeEntry>;
  /** Transactions pushed (or being read) and not yet confirmed, in commit order. */
  private readonly txs: OpenTransaction[] = [];
  private current: OpenTransaction | undefined;
  /** Highest commit LSN whose changes this process has pushed. */
  private pushedUpTo = -1;
  private confirmed = 0;
  private stopping = false;
  private dead = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private s = {
    connected: false,
    received: 0,
    put: 0,
    replaysSkipped: 0,
    reconnects: 0,
    errors: 0,
    lastCommitMs: undefined as number | undefined,
    lastError: undefined as string | undefined,
  };

  constructor(private readonly o: CdcReaderOptions) {
    this.putter = new BatchedPutter<ChangeEntry>(o.producer, {
      lingerMs: 20,
      ...o.putter,
      onPut: (entries) => {
        for (const e of entries) {
          this.s.put++;
          e.tx.unput--;
          const ms = Math.floor(e.tx.commitTimeUs / 1000);
          if (this.s.lastCommitMs === undefined || ms > this.s.lastCommitMs) this.s.lastCommitMs = ms;
        }
        this.advance();
      },
      onRetry: (r) => this.o.logger?.warn(`cdc: put failed (${r.reason}), retrying ${r.entries} in ${Math.round(r.delayMs)} ms`),
    });
  }

  /** Sets up the publication and slot, connects and starts streaming; resolves once the first connection streams. */
  async start(): Promise<void> {
    const confirmed = await ensureReplication(this.o);
    this.confirmed = lsnValue(confirmed, 'slot position');
    try {
      await this.connect();
    } catch (e) {
      await this.kill();
      throw e;
    }
  }

  private connect(): Promise<void> {
    const service = new LogicalReplicationService(
      { connectionString: this.o.url },
      // Acknowledged by hand, after the put; the handler is awaited before the next message (back-pressure).
      { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: true } },
    );
    this.service = service;
    service.on('data', (lsn: string, msg: Pgoutput.Message) => this.onMessage(lsn, msg));
    service.on('heartbeat', (_lsn: string, _ts: number, shouldRespond: boolean) => this.onHeartbeat(shouldRespond));
    service.on('error', (e: Error) => this.onError(service, e));
    const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: [this.o.publication ?? DEFAULT_PUBLICATION] });
    return new Promise<void>((resolve, reject) => {
      let started = false;
      service.once('start', () => {
        started = true;
        this.s.connected = true;
        this.o.logger?.info(`cdc: streaming slot ${this.o.slot ?? DEFAULT_SLOT} from ${lsnText(this.confirmed)}`);
        resolve();
      });
      // Settles when the replication connection ends.
      service.subscribe(plugin, this.o.slot ?? DEFAULT_SLOT).then(
        () => {
          if (!started) reject(new Error('the replication connection ended before streaming started'));
          this.onClosed(service);
        },
        (e: unknown) => {
          if (!started) reject(e as Error);
          this.onError(service, e as Error);
        },
      );
    });
  }

  private onError(service: LogicalReplicationService, e: Error): void {
    if (service !== this.service) return;
    this.s.errors++;
    this.s.lastError = (e as NodeJS.ErrnoException).code ?? e.message;
    this.onClosed(service);
  }

  /** The replication connection ended: reconnect unless stopping. */
  private onClosed(service: LogicalReplicationService): void {
    if (service !== this.service || this.stopping) return;
    if (this.s.connected) this.o.logger?.warn(`cdc: replication connection lost (${this.s.lastError ?? 'closed'}); reconnecting`);
    this.s.connected = false;
    this.service = undefined;
    void service.destroy().catch(() => undefined);
    // A transaction cut off before its commit is sent again whole after the reconnect: forget this copy
    // (what it already pushed is put anyway, and lands twice with the same natural keys).
    const open = this.current;
    if (open && open.endLsn === undefined && !open.replay) this.txs.splice(this.txs.indexOf(open), 1);
    this.current = undefined;
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.stopping) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.stopping) return;
      this.s.reconnects++;
      this.connect().catch((e: Error) => {
        this.s.errors++;
        this.s.lastError = (e as NodeJS.ErrnoException).code ?? e.message;
        this.service = undefined;
        this.scheduleReconnect();
      });
    }, this.o.reconnectDelayMs ?? 1000);
  }

  private async onMessage(_lsn: string, msg: Pgoutput.Message): Promise<void> {
    switch (msg.tag) {
      case 'begin': {
        const commitLsn = lsnValue(msg.commitLsn, 'commit LSN');
        const replay = commitLsn <= this.pushedUpTo;
        this.current = {
          commitLsn,
          commitLsnText: lsnText(commitLsn),
          xid: msg.xid,
          commitTimeUs: Number(msg.commitTime),
          seq: 0,
          unput: 0,
          replay,
        };
        if (!replay) this.txs.push(this.current);
        return;
      }
      case 'insert':
      case 'update':
      case 'delete':
        return this.onChange(msg);
      case 'commit': {
        const tx = this.current;
        this.current = undefined;
        if (!tx || tx.replay) return;
        tx.endLsn = lsnValue(msg.commitEndLsn, 'commit end LSN');
        this.pushedUpTo = Math.max(this.pushedUpTo, tx.commitLsn);
        this.advance();
        return;
      }
      case 'truncate':
        this.o.logger?.warn(`cdc: TRUNCATE of ${msg.relations.map((r) => `${r.schema}.${r.name}`).join(', ')} is not captured`);
        return;
      default:
        return;
    }
  }

  private async onChange(msg: Pgoutput.MessageInsert | Pgoutput.MessageUpdate | Pgoutput.MessageDelete): Promise<void> {
    const tx = this.current;
    if (!tx) throw new Error(`pgoutput: ${msg.tag} outside a transaction`);
    this.s.received++;
    const seq = tx.seq++;
    if (tx.replay) {
      this.s.replaysSkipped++;
      return;
    }
    const op: CdcOperation = msg.tag;
    // Without REPLICA IDENTITY FULL an update or delete carries only the key (or nothing): the image is what there is.
    const before = msg.tag === 'insert' ? null : plainRow(msg.old ?? msg.key);
    const after = msg.tag === 'delete' ? null : plainRow(msg.new);
    const data = pgoutputEnvelope({
      lsn: tx.commitLsnText,
      xid: tx.xid,
      commitTimeUs: tx.commitTimeUs,
      seq,
      schema: msg.relation.schema,
      table: msg.relation.name,
      op,
      before,
      after,
    });
    tx.unput++;
    await this.putter.offer({ partitionKey: changePartitionKey(msg.relation.name, after ?? before), data, tx });
  }

  /** Confirms the end of the longest run of committed, fully put transactions. */
  private advance(): void {
    let to = this.confirmed;
    while (this.txs.length > 0) {
      const tx = this.txs[0]!;
      if (tx.endLsn === undefined || tx.unput > 0) break;
      to = Math.max(to, tx.endLsn);
      this.txs.shift();
    }
    if (to > this.confirmed) {
      this.confirmed = to;
      this.acknowledge();
    }
  }

  /**
   * Answers a keepalive that asks for it with the confirmed position. Never
   * confirms the keepalive's own position: the library hands keepalives over at
   * once while data messages before them may still wait in its queue.
   */
  private onHeartbeat(shouldRespond: boolean): void {
    if (shouldRespond) this.acknowledge();
  }

  /** Reports {@link confirmed} as written, flushed and applied (the library reports the LSN given plus one: hence minus one). */
  private acknowledge(): void {
    if (this.dead || !this.service || this.confirmed <= 0) return;
    void this.service.acknowledge(lsnText(this.confirmed - 1)).catch(() => undefined);
  }

  status(): CdcReaderStatus {
    const { lastCommitMs, lastError, ...rest } = this.s;
    return {
      ...rest,
      pending: this.putter.buffered,
      maxPending: this.putter.stats().maxBuffered,
      backPressureWaits: this.putter.stats().highWaterHits,
      confirmedLsn: lsnText(this.confirmed),
      ...(lastCommitMs !== undefined ? { lastCommitMs } : {}),
      ...(lastError !== undefined ? { lastError } : {}),
    };
  }

  /**
   * Stops: puts what it holds, confirms it, then disconnects. Waits at most
   * `timeoutMs` for the puts (what is not put by then is not confirmed, and is
   * replayed by the next reader).
   */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.putter.flush(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    this.advance();
    this.acknowledge();
    // Let the status update reach the server before the connection closes.
    await new Promise((r) => setTimeout(r, 50));
    await this.service?.destroy();
    this.service = undefined;
    this.s.connected = false;
  }

  /** Drops the connection at once, confirming nothing more (what a crash looks like to the server). */
  async kill(): Promise<void> {
    this.dead = true;
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    await this.service?.destroy();
    this.service = undefined;
    this.s.connected = false;
  }
}
