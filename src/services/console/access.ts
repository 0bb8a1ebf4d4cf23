import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tokenMatches } from '../../runtime/index.js';
import { sendProblem } from './problem.js';

const COOKIE = 'exodus_console';
/** Paths anyone may reach: the login form and what it needs, the probes and the scrape (no secrets: counts and timings). */
const OPEN = new Set(['/login', '/login.html', '/styles.css', '/favicon.svg', '/healthz', '/readyz', '/metrics']);

/**
 * Everything but the login page needs the admin token: the browser shows it once (`/login?token=…`,
 * as `exodus up` prints it, or the form) and then holds it in an HttpOnly, SameSite=Strict cookie;
 * scripts send `Authorization: Bearer <token>`; OTLP senders the `api-key` header (what New Relic's
 * intake uses, so one exporter configuration fits both) or the bearer header.
 */
export async function installAccess(
  app: FastifyInstance,
  options: { token: string; webRoot: string; secureCookie: boolean },
): Promise<void> {
  const { token } = options;
  const loginPage = readFileSync(join(options.webRoot, 'login.html'), 'utf8');
  await app.register(cookie);

  const presented = (request: FastifyRequest): string | undefined => {
    const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const apiKey = request.headers['api-key'];
    return bearer ?? (typeof apiKey === 'string' ? apiKey : undefined) ?? request.cookies[COOKIE];
  };
  const signIn = (reply: FastifyReply): FastifyReply =>
    reply
      .setCookie(COOKIE, token, { httpOnly: true, sameSite: 'strict', path: '/', secure: options.secureCookie })
      .redirect('/', 303);
  const refuse = (request: FastifyRequest, reply: FastifyReply): FastifyReply =>
    request.url.startsWith('/api/') || request.url.startsWith('/v1/')
      ? sendProblem(reply, {
          status: 401,
          slug: 'unauthorized',
          title: 'Admin token required',
          detail: 'send the console token as "Authorization: Bearer <token>" (OTLP: an "api-key" header)',
        })
      : reply.code(401).type('text/html; charset=utf-8').send(loginPage);

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (OPEN.has(path)) return;
    if (!tokenMatches(presented(request), token)) return refuse(request, reply);
  });

  // The form posts urlencoded; the link `exodus up` prints carries the token in the query.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
  app.get<{ Querystring: { token?: string } }>('/login', { schema: { hide: true } }, async (request, reply) =>
    tokenMatches(request.query.token, token) ? signIn(reply) : refuse(request, reply),
  );
  app.post<{ Body: { token?: string } }>('/login', { schema: { hide: true } }, async (request, reply) =>
    tokenMatches(request.body?.token, token) ? signIn(reply) : refuse(request, reply),
  );
  app.post('/logout', { schema: { hide: true } }, async (_request, reply) =>
    reply.clearCookie(COOKIE, { path: '/' }).redirect('/login', 303),
  );
}
