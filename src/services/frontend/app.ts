import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Queue, ReadModel, WishStore } from '../../ports/index.js';
import type { Logger, Secret } from '../../runtime/index.js';
import { installProblemHandlers } from './problem.js';
import { registerReadRoutes } from './read-routes.js';
import { problemSchema } from './schemas.js';
import { installRequestTracing } from './tracing.js';
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
}

/** The web/API process: the front door of the pipeline. Build it, then `listen`. */
export async function buildFrontend(deps: FrontendDeps): Promise<FastifyInstance> {
  // Typed with Fastify's base logger: pino's own type is richer than the one routes are declared with.
  const logger: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance: logger,
    // Per-request log lines would cost more than the request at burst rates; spans record each request.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.maxBodyBytes,
    ajv: { customOptions: { allErrors: true } },
    return503OnClosing: true,
  });
  app.addSchema(problemSchema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Exodus', version: '0.1.0', description: 'Last wishes of the evacuees: submit, follow, read the wall.' },
      components: { securitySchemes: { boardingPass: { type: 'http', scheme: 'bearer', description: 'Your boarding pass' } } },
    },
  });
  installProblemHandlers(app, deps.logger);
  installRequestTracing(app);

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    try {
      await deps.ready();
      return { status: 'ready' };
    } catch (error) {
      return reply.code(503).header('retry-after', '5').send({ status: 'not ready', reason: error instanceof Error ? error.message : String(error) });
    }
  });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  registerWishRoutes(app, { intake: deps.intake, store: deps.store, passSecret: deps.passSecret, sendTimeoutMs: deps.sendTimeoutMs ?? 5000 });
  registerReadRoutes(app, deps.readModel);
  return app;
}
