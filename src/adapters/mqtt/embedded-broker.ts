/**
 * An embedded MQTT broker (aedes, in memory) on a free loopback port: what
 * `ticklake up` runs when no `--mqtt-url` is given, so that simulated sensors
 * and the bridge talk real MQTT over TCP. Sessions and queued QoS 1 messages
 * live as long as the process (aedes' in-memory persistence).
 */
import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';

/** A running embedded broker. */
export interface EmbeddedBroker {
  /** `mqtt://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Stops listening, closes every client connection and the broker. */
  close(): Promise<void>;
}

/**
 * Starts an aedes broker on `host` (default 127.0.0.1) and `port` (default 0:
 * a free port the system picks).
 */
export async function startEmbeddedBroker(opts: { readonly host?: string; readonly port?: number } = {}): Promise<EmbeddedBroker> {
  const host = opts.host ?? '127.0.0.1';
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `mqtt://${host}:${port}`,
    port,
    close: async () => {
      // server.close waits for open connections; the broker's close ends them.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await closed;
    },
  };
}
