/**
 * The Binance live connector: Binance's `<symbol>@trade` WebSocket streams onto
 * the event stream, through the batching putter and a {@link StreamProducer}
 * (Kinesis in the cloud, the local stream on one machine).
 *
 * - **Endpoint.** One connection to the combined stream,
 *   `wss://stream.binance.com:9443/stream?streams=btcusdt@trade/ethusdt@trade`,
 *   whose frames are `{"stream":"btcusdt@trade","data":{…}}`; raw frames
 *   (`/ws/<stream>`: the message alone) are accepted too. A frame goes on the
 *   stream exactly as received (the stream transform unwraps it), keyed `SYMBOL`
 *   (or `SYMBOL/<n>` with a key spread).
 * - **Pings.** Binance pings every 20 s and drops a connection that has not
 *   answered within a minute; the `ws` client answers every ping with a pong
 *   carrying its payload (its `autoPong`, on by default). A connection that has
 *   shown no sign of life (frame, ping or pong) for `staleAfterMs` (default 90 s)
 *   while not paused is taken for dead (a half-open TCP connection) and replaced.
 * - **Reconnects.** After a drop, an error or a server close (Binance closes every
 *   connection after 24 h, and on maintenance with 1001), it reconnects after a
 *   full-jitter exponential backoff (default 1 s doubling to 60 s; reset once a
 *   new connection delivers a frame), never while the buffer is above its
 *   high-water mark.
 * - **Proactive rotation** before Binance's 24 h cut (default after 23 h):
 *   make before break. A second connection is opened and its frames are held
 *   while the first keeps delivering; once the first has caught up with the
 *   first trade id the new one delivered, for each symbol the new one has
 *   delivered (or after `overlapTimeoutMs`), the new one takes over: its held
 *   frames are replayed (the overlap is dropped as duplicates) and the old one is
 *   closed with 1000. No trade is lost or doubled at the switch.
 * - **Duplicates and gaps** by trade id, per symbol (Binance's ids increase by one
 *   per trade): a trade whose id is at or below the last one seen is skipped (the
 *   overlap of a rotation, a server replay), so the connector never puts a trade
 *   twice, also across reconnects; an id above last+1 is a gap: counted, and
 *   logged as a warning with its size (the trades missed while disconnected).
 *   The last ids live in memory: after a restart of the process the stream
 *   transform's lake keys (symbol, trade id) are what remains.
 * - **Healing** (only with `heal.url`, Binance's REST API): a gap's ids are
 *   marked missing ({@link MissingTrades}) and fetched in the background from
 *   `/api/v3/historicalTrades` ({@link GapHealer}: bounded, retried, never
 *   blocking the socket). A missing trade is put once, by whichever copy comes
 *   first (the REST API, or the socket delivering it late), and through the same
 *   buffer as the socket's trades. A heal that fails is logged and counted; the
 *   connector carries on.
 * - **Malformed frames** are never dropped and never throw: they go on the stream
 *   as received (keyed by their symbol when one can be read, else
 *   {@link UNKEYED_PARTITION_KEY}), and the stream transform quarantines them with
 *   a reason. A frame over Kinesis's 1 MiB record limit is cut to fit (and so
 *   quarantined as malformed JSON).
 * - **Back-pressure.** When the putter's buffer reaches its high-water mark the
 *   socket is paused (TCP then slows the server down) until the buffer has
 *   drained to its low-water mark. Frames already read from the socket are still
 *   taken, so the buffer can pass the mark by one socket read.
 */
import WebSocket, { type RawData } from 'ws';
import { backoffDelayMs } from '../../core/backoff.js';
import { BatchedPutter, type BatchedPutterOptions, type PutterStats, utf8Length } from '../../ingest/batched-putter.js';
import { PUT_RECORD_MAX_BYTES, type PutEntry, type StreamProducer } from '../../ingest/stream-producer.js';
import { PartitionKeys } from '../../sources/binance-trades/partition-keys.js';
import { GapHealer, type GapHealOptions, type HealedTrade, type HealOutcome, type HealRange } from './gap-healer.js';
import { MissingTrades } from './missing-trades.js';

/** Binance's production market-data stream endpoint. */
export const BINANCE_WS_URL = 'wss://stream.binance.com:9443';

/** Partition key of a frame whose symbol cannot be read (lower case, so the transform never takes it for a symbol). */
export const UNKEYED_PARTITION_KEY = 'binance-live';

/** Binance allows at most 1,024 streams on one connection. */
export const MAX_STREAMS_PER_CONNECTION = 1024;

