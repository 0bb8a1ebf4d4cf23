import { describe, expect, it } from 'vitest';
import type { StoredPoint } from '../../../src/ports/index.js';
import {
  BASE_MARGIN_MS,
  explore,
  groupableKeys,
  groupOf,
  MAX_CHART_SERIES,
  MAX_TABLE_ROWS,
  NO_VALUE,
  windowGrid,
  type Exploration,
} from '../../../src/services/console/metric-explorer.js';
import { ORIGIN } from '../../../src/services/console/point-origin.js';

/** Now, on a step boundary of the 5-minute window (15-s steps), so each step is whole. */
const NOW = 1_800_000_000_000;
const { fromMs, toMs } = windowGrid('5m', NOW);

const point = (timeMs: number, value: number, over: Partial<StoredPoint> = {}): StoredPoint => ({
  timeMs,
  service: 'exodus-worker',
  instance: 'worker-1',
  name: 'n',
  attributes: {},
  kind: 'sum',
  value,
  count: 0,
  bounds: [],
  buckets: [],
  ...over,
});
const exploration = (over: Partial<Exploration>): Exploration => ({
  kind: 'counter',
  unit: '{wish}',
  by: undefined,
  window: '5m',
  stat: 'p95',
  agg: 'sum',
  nowMs: NOW,
  ...over,
});
const row = (answer: ReturnType<typeof explore>, group: string) => answer.rows.find((r) => r.group === group)?.values;

