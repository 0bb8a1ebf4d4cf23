import type { StoredPoint, TelemetryAttributes } from '../../ports/index.js';
import { seriesStartOf } from './point-origin.js';

/*
 * Rates, totals and percentiles from what OTLP exporters send by default: cumulative counters and
 * histograms, one point per series per export. Each series is first turned into increments (what it
 * counted between two of its exports) and every figure is a sum of increments, so the console counts
 * exactly what the processes counted:
 * - a series is one process's one attribute set since one start: the receiver keeps the pid and
 *   OTLP's start time among a point's attributes (point-origin.ts), so a restart is a new series;
 * - a series' first point counts from zero when the series began at or after the horizon (the time
 *   since which the reader holds every point): nothing of it can have been counted before that point.
 *   A series older than the horizon gives its first point as the base the next one grows from;
 * - a series whose sender gives no start time and whose value went down was reset: all of the newer
 *   point is its growth.
 * Delta points (a Collector may send them) need no rule of their own: each begins where the last
 * ended, so each is a series of one point, counted whole.
 */

export interface Step {
  readonly startMs: number;
  readonly endMs: number;
}

/** Consecutive time steps covering [fromMs, toMs). */
export function steps(fromMs: number, toMs: number, stepMs: number): Step[] {
  const out: Step[] = [];
  for (let start = fromMs; start < toMs; start += stepMs)
    out.push({ startMs: start, endMs: Math.min(start + stepMs, toMs) });
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

/** One cumulative series: a process's one attribute set (its pid and start among them, see point-origin.ts). */
export const seriesKey = (point: StoredPoint): string =>
  `${point.service}\u0000${point.instance}\u0000${JSON.stringify(point.attributes)}`;

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

/**
 * What one series counted from one export to the next (or from its start to its first export),
 * placed at the later export's time: every rate, total and distribution is a sum of these.
 */
export interface Increment {
  readonly service: string;
  readonly instance: string;
  readonly attributes: TelemetryAttributes;
  /**
   * Where the counting began: the series' previous export, or its start. (A stored point has no such
   * field, so a cumulative point cannot be passed where increments are meant.)
   */
  readonly fromMs: number;
  readonly timeMs: number;
  /** A counter's growth; a histogram's growth of its sum. */
  readonly value: number;
  /** A histogram's new observations: in all, and per bucket of `bounds`. */
  readonly count: number;
  readonly bounds: readonly number[];
  readonly buckets: readonly number[];
}

/** The increments of every cumulative series in `points`, which hold every point stored since `horizonMs`. */
export function increments(points: readonly StoredPoint[], horizonMs: number): Increment[] {
  const out: Increment[] = [];
  for (const series of groupBy(points, seriesKey).values()) {
    series.sort((a, b) => a.timeMs - b.timeMs);
    const first = series[0] as StoredPoint;
    const startMs = seriesStartOf(first.attributes);
    if (startMs !== undefined && startMs >= horizonMs) out.push(grownSince(undefined, first, startMs));
    for (let i = 1; i < series.length; i++) {
      const older = series[i - 1] as StoredPoint;
      out.push(grownSince(older, series[i] as StoredPoint, older.timeMs));
    }
  }
  return out;
}

/** What `newer` counted since `older` (undefined: since the series began); after a reset, all of it. */
function grownSince(older: StoredPoint | undefined, newer: StoredPoint, fromMs: number): Increment {
  const base = older === undefined || wasReset(older, newer) ? undefined : older;
  return {
    service: newer.service,
    instance: newer.instance,
    attributes: newer.attributes,
    fromMs,
    timeMs: newer.timeMs,
    value: newer.value - (base?.value ?? 0),
    count: newer.count - (base?.count ?? 0),
    bounds: newer.bounds,
    buckets: newer.buckets.map((n, b) => n - (base?.buckets[b] ?? 0)),
  };
}

/**
 * A cumulative value that went down, or a histogram whose buckets changed, started again from zero
 * (a histogram's sum may fall with negative observations, so only its counts say).
 */
function wasReset(older: StoredPoint, newer: StoredPoint): boolean {
  if (newer.kind !== 'histogram') return newer.value < older.value;
  const sameBuckets =
    newer.bounds.length === older.bounds.length && newer.bounds.every((bound, i) => bound === older.bounds[i]);
  return !sameBuckets || newer.count < older.count || newer.buckets.some((n, b) => n < (older.buckets[b] ?? 0));
}

/** What the increments counted in each step (a counter's growth), summed over their series. */
export function totalPerStep(grown: readonly Increment[], grid: readonly Step[]): number[] {
  const totals = grid.map(() => 0);
  for (const { timeMs, value } of grown) {
    const i = stepIndex(grid, timeMs);
    if (i >= 0) totals[i] = (totals[i] ?? 0) + value;
  }
  return totals;
}

/** What the increments counted in [fromMs, toMs), summed over their series. */
export function total(grown: readonly Increment[], fromMs: number, toMs: number): number {
  return totalPerStep(grown, [{ startMs: fromMs, endMs: toMs }])[0] ?? 0;
}

const seconds = (step: Step | undefined): number => ((step?.endMs ?? 0) - (step?.startMs ?? 0)) / 1000 || 1;

/** Per-second rate of a counter summed over its series, in each step. */
export function ratePerStep(grown: readonly Increment[], grid: readonly Step[]): number[] {
  return totalPerStep(grown, grid).map((sum, i) => sum / seconds(grid[i]));
}

/** Per-second rate of a counter over [fromMs, toMs), summed over its series. */
export function rate(grown: readonly Increment[], fromMs: number, toMs: number): number {
  return total(grown, fromMs, toMs) / seconds({ startMs: fromMs, endMs: toMs });
}

/** A histogram's observations in a window: per-bucket counts merged over its series. */
export interface Distribution {
  readonly bounds: readonly number[];
  readonly buckets: readonly number[];
  readonly count: number;
}

/** The observations each step received, merged over the series (all of one metric share bounds). */
export function distributionPerStep(grown: readonly Increment[], grid: readonly Step[]): Distribution[] {
  const out = grid.map((): { bounds: readonly number[]; buckets: number[]; count: number } => ({
    bounds: [],
    buckets: [],
    count: 0,
  }));
  for (const increment of grown) {
    const into = out[stepIndex(grid, increment.timeMs)];
    if (into === undefined) continue;
    if (into.buckets.length === 0) {
      into.bounds = increment.bounds;
      into.buckets = increment.buckets.map(() => 0);
    }
    increment.buckets.forEach((n, b) => {
      into.buckets[b] = (into.buckets[b] ?? 0) + n;
    });
    into.count += increment.count;
  }
  return out;
}

export function distribution(grown: readonly Increment[], fromMs: number, toMs: number): Distribution {
  return distributionPerStep(grown, [{ startMs: fromMs, endMs: toMs }])[0] ?? { bounds: [], buckets: [], count: 0 };
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
export function gaugePerStep(
  points: readonly StoredPoint[],
  grid: readonly Step[],
  groupBy: (attributes: TelemetryAttributes) => string,
): (number | null)[] {
  const newest = grid.map(() => new Map<string, StoredPoint>());
  for (const point of points) {
    const i = stepIndex(grid, point.timeMs);
    const inStep = newest[i];
    if (inStep === undefined) continue;
    const key = groupBy(point.attributes);
    const seen = inStep.get(key);
    if (seen === undefined || seen.timeMs <= point.timeMs) inStep.set(key, point);
  }
  return newest.map((inStep) =>
    inStep.size === 0 ? null : [...inStep.values()].reduce((sum, point) => sum + point.value, 0),
  );
}

/** The newest point of each group, e.g. the latest depth of each queue and state. */
export function latest(
  points: readonly StoredPoint[],
  groupBy: (point: StoredPoint) => string,
): Map<string, StoredPoint> {
  const out = new Map<string, StoredPoint>();
  for (const point of points) {
    const key = groupBy(point);
    const seen = out.get(key);
    if (seen === undefined || seen.timeMs <= point.timeMs) out.set(key, point);
  }
  return out;
}
