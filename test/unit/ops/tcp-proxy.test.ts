import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultProxy } from '../../../src/ops/chaos/index.js';

/** An echo server and a proxy in front of it; `client()` connects through the proxy. */
async function setUp(): Promise<{ proxy: FaultProxy; client: () => Promise<Socket>; close: () => Promise<void> }> {
  const echo: Server = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((done) => echo.listen(0, '127.0.0.1', () => done()));
  const proxy = new FaultProxy({ host: '127.0.0.1', port: (echo.address() as AddressInfo).port });
  const at = await proxy.listen({ host: '127.0.0.1', port: 0 });
  const sockets: Socket[] = [];
  return {
    proxy,
    client: () =>
      new Promise((done, fail) => {
        const socket = connect(at.port, at.host, () => done(socket)).once('error', fail);
        sockets.push(socket);
      }),
    close: async () => {
      sockets.forEach((socket) => socket.destroy());
      await proxy.close();
      await new Promise<void>((done) => echo.close(() => done()));
    },
  };
}

/** Sends `text`, resolves with what came back within `ms` (undefined: nothing). */
function roundTrip(socket: Socket, text: string, ms = 2_000): Promise<{ text: string; tookMs: number } | undefined> {
  const started = performance.now();
  return new Promise((done) => {
    let got = '';
    const timer = setTimeout(
      () => done(got === '' ? undefined : { text: got, tookMs: performance.now() - started }),
      ms,
    );
    socket.on('data', (chunk: Buffer) => {
      got += chunk.toString();
      if (got.length >= text.length) {
        clearTimeout(timer);
        done({ text: got, tookMs: performance.now() - started });
      }
    });
    socket.write(text);
  });
}

describe('the TCP fault proxy', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  it('passes bytes through; latency holds each chunk both ways (in order); clearing it restores the pace', async () => {
    const setup = await setUp();
    close = setup.close;
    const socket = await setup.client();
    expect((await roundTrip(socket, 'hello'))?.text).toBe('hello');
    setup.proxy.set({ kind: 'latency', ms: 150 });
    socket.removeAllListeners('data');
    const slow = await roundTrip(socket, 'abc');
    expect(slow?.text).toBe('abc');
    expect(slow?.tookMs).toBeGreaterThanOrEqual(290);
    setup.proxy.set(undefined);
    socket.removeAllListeners('data');
    expect((await roundTrip(socket, 'quick'))?.tookMs).toBeLessThan(150);
  });

  it('drop lets nothing through and says nothing; once cleared, new bytes flow again', async () => {
    const setup = await setUp();
    close = setup.close;
    const socket = await setup.client();
    setup.proxy.set({ kind: 'drop' });
    expect(await roundTrip(socket, 'lost', 300)).toBeUndefined();
    setup.proxy.set(undefined);
    socket.removeAllListeners('data');
    expect((await roundTrip(socket, 'found'))?.text).toBe('found');
  });

  it('reset cuts open connections and refuses new ones until cleared', async () => {
    const setup = await setUp();
    close = setup.close;
    const open = await setup.client();
    const cut = new Promise<string>((done) =>
      open
        .once('error', (error: NodeJS.ErrnoException) => done(error.code ?? 'error'))
        .once('close', () => done('closed')),
    );
    setup.proxy.set({ kind: 'reset' });
    expect(['ECONNRESET', 'closed']).toContain(await cut);
    const refused = await setup.client().then(
      (socket) =>
        new Promise<string>((done) =>
          socket
            .once('error', (error: NodeJS.ErrnoException) => done(error.code ?? 'error'))
            .once('close', () => done('closed')),
        ),
      (error: NodeJS.ErrnoException) => error.code ?? 'error',
    );
    expect(['ECONNRESET', 'closed']).toContain(refused);
    setup.proxy.set(undefined);
    expect((await roundTrip(await setup.client(), 'back'))?.text).toBe('back');
  });
});
