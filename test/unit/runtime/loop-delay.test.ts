import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { LOOP_DELAY, LOOP_DELAY_SAMPLE_MS, recordLoopDelay } from '../../../src/runtime/loop-delay.js';

/** A meter on a reader, and what one collection of it says of the loop's delay, by gauge name (seconds). */
function aMeter() {
  const reader = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [reader] });
  const stop = recordLoopDelay(provider.getMeter('exodus'));
  const collect = async (): Promise<Record<string, number>> => {
    const { resourceMetrics } = await reader.collect();
    const values: Record<string, number> = {};
    for (const scope of resourceMetrics.scopeMetrics)
      for (const metric of scope.metrics)
        for (const point of metric.dataPoints) values[metric.descriptor.name] = point.value as number;
    return values;
  };
  return {
    collect,
    stop: async () => {
      stop();
      await provider.shutdown();
    },
  };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('the event loop delay, as lateness', () => {
  let meter: ReturnType<typeof aMeter> | undefined;
  afterEach(async () => meter?.stop());

  it('reports nothing before its first sample, then ~0 at rest under the instrumentation’s names', async () => {
    meter = aMeter();
    expect(await meter.collect()).toEqual({});
    await sleep(LOOP_DELAY_SAMPLE_MS * 3 + 100);
    const atRest = await meter.collect();
    expect(Object.keys(atRest).sort()).toEqual(Object.values(LOOP_DELAY).sort());
    // Not the sampling interval (Node's monitor would read 0.5 s here): how late the timer ran (a
    // loaded machine may deschedule the process for a while).
    expect(atRest[LOOP_DELAY.p99]).toBeLessThan(0.25);
    expect(atRest[LOOP_DELAY.min]).toBeGreaterThan(0);
  });

  it('reads a blocked loop as long as the block it waited behind, and starts afresh at each collection', async () => {
    meter = aMeter();
    await sleep(LOOP_DELAY_SAMPLE_MS + 50);
    await meter.collect();
    const blockedUntil = performance.now() + LOOP_DELAY_SAMPLE_MS + 300; // past the next sample's time
    while (performance.now() < blockedUntil);
    await sleep(20);
    const blocked = await meter.collect();
    expect(blocked[LOOP_DELAY.max]).toBeGreaterThan(0.25);
    await sleep(LOOP_DELAY_SAMPLE_MS * 2 + 100);
    expect((await meter.collect())[LOOP_DELAY.max]).toBeLessThan(0.25);
  });
});
