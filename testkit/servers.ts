import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
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

/** One node of a private NATS cluster: a `PrivateServer` with the `server_name` JetStream reports it by (a stream's `cluster.leader`). */
export interface NatsClusterMember extends PrivateServer {
  readonly name: string;
}

/** A private NATS JetStream cluster: its nodes, and the URL naming them all (what the engine is given). */
export interface PrivateNatsCluster {
  readonly members: readonly NatsClusterMember[];
  /** `nats://127.0.0.1:p1,127.0.0.1:p2,…` */
  readonly url: string;
  /** Waits until every running node agrees on a JetStream meta leader (streams can be created). */
  settled(): Promise<void>;
  /** Stops every node and removes their data. */
  destroy(): Promise<void>;
}

/**
 * `size` private `nats-server -js` processes routed to each other on loopback as one cluster, each
 * with its own store dir and monitoring port, for tests that kill -9 and restart a node under load.
 * Resolves once the JetStream meta leader is elected, so the first stream create does not fail with
 * "JetStream system temporarily unavailable".
 */
export async function startPrivateNatsCluster(size = 3): Promise<PrivateNatsCluster> {
  const dir = tempDir('exodus-nats-cluster-');
  const nodes = await Promise.all(
    Array.from({ length: size }, async (_, i) => ({
      name: `n${i + 1}`,
      port: await freePort(),
      routePort: await freePort(),
      monitorPort: await freePort(),
    })),
  );
  const routes = nodes.map((node) => `"nats-route://127.0.0.1:${node.routePort}"`).join(', ');
  const members = nodes.map((node): NatsClusterMember => {
    const home = join(dir, node.name);
    mkdirSync(home);
    const config = join(home, 'nats.conf');
    writeFileSync(
      config,
      [
        `server_name: ${node.name}`,
        `listen: "127.0.0.1:${node.port}"`,
        `http: "127.0.0.1:${node.monitorPort}"`,
        `jetstream { store_dir: "${join(home, 'jetstream')}" }`,
        `cluster { name: exodus-test, listen: "127.0.0.1:${node.routePort}", routes: [${routes}] }`,
        'lame_duck_grace_period: "1s"',
        'lame_duck_duration: "30s"',
        '',
      ].join('\n'),
    );
    const server = new ProcessServer(
      `nats://127.0.0.1:${node.port}`,
      node.port,
      home,
      'SIGUSR2',
      () => spawn(NATS_SERVER, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] }),
      () => reachable('127.0.0.1', node.port),
    );
    return Object.assign(server, { name: node.name });
  });
  const settled = async (): Promise<void> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const up = nodes.filter((_, i) => members[i]?.pid() !== undefined);
      const leaders = await Promise.all(up.map((node) => metaLeader(node.monitorPort)));
      if (leaders.length > 0 && leaders.every((leader) => leader !== undefined && leader === leaders[0])) return;
      if (Date.now() > deadline)
        throw new Error(`the NATS cluster elected no JetStream meta leader in 30 s: ${JSON.stringify(leaders)}`);
      await new Promise((done) => setTimeout(done, 200));
    }
  };
  const destroy = async (): Promise<void> => {
    await Promise.all(members.map((member) => member.destroy()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all(members.map((member) => member.start()));
    await settled();
  } catch (error) {
    await destroy();
    throw error;
  }
  return { members, url: `nats://${nodes.map((node) => `127.0.0.1:${node.port}`).join(',')}`, settled, destroy };
}

/** The JetStream meta leader a node names on its monitoring port (`/jsz`), or undefined while there is none. */
async function metaLeader(monitorPort: number): Promise<string | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${monitorPort}/jsz`, { signal: AbortSignal.timeout(2_000) });
    const jsz = (await response.json()) as { meta_cluster?: { leader?: string } };
    const leader = jsz.meta_cluster?.leader;
    return leader === undefined || leader === '' ? undefined : leader;
  } catch {
    return undefined;
  }
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
