import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../runtime/index.js';
import type { Admission } from './admission.js';
import { PROBES, SORRY_ASSETS, pathOf, sendSorryPage, wantsPage } from './door-paths.js';
import { PRESSURE_ANSWERS, PressureGauge } from './pressure-gauge.js';
import { HttpProblem } from './problem.js';
import type { SheddingEvents } from './shedding-events.js';

export interface SheddingLimits {
  /** 0 = never shed on event-loop delay. */
  readonly shedEventLoopDelayMs: number;
  /** 0 = never shed on heap use. */
  readonly shedHeapUsedBytes: number;
  readonly maxInFlightWrites: number;
}

export interface SheddingDeps {
  readonly limits: SheddingLimits;
  /** Resolves when the intake queue answers; while it fails, writes are refused at once. */
  readonly queueReachable: () => Promise<void>;
  readonly sorryPage: string;
  readonly logger: Logger;
  /** Shared with the admission (admission.ts), so one tick ends every reason's shedding. */
  readonly events: SheddingEvents;
  /** Told of the pressure, to refuse before Fastify: the cheapest refusal for a saturated process. */
  readonly admission: Admission;
}

/** How often the queue is pinged, in ms. */
const QUEUE_CHECK_INTERVAL_MS = 1000;

/**
 * Answer 503 + Retry-After at once when this process cannot keep up, instead of queueing requests
 * without bound. Saturation (event-loop lag, a nearly full heap: pressure-gauge.ts) sheds every
 * request but the probes, at the admission for a client on a socket and here for anything else that
 * reaches Fastify. A lost intake queue or too many writes waiting on it refuse only writes
 * (`WriteGate`): the wall and the tally come from the read model and keep working.
 */
export async function installLoadShedding(app: FastifyInstance, deps: SheddingDeps): Promise<WriteGate> {
  const { events } = deps;
  const gauge = new PressureGauge({
    maxEventLoopDelayMs: deps.limits.shedEventLoopDelayMs,
    maxHeapUsedBytes: deps.limits.shedHeapUsedBytes,
  });
  // Callback-style, as it runs on every request: no promise when it lets the request through. A
  // rejection goes through Fastify's error handler (one place turns problems into HTTP); a reply sent
  // here ends the request (`done` is then not called).
  app.addHook('onRequest', (request, reply, done) => {
    const pressure = gauge.pressure;
    if (pressure === undefined) return done();
    const path = pathOf(request);
    if (PROBES.has(path) || SORRY_ASSETS.has(path)) return done();
    const { slug, detail, retryAfterSeconds } = PRESSURE_ANSWERS[pressure];
    events.refused(pressure);
    if (!wantsPage(request)) return done(HttpProblem.retryLater({ status: 503, slug, detail, retryAfterSeconds }));
    sendSorryPage(reply, deps.sorryPage, { status: 503, retryAfterSeconds, reason: slug });
  });
  deps.admission.shedWhile(() => gauge.pressure);
  const gate = new WriteGate(deps.limits.maxInFlightWrites, events);
  const watch = setInterval(
    () => void gate.checkQueue(deps.queueReachable, deps.logger).then(() => events.tick()),
    QUEUE_CHECK_INTERVAL_MS,
  );
  watch.unref();
  app.addHook('onClose', async () => {
    clearInterval(watch);
    gauge.stop();
  });
  return gate;
}

/**
 * The writes' own door. Refuses a write at once while the intake queue does not answer its ping, or
 * while `max` sends are already waiting on it: a request queued behind thousands of others would time
 * out anyway, after holding memory. A slot is held until the send itself settles, even when the
 * client was already answered (timeout): what bounds the load on the queue is the sends, not the
 * answers.
 */
export class WriteGate {
  #inFlight = 0;
  #queueUp = true;
  constructor(
    private readonly max: number,
    private readonly events: SheddingEvents,
  ) {}

  send<T>(write: () => Promise<T>): Promise<T> {
    if (!this.#queueUp) {
      this.events.refused('intake-unavailable');
      return Promise.reject(
        HttpProblem.retryLater({
          status: 503,
          slug: 'intake-unavailable',
          detail: 'the wish queue is unreachable; nothing can be accepted durably right now',
          retryAfterSeconds: 5,
        }),
      );
    }
    if (this.#inFlight >= this.max) {
      this.events.refused('writes-in-flight');
      return Promise.reject(
        HttpProblem.retryLater({
          status: 503,
          slug: 'overloaded',
          detail: `more than ${this.max} wishes are already being queued; please retry shortly`,
          retryAfterSeconds: 1,
        }),
      );
    }
    this.#inFlight++;
    const sending = write();
    void sending.then(this.#release, this.#release);
    return sending;
  }

  readonly #release = (): void => {
    this.#inFlight--;
  };

  async checkQueue(ping: () => Promise<void>, logger: Logger): Promise<void> {
    const up = await ping().then(
      () => true,
      (error: unknown) => {
        if (this.#queueUp) logger.error({ err: error }, 'intake queue unreachable: refusing writes');
        return false;
      },
    );
    // Stryker disable next-line all: log only (the gate's state is set below either way)
    if (up && !this.#queueUp) logger.info('intake queue reachable again: accepting writes');
    this.#queueUp = up;
    // Refusing every write while the queue is away, whether or not one came in this second.
    if (!up) this.events.refused('intake-unavailable');
  }
}
