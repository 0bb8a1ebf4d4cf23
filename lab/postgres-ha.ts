import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reachable } from '../src/ops/index.js';
import { waitFor } from '../testkit/index.js';
import type { Host, HostProcess } from './hosts.js';

const POSTGRES_BIN = process.env['EXODUS_POSTGRES_BIN'] ?? '/usr/lib/postgresql/15/bin';
export const POSTGRES_PORT = 5432;
const PATRONI_PORT = 8008;
const ETCD_PORT = 2379;
/** Where HAProxy listens on each Exodus host (its own loopback): the engine's store URL points here. */
export const LOCAL_PRIMARY_PORT = 5000;
const SCOPE = 'exodus-lab';
/** How long Patroni's leader lock lives without renewal: no standby is promoted before it expires. */
export const LOCK_TTL_S = 10;

export interface HaOptions {
  /**
   * Synchronous replication (Patroni's `synchronous_mode`): a commit returns only once the standby
   * has it, so a promoted standby holds every acknowledged write. Off: the asynchronous demonstration.
   */
  readonly synchronous: boolean;
}

/**
 * PostgreSQL with a standby, managed by Patroni, its leader lock in etcd (one member here; production
 * runs three or five, on hosts of their own, so that the lock survives a lost member). Clients reach
 * the primary through HAProxy on each client host, which asks every node's Patroni `GET /primary`
 * (200 only on the leader that holds the lock) and cuts the sessions of a node marked down.
 */
export class PostgresHa {
  private readonly patroni = new Map<string, HostProcess>();

  constructor(
    private readonly etcdHost: Host,
    private readonly nodes: readonly Host[],
    private readonly dataDir: string,
    private readonly options: HaOptions,
  ) {}

  async start(): Promise<void> {
    mkdirSync(this.dataDir, { recursive: true });
    // Patroni and PostgreSQL run as the postgres user: it must be able to reach its dirs under ours.
    chmodSync(this.dataDir, 0o755);
    this.startEtcd();
    await waitFor(() => reachable(this.etcdHost.address, ETCD_PORT), 20_000, 'etcd never listened');
    const [first, ...rest] = this.nodes;
    if (first === undefined) throw new Error('PostgreSQL needs at least one node');
    // The first node bootstraps the cluster (initdb) and takes the lock; the others clone it.
    this.startPatroni(first);
    await waitFor(async () => (await this.role(first)) === 'primary', 60_000, `${first.name} never became primary`);
    for (const node of rest) this.startPatroni(node);
    await waitFor(
      async () => (await Promise.all(rest.map((node) => this.role(node)))).every((role) => role === 'replica'),
      90_000,
      'the standby never joined',
    );
    if (this.options.synchronous)
      await waitFor(
        async () => (await this.cluster()).some((member) => member.role === 'sync_standby'),
        60_000,
        'no standby became synchronous',
      );
  }

  /** HAProxy on `host`, listening on its loopback at `port`, sending to whichever node is primary. */
  startProxy(host: Host, port = LOCAL_PRIMARY_PORT, bind = '127.0.0.1'): HostProcess {
    const dir = join(this.dataDir, `haproxy-${host.name}-${port}`);
    mkdirSync(dir, { recursive: true });
    const config = join(dir, 'haproxy.cfg');
    writeFileSync(
      config,
      [
        'global',
        '  maxconn 1000',
        'defaults',
        '  mode tcp',
        '  timeout connect 2s',
        '  timeout client 30m',
        '  timeout server 30m',
        '  timeout check 1s',
        'listen postgres',
        `  bind ${bind}:${port}`,
        '  option httpchk GET /primary',
        '  http-check expect status 200',
        // Checked every 500 ms; down after two failures; a node marked down has its sessions cut, so
        // no client keeps writing to a primary that was demoted or cut off.
        '  default-server inter 500ms fall 2 rise 2 on-marked-down shutdown-sessions',
        ...this.nodes.map(
          (node) => `  server ${node.name} ${node.address}:${POSTGRES_PORT} check port ${PATRONI_PORT}`,
        ),
        '',
      ].join('\n'),
    );
    return host.start(`haproxy-${port}`, '/usr/sbin/haproxy', ['-f', config, '-db']);
  }

  /** The node Patroni says is primary now, if any answers. */
  async primary(): Promise<Host | undefined> {
    for (const node of this.nodes) if ((await this.role(node)) === 'primary') return node;
    return undefined;
  }

  /** Starts Patroni on a node again (after its host crashed): it rejoins, as a replica when another holds the lock. */
  restart(node: Host): void {
    this.startPatroni(node);
  }

  /** Waits until `node` is a streaming replica again (rejoined, rewound if it had to be). */
  async waitForReplica(node: Host, timeoutMs: number): Promise<void> {
    await waitFor(async () => (await this.role(node)) === 'replica', timeoutMs, `${node.name} never rejoined`, 500);
  }

