import { describe, expect, it } from 'vitest';
import type { StoredPoint } from '../../../src/ports/index.js';
import {
  distribution,
  gaugePerStep,
  increments,
  latest,
  quantile,
  rate,
  ratePerStep,
  steps,
  total,
} from '../../../src/services/console/metric-math.js';
import {
  ORIGIN,
  pidOf,
  processAttributes,
  seriesStartAttributes,
  seriesStartOf,
} from '../../../src/services/console/point-origin.js';

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
/** A point of a series that began at `startMs` (as the receiver keeps OTLP's start time). */
const since = (startMs: number, timeMs: number, value: number, over: Partial<StoredPoint> = {}): StoredPoint =>
  point(timeMs, value, { ...over, attributes: { ...over.attributes, [ORIGIN.seriesStartMs]: startMs } });

describe('rates from cumulative counters', () => {
  it('sums the growth of every series over the window, per second', () => {
    const points = [
      point(0, 100),
      point(10_000, 150),
      point(0, 0, { instance: 'j' }),
      point(10_000, 10, { instance: 'j' }),
    ];
    expect(rate(increments(points, 0), 0, 20_000)).toBeCloseTo(60 / 20, 10);
  });

  it('counts a restarted process that gives no start time (its counter back near zero) as a reset, not a negative rate', () => {
    expect(rate(increments([point(0, 500), point(5000, 20)], 0), 0, 10_000)).toBeCloseTo(20 / 10, 10);
  });

  it('places each increment in the step of its later point', () => {
    const grid = steps(0, 30_000, 10_000);
    expect(ratePerStep(increments([point(1000, 0), point(12_000, 40), point(25_000, 60)], 0), grid)).toEqual([0, 4, 2]);
  });

  it('a step holds its start and not its end; what falls outside every step is not counted', () => {
    const grid = steps(10_000, 30_000, 10_000);
    const grown = increments([point(0, 0), point(10_000, 1), point(20_000, 3), point(30_000, 7), point(31_000, 15)], 0);
    expect(ratePerStep(grown, grid).map((perSecond) => perSecond * 10)).toEqual([1, 2]);
    expect(total(grown, 10_000, 30_000)).toBe(3);
  });

  it('reads a series in time order, whatever order its points were stored in', () => {
    expect(total(increments([point(10_000, 150), point(0, 100), point(5000, 120)], 0), 0, 20_000)).toBe(50);
  });
});

describe('the first point of a series', () => {
  it('counts from zero when the series began within the horizon: seven wishes right after a start are seven', () => {
    expect(total(increments([since(1000, 5000, 7)], 0), 0, 10_000)).toBe(7);
    expect(total(increments([since(1000, 5000, 7), since(1000, 10_000, 7)], 0), 0, 20_000)).toBe(7);
  });

  it('is only a base when the series began before the horizon (what it counted then is not in the window)', () => {
    expect(total(increments([since(-60_000, 5000, 7245), since(-60_000, 10_000, 7246)], 0), 0, 20_000)).toBe(1);
  });

  it('is only a base when its sender gave no start time', () => {
    expect(total(increments([point(5000, 7), point(10_000, 9)], 0), 0, 20_000)).toBe(2);
  });

  it('after a restart (a new start time) begins a new series counted from zero, even when it outgrew the old one before its first export', () => {
    const before = [since(0, 5000, 10), since(0, 10_000, 12)];
    const after = [since(11_000, 15_000, 30), since(11_000, 20_000, 31)];
    expect(total(increments([...before, ...after], 0), 0, 30_000)).toBe(12 + 31);
  });
});

describe('delta temporality (a Collector may send it)', () => {
  it('counts each point whole: each begins where the last ended, so each is a series of its own', () => {
    expect(total(increments([since(0, 5000, 3), since(5000, 10_000, 4), since(10_000, 15_000, 0)], 0), 0, 20_000)).toBe(
      7,
    );
  });
});

