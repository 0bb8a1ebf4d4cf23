import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, reachable } from '../src/ops/index.js';
import { tempDir } from './temp-dir.js';

/**
 * Servers of a test's or a benchmark's own, for fault runs that stop, kill and restart them: started
 * from the installed binaries on a free port in a temp dir, stopped by their own PID, never the
 * machine's shared instances.
 */
export interface PrivateServer {
  readonly url: string;
  readonly port: number;
  /** The running server's PID, or undefined while stopped. */
  pid(): number | undefined;
  /** Graceful stop (SIGINT for PostgreSQL's fast shutdown, lame-duck mode for NATS); waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL: a crash, no goodbye. */
  kill(): Promise<void>;
  /** Ends it with this signal (e.g. SIGTERM for NATS without lame-duck mode); waits for the exit. */
  stopWith(signal: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it if running and removes its data. */
  destroy(): Promise<void>;
}

const POSTGRES_BIN = process.env['EXODUS_POSTGRES_BIN'] ?? '/usr/lib/postgresql/15/bin';
const NATS_SERVER = process.env['EXODUS_NATS_SERVER'] ?? '/usr/sbin/nats-server';

export const HAVE_POSTGRES_BINARIES =
  existsSync(join(POSTGRES_BIN, 'postgres')) && existsSync(join(POSTGRES_BIN, 'initdb'));
export const HAVE_NATS_SERVER = existsSync(NATS_SERVER);

/** PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const id = (flag: string): number => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

export async function startPrivatePostgres(): Promise<PrivateServer> {
  const dir = tempDir('exodus-pg-');
  const data = join(dir, 'data');
  const user = postgresUser();
  if (user !== undefined) chownSync(dir, user.uid, user.gid);
  const init = spawnSync(
    join(POSTGRES_BIN, 'initdb'),
    ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'],
    {
      encoding: 'utf8',
      ...(user ?? {}),
    },
  );
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  return new ProcessServer(
    `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    'SIGINT',
    () =>
      spawn(
        join(POSTGRES_BIN, 'postgres'),
        ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=50'],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
          ...(user ?? {}),
        },
      ),
    // The port opens before recovery is done ("the database system is starting up"): ask the server.
    async () => spawnSync(join(POSTGRES_BIN, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-q']).status === 0,
  ).started();
}

/**
 * A private `nats-server -js`. `stop()` restarts it the way its operators are told to (the official
 * Helm chart's preStop hook): lame-duck mode (SIGUSR2), which closes the clients first and only then
 * shuts JetStream down. A plain SIGTERM on 2.9.10 shuts JetStream down under connected clients and
 * may ack publishes in that window without keeping them (README: "Restarting NATS").
 */
export async function startPrivateNats(): Promise<PrivateServer> {
  const dir = tempDir('exodus-nats-');
  const port = await freePort();
  const config = join(dir, 'nats.conf');
  // Clients are closed 1 s after lame-duck mode starts (30 s is the server's minimum duration, for spreading them out).
  writeFileSync(config, 'lame_duck_grace_period: "1s"\nlame_duck_duration: "30s"\n');
  return new ProcessServer(
    `nats://127.0.0.1:${port}`,
    port,
    dir,
    'SIGUSR2',
    () =>
      spawn(NATS_SERVER, ['-c', config, '-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(dir, 'jetstream')], {
        stdio: ['ignore', 'ignore', 'pipe'],
      }),
    () => reachable('127.0.0.1', port),
  ).started();
}

class ProcessServer implements PrivateServer {
  #child: ChildProcess | undefined;
  #output = '';

  constructor(
    readonly url: string,
    readonly port: number,
    private readonly dir: string,
    private readonly stopSignal: NodeJS.Signals,
    private readonly launch: () => ChildProcess,
    /** Whether the server takes work (not just whether its port is open). */
    private readonly ready: () => Promise<boolean>,
  ) {}

  async started(): Promise<this> {
    await this.start();
    return this;
  }

  pid(): number | undefined {
    return this.#child?.pid;
  }

  async start(): Promise<void> {
    if (this.#child !== undefined) throw new Error(`${this.url} is already running`);
    const child = this.launch();
    this.#child = child;
    child.stderr?.on('data', (chunk: Buffer) => (this.#output = (this.#output + chunk.toString()).slice(-4000)));
    child.once('exit', () => {
      if (this.#child === child) this.#child = undefined;
    });
    const deadline = Date.now() + 20_000;
    while (!(await this.ready())) {
      if (this.#child === undefined || Date.now() > deadline)
        throw new Error(`${this.url} did not start:\n${this.#output}`);
      await new Promise((done) => setTimeout(done, 100));
    }
  }

  stop(): Promise<void> {
    return this.#end(this.stopSignal);
  }

  kill(): Promise<void> {
    return this.#end('SIGKILL');
  }

  stopWith(signal: NodeJS.Signals): Promise<void> {
    return this.#end(signal);
  }

  async destroy(): Promise<void> {
    // Graceful first: a SIGKILLed postmaster leaves its backends behind for a while.
    const stopped = this.#end(this.stopSignal);
    const timer = setTimeout(() => void this.#end('SIGKILL'), 10_000);
    await stopped;
    clearTimeout(timer);
    rmSync(this.dir, { recursive: true, force: true });
  }

  #end(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null) return Promise.resolve();
    return new Promise((done) => {
      child.once('exit', () => done());
      child.kill(signal);
    });
  }
}