describe('the metrics explorer: one instrument by attribute over a window', () => {
  it('a window is whole steps ending at the last boundary, at most 72 of them', () => {
    expect(windowGrid('5m', NOW + 7000)).toMatchObject({ fromMs: NOW - 300_000, toMs: NOW });
    expect(windowGrid('5m', NOW).grid).toHaveLength(20);
    expect(windowGrid('24h', NOW).grid).toHaveLength(72);
    expect(windowGrid('1h', NOW).grid).toHaveLength(60);
  });

  it('counters: per-second rates per attribute value, summed over processes, a restart counted whole and not as a drop', () => {
    const ok = { 'exodus.wish.outcome': 'accepted' };
    const points = [
      // worker-1 grows 100 → 400 over the window: 300.
      point(fromMs - 10_000, 100, { attributes: ok }),
      point(fromMs + 150_000, 250, { attributes: ok }),
      point(toMs - 1000, 400, { attributes: ok }),
      // worker-2 restarted (no start time given): 500 then 20 is a reset, 20 counted.
      point(fromMs - 10_000, 480, { instance: 'worker-2', attributes: ok }),
      point(fromMs + 60_000, 500, { instance: 'worker-2', attributes: ok }),
      point(fromMs + 120_000, 20, { instance: 'worker-2', attributes: ok }),
      point(fromMs + 60_000, 30, { attributes: { 'exodus.wish.outcome': 'rejected' } }),
      point(fromMs + 120_000, 90, { attributes: { 'exodus.wish.outcome': 'rejected' } }),
    ];
    const answer = explore(points, exploration({ by: 'exodus.wish.outcome' }));
    expect(answer.columns.map((c) => c.label)).toEqual(['total', 'rate', 'last step rate']);
    // accepted: 300 + 20 + 20 = 340 over 300 s; rejected 60.
    expect(row(answer, 'accepted')?.[0]).toBe(340);
    expect(row(answer, 'accepted')?.[1]).toBeCloseTo(340 / 300, 10);
    expect(row(answer, 'rejected')?.[0]).toBe(60);
    expect(answer.rows.map((r) => r.group)).toEqual(['accepted', 'rejected']); // largest first
    expect(answer.chart.unit).toBe('{wish}/s');
    expect(answer.chart.series.map((s) => s.label)).toEqual(['accepted', 'rejected']);
    const accepted = answer.chart.series[0]?.values ?? [];
    expect(accepted.every((v) => v !== null && v >= 0)).toBe(true);
    expect(accepted.reduce<number>((sum, v) => sum + (v ?? 0) * 15, 0)).toBeCloseTo(340, 6);
  });

  it('counters: a series that began inside the window counts from zero (its start time says so)', () => {
    const started = { [ORIGIN.seriesStartMs]: fromMs + 1000 };
    const answer = explore([point(fromMs + 30_000, 50, { attributes: started })], exploration({}));
    expect(row(answer, 'all')?.[0]).toBe(50);
  });

  it('histograms: p50/p95/p99, count, rate and mean over the window; the chart plots the chosen percentile per step', () => {
    const bounds = [0.01, 0.1, 1];
    const h = (timeMs: number, buckets: number[], sum: number, route: string): StoredPoint =>
      point(timeMs, sum, {
        kind: 'histogram',
        bounds,
        buckets,
        count: buckets.reduce((a, b) => a + b, 0),
        attributes: { 'http.route': route },
      });
    const points = [
      h(fromMs - 5000, [0, 0, 0, 0], 0, '/api/wishes'),
      // 100 observations: 90 under 10 ms, 10 between 10 and 100 ms.
      h(fromMs + 100_000, [90, 10, 0, 0], 1.5, '/api/wishes'),
      h(fromMs - 5000, [0, 0, 0, 0], 0, '/wall'),
      h(fromMs + 100_000, [0, 0, 4, 0], 2, '/wall'),
    ];
    const answer = explore(points, exploration({ kind: 'histogram', unit: 's', by: 'http.route', stat: 'p99' }));
    expect(answer.columns.map((c) => c.label)).toEqual(['count', 'rate', 'p50', 'p95', 'p99', 'mean']);
    const wishes = row(answer, '/api/wishes') ?? [];
    expect(wishes[0]).toBe(100);
    expect(wishes[1]).toBeCloseTo(100 / 300, 10);
    expect(wishes[2]).toBeCloseTo(0.01 * (50 / 90), 10);
    expect(wishes[3]).toBeCloseTo(0.01 + 0.09 * 0.5, 10);
    expect(wishes[4]).toBeCloseTo(0.01 + 0.09 * 0.9, 10);
    expect(wishes[5]).toBeCloseTo(0.015, 10);
    expect(answer.rows[0]?.group).toBe('/api/wishes');
    expect(answer.statistic).toBe('p99 of each step');
    expect(answer.chart.unit).toBe('s');
    const plotted = answer.chart.series[0]?.values.filter((v) => v !== null);
    expect(plotted).toHaveLength(1);
    expect(plotted?.[0]).toBeCloseTo(0.01 + 0.09 * 0.9, 10);

    const rates = explore(points, exploration({ kind: 'histogram', unit: 's', stat: 'rate' }));
    expect(rates.chart.unit).toBe('per second');
    expect(rates.chart.series[0]?.values.reduce<number>((sum, v) => sum + (v ?? 0) * 15, 0)).toBeCloseTo(104, 6);
  });

  it('gauges: the newest value of each series per step, combined over a group by sum or max; latest, min, max, mean', () => {
    const memory = (instance: string, timeMs: number, value: number, pid: number): StoredPoint =>
      point(timeMs, value, { kind: 'gauge', instance, attributes: { [ORIGIN.pid]: pid } });
    const points = [
      memory('worker-1', fromMs + 1000, 100, 1),
      memory('worker-1', fromMs + 5000, 110, 1), // newer in the same step: this one
      memory('worker-2', fromMs + 2000, 50, 2),
      // worker-2 restarted (new pid): still one series for the group, not two.
      memory('worker-2', toMs - 2000, 70, 3),
      memory('worker-1', toMs - 1000, 130, 1),
    ];
    const summed = explore(points, exploration({ kind: 'gauge', unit: 'By', by: 'service.name' }));
    expect(summed.columns.map((c) => c.label)).toEqual(['latest', 'min', 'max', 'mean']);
    expect(summed.chart.series[0]?.values[0]).toBe(160);
    expect(row(summed, 'exodus-worker')).toEqual([200, 160, 200, 180]);
    expect(summed.chart.series[0]?.values.filter((v) => v === null)).toHaveLength(18); // steps without points
    const max = explore(points, exploration({ kind: 'gauge', unit: 'By', by: 'service.name', agg: 'max' }));
    expect(row(max, 'exodus-worker')?.[0]).toBe(130);
    const perInstance = explore(points, exploration({ kind: 'gauge', unit: 'By', by: 'service.instance.id' }));
    expect(perInstance.rows.map((r) => [r.group, r.values[0]])).toEqual([
      ['worker-1', 130],
      ['worker-2', 70],
    ]);
  });

  it('groups by an attribute, the service or the instance; a point without the attribute is "(none)"', () => {
    const p = point(0, 1, { attributes: { 'http.route': '/wall', 'http.response.status_code': 503 } });
    expect(groupOf(p, 'http.response.status_code')).toBe('503');
    expect(groupOf(p, 'service.name')).toBe('exodus-worker');
    expect(groupOf(p, 'service.instance.id')).toBe('worker-1');
    expect(groupOf(p, 'messaging.destination.name')).toBe(NO_VALUE);
    expect(groupOf(p, undefined)).toBe('all');
    expect(groupableKeys(['http.route', ORIGIN.pid, ORIGIN.seriesStartMs])).toEqual(['http.route']);
  });

  it('bounds what it answers: the largest 10 groups on the chart, 50 in the table, the rest counted', () => {
    const points = Array.from({ length: 60 }, (_, i) => [
      point(fromMs - 1000, 0, { attributes: { id: `q${i}` } }),
      point(fromMs + 60_000, i + 1, { attributes: { id: `q${i}` } }),
    ]).flat();
    const answer = explore(points, exploration({ by: 'id' }));
    expect(answer.chart.series).toHaveLength(MAX_CHART_SERIES);
    expect(answer.chart.series[0]?.label).toBe('q59');
    expect(answer.rows).toHaveLength(MAX_TABLE_ROWS);
    expect(answer.groupsOmitted).toBe(10);
    expect(BASE_MARGIN_MS).toBeGreaterThan(0);
  });
});