const SYMBOL_RE = /^[A-Z0-9]{2,20}$/;

/** Minimal logger shape (Powertools Logger and the CLI's logger satisfy it). */
export interface ConnectorLogger {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** A trade-id gap: `missing` trades between `afterTradeId` and `nextTradeId` were never received. */
export interface TradeGap {
  readonly symbol: string;
  readonly afterTradeId: number;
  readonly nextTradeId: number;
  readonly missing: number;
}

export interface BinanceLiveOptions {
  /**
   * Binance stream endpoint: a base (`wss://stream.binance.com:9443`, default),
   * `…/stream` (the combined stream of the symbols is added), `…/ws` (one symbol:
   * its raw stream), or a full stream URL used as given.
   */
  readonly url?: string;
  /** Symbols, e.g. `['BTCUSDT', 'ETHUSDT']` (upper case letters and digits). */
  readonly symbols: readonly string[];
  readonly producer: StreamProducer;
  readonly logger?: ConnectorLogger;
  /** Called every `statusIntervalMs` with the counters. */
  readonly onStatus?: (status: BinanceLiveStatus) => void;
  readonly statusIntervalMs?: number;
  /** Called for every trade-id gap (after the warning is logged). */
  readonly onGap?: (gap: TradeGap) => void;
  /** Heal gaps from Binance's REST API at `heal.url` (default: no healing, gaps are only counted). */
  readonly heal?: GapHealOptions;
  /** Sub-keys per symbol: 1 puts `SYMBOL`, n > 1 cycles `SYMBOL/0` … `SYMBOL/<n-1>` (default 1). */
  readonly keySpread?: number;
  /** Age at which a connection is replaced, before Binance's 24 h cut (default 23 h). */
  readonly maxConnectionMs?: number;
  /** Longest overlap of a rotation before the new connection takes over anyway (default 10 s). */
  readonly overlapTimeoutMs?: number;
  /** A connection silent (no frame, ping or pong) this long is replaced (default 90 s; 0 disables). */
  readonly staleAfterMs?: number;
  /** Reconnect backoff (full jitter; default 1 s doubling to 60 s). */
  readonly reconnect?: { readonly baseDelayMs: number; readonly maxDelayMs: number };
  /** WebSocket opening handshake timeout (default 10 s). */
  readonly handshakeTimeoutMs?: number;
  /** Options of the batching putter (batch limits, linger, high/low-water marks, retry backoff). */
  readonly putter?: Omit<BatchedPutterOptions<LiveEntry>, 'onPut' | 'onRetry'>;
  readonly clock?: () => number;
  readonly random?: () => number;
}

/** Counters for a status line. */
export interface BinanceLiveStatus {
  readonly url: string;
  readonly connected: boolean;
  /** Age of the current connection, ms. */
  readonly connectionAgeMs?: number;
  /** Frames received (all connections, including the held frames of a rotation). */
  readonly messages: number;
  /** Frames per second over the last 10 s. */
  readonly messagesPerSecond: number;
  /** Trades accepted (not duplicates), and of them put on the stream. */
  readonly trades: number;
  readonly tradesPut: number;
  /** Frames that are not a readable trade (put as they are, to be quarantined), and of them put. */
  readonly malformed: number;
  readonly malformedPut: number;
  /** Trades skipped as already seen (trade id at or below the last one of its symbol). */
  readonly duplicates: number;
  readonly gaps: number;
  /** Trades missing in the gaps. */
  readonly gapTrades: number;
  /** The REST base gaps are healed from (absent: no healing). */
  readonly healUrl?: string;
  /** Missing trades put from the REST API. */
  readonly healedTrades: number;
  /** Heals that ended with trades still missing (the API failed or was unreachable, a gap over the per-gap limit, a full queue). */
  readonly healFailures: number;
  /** REST requests made by heals (retries included), counted as each heal ends. */
  readonly healRequests: number;
  /** Heals running or queued. */
  readonly healsUnderWay: number;
  /** Connections opened after a drop or a server close. */
  readonly reconnects: number;
  /** Proactive rotations completed. */
  readonly rotations: number;
  /** Connection attempts that failed or dropped before delivering a frame. */
  readonly connectFailures: number;
  /** Pings received from the server (each answered by the client). */
  readonly pings: number;
  /** Now minus the trade time of the newest trade, ms. */
  readonly lastTradeAgeMs?: number;
  /** Entries not yet put. */
  readonly buffered: number;
  /** True while the socket is paused for back-pressure; how often it was. */
  readonly paused: boolean;
  readonly pauses: number;
  /** Last trade id per symbol. */
  readonly lastTradeIds: Readonly<Record<string, number>>;
  readonly putter: PutterStats;
}

/** The handle `startBinanceLive` returns. */
export interface BinanceLive {
  status(): BinanceLiveStatus;
  /** Closes the connections, puts everything buffered, and returns the final counters (waits at most `timeoutMs` for the buffer). */
  stop(timeoutMs?: number): Promise<BinanceLiveStatus>;
}

/** What the connector puts: an entry, tagged trade or not (for the counters). */
export interface LiveEntry extends PutEntry {
  readonly trade: boolean;
}

/** `btcusdt@trade` for `BTCUSDT`. */
export const tradeStreamName = (symbol: string) => `${symbol.toLowerCase()}@trade`;

/** Checks symbols (upper-case letters and digits, 2-20, at most 1,024, no repeats) and returns them. */
export function checkSymbols(symbols: readonly string[]): string[] {
  if (symbols.length === 0) throw new Error('binance-live: give at least one symbol');
  const bad = symbols.filter((s) => !SYMBOL_RE.test(s));
  if (bad.length > 0) throw new Error(`binance-live: symbols must be 2-20 upper-case letters or digits: ${bad.join(', ')}`);
  if (new Set(symbols).size !== symbols.length) throw new Error('binance-live: a symbol is repeated');
  if (symbols.length > MAX_STREAMS_PER_CONNECTION) throw new Error(`binance-live: at most ${MAX_STREAMS_PER_CONNECTION} symbols per connection`);
  return [...symbols];
}

/**
 * The stream URL for `symbols` on endpoint `base` (see {@link BinanceLiveOptions.url}):
 * `<origin>/stream?streams=btcusdt@trade/ethusdt@trade`, or `<origin>/ws/btcusdt@trade`.
 */
export function binanceStreamUrl(base: string, symbols: readonly string[]): string {
  const u = new URL(base);
  if (u.protocol !== 'wss:' && u.protocol !== 'ws:') throw new Error(`binance-live: ${base} is not a ws:// or wss:// URL`);
  const streams = checkSymbols(symbols).map(tradeStreamName);
  const path = u.pathname.replace(/\/+$/, '');
  const origin = `${u.protocol}//${u.host}`;
  if (path === '' || path === '/stream') {
    if (u.searchParams.has('streams')) return base;
    return `${origin}/stream?streams=${streams.join('/')}`;
  }
  if (path === '/ws') {
    if (streams.length !== 1) throw new Error('binance-live: a raw /ws endpoint carries one stream; give one symbol or use the combined /stream endpoint');
    return `${origin}/ws/${streams[0]}`;
  }
  return base;
}

type Json = Record<string, unknown>;

/** What a frame is: a trade (symbol, id, trade time) or not, and the partition-key symbol if one can be read. */
export interface FrameInfo {
  readonly trade?: { readonly symbol: string; readonly id: number; readonly timeMs?: number };
  readonly symbol?: string;
}

/** Reads a frame (combined wrapper or raw message) far enough to key, dedupe and gap-check it. Never throws. */
export function inspectFrame(text: string): FrameInfo {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // Not JSON: a symbol may still be readable, to keep the frame on its symbol's key.
    const m = /"s"\s*:\s*"([A-Z0-9]{2,20})"/.exec(text) ?? /"stream"\s*:\s*"([a-z0-9]{2,20})@/.exec(text);
    const symbol = m?.[1]?.toUpperCase();
    return symbol ? { symbol } : {};
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return {};
  let m = doc as Json;
  let streamSymbol: string | undefined;
  if (typeof m.stream === 'string') {
    const s = m.stream.split('@')[0]?.toUpperCase();
    if (s && SYMBOL_RE.test(s)) streamSymbol = s;
    if (typeof m.data === 'object' && m.data !== null && !Array.isArray(m.data)) m = m.data as Json;
  }
  const symbol = typeof m.s === 'string' && SYMBOL_RE.test(m.s) ? m.s : streamSymbol;
  if (m.e === 'trade' && typeof m.s === 'string' && SYMBOL_RE.test(m.s) && Number.isSafeInteger(m.t) && (m.t as number) >= 0) {
    return { trade: { symbol: m.s, id: m.t as number, ...(typeof m.T === 'number' ? { timeMs: m.T } : {}) }, symbol: m.s };
  }
  return symbol ? { symbol } : {};
}

/** Cuts a payload so that payload plus key fit one Kinesis record. */
function fitRecord(text: string, keyBytes: number): string {
  const max = PUT_RECORD_MAX_BYTES - keyBytes;
  let s = text;
  while (utf8Length(s) > max) s = s.slice(0, Math.min(max, Math.floor(s.length * 0.9)));
  return s;
}

/** The gaps in a few words: `1 gap (5 missing)`, with healing `1 gap (5 missing, 5 healed)`, `…, 1 heal failed`, `…, 1 healing`. */
export function formatGaps(s: BinanceLiveStatus): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const detail = [`${n(s.gapTrades)} missing`];
  if (s.healUrl !== undefined) {
    detail.push(`${n(s.healedTrades)} healed`);
    if (s.healFailures > 0) detail.push(`${n(s.healFailures)} heal${s.healFailures === 1 ? '' : 's'} failed`);
    if (s.healsUnderWay > 0) detail.push(`${n(s.healsUnderWay)} healing`);
  }
  return `${n(s.gaps)} gap${s.gaps === 1 ? '' : 's'} (${detail.join(', ')})`;
}

