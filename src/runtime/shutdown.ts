import type { Logger } from './logger.js';

/**
 * Graceful shutdown on SIGTERM/SIGINT: run the steps in order (stop intake, drain, close engines,
 * flush telemetry), then exit. A step that hangs is abandoned after `timeoutMs`: anything not yet
 * acknowledged is redelivered when its lease expires, so giving up never loses work.
 */
export function onShutdown(logger: Logger, steps: readonly (() => Promise<void>)[], timeoutMs = 20_000): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'drain timed out; exiting with work left to lease expiry');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    void (async () => {
      for (const step of steps) {
        try {
          await step();
        } catch (error) {
          logger.error({ err: error }, 'shutdown step failed');
        }
      }
      logger.info('drained; exiting');
      process.exit(0);
    })();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
