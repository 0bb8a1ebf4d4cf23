import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** One message a PostgreSQL client sent: its type byte ('Q' simple query, 'B' bind, 'S' sync…) and body. */
export interface PgMessage {
  readonly type: string;
  readonly body: Buffer;
}

/**
 * Where a cut falls around the message it waits for: `after-forwarding` relays it (and the rest of
 * its round trip, up to the Sync of an extended query) and then cuts both sides before any answer
 * reaches the client, so the server acts on it (a COMMIT commits) while the client never hears;
 * `before-forwarding` cuts without relaying it (the server rolls the transaction back);
 * `silence-after-forwarding` relays it and then relays nothing more either way on that connection,
 * keeping both sockets open: a partition, which only the client's own timeout ends.
 */
export type CutMode = 'after-forwarding' | 'before-forwarding' | 'silence-after-forwarding';

/**
 * A TCP proxy in front of PostgreSQL that reads the client's messages and, once armed, cuts the
 * connection around the first one that matches: the "outcome unknown" of a COMMIT whose answer is
 * lost in a failover, on demand. Unarmed, it relays bytes as they come.
 */
export class PgCutProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private armed: { match: (message: PgMessage) => boolean; mode: CutMode; done: () => void } | undefined;

  private constructor(private readonly upstream: { host: string; port: number }) {
    this.server = createServer((client) => this.relay(client));
  }

  static async start(upstream: { host: string; port: number }): Promise<PgCutProxy> {
    const proxy = new PgCutProxy(upstream);
    await new Promise<void>((done) => proxy.server.listen(0, '127.0.0.1', done));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Arms one cut; resolves once it happened. */
  cut(match: (message: PgMessage) => boolean, mode: CutMode): Promise<void> {
    return new Promise((done) => (this.armed = { match, mode, done }));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  private relay(client: Socket): void {
    const server = connect(this.upstream);
    for (const socket of [client, server]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    let pending = Buffer.alloc(0);
    let startup = true;
    let cutting = false;
    let silent = false;
    /** Set while an extended query that matched is relayed up to its Sync. */
    let afterSync: (() => void) | undefined;
    /** Called with the server's first answer after a cut: it has acted on what it was sent. */
    let answered: (() => void) | undefined;
    // Resolves the armed cut only once the server answered (or closed), so a test that looks at the
    // server's state next sees what the relayed message did.
    const cut = (mode: CutMode, done: () => void): void => {
      answered = () => {
        answered = undefined;
        done();
        if (mode === 'after-forwarding') server.destroy();
      };
      if (mode === 'silence-after-forwarding') {
        silent = true;
        return;
      }
      client.destroy();
      // Half-close: the server reads all it was sent (and commits) before it sees the end.
      server.end();
    };
    server.on('data', (chunk: Buffer) => {
      if (!client.destroyed && !silent) client.write(chunk);
      answered?.();
    });
    server.on('close', () => {
      answered?.();
      client.destroy();
    });
    client.on('close', () => server.end());
    client.on('data', (chunk: Buffer) => {
      if (silent) return;
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        // The startup message has no type byte; every later message does.
        const head = startup ? 0 : 1;
        if (pending.length < head + 4) return;
        const size = head + pending.readInt32BE(head);
        if (pending.length < size) return;
        const raw = pending.subarray(0, size);
        pending = pending.subarray(size);
        const message: PgMessage = startup
          ? { type: '', body: raw.subarray(4) }
          : { type: String.fromCharCode(raw[0] ?? 0), body: raw.subarray(5) };
        startup = false;
        const armed = this.armed;
        if (!cutting && armed !== undefined && armed.match(message)) {
          this.armed = undefined;
          if (armed.mode === 'before-forwarding') {
            client.destroy();
            server.destroy();
            armed.done();
            return;
          }
          cutting = true;
          server.write(raw);
          if (message.type === 'Q') {
            cut(armed.mode, armed.done);
            return;
          }
          // An extended query is acted on at its Sync: relay up to it, then cut.
          afterSync = () => cut(armed.mode, armed.done);
          continue;
        }
        server.write(raw);
        if (afterSync !== undefined && message.type === 'S') {
          afterSync();
          afterSync = undefined;
          return;
        }
      }
    });
  }
}

/** A simple-protocol query whose text starts with `sql` (pg sends `client.query('COMMIT')` that way). */
export function simpleQuery(sql: string): (message: PgMessage) => boolean {
  return (message) => message.type === 'Q' && message.body.toString('utf8').trimStart().toUpperCase().startsWith(sql);
}

/** A Bind of the named prepared statement: an extended-protocol run of it (pg's `{ name, text, values }`). */
export function bindOf(statement: string): (message: PgMessage) => boolean {
  return (message) => {
    if (message.type !== 'B') return false;
    const portalEnd = message.body.indexOf(0);
    const nameEnd = message.body.indexOf(0, portalEnd + 1);
    return message.body.subarray(portalEnd + 1, nameEnd).toString('utf8') === statement;
  };
}
