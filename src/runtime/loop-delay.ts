import type { Meter } from '@opentelemetry/api';
import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';

/** How often the event loop's delay is sampled, in ms: two wake-ups a second. */
export const LOOP_DELAY_SAMPLE_MS = 500;

/** The runtime instrumentation's names for the event loop's delay (semantic conventions), in seconds. */
export const LOOP_DELAY = {
  min: 'nodejs.eventloop.delay.min',
  max: 'nodejs.eventloop.delay.max',
  mean: 'nodejs.eventloop.delay.mean',
  stddev: 'nodejs.eventloop.delay.stddev',
  p50: 'nodejs.eventloop.delay.p50',
  p90: 'nodejs.eventloop.delay.p90',
  p99: 'nodejs.eventloop.delay.p99',
} as const;

/** How each gauge reads the samples (nanoseconds). */
const STATS: Readonly<Record<keyof typeof LOOP_DELAY, (histogram: RecordableHistogram) => number>> = {
  min: (h) => h.min,
  max: (h) => h.max,
  mean: (h) => h.mean,
  stddev: (h) => h.stddev,
  p50: (h) => h.percentile(50),
  p90: (h) => h.percentile(90),
  p99: (h) => h.percentile(99),
};

/**
 * Records the event loop's delay under the runtime instrumentation's names, measured as lateness:
 * how late a timer due every LOOP_DELAY_SAMPLE_MS ran. Node's own monitor (which the instrumentation
 * uses) times the interval between wake-ups of a timer of its own instead, so it must wake often to
 * be fine-grained, and at rest it reads its resolution: at 50 ms, 20 wake-ups a second cost 0.13 %
 * of a core per process at rest (measured alone, from /proc), a third of what an idle `exodus up`
 * spent. Lateness reads ~0 at rest, and a busy loop reads how long a timer waited behind its work.
 * Each collection reports the samples since the last one, then starts afresh (as the
 * instrumentation's does); one with no sample reports nothing. Returns a stop.
 */
export function recordLoopDelay(meter: Meter): () => void {
  const histogram = createHistogram();
  let timer: NodeJS.Timeout | undefined;
  const scheduleSample = (): void => {
    const due = performance.now() + LOOP_DELAY_SAMPLE_MS;
    timer = setTimeout(() => {
      // A timer may run up to a millisecond early (libuv's clock has millisecond steps): that is 0.
      histogram.record(Math.max(1, Math.round((performance.now() - due) * 1e6)));
      scheduleSample();
    }, LOOP_DELAY_SAMPLE_MS);
    timer.unref();
  };
  scheduleSample();

  const gauges = (Object.keys(LOOP_DELAY) as (keyof typeof LOOP_DELAY)[]).map((stat) => ({
    read: STATS[stat],
    gauge: meter.createObservableGauge(LOOP_DELAY[stat], {
      description: `Event loop delay (${stat}): how late a timer ran`,
      unit: 's',
    }),
  }));
  meter.addBatchObservableCallback(
    (result) => {
      if (histogram.count === 0) return;
      for (const { read, gauge } of gauges) result.observe(gauge, read(histogram) / 1e9);
      histogram.reset();
    },
    gauges.map(({ gauge }) => gauge),
  );
  return () => clearTimeout(timer);
}