/** One status line: `connected, 212.4 msg/s, 10,233 trades put, 1 gap (5 missing, 5 healed), 2 reconnects, last trade 0.3 s ago, 12 buffered`. */
export function formatBinanceLiveStatus(s: BinanceLiveStatus): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const parts = [
    s.connected ? 'connected' : 'disconnected',
    `${s.messagesPerSecond.toFixed(1)} msg/s`,
    `${n(s.tradesPut)} trades put`,
    formatGaps(s),
    `${n(s.reconnects)} reconnect${s.reconnects === 1 ? '' : 's'}`,
    s.lastTradeAgeMs === undefined ? 'no trade yet' : `last trade ${(s.lastTradeAgeMs / 1000).toFixed(1)} s ago`,
    `${n(s.buffered)} buffered${s.paused ? ' (paused)' : ''}`,
  ];
  if (s.malformed > 0) parts.push(`${n(s.malformed)} malformed`);
  return parts.join(', ');
}

interface Conn {
  readonly ws: WebSocket;
  readonly n: number;
  openedAt: number;
  lastSeen: number;
  delivered: boolean;
  /** Frames held while this is the standby of a rotation. */
  held: { text: string; info: FrameInfo }[];
  /** First trade id per symbol this connection delivered (standby only). */
  readonly firstIds: Map<string, number>;
  closed: boolean;
  readonly done: Promise<void>;
}

