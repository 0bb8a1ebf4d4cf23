import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago: for test and bench servers started on the fly. */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail).listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}
