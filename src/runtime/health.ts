import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * `/healthz` says the process is alive (never checks dependencies: a restart would not fix them);
 * `/readyz` says its engines answer, so an orchestrator stops routing work to it when they don't;
 * `/metrics` is the Prometheus scrape. For services that have no HTTP server of their own, and for the
 * frontend given a health port: an internal listener, so the scrape is never on its public port.
 */
export async function startHealthServer(options: {
  host: string;
  port: number;
  ready: () => Promise<void>;
  /** Answers `GET /metrics` (Prometheus text). */
  serveMetrics?: (request: IncomingMessage, response: ServerResponse) => void;
}): Promise<{ server: Server; port: number }> {
  const { host, port, ready, serveMetrics } = options;
  const server = createServer((req, res) => {
    const reply = (status: number, body: object): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.url === '/healthz') return reply(200, { status: 'ok' });
    if (req.url === '/metrics' && serveMetrics !== undefined) return serveMetrics(req, res);
    if (req.url === '/readyz') {
      ready().then(
        () => reply(200, { status: 'ready' }),
        (error: unknown) =>
          reply(503, { status: 'not ready', reason: error instanceof Error ? error.message : String(error) }),
      );
      return;
    }
    reply(404, { status: 'not found' });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return { server, port: (server.address() as AddressInfo).port };
}
