/** A real Mosquitto broker for tests: on a free loopback port, in a temporary directory, with a generated config, stopped after. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './lake-files.js';

/** The mosquitto binary (Debian installs it in /usr/sbin, often not on a user's PATH). */
export function mosquittoBinary(): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin']) {
    if (dir && existsSync(join(dir, 'mosquitto'))) return join(dir, 'mosquitto');
  }
  return undefined;
}

/** A free loopback TCP port. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = tcpConnect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`mosquitto did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A running Mosquitto; `restart` keeps the port and (persistence on) the sessions and queued messages. */
export class Mosquitto {
  private proc: ChildProcess | undefined;
  log = '';

  private constructor(
    readonly port: number,
    private readonly config: string,
  ) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<Mosquitto> {
    const bin = mosquittoBinary();
    if (!bin) throw new Error('mosquitto is not installed (Debian package mosquitto; .ci/run installs it)');
    const dir = tempDir('ticklake-mosquitto-');
    const port = await freePort();
    const config = join(dir, 'mosquitto.conf');
    writeFileSync(
      config,
      [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous true',
        // Sessions and queued QoS 1 messages survive a restart (written on shutdown).
        'persistence true',
        `persistence_location ${dir}/`,
        'max_queued_messages 100000',
        'log_dest stderr',
        'log_type error',
        'log_type warning',
        '',
      ].join('\n'),
    );
    const m = new Mosquitto(port, config);
    await m.run();
    return m;
  }

  private async run(): Promise<void> {
    const proc = spawn(mosquittoBinary()!, ['-c', this.config], { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr!.on('data', (d: Buffer) => {
      this.log += d.toString();
    });
    this.proc = proc;
    await waitForPort(this.port, 10_000);
  }

  /** Stops the broker (SIGTERM: it saves its sessions) and waits for it to exit. */
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGTERM');
    await exited;
    this.proc = undefined;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.run();
  }
}