  /** Each member's role and state, as Patroni's cluster view says. */
  async cluster(): Promise<{ name: string; role: string; state: string }[]> {
    for (const node of this.nodes) {
      const answer = await patroniGet<{ members?: { name: string; role: string; state: string }[] }>(node, '/cluster');
      if (answer?.members !== undefined) return answer.members;
    }
    return [];
  }

  /** `primary` or `replica`, as Patroni's own status says (3.0 still calls a primary `master` there). */
  async role(node: Host): Promise<'primary' | 'replica' | undefined> {
    const status = await patroniGet<{ role?: string; state?: string }>(node, '/patroni');
    if (status?.state !== 'running') return undefined;
    if (status.role === 'master' || status.role === 'primary') return 'primary';
    return status.role === 'replica' ? 'replica' : undefined;
  }

  private startEtcd(): void {
    const host = this.etcdHost;
    const peer = `http://${host.address}:2380`;
    const client = `http://${host.address}:${ETCD_PORT}`;
    host.start('etcd', '/usr/bin/etcd', [
      '--name',
      host.name,
      '--data-dir',
      join(this.dataDir, 'etcd'),
      '--listen-client-urls',
      client,
      '--advertise-client-urls',
      client,
      '--listen-peer-urls',
      peer,
      '--initial-advertise-peer-urls',
      peer,
      '--initial-cluster',
      `${host.name}=${peer}`,
      // Patroni 3.0.2 from Debian talks to etcd through python3-etcd: the v2 API.
      '--enable-v2=true',
    ]);
  }

  private startPatroni(node: Host): void {
    const dir = join(this.dataDir, node.name);
    mkdirSync(dir, { recursive: true });
    const postgres = postgresUser();
    const config = join(dir, 'patroni.yml');
    const hba = [
      'local all all trust',
      `host all all ${node.address.replace(/\.\d+$/, '.0')}/24 trust`,
      `host replication all ${node.address.replace(/\.\d+$/, '.0')}/24 trust`,
      'host all all 127.0.0.1/32 trust',
    ];
    writeFileSync(
      config,
      JSON.stringify(
        {
          scope: SCOPE,
          name: node.name,
          restapi: { listen: `${node.address}:${PATRONI_PORT}`, connect_address: `${node.address}:${PATRONI_PORT}` },
          etcd: { host: `${this.etcdHost.address}:${ETCD_PORT}`, protocol: 'http' },
          bootstrap: {
            dcs: {
              // The leader lock lives 10 s without renewal; Patroni renews it every 2 s. A primary that
              // cannot renew (cut off from etcd) demotes itself before the lock expires.
              ttl: LOCK_TTL_S,
              loop_wait: 2,
              retry_timeout: 4,
              maximum_lag_on_failover: 1_048_576,
              synchronous_mode: this.options.synchronous,
              postgresql: {
                use_pg_rewind: true,
                use_slots: true,
                parameters: {
                  wal_log_hints: 'on',
                  max_connections: 200,
                  max_wal_senders: 5,
                  max_replication_slots: 5,
                  wal_keep_size: '256MB',
                  synchronous_commit: 'on',
                },
              },
            },
            initdb: [{ encoding: 'UTF8' }, { 'auth-local': 'trust' }, { 'auth-host': 'trust' }],
            pg_hba: hba,
          },
          postgresql: {
            listen: `${node.address}:${POSTGRES_PORT}`,
            connect_address: `${node.address}:${POSTGRES_PORT}`,
            data_dir: join(dir, 'data'),
            bin_dir: POSTGRES_BIN,
            pgpass: join(dir, 'pgpass'),
            authentication: {
              superuser: { username: 'postgres', password: 'lab' },
              replication: { username: 'replicator', password: 'lab' },
              rewind: { username: 'postgres', password: 'lab' },
            },
            pg_hba: hba,
            parameters: { unix_socket_directories: dir },
          },
        },
        null,
        2,
      ),
    );
    chownSync(dir, postgres.uid, postgres.gid);
    chownSync(config, postgres.uid, postgres.gid);
    // PostgreSQL refuses to run as root: Patroni and its server run as the postgres user.
    this.patroni.set(
      node.name,
      node.start('patroni', 'setpriv', [
        `--reuid=${postgres.uid}`,
        `--regid=${postgres.gid}`,
        '--init-groups',
        '/usr/bin/patroni',
        config,
      ]),
    );
  }
}

async function patroniGet<T>(node: Host, path: string): Promise<T | undefined> {
  try {
    const answer = await fetch(`http://${node.address}:${PATRONI_PORT}${path}`, { signal: AbortSignal.timeout(1_500) });
    // /patroni answers 200 on any running member; /cluster too.
    return (await answer.json()) as T;
  } catch {
    return undefined;
  }
}

function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string): number => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}
