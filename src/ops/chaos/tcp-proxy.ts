import { createServer, Socket, type AddressInfo, type Server } from 'node:net';

/** What the proxy does to the bytes while a fault is on; undefined: it passes them through. */
export type NetworkFault =
  /** Every chunk, both ways, is held `ms` before it goes on (order kept): a slow network or server. */
  | { readonly kind: 'latency'; readonly ms: number }
  /** Nothing goes through either way and nothing is said: a black hole (a partition, a dead host). */
  | { readonly kind: 'drop' }
  /** Every connection, open or new, is reset (RST): a crashed peer or a middlebox cutting flows. */
  | { readonly kind: 'reset' };

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/**
 * A TCP proxy for fault injection (as Toxiproxy does): clients connect to it instead of the store or
 * the broker and it relays to the real one, unless a fault is on. Connections are relayed both ways
 * with backpressure; a fault applies to open connections and new ones alike, and clearing it restores
 * the relay (after a drop, what was dropped is gone: the protocol above finds out, as it would).
 */
export class FaultProxy {
  private readonly server: Server;
  private readonly connections = new Set<{ client: Socket; upstream: Socket }>();
  private fault: NetworkFault | undefined;

  constructor(private readonly upstream: Endpoint) {
    this.server = createServer((client) => this.relay(client));
  }

  async listen(at: Endpoint): Promise<Endpoint> {
    await new Promise<void>((done, fail) => {
      this.server.once('error', fail);
      this.server.listen(at.port, at.host, () => done());
    });
    const address = this.server.address() as AddressInfo;
    return { host: address.address, port: address.port };
  }

  current(): NetworkFault | undefined {
    return this.fault;
  }

  set(fault: NetworkFault | undefined): void {
    this.fault = fault;
    if (fault?.kind === 'reset') for (const { client, upstream } of this.connections) reset(client, upstream);
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.connections) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  private relay(client: Socket): void {
    if (this.fault?.kind === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const upstream = new Socket();
    const pair = { client, upstream };
    this.connections.add(pair);
    const end = (): void => {
      this.connections.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    upstream.connect(this.upstream.port, this.upstream.host);
    this.pipe(client, upstream);
    this.pipe(upstream, client);
  }

  /** Copies `from` into `to`, through whatever fault is on when each chunk arrives. */
  private pipe(from: Socket, to: Socket): void {
    let releaseAt = 0;
    from.on('data', (chunk: Buffer) => {
      const fault = this.fault;
      if (fault?.kind === 'drop') return;
      if (fault?.kind !== 'latency') {
        if (!to.write(chunk)) from.pause();
        return;
      }
      // Held until `ms` after it arrived, and never before the chunk ahead of it: order is kept.
      releaseAt = Math.max(releaseAt, Date.now() + fault.ms);
      const wait = releaseAt - Date.now();
      setTimeout(() => {
        if (!to.destroyed && !to.write(chunk)) from.pause();
      }, wait);
    });
    to.on('drain', () => from.resume());
    // The end follows the last chunk held back, not overtakes it.
    from.on('end', () => setTimeout(() => to.end(), Math.max(0, releaseAt - Date.now())));
  }
}

function reset(client: Socket, upstream: Socket): void {
  client.resetAndDestroy();
  upstream.resetAndDestroy();
}
