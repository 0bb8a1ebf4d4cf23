import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Queue, ReadModel, WishStore } from '../../ports/index.js';
import type { FrontDoorConfig, Logger, Secret } from '../../runtime/index.js';
import { packageVersion } from '../../runtime/index.js';
import { registerMetricsRoute } from '../shared/metrics-route.js';
import { registerProbeRoutes } from '../shared/probe-routes.js';
import { installSecurityHeaders } from '../shared/security-headers.js';
import { Admission, installPageRefusals } from './admission.js';
import { problemSchema } from './api-shapes.js';
import { canaryPacedByItsOperator } from './canary-pace.js';
import { installClosingDoor } from './closing-door.js';
import { PROBES, pathOf } from './door-paths.js';
import { installLoadShedding } from './load-shedding.js';
import { defaultWebRoot, readSorryPage, registerPageRoutes } from './page-routes.js';
import { installProblemHandlers } from './problem.js';
import { installRateLimits } from './rate-limits.js';
import { registerReadRoutes } from './read-routes.js';
import { RefusalReport, installRefusalReport } from './refusals.js';
import { SheddingEvents } from './shedding-events.js';
import { installRequestTracing } from './tracing.js';
import { installWishAnswerListener, type WishAnswerListener } from './wish-answers.js';
import { registerWishRoutes } from './wish-routes.js';

export interface FrontendDeps {
  readonly intake: Queue;
  readonly store: WishStore;
  readonly readModel: ReadModel;
  readonly passSecret: Secret;
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  /** `/readyz`: the frontend is ready when its queue answers (not the database: reads may degrade, intake must not). */
  readonly ready: () => Promise<void>;
  readonly sendTimeoutMs?: number;
  /** Rate limits and load shedding. */
  readonly frontDoor: FrontDoorConfig;
  /** The built web page; default `dist/web/page` of this package. */
  readonly webRoot?: string;
  /**
   * How long a wall page or the tally is served from memory, in ms (default 1000; 0 = never): one
   * read-model query per second, however many pages poll, so a hall of open pages costs nothing.
   */
  readonly readCacheMs?: number;
  /** Answers `GET /metrics` (Prometheus text); without it the route is absent. */
  readonly serveMetrics?: (request: IncomingMessage, response: ServerResponse) => void;
  /** Told of every answer to `POST /api/wishes` (the wish-acceptance SLO's counts on AWS). */
  readonly onWishAnswer?: WishAnswerListener;
}

/** The web/API process: the front door of the pipeline. Build it, then `listen`. */
export async function buildFrontend(deps: FrontendDeps): Promise<FastifyInstance> {
  // Typed with Fastify's base logger: pino's own type is richer than the one routes are declared with.
  const logger: FastifyBaseLogger = deps.logger;
  const events = new SheddingEvents(deps.logger);
  const refusals = new RefusalReport(deps.logger);
  const door = deps.frontDoor;
  const admission = new Admission(
    {
      maxRequestsInFlight: door.maxRequestsInFlight,
      maxConnections: door.maxConnections,
    },
    events,
    refusals,
  );
  const app = Fastify({
    // The server with the admission in front: bounds on connections and requests in flight, checked
    // before Fastify spends anything on a request (admission.ts). `inject` bypasses it.
    serverFactory: admission.serverFactory,
    loggerInstance: logger,
    // Per-request log lines would cost more than the request at burst rates; spans record each request.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.maxBodyBytes,
    ajv: { customOptions: { allErrors: true } },
    // Closing is answered by installClosingDoor (problem+json with Retry-After).
    return503OnClosing: false,
    // Behind a load balancer the client address (for per-address limits) is in X-Forwarded-For.
    trustProxy: (_address: string, hop: number) => hop < deps.frontDoor.trustProxyHops,
  });
  const webRoot = deps.webRoot ?? defaultWebRoot();
  app.addSchema(problemSchema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Exodus',
        version: packageVersion(),
        description: 'Last wishes of the evacuees: submit, follow, read the wall.',
      },
      components: {
        securitySchemes: { boardingPass: { type: 'http', scheme: 'bearer', description: 'Your boarding pass' } },
      },
    },
  });
  installProblemHandlers(app, deps.logger);
  installRefusalReport(app, refusals);
  // The wish API takes JSON only; Fastify would also parse text/plain, which the contract answers 415.
  app.removeContentTypeParser('text/plain');
  installRequestTracing(app);
  if (deps.onWishAnswer !== undefined) installWishAnswerListener(app, deps.onWishAnswer);
  // Order matters: headers go on every answer, shed ones included; shedding is cheaper than counting.
  installSecurityHeaders(app);
  const sorryPage = readSorryPage(webRoot);
  installClosingDoor(app, sorryPage);
  installPageRefusals(app, sorryPage);
  const writeGate = await installLoadShedding(app, {
    events,
    admission,
    limits: deps.frontDoor,
    queueReachable: deps.ready,
    sorryPage,
    logger: deps.logger,
  });
  const guards = canaryPacedByItsOperator(await installRateLimits(app, deps.frontDoor, sorryPage));
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return;
    if (PROBES.has(pathOf(request))) return;
    for (const guard of guards.read) await guard.call(app, request, reply);
  });

  registerProbeRoutes(app, deps.ready);
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  if (deps.serveMetrics !== undefined) registerMetricsRoute(app, deps.serveMetrics);

  registerWishRoutes(app, {
    intake: deps.intake,
    store: deps.store,
    passSecret: deps.passSecret,
    sendTimeoutMs: deps.sendTimeoutMs ?? 5000,
    writeGate,
    guards,
  });
  registerReadRoutes(app, deps.readModel, deps.readCacheMs ?? 1000);
  await registerPageRoutes(app, webRoot);
  return app;
}
