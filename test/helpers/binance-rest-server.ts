/**
 * A local HTTP server (node:http on 127.0.0.1, port 0) that answers Binance's
 * `GET /api/v3/historicalTrades?symbol=…&fromId=…&limit=…` from a ledger of
 * trades consistent with `binanceTrade` (same id, price, quantity, time and
 * maker side), for the gap-healing tests. A test can script the next responses
 * (a 429 with Retry-After, a 500, a slow answer) and reads every request back.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TRADE_T0 } from './binance-ws-server.js';

/** A `historicalTrades` item for `symbol` and trade `id`, the REST twin of `binanceTrade(symbol, id)`. */
export function restTrade(symbol: string, id: number): Record<string, unknown> {
  const base = symbol === 'BTCUSDT' ? 97_000 : 3_400;
  const price = (base + (id % 1000) / 100).toFixed(8);
  const qty = (0.001 * (1 + (id % 7))).toFixed(8);
  return { id, price, qty, quoteQty: (Number(price) * Number(qty)).toFixed(8), time: TRADE_T0 + id, isBuyerMaker: id % 2 === 0, isBestMatch: true };
}

/** One request as the server saw it. */
export interface RestRequest {
  readonly atMs: number;
  readonly path: string;
  readonly symbol: string | null;
  readonly fromId: number;
  readonly limit: number;
}

/** A scripted answer: a status with headers and body, after an optional delay. */
export interface ScriptedResponse {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly delayMs?: number;
}

export class BinanceRestServer {
  readonly requests: RestRequest[] = [];
  /** Answers for the next requests, in order; the ledger answers once they are used up. */
  readonly script: ScriptedResponse[] = [];
  /** Delay of every ledger answer. */
  ledgerDelayMs = 0;

  private constructor(private readonly server: Server) {
    server.on('request', (req, res) => void this.answer(req, res));
  }

  static async start(): Promise<BinanceRestServer> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return new BinanceRestServer(server);
  }

  /** `http://127.0.0.1:<port>` */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://localhost');
    const request = {
      atMs: Date.now(),
      path: u.pathname,
      symbol: u.searchParams.get('symbol'),
      fromId: Number(u.searchParams.get('fromId')),
      limit: Number(u.searchParams.get('limit') ?? 500),
    };
    this.requests.push(request);
    const scripted = this.script.shift();
    const delayMs = scripted?.delayMs ?? this.ledgerDelayMs;
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    if (scripted) {
      res.writeHead(scripted.status, { 'content-type': 'application/json', ...scripted.headers });
      res.end(scripted.body ?? '{"code":-1003,"msg":"Too many requests"}');
      return;
    }
    if (request.path !== '/api/v3/historicalTrades' || request.symbol === null) {
      res.writeHead(404).end();
      return;
    }
    const trades = Array.from({ length: Math.min(request.limit, 1000) }, (_, i) => restTrade(request.symbol!, request.fromId + i));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(trades));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
