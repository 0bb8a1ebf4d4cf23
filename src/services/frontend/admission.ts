import type { FastifyInstance } from 'fastify';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Problem } from './api-shapes.js';
import { PROBES, SORRY_ASSETS, pathOf, sendSorryPage, wantsPage } from './door-paths.js';
import { PRESSURE_ANSWERS, type Pressure } from './pressure-gauge.js';
import type { RefusalReport } from './refusals.js';
import type { SheddingEvents, SheddingReason } from './shedding-events.js';

export interface AdmissionLimits {
  /** Requests held at once, from parsed headers to the last byte of the answer; 0 = no cap. */
  readonly maxRequestsInFlight: number;
  /** Open connections; a request on a connection opened past it gets 503 and the connection is closed; 0 = no cap. */
  readonly maxConnections: number;
}

/** Fastify's own defaults for its server (a custom one gets none): idle keep-alive outlives a cloud load balancer's 60 s. */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;
/**
 * A client slower than this to send its headers (10 s), or its whole request (30 s), is cut off: it
 * would hold a connection and, once parsed, a place in flight. Node's defaults (60 s, 300 s, checked every 30 s)
 * let a slow client hold them for minutes; a wish is at most 16 KiB.
 */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
const TIMEOUT_CHECK_INTERVAL_MS = 2_000;

/** A refusal written once at start: answering it is a header write and a body write, nothing parsed or serialised. */
interface Refusal {
  readonly reason: SheddingReason;
  /** The problem type's slug: what clients branch on, and the refusal count's reason. */
  readonly slug: string;
  readonly retryAfterSeconds: number;
  readonly headers: Readonly<Record<string, string | number>>;
  readonly body: Buffer;
}

function refusal({
  reason,
  slug,
  detail,
  retryAfterSeconds,
  close = false,
}: {
  reason: SheddingReason;
  slug: string;
  detail: string;
  retryAfterSeconds: number;
  close?: boolean;
}): Refusal {
  const problem: Problem = { type: `/problems/${slug}`, title: 'Service unavailable', status: 503, detail };
  const body = Buffer.from(JSON.stringify(problem));
  return {
    reason,
    slug,
    retryAfterSeconds,
    body,
    headers: {
      'content-type': 'application/problem+json; charset=utf-8',
      'content-length': body.length,
      'retry-after': String(retryAfterSeconds),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...(close ? { connection: 'close' } : {}),
    },
  };
}

/** Browsers turned away here: Fastify answers them with the sorry page and the page's full headers. */
const REFUSED_FOR_PAGE = new WeakMap<IncomingMessage, Refusal>();

/**
 * The sorry page for a browser the admission turned away. Registered after the security headers:
 * a page needs its CSP, which only Fastify's path adds; browsers are few next to the API's calls.
 */
export function installPageRefusals(app: FastifyInstance, sorryPage: string): void {
  app.addHook('onRequest', async (request, reply) => {
    const refused = REFUSED_FOR_PAGE.get(request.raw);
    if (refused === undefined) return;
    if (refused.reason === 'connections') reply.header('connection', 'close');
    return sendSorryPage(reply, sorryPage, {
      status: 503,
      retryAfterSeconds: refused.retryAfterSeconds,
      reason: refused.slug,
    });
  });
}

/**
 * The door before the door: bounds what the frontend holds, checked as soon as Node has parsed a
 * request's headers and before Fastify builds anything for it. Under CPU saturation a request costs
 * most of its CPU in Fastify's path (routing, hooks, a span, the body); one refused here costs a
 * pre-written answer (measured ~25 µs of CPU, against ~150–300 µs for a 202), so an overloaded
 * process works through its sockets quickly and says "retry" instead of leaving requests in the
 * kernel's queues past the client's timeout. The probes (and the sorry page's own files) are
 * always let through. Nothing accepted is affected: a refused request never reached a route.
 */
export class Admission {
  #inFlight = 0;
  #connections = 0;
  /** Connections opened while `maxConnections` were already open: each request on them is refused. */
  readonly #over = new WeakSet<Socket>();
  readonly #tooMany = refusal({
    reason: 'requests-in-flight',
    slug: 'overloaded',
    detail: 'too many requests are being answered; please retry shortly',
    retryAfterSeconds: 1,
  });
  readonly #tooManyConnections = refusal({
    reason: 'connections',
    slug: 'overloaded',
    detail: 'too many connections are open; please retry shortly',
    retryAfterSeconds: 2,
    close: true,
  });
  /** What the pressure gauge's states are answered with (the same words as load-shedding.ts's hook). */
  readonly #pressed: Readonly<Record<Pressure, Refusal>> = {
    'event-loop-delay': refusal({ reason: 'event-loop-delay', ...PRESSURE_ANSWERS['event-loop-delay'] }),
    'heap-used': refusal({ reason: 'heap-used', ...PRESSURE_ANSWERS['heap-used'] }),
  };
  #pressure: () => Pressure | undefined = () => undefined;

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly events: SheddingEvents,
    private readonly refusals: RefusalReport,
  ) {}

  /**
   * Sheds every request but the probes while `pressure` names a reason: the pressure gauge's sampled
   * state (load-shedding.ts), read here so that a saturated process refuses at the cheapest point.
   * Its own hook still answers what never comes through here (`inject`).
   */
  shedWhile(pressure: () => Pressure | undefined): void {
    this.#pressure = pressure;
  }

  /** Fastify's `serverFactory`: the HTTP server, with this admission in front of Fastify's handler. */
  readonly serverFactory = (handler: (request: IncomingMessage, response: ServerResponse) => void): Server => {
    const server = createServer(
      {
        keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
        headersTimeout: HEADERS_TIMEOUT_MS,
        requestTimeout: REQUEST_TIMEOUT_MS,
        connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
      },
      (request, response) => this.#admit(request, response, handler),
    );
    server.on('connection', (socket: Socket) => this.#opened(socket));
    return server;
  };

  #opened(socket: Socket): void {
    this.#connections++;
    socket.once('close', () => this.#connections--);
    if (this.limits.maxConnections > 0 && this.#connections > this.limits.maxConnections) this.#over.add(socket);
  }

  #admit(
    request: IncomingMessage,
    response: ServerResponse,
    handler: (request: IncomingMessage, response: ServerResponse) => void,
  ): void {
    const path = pathOf({ url: request.url ?? '/' });
    if (PROBES.has(path) || SORRY_ASSETS.has(path)) return handler(request, response);
    if (this.#over.has(request.socket)) return this.#refuse(this.#tooManyConnections, request, response, handler);
    const pressed = this.#pressure();
    if (pressed !== undefined) return this.#refuse(this.#pressed[pressed], request, response, handler);
    const cap = this.limits.maxRequestsInFlight;
    if (cap > 0 && this.#inFlight >= cap) return this.#refuse(this.#tooMany, request, response, handler);
    this.#inFlight++;
    // 'close' comes once the answer is written or the connection is gone, whichever is first.
    response.once('close', this.#release);
    handler(request, response);
  }

  readonly #release = (): void => {
    this.#inFlight--;
  };

  #refuse(
    answer: Refusal,
    request: IncomingMessage,
    response: ServerResponse,
    handler: (request: IncomingMessage, response: ServerResponse) => void,
  ): void {
    this.events.refused(answer.reason);
    if (wantsPage(request)) {
      // Rare next to the API's calls, and a page needs its security headers: Fastify sends it (door-paths.ts).
      REFUSED_FOR_PAGE.set(request, answer);
      return handler(request, response);
    }
    this.refusals.record(503, answer.slug);
    response.writeHead(503, answer.headers).end(answer.body);
  }
}
