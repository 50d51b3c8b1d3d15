/**
 * A local HTTP server for poller tests (node:http on 127.0.0.1, port 0) that
 * answers each request with a handler and records when it came, and a
 * StreamProducer that keeps what it is given.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PutEntry, PutRecordsResult, StreamProducer } from '../../src/ingest/stream-producer.js';

export type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

export interface TestServer {
  readonly url: string;
  /** Arrival time of each request, ms. */
  readonly times: number[];
  readonly headers: IncomingMessage['headers'][];
  readonly server: Server;
}

const servers: Server[] = [];

/** Closes every server {@link serve} started (call it in `afterEach`). */
export async function closeServers(): Promise<void> {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
}

/** Stops one server now (a URL nothing listens on any more). */
export async function stopServer(t: TestServer): Promise<void> {
  servers.splice(servers.indexOf(t.server), 1);
  t.server.closeAllConnections();
  await new Promise((resolve) => t.server.close(resolve));
}

/** A local HTTP server answering the n-th request (0-based) with `handler`; `path` (with its query) is appended to its URL. */
export async function serve(handler: Handler, path: string): Promise<TestServer> {
  const times: number[] = [];
  const headers: IncomingMessage['headers'][] = [];
  const server = createServer((req, res) => {
    times.push(Date.now());
    headers.push(req.headers);
    handler(req, res, times.length - 1);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}${path}`, times, headers, server };
}

/** Answers with a JSON body (a string is sent as it is). */
export const json = (res: ServerResponse, body: unknown, status = 200, extra: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...extra });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

/** A StreamProducer that keeps what it is given; `fail(call, entries)` names the entries a call does not take, or throws. */
export class MemoryProducer implements StreamProducer {
  readonly calls: PutEntry[][] = [];
  constructor(private readonly fail: (call: number, entries: readonly PutEntry[]) => number[] = () => []) {}
  /** The entries taken, in order. */
  readonly put: PutEntry[] = [];
  async putRecords(entries: readonly PutEntry[]): Promise<PutRecordsResult> {
    this.calls.push([...entries]);
    const failed = this.fail(this.calls.length - 1, entries);
    entries.forEach((e, i) => {
      if (!failed.includes(i)) this.put.push(e);
    });
    return { failed: failed.map((index) => ({ index, code: 'ProvisionedThroughputExceededException', message: 'Rate exceeded for shard' })) };
  }
}
