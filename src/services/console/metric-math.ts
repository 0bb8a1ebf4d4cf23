import type { StoredPoint, TelemetryAttributes } from '../../ports/index.js';

/*
 * Rates and percentiles from what OTLP exporters send by default: cumulative counters and
 * histograms, one point per series per export. A series is one process's one attribute set; a
 * process that restarts begins again from zero, which counts as a reset, not a negative rate.
 */

export interface Step {
  readonly startMs: number;
  readonly endMs: number;
}

/** Consecutive time steps covering [fromMs, toMs). */
export function steps(fromMs: number, toMs: number, stepMs: number): Step[] {
  const out: Step[] = [];
  for (let start = fromMs; start < toMs; start += stepMs) out.push({ startMs: start, endMs: Math.min(start + stepMs, toMs) });
  return out;
}

/** The step holding `timeMs` (steps are equal but for a shorter last one), or -1. */
function stepIndex(grid: readonly Step[], timeMs: number): number {
  const first = grid[0];
  if (first === undefined) return -1;
  const i = Math.floor((timeMs - first.startMs) / (first.endMs - first.startMs || 1));
  const step = grid[i];
  return step !== undefined && timeMs >= step.startMs && timeMs < step.endMs ? i : -1;
}

const seriesKey = (point: StoredPoint): string => `${point.service}\u0000${point.instance}\u0000${JSON.stringify(point.attributes)}`;

/** `items` grouped by `key`, each group in the order the items came. */
export function groupBy<T>(items: Iterable<T>, key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group === undefined) groups.set(key(item), [item]);
    else group.push(item);
  }
  return groups;
}

function bySeries(points: readonly StoredPoint[]): StoredPoint[][] {
  const series = [...groupBy(points, seriesKey).values()];
  for (const list of series) list.sort((a, b) => a.timeMs - b.timeMs);
  return series;
}

/** What a cumulative value grew by between two points (after a reset, all of the newer one). */
const growth = (older: number, newer: number): number => (newer >= older ? newer - older : newer);

/** Increments of every series of a counter, each placed at the time of the later point. */
function increments(points: readonly StoredPoint[]): { timeMs: number; value: number }[] {
  return bySeries(points).flatMap((series) => series.slice(1).map((point, i) => ({ timeMs: point.timeMs, value: growth((series[i] as StoredPoint).value, point.value) })));
}

/** Per-second rate of a counter summed over its series, in each step. */
export function ratePerStep(points: readonly StoredPoint[], grid: readonly Step[]): number[] {
  const totals = grid.map(() => 0);
  for (const { timeMs, value } of increments(points)) {
    const i = stepIndex(grid, timeMs);
    if (i >= 0) totals[i] = (totals[i] ?? 0) + value;
  }
  return totals.map((total, i) => total / (((grid[i]?.endMs ?? 0) - (grid[i]?.startMs ?? 0)) / 1000 || 1));
}

/** Per-second rate of a counter over [fromMs, toMs), summed over its series. */
export function rate(points: readonly StoredPoint[], fromMs: number, toMs: number): number {
  return ratePerStep(points, [{ startMs: fromMs, endMs: toMs }])[0] ?? 0;
}

/** A histogram's observations in a window: per-bucket counts merged over its series. */
export interface Distribution {
  readonly bounds: readonly number[];
  readonly buckets: readonly number[];
  readonly count: number;
}

/** The observations each step received, merged over the series (all of one metric share bounds). */
export function distributionPerStep(points: readonly StoredPoint[], grid: readonly Step[]): Distribution[] {
  const out = grid.map((): { bounds: readonly number[]; buckets: number[]; count: number } => ({ bounds: [], buckets: [], count: 0 }));
  for (const series of bySeries(points)) {
    for (let i = 1; i < series.length; i++) {
      const older = series[i - 1] as StoredPoint;
      const newer = series[i] as StoredPoint;
      const step = stepIndex(grid, newer.timeMs);
      const into = out[step];
      if (into === undefined) continue;
      const reset = newer.count < older.count;
      if (into.buckets.length === 0) {
        into.bounds = newer.bounds;
        into.buckets = newer.buckets.map(() => 0);
      }
      newer.buckets.forEach((n, b) => {
        into.buckets[b] = (into.buckets[b] ?? 0) + (reset ? n : n - (older.buckets[b] ?? 0));
      });
      into.count += reset ? newer.count : newer.count - older.count;
    }
  }
  return out;
}

export function distribution(points: readonly StoredPoint[], fromMs: number, toMs: number): Distribution {
  return distributionPerStep(points, [{ startMs: fromMs, endMs: toMs }])[0] ?? { bounds: [], buckets: [], count: 0 };
}

/**
 * The q-quantile of a bucketed distribution, interpolated linearly inside its bucket (as
 * Prometheus's histogram_quantile does); in the overflow bucket, the highest bound. Null if empty.
 */
export function quantile(q: number, { bounds, buckets, count }: Distribution): number | null {
  if (count <= 0) return null;
  const rank = q * count;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    const inBucket = buckets[i] ?? 0;
    if (seen + inBucket >= rank && inBucket > 0) {
      const lower = i === 0 ? 0 : (bounds[i - 1] ?? 0);
      const upper = bounds[i];
      if (upper === undefined) return bounds[bounds.length - 1] ?? 0;
      return lower + (upper - lower) * ((rank - seen) / inBucket);
    }
    seen += inBucket;
  }
  return bounds[bounds.length - 1] ?? null;
}

/**
 * The newest value of each gauge series in each step, summed over the series that `groupBy`
 * makes one (several processes observing the same queue report the same figure: grouping by the
 * queue's attributes, not by process, keeps it from being counted twice). Null: no point in the step.
 */
export function gaugePerStep(points: readonly StoredPoint[], grid: readonly Step[], groupBy: (attributes: TelemetryAttributes) => string): (number | null)[] {
  const newest = grid.map(() => new Map<string, StoredPoint>());
  for (const point of points) {
    const i = stepIndex(grid, point.timeMs);
    const inStep = newest[i];
    if (inStep === undefined) continue;
    const key = groupBy(point.attributes);
    const seen = inStep.get(key);
    if (seen === undefined || seen.timeMs <= point.timeMs) inStep.set(key, point);
  }
  return newest.map((inStep) => (inStep.size === 0 ? null : [...inStep.values()].reduce((sum, point) => sum + point.value, 0)));
}

/** The newest point of each group, e.g. the latest depth of each queue and state. */
export function latest(points: readonly StoredPoint[], groupBy: (point: StoredPoint) => string): Map<string, StoredPoint> {
  const out = new Map<string, StoredPoint>();
  for (const point of points) {
    const key = groupBy(point);
    const seen = out.get(key);
    if (seen === undefined || seen.timeMs <= point.timeMs) out.set(key, point);
  }
  return out;
}