const noopLogger: ConnectorLogger = { info() {}, warn() {}, error() {} };
const HELD_FRAMES_LIMIT = 100_000;

/** The connector (see the module comment). Use {@link startBinanceLive}. */
export class BinanceLiveConnector implements BinanceLive {
  readonly url: string;
  private readonly putter: BatchedPutter<LiveEntry>;
  private readonly keys: PartitionKeys;
  private readonly logger: ConnectorLogger;
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly lastIds = new Map<string, number>();
  private readonly missing = new MissingTrades();
  private readonly healer: GapHealer | undefined;
  /** Trades of a heal's gap past the per-gap limit (never asked for, so never healed). */
  private readonly uncovered = new WeakMap<HealRange, number>();
  private current: Conn | undefined;
  private standby: Conn | undefined;
  private connSeq = 0;
  private attempt = 0;
  private started = false;
  private stopping = false;
  private stopped: Promise<BinanceLiveStatus> | undefined;
  /** Resolves when stop() begins: a heal waiting for room in the buffer then stops waiting. */
  private stopBegun!: () => void;
  private readonly stopBegins = new Promise<void>((r) => {
    this.stopBegun = r;
  });
  private paused = false;
  private lastTradeMs: number | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private rotateTimer: ReturnType<typeof setTimeout> | undefined;
  private overlapTimer: ReturnType<typeof setTimeout> | undefined;
  private watchdog: ReturnType<typeof setInterval> | undefined;
  private statusTimer: ReturnType<typeof setInterval> | undefined;
  private readonly rate = { secs: new Array<number>(11).fill(-1), counts: new Array<number>(11).fill(0) };
  private readonly c = {
    messages: 0,
    trades: 0,
    tradesPut: 0,
    malformed: 0,
    malformedPut: 0,
    duplicates: 0,
    gaps: 0,
    gapTrades: 0,
    healedTrades: 0,
    healFailures: 0,
    healRequests: 0,
    reconnects: 0,
    rotations: 0,
    connectFailures: 0,
    pings: 0,
    pauses: 0,
  };