describe('quantiles from bucketed histograms', () => {
  const hist = (timeMs: number, buckets: number[], over: Partial<StoredPoint> = {}): StoredPoint =>
    point(timeMs, 0, {
      kind: 'histogram',
      bounds: [10, 100],
      buckets,
      count: buckets.reduce((a, b) => a + b, 0),
      ...over,
    });

  it('interpolates inside the bucket holding the rank, and answers the top bound past the last one', () => {
    const d = distribution(increments([hist(0, [0, 0, 0]), hist(1000, [50, 50, 0])], 0), 0, 2000);
    expect(d.count).toBe(100);
    expect(quantile(0.5, d)).toBeCloseTo(10, 10);
    expect(quantile(0.75, d)).toBeCloseTo(10 + 90 * 0.5, 10);
    expect(quantile(0.99, distribution(increments([hist(0, [0, 0, 0]), hist(1000, [0, 0, 5])], 0), 0, 2000))).toBe(100);
  });

  it('has no quantile without observations', () => {
    expect(
      quantile(0.99, distribution(increments([hist(0, [1, 0, 0]), hist(1000, [1, 0, 0])], 0), 0, 2000)),
    ).toBeNull();
  });

  it('a histogram whose count went down, or whose bounds changed, started again: all of the newer point counts', () => {
    const fewer = distribution(increments([hist(0, [10, 5, 0]), hist(1000, [4, 2, 0])], -1), 500, 2000);
    expect(fewer.count).toBe(6);
    const rebucketed = distribution(
      increments([hist(0, [1, 1, 1]), hist(1000, [2, 3, 4], { bounds: [5, 50] })], -1),
      500,
      2000,
    );
    expect(rebucketed.count).toBe(9);
    expect(rebucketed.buckets).toEqual([2, 3, 4]);
    // Same bounds, every bucket grown: a plain increment.
    expect(distribution(increments([hist(0, [1, 1, 1]), hist(1000, [2, 3, 4])], -1), 500, 2000).count).toBe(6);
  });

  it('the rank falling on a bucket boundary answers that bucket, and an empty first bucket is skipped', () => {
    const d = distribution(increments([hist(0, [0, 0, 0]), hist(1000, [0, 4, 4])], 0), 0, 2000);
    expect(quantile(0.5, d)).toBeCloseTo(100, 10);
    expect(quantile(0.25, d)).toBeCloseTo(10 + 90 * 0.5, 10);
  });

  it('never counts a bucket down: a reset shows in any bucket, even when the total count grew', () => {
    // Without a start time: 10 fast observations, then a restarted process with 12 slow ones.
    const d = distribution(increments([hist(0, [10, 0, 0]), hist(1000, [0, 12, 0])], -1), 500, 2000);
    expect(d.buckets).toEqual([0, 12, 0]);
    expect(d.count).toBe(12);
  });
});

describe('gauges', () => {
  it('keeps the newest value per group in each step, so two processes reporting one queue count it once', () => {
    const grid = steps(0, 20_000, 10_000);
    const byQueue = () => 'intake';
    const points = [
      point(1000, 5, { kind: 'gauge', instance: 'a' }),
      point(2000, 7, { kind: 'gauge', instance: 'b' }),
      point(15_000, 3, { kind: 'gauge' }),
    ];
    expect(gaugePerStep(points, grid, byQueue)).toEqual([7, 3]);
    expect(gaugePerStep([], grid, byQueue)).toEqual([null, null]);
  });

  it('of two points of one group at the same time, keeps the later stored; an older one stored later is not the newest', () => {
    const grid = steps(0, 10_000, 10_000);
    const one = () => 'q';
    expect(gaugePerStep([point(2000, 5, { kind: 'gauge' }), point(2000, 6, { kind: 'gauge' })], grid, one)).toEqual([
      6,
    ]);
    expect(gaugePerStep([point(3000, 5, { kind: 'gauge' }), point(2000, 9, { kind: 'gauge' })], grid, one)).toEqual([
      5,
    ]);
  });

  it('latest: the newest point of each group, whatever order they came in', () => {
    const points = [
      point(3000, 5, { instance: 'a' }),
      point(1000, 9, { instance: 'a' }),
      point(2000, 7, { instance: 'b' }),
    ];
    const newest = latest(points, (p) => p.instance);
    expect([...newest.entries()].map(([group, p]) => [group, p.value])).toEqual([
      ['a', 5],
      ['b', 7],
    ]);
    expect(latest([point(1000, 1), point(1000, 2)], () => 'x').get('x')?.value).toBe(2);
  });
});

describe('where a point came from', () => {
  it('a process is its pid (a whole number above 0), kept among the point attributes from its resource', () => {
    expect(processAttributes({ 'process.pid': 4301, 'service.name': 'exodus-worker' })).toEqual({ [ORIGIN.pid]: 4301 });
    expect(processAttributes({ 'process.pid': '4301' })).toEqual({});
    expect(pidOf(processAttributes({ 'process.pid': 4301 }))).toBe(4301);
    for (const pid of [0, -1, 1.5, '12']) expect(pidOf({ [ORIGIN.pid]: pid })).toBeNull();
    expect(pidOf({})).toBeNull();
  });

  it('a series start is kept when the sender gave one (OTLP start time above 0)', () => {
    expect(seriesStartOf(seriesStartAttributes(1_000))).toBe(1_000);
    expect(seriesStartAttributes(0)).toEqual({});
    expect(seriesStartOf({})).toBeUndefined();
  });
});
