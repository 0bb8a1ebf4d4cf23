import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

/**
 * The baseline: a bare `node:http` server in its own process (as exodus's frontend is), doing the
 * least a JSON intake must do — read the body, `JSON.parse` it, answer 202 with a small JSON body.
 * No routing framework, auth, validation, tracing or durable write: the ceiling for one Node process
 * on this machine, against which the real front door is compared.
 *
 * Started by `startBareServer` (processes.ts) with an IPC channel; it listens on 127.0.0.1, an
 * ephemeral port, and reports `{ port }` to its parent. SIGTERM stops it.
 */
const MAX_BODY_BYTES = 16_384; // the frontend's default `maxBodyBytes`

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  let size = 0;
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  });
  request.on('end', () => {
    let status = 202;
    let answer: unknown;
    try {
      if (size > MAX_BODY_BYTES) throw new Error('too large');
      const wish = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { destination?: unknown };
      answer = { id: randomUUID(), status: 'pending', destination: wish.destination };
    } catch {
      status = 400;
      answer = { title: 'Bad request' };
    }
    const body = JSON.stringify(answer);
    response.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    response.end(body);
  });
});

// Keep idle connections open between phases, like the frontend (Fastify's default is 72 s).
server.keepAliveTimeout = 72_000;

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.send?.({ port });
});

process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
