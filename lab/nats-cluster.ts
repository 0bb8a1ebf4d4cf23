import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reachable } from '../src/ops/index.js';
import { sleep, waitFor } from '../testkit/index.js';
import type { Host, HostProcess } from './hosts.js';

const NATS_SERVER = process.env['EXODUS_NATS_SERVER'] ?? '/usr/sbin/nats-server';
export const CLIENT_PORT = 4222;
const ROUTE_PORT = 6222;
const MONITOR_PORT = 8222;

/**
 * A NATS JetStream cluster, one `nats-server` per host, every node routed to every other. Streams
 * the engine creates with `?replicas=3` are replicated to all three: a publish is acknowledged once
 * a quorum (two) holds it, so one node lost — killed or cut off — loses no acknowledged message.
 */
export class NatsCluster {
  private readonly running = new Map<string, HostProcess>();

  constructor(
    private readonly hosts: readonly Host[],
    private readonly dataDir: string,
  ) {}

  /** The engine URL: every node a seed, three replicas. */
  url(prefix = 'exodus'): string {
    const servers = this.hosts.map((host) => `${host.address}:${CLIENT_PORT}`).join(',');
    return `nats://${servers}?replicas=${this.hosts.length}&prefix=${prefix}`;
  }

  async start(): Promise<void> {
    for (const host of this.hosts) this.startNode(host);
    await Promise.all(this.hosts.map((host) => this.waitForNode(host)));
    await this.waitForMetaLeader();
  }

  /** Starts one node again (after a kill), on its own store. */
  async restart(host: Host): Promise<void> {
    this.startNode(host);
    await this.waitForNode(host);
  }

  /** kill -9 of one node. */
  async kill(host: Host): Promise<void> {
    const node = this.running.get(host.name);
    if (node === undefined) return;
    node.child.kill('SIGKILL');
    while (!node.exited()) await sleep(20);
    this.running.delete(host.name);
  }

  /** The server name of the leader of `stream` (the monitoring endpoint's view, asked of any node that answers). */
  async streamLeader(stream: string): Promise<string | undefined> {
    for (const host of this.hosts) {
      const info = await monitor<JszReply>(host, '/jsz?streams=true&config=false');
      for (const account of info?.account_details ?? [])
        for (const detail of account.stream_detail ?? [])
          if (detail.name === stream && detail.cluster?.leader) return detail.cluster.leader;
    }
    return undefined;
  }

  private startNode(host: Host): void {
    const dir = join(this.dataDir, host.name);
    mkdirSync(dir, { recursive: true });
    const routes = this.hosts
      .filter((peer) => peer !== host)
      .map((peer) => `"nats-route://${peer.address}:${ROUTE_PORT}"`)
      .join(', ');
    const config = join(dir, 'nats.conf');
    writeFileSync(
      config,
      [
        `server_name: ${host.name}`,
        `listen: "${host.address}:${CLIENT_PORT}"`,
        `http: "${host.address}:${MONITOR_PORT}"`,
        `jetstream { store_dir: "${join(dir, 'jetstream')}", max_memory_store: 256MB, max_file_store: 4GB }`,
        `cluster { name: exodus-lab, listen: "${host.address}:${ROUTE_PORT}", routes: [${routes}] }`,
        // Clients are moved off a node being stopped 1 s after lame-duck mode starts.
        'lame_duck_grace_period: "1s"',
        '',
      ].join('\n'),
    );
    this.running.set(host.name, host.start('nats', NATS_SERVER, ['-c', config]));
  }

  private async waitForNode(host: Host): Promise<void> {
    await waitFor(() => reachable(host.address, CLIENT_PORT), 20_000, `nats on ${host.name} never listened`);
  }

  /** JetStream answers only once its meta group has a leader (an election after every start). */
  private async waitForMetaLeader(): Promise<void> {
    await waitFor(
      async () => {
        const info = await monitor<JszReply>(this.hosts[0] as Host, '/jsz');
        return Boolean(info?.meta_cluster?.leader);
      },
      30_000,
      'the NATS cluster never elected a JetStream meta leader',
    );
  }
}

interface JszReply {
  readonly meta_cluster?: { readonly leader?: string };
  readonly account_details?: readonly {
    readonly stream_detail?: readonly { readonly name: string; readonly cluster?: { readonly leader?: string } }[];
  }[];
}

async function monitor<T>(host: Host, path: string): Promise<T | undefined> {
  try {
    const answer = await fetch(`http://${host.address}:${MONITOR_PORT}${path}`, { signal: AbortSignal.timeout(2_000) });
    return answer.ok ? ((await answer.json()) as T) : undefined;
  } catch {
    return undefined;
  }
}
