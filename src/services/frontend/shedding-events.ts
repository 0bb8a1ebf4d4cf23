import { EVENT, type Logger } from '../../runtime/index.js';

/**
 * Why the door sheds: the admission's bounds (`requests-in-flight`, `connections`), the pressure gauge's
 * (`event-loop-delay`, `heap-used`) and the write gate's (`intake-unavailable`, `writes-in-flight`).
 */
export type SheddingReason =
  'requests-in-flight' | 'connections' | 'event-loop-delay' | 'heap-used' | 'intake-unavailable' | 'writes-in-flight';

/**
 * Turns refusals into transitions, logged as events: `load_shedding.on` at the first refusal for a
 * reason, `load_shedding.off` once a whole tick (the door's one-second check) has gone by without
 * one. Per request would flood the log exactly when the process has no time to spare; per
 * transition, a flapping door still writes at most two lines per reason per tick.
 */
export class SheddingEvents {
  readonly #on = new Set<SheddingReason>();
  #seen = new Set<SheddingReason>();

  constructor(private readonly logger: Logger) {}

  refused(reason: SheddingReason): void {
    this.#seen.add(reason);
    if (this.#on.has(reason)) return;
    this.#on.add(reason);
    this.logger.warn({ event: EVENT.sheddingOn, reason }, 'load shedding on');
  }

  /** Called once per check interval: a reason with no refusal since the last tick is over. */
  tick(): void {
    for (const reason of this.#on) {
      if (this.#seen.has(reason)) continue;
      this.#on.delete(reason);
      this.logger.info({ event: EVENT.sheddingOff, reason }, 'load shedding off');
    }
    this.#seen = new Set();
  }
}
