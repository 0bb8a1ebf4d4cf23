import { openTelemetryStore } from '../engines/index.js';
import { adminToken, createLogger, onShutdown, startTelemetry, type Config } from '../runtime/index.js';
import { startConsole } from '../services/console/index.js';

/**
 * `exodus serve console`: the ops console alone, an OTLP receiver and its web page, keeping what it
 * receives in `<data>/console.db`. Its own metrics are served on its `/metrics` but never exported:
 * exported to itself, every batch it stored would make more to store.
 */
export async function serveConsole(config: Config): Promise<void> {
  const telemetry = startTelemetry('exodus-console', { otlp: false });
  const logger = createLogger('console', config.logLevel);
  const { host, port, retentionMs, maxBytes } = config.console;
  const store = openTelemetryStore(config.dataDir);
  const running = await startConsole({ host, port, store, adminToken: adminToken(config.dataDir), retentionMs, maxBytes, logger, serveMetrics: telemetry.serveMetrics }).catch((error: unknown) => {
    store.close();
    throw error;
  });
  logger.info({ url: running.url }, 'console listening');
  onShutdown(logger, [() => running.close(), () => telemetry.shutdown()]);
}
