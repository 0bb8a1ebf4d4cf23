import { join } from 'node:path';
import { openTelemetryStore } from '../engines/index.js';
import { readSlos } from '../ops/index.js';
import {
  adminToken,
  createLogger,
  onShutdown,
  packageRoot,
  startTelemetry,
  type Config,
  type Logger,
} from '../runtime/index.js';
import { startConsole, type SloDefinition } from '../services/console/index.js';

/**
 * `exodus serve console`: the ops console alone, an OTLP receiver and its web page, keeping what it
 * receives in `<data>/console.db`. Its own metrics are served on its `/metrics` but never exported:
 * exported to itself, every batch it stored would make more to store.
 */
export async function serveConsole(config: Config): Promise<void> {
  const telemetry = startTelemetry('exodus-console', { otlp: false });
  const logger = createLogger('console', config.logLevel);
  const { host, port, retentionMs, maxBytes, alertSpeedup } = config.console;
  const store = openTelemetryStore(config.dataDir);
  const slos = shippedSlos(logger);
  const running = await startConsole({
    host,
    port,
    store,
    adminToken: adminToken(config.dataDir),
    retentionMs,
    maxBytes,
    logger,
    slos,
    alertSpeedup,
    ...instanceId(),
    serveMetrics: telemetry.serveMetrics,
  }).catch((error: unknown) => {
    store.close();
    throw error;
  });
  logger.info({ url: running.url }, 'console listening');
  onShutdown(logger, [() => running.close(), () => telemetry.shutdown()]);
}

/** The SLOs shipped in `slo/`; a console without them still runs (and says why in its log). */
function shippedSlos(logger: Logger): SloDefinition[] {
  try {
    return readSlos(join(packageRoot(), 'slo'));
  } catch (error) {
    logger.warn({ err: error }, 'no SLOs to show: slo/ could not be read');
    return [];
  }
}

/** `service.instance.id` as `exodus up` gives it (`console-1`), for the events the console writes itself. */
function instanceId(): { instance?: string } {
  const match = /(?:^|,)\s*service\.instance\.id=([^,]+)/.exec(process.env['OTEL_RESOURCE_ATTRIBUTES'] ?? '');
  return match?.[1] === undefined ? {} : { instance: match[1].trim() };
}