  constructor(private readonly options: BinanceLiveOptions) {
    this.url = binanceStreamUrl(options.url ?? BINANCE_WS_URL, options.symbols);
    this.logger = options.logger ?? noopLogger;
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? Math.random;
    const spread = options.keySpread ?? 1;
    if (!Number.isInteger(spread) || spread < 1) throw new Error(`binance-live: keySpread must be a positive integer, got ${spread}`);
    this.keys = new PartitionKeys(spread);
    this.putter = new BatchedPutter<LiveEntry>(options.producer, {
      ...options.putter,
      onPut: (entries) => {
        for (const e of entries) {
          if (e.trade) this.c.tradesPut++;
          else this.c.malformedPut++;
        }
      },
      onRetry: (r) =>
        this.logger.warn('binance-live: stream put failed, retrying', { entries: r.entries, attempt: r.attempt, delayMs: r.delayMs, reason: r.reason }),
    });
    this.healer = options.heal
      ? new GapHealer(options.heal, {
          deliver: (symbol, trades) => this.takeHealed(symbol, trades),
          nextMissing: (symbol, from, to) => {
            const r = this.missing.of(symbol).find((x) => x.to >= from && x.from <= to);
            return r === undefined ? undefined : Math.max(r.from, from);
          },
          ended: (range, outcome, requests) => this.healEnded(range, outcome, requests),
          logger: this.logger,
          clock: this.clock,
          random: this.random,
        })
      : undefined;
  }

  /** Opens the first connection and starts the timers. */
  start(): this {
    if (this.started) throw new Error('binance-live: already started');
    this.started = true;
    this.current = this.open();
    const stale = this.options.staleAfterMs ?? 90_000;
    if (stale > 0) this.watchdog = setInterval(() => this.checkStale(stale), Math.max(10, Math.floor(stale / 4)));
    if (this.options.onStatus) {
      const onStatus = this.options.onStatus;
      this.statusTimer = setInterval(() => onStatus(this.status()), this.options.statusIntervalMs ?? 5_000);
    }
    return this;
  }

  status(): BinanceLiveStatus {
    const now = this.clock();
    const cur = this.current;
    const connected = cur !== undefined && cur.ws.readyState === WebSocket.OPEN;
    return {
      url: this.url,
      connected,
      ...(connected ? { connectionAgeMs: now - cur.openedAt } : {}),
      ...this.c,
      messagesPerSecond: this.messagesPerSecond(now),
      ...(this.healer ? { healUrl: this.healer.base } : {}),
      healsUnderWay: this.healer?.underWay ?? 0,
      ...(this.lastTradeMs === undefined ? {} : { lastTradeAgeMs: Math.max(0, now - this.lastTradeMs) }),
      buffered: this.putter.buffered,
      paused: this.paused,
      lastTradeIds: Object.fromEntries(this.lastIds),
      putter: this.putter.stats(),
    };
  }

  stop(timeoutMs = Number.POSITIVE_INFINITY): Promise<BinanceLiveStatus> {
    this.stopped ??= this.shutDown(timeoutMs);
    return this.stopped;
  }

