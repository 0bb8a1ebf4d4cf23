import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A stand-in front door that answers every request with one status (202: with the body a real door sends). */
export interface FixedDoor {
  readonly url: string;
  close(): Promise<void>;
}

export async function startFixedDoor(status: number): Promise<FixedDoor> {
  let n = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      n++;
      const body =
        status === 202
          ? JSON.stringify({
              id: `wish-${n}`,
              evacueeId: 'EV-00001',
              destination: 'mars',
              submittedAt: new Date().toISOString(),
            })
          : '{}';
      response.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
