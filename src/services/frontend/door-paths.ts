import type { FastifyReply } from 'fastify';

/**
 * Liveness, readiness and the metrics scrape: never rate-limited, never shed (liveness must not
 * depend on load, and an overloaded process is exactly when its metrics matter).
 */
export const PROBES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/** What the sorry page itself loads: served even while shedding, so the page it shows is styled. */
export const SORRY_ASSETS: ReadonlySet<string> = new Set(['/styles.css', '/favicon.svg']);

/** The request's path, without its query string (Fastify's request or Node's). */
export function pathOf(request: { readonly url: string }): string {
  const query = request.url.indexOf('?');
  return query === -1 ? request.url : request.url.slice(0, query);
}

/**
 * A browser asking for a page (not the API, not a script or style): it gets the sorry page, not JSON.
 * Fastify's request or Node's (the admission asks before Fastify has one).
 */
export function wantsPage(request: {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: { readonly accept?: string | undefined };
}): boolean {
  return (
    request.method === 'GET' &&
    !(request.url ?? '').startsWith('/api/') &&
    (request.headers.accept ?? '').includes('text/html')
  );
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Why the request was turned away (429/503, or 500 for a wish the queue refused): its problem
     * type's slug (`rate-limited`, `overloaded`, `out-of-memory`, `intake-unavailable`,
     * `wish-refused-by-queue`) and what caused it, if anything did (the send's error). Counted and
     * logged by `refusals.ts`.
     */
    refusedFor?: { readonly reason: string; readonly cause?: string };
  }
}

/** The static sorry page, with the status and wait that sent it; it reloads itself. */
export function sendSorryPage(
  reply: FastifyReply,
  page: string,
  { status, retryAfterSeconds, reason }: { status: 429 | 503; retryAfterSeconds: number; reason: string },
): FastifyReply {
  reply.request.refusedFor = { reason };
  return reply
    .code(status)
    .header('retry-after', String(retryAfterSeconds))
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(page);
}
