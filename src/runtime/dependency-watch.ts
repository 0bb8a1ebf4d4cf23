import type { ObservableResult } from '@opentelemetry/api';
import type { Logger } from './logger.js';
import { meter } from './metrics.js';
import { ATTRIBUTE, EVENT, METRIC } from './telemetry-names.js';

/**
 * Which dependency an outage is of, from the transient error's code: `postgres_unavailable` →
 * `postgres`, `nats_disconnected` → `nats`, `sqlite_unavailable` → `sqlite` (the engines name their
 * codes `<engine>_<what>`; a code of another shape is named whole).
 */
export function dependencyOf(code: string): string {
  return /^([a-z0-9]+)[_-]/i.exec(code)?.[1]?.toLowerCase() ?? code;
}

/**
 * Tells, at once, that a consumer started holding messages because a dependency (its store, its
 * broker) is away, and when it is back: one `dependency.unavailable` event when the first message is
 * held (with how many its batch held in the same turn), one `dependency.available` when the last
 * held message is through (with the peak held and how long it lasted), and a gauge of the messages
 * held now, per dependency, for the console's service rows. The per-message log lines are not
 * events: an outage is one thing that happened, however many messages it held.
 */
export class DependencyWatch {
  private readonly held = new Map<string, { now: number; peak: number; sinceMs: number; told: boolean }>();
  /** Every dependency ever held for: the gauge reports 0 for one that is back (the SDK keeps its series anyway). */
  private readonly seen = new Set<string>();

  constructor(private readonly options: { readonly queue: string; readonly logger: Logger }) {}

  /** A message is held because `dependency` is away; `release` it once it is through, whichever way. */
  hold(dependency: string): void {
    this.seen.add(dependency);
    const outage = this.held.get(dependency);
    if (outage !== undefined) {
      outage.now++;
      outage.peak = Math.max(outage.peak, outage.now);
      return;
    }
    const started = { now: 1, peak: 1, sinceMs: Date.now(), told: false };
    this.held.set(dependency, started);
    // Told after this turn, so the count includes the batch-mates failing in the same turn.
    setImmediate(() => {
      if (this.held.get(dependency) !== started) return;
      started.told = true;
      this.options.logger.warn(
        { event: EVENT.dependencyUnavailable, dependency, queue: this.options.queue, held: started.now },
        `${dependency} unavailable; holding messages until it is back`,
      );
    });
  }

  release(dependency: string): void {
    const outage = this.held.get(dependency);
    if (outage === undefined) return;
    outage.now--;
    if (outage.now > 0) return;
    this.held.delete(dependency);
    // An outage that ended in the turn it began was never told, so its end is not either.
    if (!outage.told) return;
    this.options.logger.info(
      {
        event: EVENT.dependencyAvailable,
        dependency,
        queue: this.options.queue,
        heldPeak: outage.peak,
        outageMs: Date.now() - outage.sinceMs,
      },
      `${dependency} available again; held messages handled`,
    );
  }

  /** Messages held now for `dependency`. */
  holding(dependency: string): number {
    return this.held.get(dependency)?.now ?? 0;
  }

  /** Reports `exodus.dependency.held_messages` per dependency from now on. */
  observe(): void {
    meter()
      .createObservableGauge(METRIC.dependencyHeld, {
        description: 'Messages a consumer holds because a dependency (store, broker) is away',
        unit: '{message}',
      })
      .addCallback((result: ObservableResult) => {
        for (const dependency of this.seen)
          result.observe(this.holding(dependency), {
            [ATTRIBUTE.dependency]: dependency,
            'messaging.destination.name': this.options.queue,
          });
      });
  }
}
