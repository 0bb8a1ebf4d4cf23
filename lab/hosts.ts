import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '../testkit/index.js';

/**
 * The lab's hosts: one network namespace each, joined to a bridge in the machine's own namespace by
 * a veth pair, each with its own address on a private /24 that nothing else uses. The machine's
 * namespace (the bridge's address) is the operator's seat: the load and the audit run there.
 * Everything is named after the lab's id, so teardown (and the next run's sweep of a lab that was
 * SIGKILLed) removes exactly what a lab made.
 */

/** A /24 of the lab's own; the bridge is .1, hosts get the numbers their topology gives them. */
export const SUBNET = '10.213.77';
export const OPERATOR_ADDRESS = `${SUBNET}.1`;
/** Where a lab writes down its id, its namespaces and its pid, for the sweep after a SIGKILL. */
const RECORDS = join(tmpdir(), 'exodus-lab-records');

export interface HostSpec {
  readonly name: string;
  /** The last octet of its address. */
  readonly octet: number;
}

/** A process on a host, kept so it can be killed by its own pid and its output read. */
export interface HostProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly log: string;
  exited(): boolean;
}

export class Host {
  readonly address: string;
  private readonly processes = new Set<HostProcess>();

  constructor(
    readonly name: string,
    octet: number,
    /** The network namespace's name. */
    readonly namespace: string,
    private readonly logDir: string,
  ) {
    this.address = `${SUBNET}.${octet}`;
  }

