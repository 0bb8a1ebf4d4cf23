import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, exodus, waitFor } from '../testkit/index.js';
import { LabNetwork, type Host, type HostProcess, type HostSpec } from './hosts.js';
import { NatsCluster } from './nats-cluster.js';
import { LOCAL_PRIMARY_PORT, POSTGRES_PORT, PostgresHa, type HaOptions } from './postgres-ha.js';

/**
 * The lab's machines and what runs on each:
 *   n1 n2 n3   the NATS JetStream cluster (streams at three replicas)
 *   dcs        etcd, Patroni's leader lock
 *   pg1 pg2    PostgreSQL under Patroni: a primary and a synchronous standby
 *   fe1 fe2    a frontend each
 *   c1 c2      a parser, a worker and a tally each
 *   ops        the ops console every process exports to
 * Every Exodus host runs HAProxy on its loopback in front of whichever PostgreSQL node is primary.
 * The operator (the load and the audit) sits on the bridge, in the machine's own namespace.
 */
export const HOSTS: readonly HostSpec[] = [
  { name: 'n1', octet: 11 },
  { name: 'n2', octet: 12 },
  { name: 'n3', octet: 13 },
  { name: 'dcs', octet: 20 },
  { name: 'pg1', octet: 21 },
  { name: 'pg2', octet: 22 },
  { name: 'fe1', octet: 31 },
  { name: 'fe2', octet: 32 },
  { name: 'c1', octet: 41 },
  { name: 'c2', octet: 42 },
  { name: 'ops', octet: 50 },
];
export const FRONTEND_HOSTS = ['fe1', 'fe2'] as const;
export const CONSUMER_HOSTS = ['c1', 'c2'] as const;
const CONSUMERS = [
  { service: 'parser', healthPort: 9101 },
  { service: 'worker', healthPort: 9102 },
  { service: 'tally', healthPort: 9103 },
] as const;
const FRONTEND_PORT = 3000;
const CONSOLE_PORT = 3001;
/** The lab's own secrets: its passes and its console are the lab's, and it is torn down after the run. */
export const LAB_PASS_SECRET = 'exodus-lab-pass-secret-not-for-production';
export const LAB_ADMIN_TOKEN = 'exodus-lab-console-token';

export interface LabOptions extends HaOptions {
  /** Where logs, the console's store and the results go. */
  readonly outDir: string;
}

/** One Exodus process on a host: which service, and how to start it again. */
interface ExodusProcess {
  readonly host: Host;
  readonly service: string;
  process: HostProcess;
}

export class Lab {
  private readonly exodusProcesses: ExodusProcess[] = [];
  private readonly restarts: string[] = [];
  private stopping = false;

  private constructor(
    readonly network: LabNetwork,
    readonly nats: NatsCluster,
    readonly postgres: PostgresHa,
    /** Scratch space the servers keep their data in (removed at teardown). */
    private readonly dataDir: string,
    private readonly outDir: string,
  ) {}

  /** Builds the network, starts every server and every Exodus process, and waits until all are ready. */
  static async start(options: LabOptions, log: (line: string) => void): Promise<Lab> {
    const dataDir = mkdtempSync(join(tmpdir(), 'exodus-lab-'));
    // PostgreSQL runs as its own user: it must be able to reach its data dir under ours.
    chmodSync(dataDir, 0o755);
    const network = LabNetwork.create(HOSTS, options.outDir);
    const host = (name: string): Host => network.host(name);
    const lab = new Lab(
      network,
      new NatsCluster([host('n1'), host('n2'), host('n3')], join(dataDir, 'nats')),
      new PostgresHa(host('dcs'), [host('pg1'), host('pg2')], join(dataDir, 'postgres'), options),
      dataDir,
      options.outDir,
    );
    try {
      const started = Date.now();
      await lab.nats.start();
      log(`lab ${network.id}: NATS cluster up (${lab.nats.url()})`);
      await lab.postgres.start();
      log(
        `lab ${network.id}: PostgreSQL up (${(await lab.postgres.cluster()).map((m) => `${m.name} ${m.role}`).join(', ')})`,
      );
      await lab.migrate();
      lab.startConsole();
      for (const name of [...FRONTEND_HOSTS, ...CONSUMER_HOSTS]) lab.postgres.startProxy(host(name));
      for (const name of FRONTEND_HOSTS) lab.startExodus(host(name), 'frontend');
      for (const name of CONSUMER_HOSTS) for (const { service } of CONSUMERS) lab.startExodus(host(name), service);
      await lab.waitUntilReady();
      log(
        `lab ${network.id}: Exodus up on ${[...FRONTEND_HOSTS, ...CONSUMER_HOSTS].join(', ')} in ${((Date.now() - started) / 1000).toFixed(0)} s; console ${lab.consoleUrl()}`,
      );
      return lab;
    } catch (error) {
      await lab.teardown();
      throw error;
    }
  }

  host(name: string): Host {
    return this.network.host(name);
  }

  frontendUrl(name: (typeof FRONTEND_HOSTS)[number]): string {
    return `http://${this.host(name).address}:${FRONTEND_PORT}`;
  }

  consoleUrl(): string {
    return `http://${this.host('ops').address}:${CONSOLE_PORT}`;
  }

  /** Every Exodus process by its instance name and host, as the console should show them. */
  exodusInstances(): { instance: string; host: string }[] {
    return this.exodusProcesses.map(({ host, service }) => ({ instance: `${service}-${host.name}`, host: host.name }));
  }

