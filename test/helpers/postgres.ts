/**
 * A real PostgreSQL for tests: `initdb` in a temporary directory, `postgres`
 * on a free loopback port with `wal_level=logical`, stopped after. PostgreSQL
 * refuses to run as root: when the tests do (CI), both run as the `postgres`
 * system user (setpriv), with the directory handed to it.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './lake-files.js';
import { freePort } from './mosquitto.js';

/** The newest installed server's bin directory (Debian: /usr/lib/postgresql/<major>/bin, not on PATH). */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((d) => existsSync(join(root, d, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return majors.length > 0 ? join(root, majors[0]!, 'bin') : undefined;
}

/** The command prefix that runs a server binary as a user PostgreSQL accepts. */
function asServerUser(): { prefix: string[]; uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return { prefix: [] };
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { prefix: ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--'], uid, gid };
}

function command(bin: string, args: readonly string[]): [string, string[]] {
  const { prefix } = asServerUser();
  return prefix.length > 0 ? [prefix[0]!, [...prefix.slice(1), bin, ...args]] : [bin, [...args]];
}

/** A running PostgreSQL; `restart` keeps the port and the data (slots included). */
export class Postgres {
  private proc: ChildProcess | undefined;
  log = '';

  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly bin: string,
  ) {}

  /** A connection URL as the superuser `postgres` (trust authentication on loopback). */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async start(): Promise<Postgres> {
    const bin = postgresBinDir();
    if (!bin) throw new Error('PostgreSQL is not installed (Debian package postgresql; .ci/run installs it)');
    const dir = tempDir('ticklake-postgres-');
    const user = asServerUser();
    if (user.uid !== undefined) chownSync(dir, user.uid, user.gid!);
    const [cmd, args] = command(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    execFileSync(cmd, args, { stdio: 'pipe' });
    const pg = new Postgres(await freePort(), dir, bin);
    await pg.run();
    return pg;
  }

  private async run(): Promise<void> {
    const [cmd, args] = command(join(this.bin, 'postgres'), [
      '-D',
      join(this.dir, 'data'),
      '-p',
      String(this.port),
      '-k',
      this.dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'wal_level=logical',
      '-c',
      'max_replication_slots=10',
      '-c',
      'max_wal_senders=10',
      // Tests never survive an OS crash: skip the disk flushes.
      '-c',
      'fsync=off',
      '-c',
      'full_page_writes=off',
    ]);
    const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr!.on('data', (d: Buffer) => {
      this.log += d.toString();
    });
    this.proc = proc;
    await this.waitReady(20_000);
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      try {
        execFileSync(join(this.bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres'], { stdio: 'ignore' });
        return;
      } catch {
        if (this.proc?.exitCode !== null) throw new Error(`postgres exited: ${this.log.slice(-2000)}`);
        if (Date.now() > until) throw new Error(`postgres did not accept connections on ${this.port} within ${timeoutMs} ms: ${this.log.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Stops the server (`fast`: SIGINT, a clean shutdown; `immediate`: SIGQUIT, recovery at the next start) and waits for it to exit. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill(mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
    await exited;
    this.proc = undefined;
  }

  async restart(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.stop(mode);
    await this.run();
  }

  /** Stops the server and removes its directory. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
