import type { FastifyInstance } from 'fastify';
import { meter, type Logger } from '../../runtime/index.js';
import { PROBES, pathOf } from './door-paths.js';

/** Refusal reasons that mean something is broken, not busy: logged at error level. */
const OUTAGES: ReadonlySet<string> = new Set(['intake-unavailable']);

/** How often the refusal log writes: at most one line per reason per interval. */
const LOG_INTERVAL_MS = 1000;

/**
 * Requests turned away under overload (503) or by a rate limit (429) are expected events, not errors:
 * logging each with a stack would add load exactly when there is none to spare. Each is counted in
 * `exodus.http.server.refused_requests` (by status and reason), and the log gets one line per reason
 * per second with the count and the last cause, no stack: warn for load, error for an outage.
 */
export function installRefusalReport(app: FastifyInstance, logger: Logger): void {
  const log = new RefusalLog(logger);
  const refused = meter().createCounter('exodus.http.server.refused_requests', {
    description: 'Requests answered 429 (rate limit) or 503 (load shed, queue unavailable), by reason',
    unit: '{request}',
  });
  app.addHook('onResponse', async (request, reply) => {
    if ((reply.statusCode !== 429 && reply.statusCode !== 503) || PROBES.has(pathOf(request))) return;
    const { reason, cause } = request.refusedFor ?? { reason: reply.statusCode === 429 ? 'rate-limited' : 'unavailable' };
    refused.add(1, { 'http.response.status_code': reply.statusCode, 'exodus.refusal.reason': reason });
    log.record(reply.statusCode, reason, cause);
  });
  app.addHook('onClose', async () => log.flush());
}

/** Refusals gathered per reason and written once per interval. */
class RefusalLog {
  readonly #pending = new Map<string, { status: number; reason: string; count: number; cause?: string }>();
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly logger: Logger) {}

  record(status: number, reason: string, cause?: string): void {
    const key = `${status} ${reason}`;
    const entry = this.#pending.get(key) ?? { status, reason, count: 0 };
    entry.count++;
    if (cause !== undefined) entry.cause = cause;
    this.#pending.set(key, entry);
    this.#timer ??= setTimeout(() => this.flush(), LOG_INTERVAL_MS).unref();
  }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const { status, reason, count, cause } of this.#pending.values()) {
      const fields = { status, reason, count, windowMs: LOG_INTERVAL_MS, ...(cause === undefined ? {} : { cause }) };
      // Shedding and limits are the door working; a queue that cannot take wishes is an outage.
      if (OUTAGES.has(reason)) this.logger.error(fields, 'requests refused');
      else this.logger.warn(fields, 'requests refused');
    }
    this.#pending.clear();
  }
}
