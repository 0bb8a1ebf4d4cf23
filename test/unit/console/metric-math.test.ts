import { describe, expect, it } from 'vitest';
import type { StoredPoint } from '../../../src/ports/index.js';
import { distribution, gaugePerStep, quantile, rate, ratePerStep, steps } from '../../../src/services/console/metric-math.js';

const point = (timeMs: number, value: number, over: Partial<StoredPoint> = {}): StoredPoint => ({
  timeMs,
  service: 's',
  instance: 'i',
  name: 'n',
  attributes: {},
  kind: 'sum',
  value,
  count: 0,
  bounds: [],
  buckets: [],
  ...over,
});

describe('rates from cumulative counters', () => {
  it('sums the growth of every series over the window, per second', () => {
    const points = [point(0, 100), point(10_000, 150), point(0, 0, { instance: 'j' }), point(10_000, 10, { instance: 'j' })];
    expect(rate(points, 0, 20_000)).toBeCloseTo(60 / 20, 10);
  });

  it('counts a restarted process (its counter back near zero) as a reset, not a negative rate', () => {
    expect(rate([point(0, 500), point(5000, 20)], 0, 10_000)).toBeCloseTo(20 / 10, 10);
  });

  it('places each increment in the step of its later point', () => {
    const grid = steps(0, 30_000, 10_000);
    expect(ratePerStep([point(1000, 0), point(12_000, 40), point(25_000, 60)], grid)).toEqual([0, 4, 2]);
  });
});

describe('quantiles from bucketed histograms', () => {
  const hist = (timeMs: number, buckets: number[]): StoredPoint => point(timeMs, 0, { kind: 'histogram', bounds: [10, 100], buckets, count: buckets.reduce((a, b) => a + b, 0) });

  it('interpolates inside the bucket holding the rank, and answers the top bound past the last one', () => {
    const d = distribution([hist(0, [0, 0, 0]), hist(1000, [50, 50, 0])], 0, 2000);
    expect(d.count).toBe(100);
    expect(quantile(0.5, d)).toBeCloseTo(10, 10);
    expect(quantile(0.75, d)).toBeCloseTo(10 + 90 * 0.5, 10);
    expect(quantile(0.99, distribution([hist(0, [0, 0, 0]), hist(1000, [0, 0, 5])], 0, 2000))).toBe(100);
  });

  it('has no quantile without observations', () => {
    expect(quantile(0.99, distribution([hist(0, [1, 0, 0]), hist(1000, [1, 0, 0])], 0, 2000))).toBeNull();
  });
});

describe('gauges', () => {
  it('keeps the newest value per group in each step, so two processes reporting one queue count it once', () => {
    const grid = steps(0, 20_000, 10_000);
    const byQueue = () => 'intake';
    const points = [point(1000, 5, { kind: 'gauge', instance: 'a' }), point(2000, 7, { kind: 'gauge', instance: 'b' }), point(15_000, 3, { kind: 'gauge' })];
    expect(gaugePerStep(points, grid, byQueue)).toEqual([7, 3]);
    expect(gaugePerStep([], grid, byQueue)).toEqual([null, null]);
  });
});
