/**
 * A local WebSocket server that speaks Binance's market-stream protocol, for
 * the live connector's tests: it accepts `/stream?streams=…` and `/ws/<stream>`,
 * sends trade frames exactly as Binance formats them (combined
 * `{"stream":"btcusdt@trade","data":{…}}` or raw), pings, and lets a test drop
 * (terminate) or close (e.g. 1001) a connection.
 */
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { tradeMessage } from './kinesis-events.js';

/** Trade time of trade id 0 in these tests; trade `id` happens `id` ms later. */
export const TRADE_T0 = Date.UTC(2026, 10, 2, 10);

/** A Binance trade message for `symbol` and trade `id` (exact Binance field order and 8-decimal strings). */
export function binanceTrade(symbol: string, id: number, over: Record<string, unknown> = {}): string {
  const base = symbol === 'BTCUSDT' ? 97_000 : 3_400;
  return tradeMessage({
    s: symbol,
    t: id,
    T: TRADE_T0 + id,
    E: TRADE_T0 + id + 2,
    p: (base + (id % 1000) / 100).toFixed(8),
    q: (0.001 * (1 + (id % 7))).toFixed(8),
    m: id % 2 === 0,
    ...over,
  });
}

/** The combined-stream frame of a message: `{"stream":"btcusdt@trade","data":<message>}`. */
export function combined(symbol: string, message: string): string {
  return `{"stream":"${symbol.toLowerCase()}@trade","data":${message}}`;
}

/** One client connection as the server sees it. */
export interface ServerConn {
  readonly ws: WebSocket;
  /** The request path and query, e.g. `/stream?streams=btcusdt@trade/ethusdt@trade`. */
  readonly path: string;
  /** Close code the client sent, once closed. */
  closeCode?: number;
  readonly closed: Promise<void>;
}

export class BinanceWsServer {
  readonly conns: ServerConn[] = [];
  private waiters: ((c: ServerConn) => void)[] = [];

  private constructor(private readonly wss: WebSocketServer) {
    wss.on('connection', (ws, req) => {
      let done!: () => void;
      const conn: ServerConn = {
        ws,
        path: req.url ?? '',
        closed: new Promise<void>((r) => {
          done = r;
        }),
      };
      ws.on('close', (code) => {
        conn.closeCode = code;
        done();
      });
      ws.on('error', () => {});
      this.conns.push(conn);
      const w = this.waiters.shift();
      w?.(conn);
    });
  }

  static async start(): Promise<BinanceWsServer> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    return new BinanceWsServer(wss);
  }

  /** `ws://127.0.0.1:<port>` */
  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}`;
  }

  /** The `n`-th connection (from 0), once it is made. */
  connection(n: number, timeoutMs = 10_000): Promise<ServerConn> {
    if (this.conns[n]) return Promise.resolve(this.conns[n]!);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no connection #${n} within ${timeoutMs} ms`)), timeoutMs);
      const check = () => {
        if (this.conns[n]) {
          clearTimeout(t);
          resolve(this.conns[n]!);
        } else this.waiters.push(check);
      };
      check();
    });
  }

  /** Pings a connection and resolves with the payload of its pong. */
  ping(conn: ServerConn, payload: string, timeoutMs = 5_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no pong')), timeoutMs);
      conn.ws.once('pong', (data) => {
        clearTimeout(t);
        resolve(data.toString());
      });
      conn.ws.ping(payload);
    });
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.ws.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }
}

/** Polls `cond` every 5 ms until it holds (or throws after `timeoutMs`, naming `what`). */
export async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