  /** Runs a command on this host to its end; throws with its output when it fails. */
  run(command: string, args: readonly string[]): string {
    const result = spawnSync('ip', ['netns', 'exec', this.namespace, command, ...args], { encoding: 'utf8' });
    if (result.status !== 0)
      throw new Error(`${this.name}: ${command} ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
    return result.stdout;
  }

  /**
   * Starts a long-running process on this host (`ip netns exec` execs it: the pid is the process's
   * own). Its output goes to `<logDir>/<name>.log`, appended across restarts.
   */
  start(name: string, command: string, args: readonly string[], options: SpawnOptions = {}): HostProcess {
    const log = join(this.logDir, `${this.name}-${name}.log`);
    const out = createWriteStream(log, { flags: 'a' });
    const child = spawn('ip', ['netns', 'exec', this.namespace, command, ...args], {
      ...options,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(out, { end: false });
    child.stderr?.pipe(out, { end: false });
    const process: HostProcess = {
      name,
      child,
      log,
      exited: () => child.exitCode !== null || child.signalCode !== null,
    };
    this.processes.add(process);
    child.once('exit', () => {
      this.processes.delete(process);
      out.end();
    });
    return process;
  }

  /** Every process of this host, now: what a crash of the machine ends. */
  pids(): number[] {
    const result = spawnSync('ip', ['netns', 'pids', this.namespace], { encoding: 'utf8' });
    return result.stdout
      .split('\n')
      .map(Number)
      .filter((pid) => pid > 0);
  }

  /** kill -9 of everything on this host (a machine that lost its power or its kernel), waiting until it is gone. */
  async crash(): Promise<void> {
    for (const pid of this.pids()) signal(pid, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    while (this.pids().length > 0 && Date.now() < deadline) await sleep(50);
  }

  /** Drops every packet between this host and `peers` (both ways), by rules in this host's own namespace. */
  cutFrom(peers: readonly Host[]): void {
    for (const peer of peers) {
      this.run('iptables', ['-A', 'INPUT', '-s', peer.address, '-j', 'DROP']);
      this.run('iptables', ['-A', 'OUTPUT', '-d', peer.address, '-j', 'DROP']);
    }
  }

  /** Drops every packet on this host's link (loopback stays): the host is alone. */
  cutFromEveryone(): void {
    this.run('iptables', ['-A', 'INPUT', '-i', 'eth0', '-j', 'DROP']);
    this.run('iptables', ['-A', 'OUTPUT', '-o', 'eth0', '-j', 'DROP']);
  }

  /** Drops this share of its packets each way, at random (iptables' statistic match: the kernel here has no netem). */
  loseShare(probability: number): void {
    const rule = ['-m', 'statistic', '--mode', 'random', '--probability', String(probability), '-j', 'DROP'];
    this.run('iptables', ['-A', 'INPUT', '-i', 'eth0', ...rule]);
    this.run('iptables', ['-A', 'OUTPUT', '-o', 'eth0', ...rule]);
  }

  /** Removes every rule the lab put on this host. */
  heal(): void {
    this.run('iptables', ['-F', 'INPUT']);
    this.run('iptables', ['-F', 'OUTPUT']);
  }

  /** Stops every process this lab started here (SIGKILL after `graceMs`). */
  async stopAll(graceMs = 5_000): Promise<void> {
    const children = [...this.processes];
    for (const { child } of children) child.kill('SIGTERM');
    const deadline = Date.now() + graceMs;
    while (children.some((p) => !p.exited()) && Date.now() < deadline) await sleep(50);
    for (const pid of this.pids()) signal(pid, 'SIGKILL');
  }
}

/** The lab's network: the bridge, the hosts, and the teardown of all of it. */
export class LabNetwork {
  private torn = false;

  private constructor(
    readonly id: string,
    readonly hosts: ReadonlyMap<string, Host>,
    readonly dir: string,
  ) {}

  host(name: string): Host {
    const host = this.hosts.get(name);
    if (host === undefined) throw new Error(`the lab has no host ${name}`);
    return host;
  }

  /**
   * Makes the bridge and one namespace per host. Sweeps first what an earlier lab left behind when it
   * could not tear down (SIGKILL): only namespaces and links named in its record, whose pid is gone.
   */
  static create(specs: readonly HostSpec[], dir: string): LabNetwork {
    sweepAbandonedLabs();
    const id = `xl${randomBytes(2).toString('hex')}`;
    const logDir = join(dir, 'logs');
    mkdirSync(logDir, { recursive: true });
    const namespaces = specs.map((spec) => `${id}-${spec.name}`);
    mkdirSync(RECORDS, { recursive: true });
    writeFileSync(join(RECORDS, `${id}.json`), JSON.stringify({ pid: process.pid, bridge: bridgeOf(id), namespaces }));
    tearDownOnExit();
    const network = new LabNetwork(
      id,
      new Map(specs.map((spec, i) => [spec.name, new Host(spec.name, spec.octet, namespaces[i] ?? '', logDir)])),
      dir,
    );
    try {
      ip('link', 'add', bridgeOf(id), 'type', 'bridge');
      ip('addr', 'add', `${OPERATOR_ADDRESS}/24`, 'dev', bridgeOf(id));
      ip('link', 'set', bridgeOf(id), 'up');
      for (const host of network.hosts.values()) {
        const outside = `${id}${host.name}`.slice(0, 15);
        ip('netns', 'add', host.namespace);
        ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.namespace);
        ip('link', 'set', outside, 'master', bridgeOf(id), 'up');
        host.run('ip', ['addr', 'add', `${host.address}/24`, 'dev', 'eth0']);
        host.run('ip', ['link', 'set', 'eth0', 'up']);
        host.run('ip', ['link', 'set', 'lo', 'up']);
      }
    } catch (error) {
      network.teardownNetwork();
      throw error;
    }
    live.add(network);
    return network;
  }

  /** Stops every process on every host, then removes the namespaces and the bridge; safe to call twice. */
  async teardown(): Promise<void> {
    if (this.torn) return;
    await Promise.all([...this.hosts.values()].map((host) => host.stopAll()));
    this.teardownNetwork();
  }

  /** What must happen even when nothing can be awaited (an exit handler): kill, then remove. */
  teardownNetwork(): void {
    if (this.torn) return;
    this.torn = true;
    live.delete(this);
    for (const host of this.hosts.values()) for (const pid of host.pids()) signal(pid, 'SIGKILL');
    removeNetwork(
      bridgeOf(this.id),
      [...this.hosts.values()].map((host) => host.namespace),
    );
    rmSync(join(RECORDS, `${this.id}.json`), { force: true });
  }
}

/** Labs not torn down yet: an exit, Ctrl-C or a kill removes them (a SIGKILL leaves them to the next run's sweep). */
const live = new Set<LabNetwork>();
let handlersInstalled = false;

function tearDownOnExit(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const tearDownAll = (): void => {
    for (const network of [...live]) network.teardownNetwork();
  };
  process.on('exit', tearDownAll);
  for (const signalName of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.once(signalName, () => {
      tearDownAll();
      process.exit(128 + (signalName === 'SIGINT' ? 2 : signalName === 'SIGTERM' ? 15 : 1));
    });
}

const bridgeOf = (id: string): string => `${id}br`;

function ip(...args: string[]): void {
  const result = spawnSync('ip', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${result.stderr}`);
}

function removeNetwork(bridge: string, namespaces: readonly string[]): void {
  for (const namespace of namespaces) {
    const pids = spawnSync('ip', ['netns', 'pids', namespace], { encoding: 'utf8' }).stdout ?? '';
    for (const pid of pids.split('\n').map(Number)) if (pid > 0) signal(pid, 'SIGKILL');
    // Deleting the namespace deletes its end of the veth, and with it the other end.
    spawnSync('ip', ['netns', 'del', namespace]);
  }
  spawnSync('ip', ['link', 'del', bridge]);
}

function sweepAbandonedLabs(): void {
  if (!existsSync(RECORDS)) return;
  for (const file of readdirSync(RECORDS)) {
    const path = join(RECORDS, file);
    try {
      const record = JSON.parse(readFileSync(path, 'utf8')) as { pid: number; bridge: string; namespaces: string[] };
      if (alive(record.pid)) continue;
      removeNetwork(record.bridge, record.namespaces);
    } catch {
      // An unreadable record names nothing we can remove safely.
    }
    rmSync(path, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}
