import type { Logger } from './logger.js';

/**
 * Graceful shutdown on SIGTERM/SIGINT: run the steps in order (stop intake, drain, close engines,
 * flush telemetry), then exit. A step that hangs is abandoned after `timeoutMs`: anything not yet
 * acknowledged is redelivered when its lease expires, so giving up never loses work.
 *
 * A process started by `exodus up` has an IPC channel to its supervisor; when that closes (the
 * supervisor was killed, even with SIGKILL) it stops the same way, instead of living on as an orphan
 * that a new `exodus up` would find holding its ports and queues.
 */
export function onShutdown(logger: Logger, steps: readonly (() => Promise<void>)[], timeoutMs = 20_000): void {
  let stopping = false;
  const stop = (reason: NodeJS.Signals | 'supervisor gone'): void => {
    if (stopping) return;
    stopping = true;
    const exit = (code: number): void => (reason === 'supervisor gone' ? exitPastDeadPipe() : process.exit(code));
    const timer = setTimeout(() => {
      log(() => logger.error({ timeoutMs }, 'drain timed out; exiting with work left to lease expiry'));
      exit(1);
    }, timeoutMs);
    timer.unref();
    log(() => logger.info({ signal: reason }, 'draining'));
    void (async () => {
      for (const step of steps) {
        try {
          await step();
        } catch (error) {
          log(() => logger.error({ err: error }, 'shutdown step failed'));
        }
      }
      log(() => logger.info('drained; exiting'));
      exit(0);
    })();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // Listening keeps the channel referenced; harmless: a service lives until it is stopped, then exits explicitly.
  if (process.channel !== undefined) process.once('disconnect', () => stop('supervisor gone'));
}

/**
 * A log line that may fail: once the supervisor is gone, stdout is a pipe nobody reads (EPIPE), and
 * the drain must go on without its log lines.
 */
function log(write: () => void): void {
  try {
    write();
  } catch {
    // nowhere to write; the drain matters more
  }
}

/**
 * Ends the process without its exit handlers. With the supervisor gone, stdout is a pipe nobody
 * reads, and pino's exit handler (sonic-boom's flushSync) retries a write that fails with EPIPE
 * forever: the process would hang instead of exiting. Its work is done (the steps ran), so nothing
 * is left for those handlers.
 */
function exitPastDeadPipe(): void {
  process.kill(process.pid, 'SIGKILL');
}