  /** Where the report points: the console (live while the lab runs; its store kept for afterwards) and the logs. */
  links(): Record<string, string> {
    const data = join(this.outDir, 'console');
    return {
      console: `${this.consoleUrl()}/login?token=${LAB_ADMIN_TOKEN} (every host's processes, by host name; while the lab runs)`,
      'console afterwards': `EXODUS_ADMIN_TOKEN=${LAB_ADMIN_TOKEN} exodus serve console --data ${data}`,
      logs: `${this.network.dir}/logs (each host's servers and Exodus processes)`,
    };
  }

  /** The store URL from the operator's seat: straight to whichever node is primary now. */
  async operatorStoreUrl(): Promise<string> {
    const primary = await this.postgres.primary();
    if (primary === undefined) throw new Error('no PostgreSQL primary');
    return `postgres://postgres@${primary.address}:${POSTGRES_PORT}/postgres?schema=exodus`;
  }

  /** Stops everything and removes the network and the servers' data; the logs stay in the out dir. */
  async teardown(): Promise<void> {
    this.stopping = true;
    await this.network.teardown();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async migrate(): Promise<void> {
    const result = await exodus(['migrate', '--store', await this.operatorStoreUrl()]);
    if (result.code !== 0) throw new Error(`exodus migrate failed: ${result.stderr}`);
  }

  private startConsole(): void {
    const ops = this.host('ops');
    const data = join(this.outDir, 'console');
    mkdirSync(data, { recursive: true });
    ops.start('console', process.execPath, [BIN, 'serve', 'console'], {
      env: {
        ...process.env,
        EXODUS_DATA: data,
        EXODUS_CONSOLE_HOST: '0.0.0.0',
        EXODUS_CONSOLE_PORT: String(CONSOLE_PORT),
        EXODUS_ADMIN_TOKEN: LAB_ADMIN_TOKEN,
        EXODUS_LOG_FORMAT: 'json',
      },
    });
  }

  /**
   * Starts a service and keeps it running as an orchestrator would (Kubernetes' restartPolicy: Always):
   * a process that exits with an error is started again after a second, and counted.
   */
  private startExodus(host: Host, service: string): void {
    const entry: ExodusProcess = { host, service, process: this.spawnExodus(host, service) };
    this.exodusProcesses.push(entry);
    const keep = (): void => {
      entry.process.child.once('exit', (code) => {
        if (this.stopping || code === 0 || code === null) return;
        this.restarts.push(`${service} on ${host.name} (exit ${code})`);
        setTimeout(() => {
          if (this.stopping) return;
          entry.process = this.spawnExodus(host, service);
          keep();
        }, 1_000);
      });
    };
    keep();
  }

  /** The Exodus processes that exited with an error and were started again, in order. */
  restartsSoFar(): readonly string[] {
    return this.restarts;
  }

  private spawnExodus(host: Host, service: string): HostProcess {
    const consumer = CONSUMERS.find((c) => c.service === service);
    const data = join(this.dataDir, 'exodus', `${host.name}-${service}`);
    mkdirSync(data, { recursive: true });
    return host.start(service, process.execPath, [BIN, 'serve', service], {
      env: {
        ...process.env,
        EXODUS_DATA: data,
        EXODUS_QUEUE: this.nats.url(),
        EXODUS_STORE: `postgres://postgres@127.0.0.1:${LOCAL_PRIMARY_PORT}/postgres?schema=exodus`,
        EXODUS_PASS_SECRET: LAB_PASS_SECRET,
        EXODUS_HOST: '0.0.0.0',
        EXODUS_PORT: String(FRONTEND_PORT),
        // The load comes from one address with a few thousand passes; the per-evacuee limit is for people.
        EXODUS_EVACUEE_WRITES_PER_MINUTE: '100000',
        EXODUS_LOG_FORMAT: 'json',
        ...(consumer === undefined ? {} : { EXODUS_HEALTH_PORT: String(consumer.healthPort) }),
        OTEL_EXPORTER_OTLP_ENDPOINT: this.consoleUrl(),
        OTEL_EXPORTER_OTLP_HEADERS: `api-key=${LAB_ADMIN_TOKEN}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_METRIC_EXPORT_INTERVAL: '5000',
        OTEL_BSP_SCHEDULE_DELAY: '1000',
        // Each process under its lab host's name: the console's per-host overview shows the lab's machines.
        OTEL_RESOURCE_ATTRIBUTES: `host.name=${host.name},service.instance.id=${service}-${host.name}`,
      },
    });
  }

  private async waitUntilReady(): Promise<void> {
    const urls = [
      ...FRONTEND_HOSTS.map((name) => `${this.frontendUrl(name)}/readyz`),
      ...CONSUMER_HOSTS.flatMap((name) =>
        CONSUMERS.map(({ healthPort }) => `http://${this.host(name).address}:${healthPort}/readyz`),
      ),
      `${this.consoleUrl()}/healthz`,
    ];
    await waitFor(
      async () => {
        const answers = await Promise.all(
          urls.map((url) =>
            fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
              (a) => a.ok,
              () => false,
            ),
          ),
        );
        return answers.every(Boolean);
      },
      90_000,
      `Exodus never became ready on every host (logs: ${this.network.dir}/logs)`,
      500,
    );
  }
}
