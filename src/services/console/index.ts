import { hostname } from 'node:os';
import type { TelemetryStore } from '../../ports/index.js';
import type { Logger } from '../../runtime/index.js';
import { AlertWatch } from './alert-watch.js';
import { buildConsoleApp, type ConsoleAppOptions } from './app.js';
import type { SloDefinition } from './slo-budgets.js';

export { AlertWatch, type AlertWatchOptions } from './alert-watch.js';
export { buildConsoleApp, type ConsoleAppOptions } from './app.js';
export { type SloDefinition } from './slo-budgets.js';

/** How `exodus serve console` (and `exodus up`) run the ops console. */
export interface ConsoleOptions {
  readonly host: string;
  readonly port: number;
  /** Where it keeps what it receives (cli opens `<data>/console.db`). */
  readonly store: TelemetryStore;
  /** Required on every page, API call and OTLP request (see runtime/admin-token.ts). */
  readonly adminToken: string;
  /** Telemetry older than this is deleted. */
  readonly retentionMs: number;
  /** The database is kept under this size: oldest telemetry goes first. */
  readonly maxBytes: number;
  readonly logger: Logger;
  /** The SLOs whose budgets it shows over its retention. */
  readonly slos?: readonly SloDefinition[];
  /** Its alert windows are divided by this (a demo, a test); default 1. */
  readonly alertSpeedup?: number;
  /** Its own process name, on the events it writes (`console-1` under `exodus up`); default host:pid. */
  readonly instance?: string;
  /** The console's own `/metrics` (see ConsoleAppOptions). */
  readonly serveMetrics?: ConsoleAppOptions['serveMetrics'];
}

export interface RunningConsole {
  /** `http://host:port` */
  readonly url: string;
  close(): Promise<void>;
}

/** How often old telemetry is pruned: the size bound can be overshot by at most this much intake. */
const PRUNE_EVERY_MS = 30_000;

/** Starts the console: listens, prunes to its bounds now and every 30 s, and closes cleanly. */
export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const { store, logger } = options;
  const prune = (): void => {
    const { deleted, bytes } = store.prune({
      olderThanMs: Date.now() - options.retentionMs,
      maxBytes: options.maxBytes,
    });
    if (deleted > 0) logger.info({ deleted, bytes }, 'console telemetry pruned to its bounds');
  };
  prune();
  const timer = setInterval(prune, PRUNE_EVERY_MS);
  timer.unref();
  const alerts = new AlertWatch({
    store,
    slos: options.slos ?? [],
    retentionMs: options.retentionMs,
    speedup: options.alertSpeedup ?? 1,
    logger,
    instance: options.instance ?? `${hostname()}:${process.pid}`,
  });
  alerts.start();
  const app = await buildConsoleApp({
    store,
    adminToken: options.adminToken,
    logger,
    serveMetrics: options.serveMetrics,
    objectives: { slos: options.slos ?? [], windowMs: options.retentionMs },
    alerts,
  });
  const address = await app.listen({ host: options.host, port: options.port });
  return {
    url: address,
    close: async () => {
      clearInterval(timer);
      alerts.stop();
      await app.close();
      store.close();
    },
  };
}