  private async shutDown(timeoutMs: number): Promise<BinanceLiveStatus> {
    this.stopping = true;
    this.stopBegun();
    for (const t of [this.reconnectTimer, this.rotateTimer, this.overlapTimer]) if (t) clearTimeout(t);
    for (const t of [this.watchdog, this.statusTimer]) if (t) clearInterval(t);
    // Heals under way are aborted; the trades they already delivered are in the buffer.
    await this.healer?.stop();
    const conns = [this.current, this.standby].filter((c): c is Conn => c !== undefined);
    // Frames that arrive during the closing handshake are still taken.
    for (const c of conns) this.closeConn(c, 1000, 'client stopping');
    await Promise.all(conns.map((c) => c.done));
    // Held frames of an unfinished rotation: the old connection has closed, so replay them (duplicates are skipped).
    if (this.standby) for (const h of this.standby.held.splice(0)) this.take(h.text, h.info);
    this.resume();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      this.putter.flush().then(() => false),
      new Promise<boolean>((r) => {
        if (Number.isFinite(timeoutMs)) timer = setTimeout(() => r(true), timeoutMs);
      }),
    ]);
    if (timer) clearTimeout(timer);
    const s = this.status();
    if (timedOut) this.logger.error('binance-live: stopped with records not put', { buffered: s.buffered });
    else
      this.logger.info('binance-live: stopped', {
        tradesPut: s.tradesPut,
        gaps: s.gaps,
        gapTrades: s.gapTrades,
        ...(this.healer ? { healedTrades: s.healedTrades, healFailures: s.healFailures } : {}),
        reconnects: s.reconnects,
      });
    return s;
  }

  // --- connections -----------------------------------------------------------

  private open(): Conn {
    const n = ++this.connSeq;
    const ws = new WebSocket(this.url, {
      handshakeTimeout: this.options.handshakeTimeoutMs ?? 10_000,
      perMessageDeflate: false,
      // Bounded, but above the record limit: a larger frame is cut and quarantined, not refused.
      maxPayload: 16 * PUT_RECORD_MAX_BYTES,
    });
    let closed!: () => void;
    const conn: Conn = {
      ws,
      n,
      openedAt: this.clock(),
      lastSeen: this.clock(),
      delivered: false,
      held: [],
      firstIds: new Map(),
      closed: false,
      done: new Promise<void>((r) => {
        closed = r;
      }),
    };
    ws.on('open', () => {
      conn.openedAt = this.clock();
      conn.lastSeen = conn.openedAt;
      if (this.paused) ws.pause();
      this.logger.info('binance-live: connected', { url: this.url, connection: n, role: conn === this.standby ? 'standby' : 'current' });
      if (conn === this.current) this.scheduleRotation(conn);
    });
    ws.on('message', (data: RawData) => this.onFrame(conn, data));
    ws.on('ping', () => {
      conn.lastSeen = this.clock();
      this.c.pings++;
    });
    ws.on('pong', () => {
      conn.lastSeen = this.clock();
    });
    ws.on('error', (e: Error) => {
      this.logger.warn('binance-live: connection error', { connection: n, error: e.message });
    });
    ws.on('close', (code: number, reason: Buffer) => {
      conn.closed = true;
      closed();
      this.onClose(conn, code, reason.toString('utf8'));
    });
    return conn;
  }

  private closeConn(c: Conn, code: number, reason: string): void {
    if (c.closed) return;
    const ws = c.ws;
    if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) {
      ws.resume();
      ws.close(code, reason);
    }
    // The socket is resumed even under back-pressure, so that the close handshake completes: the
    // frames the server sent before its close frame are still taken (the buffer may pass its
    // high-water mark by what the server had queued). ws gives an unanswered close handshake 30 s;
    // do not wait that long.
    setTimeout(() => {
      if (!c.closed) ws.terminate();
    }, 10_000).unref();
  }

  private onClose(c: Conn, code: number, reason: string): void {
    if (this.stopping) return;
    if (!c.delivered) this.c.connectFailures++;
    if (c === this.current) {
      this.current = undefined;
      if (this.rotateTimer) clearTimeout(this.rotateTimer);
      this.logger.warn('binance-live: connection closed', { connection: c.n, code, reason, ageMs: this.clock() - c.openedAt });
      if (this.standby) {
        // A rotation was under way: the new connection takes over at once.
        this.promote(this.standby, 'previous connection closed');
        this.c.reconnects++;
      } else {
        this.scheduleReconnect();
      }
    } else if (c === this.standby) {
      this.standby = undefined;
      if (this.overlapTimer) clearTimeout(this.overlapTimer);
      this.logger.warn('binance-live: rotation connection closed before taking over; will retry', { connection: c.n, code, reason });
      if (this.current) this.scheduleRotation(this.current, backoffDelayMs(this.attempt++, this.reconnectPolicy(), this.random));
    }
  }

  private reconnectPolicy() {
    return this.options.reconnect ?? { baseDelayMs: 1_000, maxDelayMs: 60_000 };
  }

  private scheduleReconnect(): void {
    const delayMs = backoffDelayMs(this.attempt++, this.reconnectPolicy(), this.random);
    this.logger.info('binance-live: reconnecting', { delayMs, attempt: this.attempt });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      // Never connect while the stream is the bottleneck.
      void this.putter.writable().then(() => {
        if (this.stopping || this.current) return;
        this.current = this.open();
        this.c.reconnects++;
      });
    }, delayMs);
  }

  private scheduleRotation(c: Conn, afterMs?: number): void {
    if (this.rotateTimer) clearTimeout(this.rotateTimer);
    const maxAge = this.options.maxConnectionMs ?? 23 * 3_600_000;
    const wait = afterMs ?? Math.max(0, c.openedAt + maxAge - this.clock());
    this.rotateTimer = setTimeout(() => {
      this.rotateTimer = undefined;
      if (this.stopping || c !== this.current || this.standby) return;
      this.logger.info('binance-live: rotating the connection before the 24 h limit', { connection: c.n, ageMs: this.clock() - c.openedAt });
      this.standby = this.open();
      const standby = this.standby;
      this.overlapTimer = setTimeout(() => {
        // Open but not caught up in time (or no trade yet): everything from its start comes through it anyway.
        if (this.standby === standby && standby.ws.readyState === WebSocket.OPEN) this.promote(standby, 'overlap timeout');
      }, this.options.overlapTimeoutMs ?? 10_000);
    }, wait);
  }

  /** Makes `s` the current connection: replays its held frames and closes the old one. */
  private promote(s: Conn, why: string): void {
    if (this.overlapTimer) clearTimeout(this.overlapTimer);
    const old = this.current;
    this.current = s;
    this.standby = undefined;
    for (const h of s.held.splice(0)) this.take(h.text, h.info);
    s.firstIds.clear();
    if (old) {
      this.c.rotations++;
      this.logger.info('binance-live: rotated', { from: old.n, to: s.n, why });
      this.closeConn(old, 1000, 'rotated');
    }
    if (s.ws.readyState === WebSocket.OPEN) this.scheduleRotation(s);
  }

  /** Promotes the standby once the current connection has caught up with it on every symbol it delivered. */
  private maybePromote(): void {
    const s = this.standby;
    if (!s || s.firstIds.size === 0) return;
    for (const [symbol, first] of s.firstIds) {
      const last = this.lastIds.get(symbol);
      if (last === undefined || last < first - 1) {
        if (s.held.length < HELD_FRAMES_LIMIT) return;
      }
    }
    this.promote(s, 'caught up');
  }

  private checkStale(staleAfterMs: number): void {
    if (this.paused || this.stopping) return;
    const now = this.clock();
    for (const c of [this.current, this.standby]) {
      if (c && c.ws.readyState === WebSocket.OPEN && now - c.lastSeen > staleAfterMs) {
        this.logger.warn('binance-live: no frame, ping or pong; replacing the connection', { connection: c.n, silentMs: now - c.lastSeen });
        c.ws.terminate();
      }
    }
  }

  // --- frames ----------------------------------------------------------------

  private onFrame(c: Conn, data: RawData): void {
    const now = this.clock();
    c.lastSeen = now;
    this.c.messages++;
    this.countRate(now);
    if (!c.delivered) {
      c.delivered = true;
      // A connection that delivers is a success: the backoff starts over.
      this.attempt = 0;
    }
    // Binance sends text frames; a binary one is decoded the same way and quarantined as whatever it turns out to be.
    const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    const text = buf.toString('utf8');
    const info = inspectFrame(text);
    if (c === this.standby) {
      if (info.trade && !c.firstIds.has(info.trade.symbol)) c.firstIds.set(info.trade.symbol, info.trade.id);
      c.held.push({ text, info });
      this.maybePromote();
      return;
    }
    // The current connection, or a retired one still closing (what it delivers late is mostly duplicates, skipped).
    this.take(text, info);
    if (this.standby) this.maybePromote();
  }

  /** Dedupes, gap-checks and buffers one frame. */
  private take(text: string, info: FrameInfo): void {
    const t = info.trade;
    if (t) {
      const last = this.lastIds.get(t.symbol);
      if (last !== undefined && t.id <= last) {
        // Below the last id: a duplicate, unless it is a gap's missing trade arriving late (then its heal skips it).
        if (!this.missing.take(t.symbol, t.id)) {
          this.c.duplicates++;
          return;
        }
      } else {
        if (last !== undefined && t.id > last + 1) this.onGap({ symbol: t.symbol, afterTradeId: last, nextTradeId: t.id, missing: t.id - last - 1 });
        this.lastIds.set(t.symbol, t.id);
      }
      this.noteTrade(t.timeMs);
    } else {
      this.c.malformed++;
      if (this.c.malformed <= 10 || this.c.malformed % 1000 === 0)
        this.logger.warn('binance-live: frame is not a trade; putting it on the stream to be quarantined', {
          frame: text.slice(0, 200),
          malformed: this.c.malformed,
        });
    }
    this.buffer(text, info.symbol, t !== undefined);
  }

  private noteTrade(timeMs: number | undefined): void {
    if (timeMs !== undefined) this.lastTradeMs = this.lastTradeMs === undefined ? timeMs : Math.max(this.lastTradeMs, timeMs);
    this.c.trades++;
  }

  private buffer(text: string, symbol: string | undefined, trade: boolean): void {
    const partitionKey = symbol ? this.keys.next(symbol) : UNKEYED_PARTITION_KEY;
    const data = fitRecord(text, utf8Length(partitionKey));
    if (!this.putter.push({ partitionKey, data, trade })) this.pause();
  }

  // --- gaps ------------------------------------------------------------------

  private onGap(gap: TradeGap): void {
    this.c.gaps++;
    this.c.gapTrades += gap.missing;
    this.logger.warn('binance-live: trade-id gap', { ...gap });
    try {
      this.options.onGap?.(gap);
    } catch {
      // a callback must not stop the connector
    }
    const healer = this.healer;
    if (!healer || this.stopping) return;
    if (!healer.canTake()) {
      this.c.healFailures++;
      this.logger.warn('binance-live: too many heals queued; the gap stays missing', { ...gap });
      return;
    }
    const from = gap.afterTradeId + 1;
    const to = Math.min(gap.nextTradeId - 1, gap.afterTradeId + healer.maxTradesPerGap);
    if (to < gap.nextTradeId - 1) {
      this.logger.warn('binance-live: gap larger than one heal covers; healing its first trades only', { ...gap, healing: to - from + 1 });
    }
    const range: HealRange = { symbol: gap.symbol, from, to };
    if (to < gap.nextTradeId - 1) this.uncovered.set(range, gap.nextTradeId - 1 - to);
    this.missing.add(gap.symbol, from, to);
    healer.heal(range);
  }

  /** Takes the healed trades that are still missing into the buffer, once there is room for them. */
  private async takeHealed(symbol: string, trades: readonly HealedTrade[]): Promise<number> {
    // At a stop, a stream that cannot take more must not hold the stop up: the flush's timeout bounds it.
    await Promise.race([this.putter.writable(), this.stopBegins]);
    let taken = 0;
    for (const h of trades) {
      if (!this.missing.take(symbol, h.id)) continue;
      this.noteTrade(h.timeMs);
      this.c.healedTrades++;
      taken++;
      this.buffer(h.text, symbol, true);
    }
    return taken;
  }

  private healEnded(range: HealRange, outcome: HealOutcome, requests: number): void {
    this.c.healRequests += requests;
    // What is still missing now stays missing: forgotten, so that a late copy is taken as a duplicate.
    const unhealed = this.missing.drop(range.symbol, range.from, range.to) + (this.uncovered.get(range) ?? 0);
    const fields = { symbol: range.symbol, fromTradeId: range.from, toTradeId: range.to, unhealed, requests };
    if (outcome.kind === 'stopped') {
      if (unhealed > 0) this.logger.info('binance-live: heal abandoned at stop', fields);
    } else if (outcome.kind === 'failed' || unhealed > 0) {
      this.c.healFailures++;
      this.logger.warn('binance-live: heal failed; the trades stay missing', {
        ...fields,
        reason: outcome.kind === 'failed' ? outcome.reason : 'not returned by the API',
      });
    } else {
      this.logger.info('binance-live: gap healed', fields);
    }
  }

  // --- back-pressure -----------------------------------------------------------

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.c.pauses++;
    for (const c of [this.current, this.standby]) c?.ws.pause();
    void this.putter.writable().then(() => this.resume());
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const now = this.clock();
    for (const c of [this.current, this.standby]) {
      if (!c) continue;
      c.lastSeen = now;
      c.ws.resume();
    }
  }

  private countRate(now: number): void {
    const sec = Math.floor(now / 1000);
    const i = sec % this.rate.secs.length;
    if (this.rate.secs[i] !== sec) {
      this.rate.secs[i] = sec;
      this.rate.counts[i] = 0;
    }
    this.rate.counts[i]!++;
  }

  /** Frames per second over the 10 whole seconds before the current one. */
  private messagesPerSecond(now: number): number {
    const sec = Math.floor(now / 1000);
    let sum = 0;
    for (let i = 0; i < this.rate.secs.length; i++) {
      const s = this.rate.secs[i]!;
      if (s < sec && s >= sec - 10) sum += this.rate.counts[i]!;
    }
    return sum / 10;
  }
}

/**
 * Starts the Binance live connector: what `ticklake up --sources binance-live`
 * runs. Returns its counters and `stop()`.
 *
 *   const live = startBinanceLive({ symbols: ['BTCUSDT', 'ETHUSDT'], producer, logger, onStatus: (s) => log(formatBinanceLiveStatus(s)) });
 *   …
 *   await live.stop();
 */
export function startBinanceLive(options: BinanceLiveOptions): BinanceLive {
  return new BinanceLiveConnector(options).start();
}
