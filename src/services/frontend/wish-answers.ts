import type { FastifyInstance } from 'fastify';

/** What became of one `POST /api/wishes`: its status, and whether it told the client when to come back. */
export type WishAnswerListener = (status: number, hasRetryAfter: boolean) => void;

/**
 * Hands every answer to `POST /api/wishes` to `listener`, refusals included (rate limits, sheds, the
 * closing door and oversized bodies all answer on the matched route, so they are seen here too).
 */
export function installWishAnswerListener(app: FastifyInstance, listener: WishAnswerListener): void {
  app.addHook('onResponse', (request, reply, done) => {
    if (request.method === 'POST' && request.routeOptions.url === '/api/wishes') {
      listener(reply.statusCode, reply.getHeader('retry-after') !== undefined);
    }
    done();
  });
}
