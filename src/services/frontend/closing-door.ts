import type { FastifyInstance } from 'fastify';
import { SORRY_ASSETS, pathOf, sendSorryPage, wantsPage } from './door-paths.js';
import { HttpProblem } from './problem.js';

/** What a client is told to wait before it tries again: a restart, or another replica taking over, takes seconds. */
const RETRY_AFTER_SECONDS = 5;

/**
 * The door closes first when the frontend stops (SIGTERM → `app.close()`): from the moment closing
 * begins, `/readyz` says not ready and every request but liveness is answered 503 with
 * Retry-After (the sorry page for a browser), while requests already inside finish — their wishes
 * were accepted or refused as usual. Fastify's own closing answer (`return503OnClosing`) has no
 * Retry-After and is not a problem document, so it is turned off in favour of this.
 */
export function installClosingDoor(app: FastifyInstance, sorryPage: string): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (request, reply) => {
    if (!closing) return;
    const path = pathOf(request);
    if (path === '/healthz' || SORRY_ASSETS.has(path)) return;
    if (wantsPage(request))
      return sendSorryPage(reply, sorryPage, {
        status: 503,
        retryAfterSeconds: RETRY_AFTER_SECONDS,
        reason: 'shutting-down',
      });
    throw HttpProblem.retryLater({
      status: 503,
      slug: 'shutting-down',
      detail: 'this frontend is stopping; please retry shortly',
      retryAfterSeconds: RETRY_AFTER_SECONDS,
    });
  });
}
