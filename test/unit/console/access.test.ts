import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTelemetryStore } from '../../../src/engines/index.js';
import type { TelemetryStore } from '../../../src/ports/index.js';
import { buildConsoleApp } from '../../../src/services/console/index.js';
import { tempDir } from '../../../testkit/index.js';

const TOKEN = 'console-access-token-0123456789';
const LOGIN_PAGE = '<!doctype html><title>sign in</title><form method="post" action="/login"></form>';

/** A stand-in for the built page: the console's own files, and the login form it shows to strangers. */
function pageFixture(): string {
  const dir = join(tempDir('exodus-console-access-'), 'web');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title><p>the console itself');
  writeFileSync(join(dir, 'main.js'), 'console.log("the console itself");');
  writeFileSync(join(dir, 'login.html'), LOGIN_PAGE);
  writeFileSync(join(dir, 'login.js'), '');
  writeFileSync(join(dir, 'styles.css'), 'body { margin: 0 }');
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  return dir;
}

/** Every way into what the token guards: the page and its files, the JSON API, the OpenAPI document, the OTLP receiver, signing out. */
const PROTECTED: readonly InjectOptions[] = [
  { method: 'GET', url: '/' },
  { method: 'GET', url: '/index.html' },
  { method: 'GET', url: '/main.js' },
  { method: 'GET', url: '/api/v1/overview' },
  { method: 'GET', url: '/api/v1/slos' },
  { method: 'GET', url: '/api/v1/traces?wish=x' },
  { method: 'GET', url: '/api/v1/logs' },
  { method: 'GET', url: '/api/v1/events' },
  { method: 'GET', url: '/api/openapi.json' },
  { method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/json' }, payload: '{}' },
  { method: 'POST', url: '/v1/metrics', headers: { 'content-type': 'application/json' }, payload: '{}' },
  { method: 'POST', url: '/v1/logs', headers: { 'content-type': 'application/json' }, payload: '{}' },
  { method: 'POST', url: '/logout' },
];

/** Tokens that are not the token: another one, the token with a character more or less, changed case, empty, a prefix of it. */
const WRONG_TOKENS = ['wrong', `${TOKEN}x`, TOKEN.slice(0, -1), TOKEN.toUpperCase(), TOKEN.slice(0, 8), ' '];

describe('console access: the admin token guards everything but the login page and the probes', () => {
  let app: FastifyInstance;
  let secureApp: FastifyInstance;
  let store: TelemetryStore;

  beforeAll(async () => {
    store = openTelemetryStore(tempDir('exodus-console-access-store-'));
    const webRoot = pageFixture();
    const common = {
      store,
      adminToken: TOKEN,
      logger: pino({ level: 'silent' }),
      webRoot,
      serveMetrics: (_request: unknown, response: { end: (text: string) => void }) => response.end('# metrics\n'),
    };
    app = await buildConsoleApp(common);
    secureApp = await buildConsoleApp({ ...common, secureCookie: true });
  });
  afterAll(async () => {
    await app.close();
    await secureApp.close();
    store.close();
  });

  const send = (request: InjectOptions, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> =>
    app.inject({ ...request, headers: { ...(request.headers as Record<string, string> | undefined), ...headers } });

  /** A refusal as the path's caller reads it: problem+json for the API and OTLP, the login page (never the console) for the page. */
  const urlOf = (request: InjectOptions): string => (typeof request.url === 'string' ? request.url : '');
  const expectRefused = (response: LightMyRequestResponse, request: InjectOptions, how: string): void => {
    const what = `${request.method ?? 'GET'} ${urlOf(request)} with ${how}`;
    expect(response.statusCode, what).toBe(401);
    expect(response.headers['set-cookie'], what).toBeUndefined();
    if (urlOf(request).startsWith('/api/') || urlOf(request).startsWith('/v1/')) {
      expect(response.headers['content-type'], what).toMatch(/^application\/problem\+json/);
      expect(response.json(), what).toMatchObject({
        status: 401,
        type: '/problems/unauthorized',
        title: 'Admin token required',
      });
      // It says how to present the token, for a person reading the refusal.
      expect(response.json<{ detail: string }>().detail, what).toContain('Authorization: Bearer <token>');
    } else {
      expect(response.headers['content-type'], what).toMatch(/^text\/html/);
      expect(response.body, what).toBe(LOGIN_PAGE);
    }
  };

  it('without a token, every protected path is 401', async () => {
    for (const request of PROTECTED) expectRefused(await send(request), request, 'no token');
  });

  it('a wrong token is 401 on every protected path, however it is presented: bearer, api-key header, cookie', async () => {
    for (const request of PROTECTED) {
      for (const wrong of WRONG_TOKENS) {
        expectRefused(await send(request, { authorization: `Bearer ${wrong}` }), request, `bearer "${wrong}"`);
        expectRefused(await send(request, { 'api-key': wrong }), request, `api-key "${wrong}"`);
        expectRefused(
          await send(request, { cookie: `exodus_console=${encodeURIComponent(wrong)}` }),
          request,
          `cookie "${wrong}"`,
        );
      }
    }
  });

  it('the right token in a header that is not the bearer scheme, or in a cookie of another name, is no token', async () => {
    const request: InjectOptions = { method: 'GET', url: '/api/v1/overview' };
    for (const headers of [
      { authorization: TOKEN },
      { authorization: `Basic ${TOKEN}` },
      { authorization: `Token Bearer ${TOKEN}` },
      { authorization: `xBearer ${TOKEN}` },
      { 'x-api-key': TOKEN },
      { cookie: `console=${TOKEN}` },
    ]) {
      expectRefused(await send(request, headers), request, JSON.stringify(headers));
    }
  });

  it('the bearer header is read first: a wrong bearer is refused even beside the right api-key or cookie', async () => {
    const request: InjectOptions = { method: 'GET', url: '/api/v1/overview' };
    expectRefused(
      await send(request, { authorization: 'Bearer wrong', 'api-key': TOKEN }),
      request,
      'a wrong bearer and the right api-key',
    );
    expectRefused(
      await send(request, { authorization: 'Bearer wrong', cookie: `exodus_console=${TOKEN}` }),
      request,
      'a wrong bearer and the right cookie',
    );
    expectRefused(
      await send(request, { 'api-key': 'wrong', cookie: `exodus_console=${TOKEN}` }),
      request,
      'a wrong api-key and the right cookie',
    );
  });

  it('the right token opens every protected path, presented as a bearer (any case of the scheme), an api-key or the cookie', async () => {
    for (const request of PROTECTED) {
      for (const headers of [
        { authorization: `Bearer ${TOKEN}` },
        { authorization: `bearer ${TOKEN}` },
        { 'api-key': TOKEN },
        { cookie: `exodus_console=${TOKEN}` },
      ]) {
        const response = await send(request, headers);
        const what = `${request.method ?? 'GET'} ${urlOf(request)} with ${JSON.stringify(headers)}`;
        expect(response.statusCode, what).toBeLessThan(400);
        if (request.url === '/') expect(response.body, what).toContain('the console itself');
      }
    }
  });

  it('/login with a wrong token (link or form) is 401 with the login page, and sets no cookie', async () => {
    const bad: InjectOptions[] = [
      ...WRONG_TOKENS.map((wrong): InjectOptions => ({
        method: 'GET',
        url: `/login?token=${encodeURIComponent(wrong)}`,
      })),
      ...WRONG_TOKENS.map((wrong): InjectOptions => ({
        method: 'POST',
        url: '/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `token=${encodeURIComponent(wrong)}`,
      })),
      { method: 'GET', url: '/login' },
      { method: 'GET', url: '/login?token=' },
      { method: 'POST', url: '/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '' },
      {
        method: 'POST',
        url: '/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `other=${TOKEN}`,
      },
      // A form sent with no body at all.
      { method: 'POST', url: '/login' },
    ];
    for (const request of bad) {
      const response = await send(request);
      expectRefused(response, request, 'a wrong token');
      expect(response.headers['location'], urlOf(request)).toBeUndefined();
    }
  });

  it('/login with the right token (link or form) sets an HttpOnly, SameSite=Strict cookie for the whole console and goes to it; the cookie then opens it', async () => {
    const link = await send({ method: 'GET', url: `/login?token=${TOKEN}` });
    const form = await send({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${encodeURIComponent(TOKEN)}`,
    });
    for (const response of [link, form]) {
      expect(response.statusCode).toBe(303);
      expect(response.headers['location']).toBe('/');
      const cookie = String(response.headers['set-cookie']);
      expect(cookie).toMatch(new RegExp(`^exodus_console=${TOKEN};`));
      expect(cookie).toMatch(/; HttpOnly/i);
      expect(cookie).toMatch(/; SameSite=Strict/i);
      expect(cookie).toMatch(/; Path=\/(;|$)/);
      expect(cookie).not.toMatch(/; Secure/i);
      const opened = await send({ method: 'GET', url: '/api/v1/overview' }, { cookie: cookie.split(';')[0] ?? '' });
      expect(opened.statusCode).toBe(200);
    }
  });

  it('behind HTTPS (secureCookie) the login cookie is marked Secure', async () => {
    const response = await secureApp.inject({ method: 'GET', url: `/login?token=${TOKEN}` });
    expect(response.statusCode).toBe(303);
    expect(String(response.headers['set-cookie'])).toMatch(/; Secure/i);
  });

  it('signing out clears the cookie and goes back to the login page', async () => {
    const response = await send({ method: 'POST', url: '/logout' }, { cookie: `exodus_console=${TOKEN}` });
    expect(response.statusCode).toBe(303);
    expect(response.headers['location']).toBe('/login');
    expect(String(response.headers['set-cookie'])).toMatch(/^exodus_console=;.*Expires=Thu, 01 Jan 1970/i);
    expect(String(response.headers['set-cookie'])).toMatch(/; Path=\/(;|$)/);
  });

  it('the login page, what it needs, the probe and the scrape are open, with or without a query', async () => {
    for (const url of [
      '/login.html',
      '/styles.css',
      '/favicon.svg',
      '/healthz',
      '/healthz?probe=1',
      '/readyz',
      '/metrics',
    ]) {
      const response = await send({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
    }
    expect((await send({ method: 'GET', url: '/login.html' })).body).toBe(LOGIN_PAGE);
    expect((await send({ method: 'GET', url: '/metrics' })).body).toBe('# metrics\n');
    // Only those exact paths: one that merely starts like them is guarded.
    for (const request of [
      { method: 'GET', url: '/login.js' },
      { method: 'GET', url: '/healthz/x' },
      { method: 'GET', url: '/readyz/x' },
      { method: 'GET', url: '/metrics.txt' },
    ] as const)
      expectRefused(await send(request), request, 'no token');
  });
});
