import type { Meter } from '@opentelemetry/api';
import { createHistogram, performance } from 'node:perf_hooks';

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
  const sampleIn = (ms: number): void => {
    const due = performance.now() + ms;
    timer = setTimeout(() => {
      // A timer may run up to a millisecond early (libuv's clock has millisecond steps): that is 0.
      histogram.record(Math.max(1, Math.round((performance.now() - due) * 1e6)));
      sampleIn(LOOP_DELAY_SAMPLE_MS);
    }, ms);
    timer.unref();
  };
  sampleIn(LOOP_DELAY_SAMPLE_MS);

  const gauges = Object.fromEntries(
    Object.entries(LOOP_DELAY).map(([stat, name]) => [
      stat,
      meter.createObservableGauge(name, { description: `Event loop delay (${stat}): how late a timer ran`, unit: 's' }),
    ]),
  ) as Record<keyof typeof LOOP_DELAY, ReturnType<Meter['createObservableGauge']>>;
  const seconds = (ns: number): number => ns / 1e9;
  meter.addBatchObservableCallback((result) => {
    if (histogram.count === 0) return;
    result.observe(gauges.min, seconds(histogram.min));
    result.observe(gauges.max, seconds(histogram.max));
    result.observe(gauges.mean, seconds(histogram.mean));
    result.observe(gauges.stddev, seconds(histogram.stddev));
    result.observe(gauges.p50, seconds(histogram.percentile(50)));
    result.observe(gauges.p90, seconds(histogram.percentile(90)));
    result.observe(gauges.p99, seconds(histogram.percentile(99)));
    histogram.reset();
  }, Object.values(gauges));
  return () => clearTimeout(timer);
}
