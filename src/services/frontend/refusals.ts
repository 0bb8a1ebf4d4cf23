import type { FastifyInstance } from 'fastify';
import { IntervalLog, meter, type Logger } from '../../runtime/index.js';
import { PROBES, pathOf } from './door-paths.js';
import { WISH_REFUSED } from './problem.js';

/**
 * Refusal reasons that mean something is broken, not busy, logged at error level: a queue that cannot
 * take wishes (an outage), and a wish the queue refused for what it holds (not an outage, the queue
 * takes the next one, but a defect: the door let through a text the pipeline cannot carry).
 */
const BROKEN: ReadonlySet<string> = new Set(['intake-unavailable', WISH_REFUSED]);

/** How often the refusal log writes: at most one line per reason per interval. */
const LOG_INTERVAL_MS = 1000;

/**
 * Requests turned away under overload (503) or by a rate limit (429) are expected events, not errors:
 * logging each with a stack would add load exactly when there is none to spare. Each is counted in
 * `exodus.http.server.refused_requests` (by status and reason), and the log gets one line per reason
 * per second with the count and the last cause, no stack: warn for load, error for an outage or a
 * wish the queue refused (500 `wish-refused-by-queue`, a refusal too: it may meet every wish with
 * some character at once, and each would otherwise log a stack).
 */
export function installRefusalReport(app: FastifyInstance, report: RefusalReport): void {
  app.addHook('onResponse', async (request, reply) => {
    const shed = reply.statusCode === 429 || reply.statusCode === 503;
    if ((!shed && request.refusedFor === undefined) || PROBES.has(pathOf(request))) return;
    const { reason, cause } = request.refusedFor ?? {
      reason: reply.statusCode === 429 ? 'rate-limited' : 'unavailable',
    };
    report.record(reply.statusCode, reason, cause);
  });
  app.addHook('onClose', async () => report.flush());
}

/**
 * The count and the log line of refusals, for those Fastify answers (above) and those the admission
 * answers before Fastify sees them (admission.ts).
 */
export class RefusalReport {
  readonly #log: RefusalLog;
  readonly #refused = meter().createCounter('exodus.http.server.refused_requests', {
    description:
      'Requests answered 429 (rate limit), 503 (load shed, queue unavailable) or 500 (a wish the queue refused for what it holds), by reason',
    unit: '{request}',
  });

  constructor(logger: Logger) {
    this.#log = new RefusalLog(logger);
  }

  record(status: number, reason: string, cause?: string): void {
    this.#refused.add(1, { 'http.response.status_code': status, 'exodus.refusal.reason': reason });
    this.#log.record(status, reason, cause);
  }

  flush(): void {
    this.#log.flush();
  }
}

/** Refusals gathered per reason and written once per interval (runtime's IntervalLog). */
class RefusalLog {
  readonly #log: IntervalLog<{ status: number; reason: string; count: number; cause?: string }>;

  constructor(logger: Logger) {
    this.#log = new IntervalLog(LOG_INTERVAL_MS, ({ status, reason, count, cause }) => {
      const fields = { status, reason, count, windowMs: LOG_INTERVAL_MS, ...(cause === undefined ? {} : { cause }) };
      // Shedding and limits are the door working; a queue that cannot take wishes, or that refuses one, is not.
      if (BROKEN.has(reason)) logger.error(fields, 'requests refused');
      else logger.warn(fields, 'requests refused');
    });
  }

  record(status: number, reason: string, cause?: string): void {
    const { summary } = this.#log.gather(`${status} ${reason}`, () => ({ status, reason, count: 0 }));
    summary.count++;
    if (cause !== undefined) summary.cause = cause;
  }

  flush(): void {
    this.#log.flush();
  }
}
