import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** `GET /metrics`: the process's Prometheus text, written by the OpenTelemetry exporter itself. */
export function registerMetricsRoute(
  app: FastifyInstance,
  serveMetrics: (request: IncomingMessage, response: ServerResponse) => void,
): void {
  app.get('/metrics', { schema: { hide: true } }, (request, reply) => {
    // The exporter writes the scrape; the security headers were set on the reply already.
    reply.hijack();
    for (const [name, value] of Object.entries(reply.getHeaders()))
      if (value !== undefined) reply.raw.setHeader(name, value);
    serveMetrics(request.raw, reply.raw);
  });
}
