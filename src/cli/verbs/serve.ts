import { openMessaging, openStorage } from '../../engines/index.js';
import { QUEUES } from '../../ports/index.js';
import {
  ConsumeLoop,
  createLogger,
  flushIntervalLogs,
  logLinesFor,
  observeQueue,
  observeTally,
  onShutdown,
  serviceNameOf,
  startHealthServer,
  startTelemetry,
  type Config,
  type Telemetry,
} from '../../runtime/index.js';
import { consumerOf } from '../../services/consumers.js';
import {
  CONSUMER_NAMES,
  CONSUMERS_TOGETHER,
  SERVICES,
  type ConsumerName,
  type PipelineService,
  type ServiceName,
} from '../../services/names.js';
import { CliError, defineVerb } from '../verb.js';

/** `exodus serve <service>`: one service in this process, engines from config. What a container runs. */
export const serveVerb = defineVerb({
  path: ['serve'],
  summary: 'run one service in this process (what a container runs)',
  args: '<service>',
  options: {},
  settings: 'all',
  examples: [
    'exodus serve frontend --port 8080',
    'exodus serve worker --health-port 9101 --queue nats://nats:4222 --store postgres://db/exodus',
    'exodus serve consumers --health-port 9101',
    'exodus serve console',
  ],
  run: async ({ positionals: [service], config: settings }) => {
    if (!SERVICES.includes(service as ServiceName)) throw new CliError(`serve what? one of: ${SERVICES.join(', ')}`);
    const config = settings();
    // Each service's code (the console's, the frontend's web stack) loads only in its own process.
    if (service === 'console') return (await import('../serve-console.js')).serveConsole(config);
    await serve(service as PipelineService | typeof CONSUMERS_TOGETHER, config);
  },
});

async function serve(service: PipelineService | typeof CONSUMERS_TOGETHER, config: Config): Promise<void> {
  const logLines = logLinesFor(config.logFormat);
  const telemetry = startTelemetry(serviceNameOf(service), {
    tracesPerSecond: config.tracesPerSecond,
    ...(logLines === undefined ? {} : { logLines }),
  });
  const logger = createLogger(service, config.logLevel, telemetry.logDestination);
  const messaging = await openMessaging(config.queueUrl, config);
  const storage = await openStorage(config.storeUrl, { poolSize: config.storePoolSize });
  const closeEngines = async (): Promise<void> => {
    await messaging.close();
    await storage.close();
    // Summaries still gathered (refusals, injection attempts) are written while the log still exports.
    flushIntervalLogs();
    await telemetry.shutdown();
  };

  if (service === 'frontend') {
    // Read (or made) now, so a data dir that cannot hold it fails the start, not the first wish.
    config.passSecret.reveal();
    // On AWS (EXODUS_EMF_NAMESPACE set by the stack): the SLO's good and total counts, for CloudWatch's
    // burn-rate alarms; loaded here only (Powertools), and checked before any listener starts.
    const { wishAcceptanceEmfFrom } = await import('../../runtime/wish-acceptance-emf.js');
    const emf = wishAcceptanceEmfFrom(process.env);
    const { buildFrontend } = await import('../../services/frontend/index.js');
    // The queue alone: reads may degrade, intake must not (the same readiness as the public /readyz).
    const ready = (): Promise<void> => messaging.ping();
    const internal = await startInternalListener(config, ready, telemetry.serveMetrics);
    const app = await buildFrontend({
      intake: messaging.queue(QUEUES.intake),
      store: storage.store,
      readModel: storage.readModel,
      passSecret: config.passSecret,
      logger,
      maxBodyBytes: config.maxBodyBytes,
      ready,
      frontDoor: config.frontDoor,
      // With a health port the scrape is only there: a load balancer's rule for the exact path
      // `/metrics` is passed by `/%6Detrics`, which the router decodes; absent, it cannot leak.
      ...(internal === undefined ? { serveMetrics: telemetry.serveMetrics } : {}),
      ...(emf === undefined ? {} : { onWishAnswer: (status, hasRetryAfter) => emf.record(status, hasRetryAfter) }),
    });
    observeQueue(messaging.queue(QUEUES.intake));
    const address = await app.listen({ host: config.host, port: config.port, backlog: config.frontDoor.listenBacklog });
    logger.info({ address, healthPort: internal?.port }, 'frontend listening');
    onShutdown(logger, [
      async () => {
        internal?.server.close();
        await app.close();
        emf?.stop();
      },
      closeEngines,
    ]);
    return;
  }

  // `consumers`: every consumer's loop in this one process, each on its own queue as if alone.
  const consumers: readonly ConsumerName[] = service === CONSUMERS_TOGETHER ? CONSUMER_NAMES : [service];
  const loops = await Promise.all(
    consumers.map(async (consumer) => {
      const { queue, handler } = await consumerOf(consumer, messaging, storage, logger);
      observeQueue(messaging.queue(queue));
      if (consumer === 'tally') observeTally(storage.readModel);
      return { queue, loop: new ConsumeLoop({ queue: messaging.queue(queue), handler, logger, ...config }) };
    }),
  );
  for (const { loop } of loops) loop.start();
  const health = await startInternalListener(
    config,
    async () => {
      await messaging.ping();
      await storage.ping();
    },
    telemetry.serveMetrics,
  );
  const queues = loops.map(({ queue }) => queue);
  logger.info({ queues, healthPort: health?.port }, `${service} consuming`);
  onShutdown(logger, [
    async () => {
      health?.server.close();
      await Promise.all(loops.map(({ loop }) => loop.stop()));
    },
    closeEngines,
  ]);
}

/**
 * `/healthz`, `/readyz` and `/metrics` on `--health-port` (EXODUS_HEALTH_PORT), for the orchestrator and
 * the scraper inside the network; undefined without one. A consumer has no other listener; the
 * frontend's public port then keeps its probes but no longer answers `/metrics`.
 */
async function startInternalListener(
  config: Config,
  ready: () => Promise<void>,
  serveMetrics: Telemetry['serveMetrics'],
): Promise<Awaited<ReturnType<typeof startHealthServer>> | undefined> {
  if (config.healthPort === undefined) return undefined;
  return startHealthServer({ host: config.host, port: config.healthPort, ready, serveMetrics });
}
