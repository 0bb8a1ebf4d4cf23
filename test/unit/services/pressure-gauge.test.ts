import { afterEach, describe, expect, it } from 'vitest';
import { PressureGauge } from '../../../src/services/frontend/pressure-gauge.js';
import { saturate, waitFor } from '../../../testkit/index.js';

describe('the pressure gauge', () => {
  let gauge: PressureGauge | undefined;
  afterEach(() => gauge?.stop());

  it('names event-loop delay while the loop lags past the limit, and nothing once it keeps up again', async () => {
    gauge = new PressureGauge({ maxEventLoopDelayMs: 40, maxHeapUsedBytes: 0 });
    const lagging = gauge;
    await waitFor(() => lagging.pressure === undefined, 5_000, 'pressure reported at rest');
    const overloaded = saturate();
    try {
      await waitFor(() => lagging.pressure === 'event-loop-delay', 10_000, 'lag never reported');
    } finally {
      overloaded.stop();
    }
    await waitFor(() => lagging.pressure === undefined, 10_000, 'still reported after the lag ended');
  });

  it('times the loop only while requests ask: it stops after 2 s without one, and the next starts it again', async () => {
    gauge = new PressureGauge({ maxEventLoopDelayMs: 40, maxHeapUsedBytes: 0 });
    const gauged = gauge;
    expect(gauged.timing).toBe(false);
    expect(gauged.pressure).toBeUndefined();
    expect(gauged.timing).toBe(true);
    await waitFor(() => !gauged.timing, 10_000, 'still timing with no request asking');
    expect(gauged.pressure).toBeUndefined(); // an idle process is not saturated
    expect(gauged.timing).toBe(true);
    const overloaded = saturate();
    try {
      await waitFor(() => gauged.pressure === 'event-loop-delay', 10_000, 'lag never reported after a restart');
    } finally {
      overloaded.stop();
    }
  });

  it('names the heap when it holds more than its limit; a limit of 0 never sheds', async () => {
    gauge = new PressureGauge({ maxEventLoopDelayMs: 0, maxHeapUsedBytes: 1 });
    const full = gauge;
    await waitFor(() => full.pressure === 'heap-used', 5_000, 'a full heap never reported');
    full.stop();
    gauge = new PressureGauge({ maxEventLoopDelayMs: 0, maxHeapUsedBytes: 0 });
    const overloaded = saturate();
    try {
      await new Promise((done) => setTimeout(done, 1_000));
      expect(gauge.pressure).toBeUndefined();
      expect(gauge.timing).toBe(false);
    } finally {
      overloaded.stop();
    }
  });
});
