import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { TelemetryStore } from '../../ports/index.js';
import type { Logger } from '../../runtime/index.js';
import { packageRoot, packageVersion } from '../../runtime/index.js';
import { registerMetricsRoute } from '../shared/metrics-route.js';
import { registerProbeRoutes } from '../shared/probe-routes.js';
import { installSecurityHeaders } from '../shared/security-headers.js';
import { installAccess } from './access.js';
import { AlertWatch } from './alert-watch.js';
import { registerApiRoutes } from './api-routes.js';
import { registerExploreRoutes } from './explore-routes.js';
import { registerOtlpReceiver } from './otlp-routes.js';
import { installProblemHandler } from './problem.js';
import type { SloDefinition } from './slo-budgets.js';

export interface ConsoleAppOptions {
  readonly store: TelemetryStore;
  readonly adminToken: string;
  readonly logger: Logger;
  /** The built console page; default `dist/web/console` of this package. */
  readonly webRoot?: string;
  /** Largest OTLP request body (compressed) taken; New Relic's limit is 1 MB, a Collector's batches are bigger. */
  readonly maxOtlpBytes?: number;
  /** Mark the login cookie `Secure` (when served over HTTPS by a proxy in front). */
  readonly secureCookie?: boolean;
  /** The SLOs whose budgets it shows, and over how long (its retention); none: the view says so. */
  readonly objectives?: { readonly slos: readonly SloDefinition[]; readonly windowMs: number };
  /**
   * Evaluates the SLOs' burn-rate alerts. Absent, the app makes one over `objectives` and runs it
   * until it closes; a test passes its own and evaluates when it chooses.
   */
  readonly alerts?: AlertWatch;
  /** Answers `GET /metrics` (the console's own Prometheus text, open like the probes); without it the route is absent. */
  readonly serveMetrics?: ((request: IncomingMessage, response: ServerResponse) => void) | undefined;
}

/** The ops console's HTTP face: the OTLP receiver, the JSON API and the page, all behind the admin token. */
export async function buildConsoleApp(options: ConsoleAppOptions): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger = options.logger;
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { allErrors: true } },
  });
  const webRoot = options.webRoot ?? join(packageRoot(), 'dist', 'web', 'console');
  if (!existsSync(join(webRoot, 'index.html')))
    throw new Error(`the console page is not built (${webRoot}): run npm run build`);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Exodus ops console',
        version: packageVersion(),
        description: 'What every Exodus process reported: services, queues, traces, logs and events.',
      },
      components: {
        securitySchemes: {
          adminToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'The console token (EXODUS_ADMIN_TOKEN or <data>/admin-token)',
          },
        },
      },
      security: [{ adminToken: [] }],
    },
  });
  installProblemHandler(app);
  installSecurityHeaders(app);
  // Ready when its store can be read: what every view and the OTLP receiver need.
  registerProbeRoutes(app, () => options.store.assertReadable());
  if (options.serveMetrics !== undefined) registerMetricsRoute(app, options.serveMetrics);
  await installAccess(app, { token: options.adminToken, webRoot, secureCookie: options.secureCookie ?? false });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  const objectives = options.objectives ?? { slos: [], windowMs: 0 };
  let alerts = options.alerts;
  if (alerts === undefined) {
    const own = new AlertWatch({
      store: options.store,
      slos: objectives.slos,
      retentionMs: objectives.windowMs,
      logger: options.logger,
      instance: `${hostname()}:${process.pid}`,
    });
    own.start();
    app.addHook('onClose', async () => own.stop());
    alerts = own;
  }
  registerApiRoutes(app, options.store, objectives, alerts);
  registerExploreRoutes(app, options.store);
  registerOtlpReceiver(app, { store: options.store, maxBodyBytes: options.maxOtlpBytes ?? 8 * 1024 * 1024 });
  await app.register(fastifyStatic, { root: webRoot, prefix: '/', index: 'index.html', maxAge: 0, schemaHide: true });
  return app;
}
