import type { FastifyInstance } from 'fastify';

/**
 * `GET /healthz`: the process is alive (never a dependency: a restart would not fix one).
 * `GET /readyz`: what it needs answers (`ready` resolves), so an orchestrator routes work to it;
 * otherwise 503 with the reason and when to ask again.
 */
export function registerProbeRoutes(app: FastifyInstance, ready: () => Promise<void> | void): void {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    try {
      await ready();
      return { status: 'ready' };
    } catch (error) {
      return reply
        .code(503)
        .header('retry-after', '5')
        .send({ status: 'not ready', reason: error instanceof Error ? error.message : String(error) });
    }
  });
}
