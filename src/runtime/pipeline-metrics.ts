import type { Queue, ReadModel } from '../ports/index.js';
import { lazyInstruments, meter } from './metrics.js';
import { ATTRIBUTE, METRIC } from './telemetry-names.js';

/** What became of wishes: `accepted` at the door, then `stored`, `superseded` or `rejected`. */
export type WishOutcome = 'accepted' | 'stored' | 'superseded' | 'rejected';

const wishes = lazyInstruments((exodus) =>
  exodus.createCounter(METRIC.wishes, {
    description: 'Wishes by outcome: accepted at the door, then stored, superseded or rejected',
    unit: '{wish}',
  }),
);

const timeToWall = lazyInstruments((exodus) =>
  exodus.createHistogram(METRIC.timeToWall, {
    description:
      'From a wish being accepted (its 202) to its being on the wall: the freshness SLO (slo/wish-freshness.yaml)',
    unit: 's',
    advice: { explicitBucketBoundaries: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] },
  }),
);

/** Records how long a wish took from its 202 to the wall; call once per wish, when the read model first takes it. */
export function recordTimeToWall(submittedAt: string, now = Date.now()): void {
  timeToWall().record(Math.max(0, now - Date.parse(submittedAt)) / 1000);
}

/**
 * The synthetic canary's input to the freshness SLO: how long its wish took to reach the read model,
 * seen from outside, in the same histogram as the tally's own (marked `exodus.canary`), so the SLO
 * counts it with no change to its selectors. A run that gave up records the time it waited (past the
 * objective's bound), so a frozen tally burns the budget even while no one else sends a wish.
 */
export function recordCanaryTimeToWall(ms: number): void {
  timeToWall().record(Math.max(0, ms) / 1000, { [ATTRIBUTE.canary]: true });
}

/** Counts a wish outcome in `exodus.wishes`. */
export function countWish(outcome: WishOutcome): void {
  wishes().add(1, { [ATTRIBUTE.wishOutcome]: outcome });
}

/**
 * The depth of `queue` by state (`exodus.queue.messages`: ready, in flight, delayed, dead) and the
 * age of its oldest ready message (`exodus.queue.oldest_message.age`, seconds), read from the
 * queue's own stats once per collection (a scrape, an OTLP export), so nothing is polled while
 * nobody looks.
 */
export function observeQueue(queue: Queue): void {
  const exodus = meter();
  const depth = exodus.createObservableGauge(METRIC.queueMessages, {
    description: 'Messages in a queue, by state',
    unit: '{message}',
  });
  const age = exodus.createObservableGauge(METRIC.queueOldestAge, {
    description: 'Age of the oldest ready message in a queue',
    unit: 's',
  });
  exodus.addBatchObservableCallback(
    async (result) => {
      const stats = await queue.stats().catch(() => undefined);
      if (stats === undefined) return; // the engine is away: no sample rather than a wrong one
      const on = (state: string) => ({ 'messaging.destination.name': queue.name, [ATTRIBUTE.queueState]: state });
      result.observe(depth, stats.ready, on('ready'));
      result.observe(depth, stats.inFlight, on('in_flight'));
      result.observe(depth, stats.delayed, on('delayed'));
      result.observe(depth, stats.dead, on('dead'));
      result.observe(age, stats.oldestReadyAgeMs / 1000, { 'messaging.destination.name': queue.name });
    },
    [depth, age],
  );
}

/** The tally (`exodus.tally.wishes`, current wishes by `exodus.destination`), read from the read model at each collection. */
export function observeTally(readModel: ReadModel): void {
  meter()
    .createObservableGauge(METRIC.tally, {
      description: 'Current wishes by destination, as the read model counts them',
      unit: '{wish}',
    })
    .addCallback(async (result) => {
      const tally = await readModel.tally().catch(() => undefined);
      if (tally === undefined) return; // the store is away: no sample rather than a wrong one
      for (const [destination, count] of Object.entries(tally))
        result.observe(count, { [ATTRIBUTE.destination]: destination });
    });
}
