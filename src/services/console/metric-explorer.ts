import type { StoredPoint } from '../../ports/index.js';
import type {
  Chart,
  GAUGE_AGGREGATIONS,
  HISTOGRAM_STATS,
  InstrumentKind,
  MetricSeriesResponse,
  MetricWindow,
} from './api-shapes.js';
import {
  distribution,
  distributionPerStep,
  gaugePerStep,
  groupBy,
  increments,
  quantile,
  ratePerStep,
  steps,
  total,
  type Increment,
  type Step,
} from './metric-math.js';
import { ORIGIN } from './point-origin.js';

/*
 * One instrument over a window, one series per value of an attribute: counters as rates per second
 * (their cumulative points turned into increments by metric-math.ts, so resets and restarts count
 * right), histograms as percentiles or observations per second, gauges as values. Bounded twice:
 * a window has at most ~72 steps, and only the largest groups are kept.
 */

/** Each window's step: a chart of 20 to 72 points, never finer than 15 s, in which a process at rest still exports once. */
export const WINDOW_STEPS: Readonly<Record<MetricWindow, { readonly windowMs: number; readonly stepMs: number }>> = {
  '5m': { windowMs: 5 * 60_000, stepMs: 15_000 },
  '15m': { windowMs: 15 * 60_000, stepMs: 15_000 },
  '1h': { windowMs: 60 * 60_000, stepMs: 60_000 },
  '6h': { windowMs: 6 * 60 * 60_000, stepMs: 5 * 60_000 },
  '24h': { windowMs: 24 * 60 * 60_000, stepMs: 20 * 60_000 },
};
/** Series on the chart, and rows in the table: the largest groups. */
export const MAX_CHART_SERIES = 10;
export const MAX_TABLE_ROWS = 50;
/**
 * Points are read from this long before the window: a counter series older than the window needs
 * the export before it as the base its first increment grows from (exports come every 5–60 s).
 */
export const BASE_MARGIN_MS = 60_000;

/** Besides point attributes, a group may be the process's service or instance. */
export const SERVICE_KEY = 'service.name';
export const INSTANCE_KEY = 'service.instance.id';
/** Attributes the receiver adds to count right (point-origin.ts): not for grouping by. */
const ORIGIN_KEYS: readonly string[] = Object.values(ORIGIN);
export const NO_VALUE = '(none)';

export type HistogramStat = (typeof HISTOGRAM_STATS)[number];
export type GaugeAggregation = (typeof GAUGE_AGGREGATIONS)[number];

export interface Exploration {
  readonly kind: InstrumentKind;
  readonly unit: string | null;
  readonly by: string | undefined;
  readonly window: MetricWindow;
  readonly stat: HistogramStat;
  readonly agg: GaugeAggregation;
  readonly nowMs: number;
}

/** The stored kind as the explorer names it (a cumulative sum is a counter). */
export const instrumentKindOf = (kind: StoredPoint['kind']): InstrumentKind => (kind === 'sum' ? 'counter' : kind);

/** The attribute keys an operator may group or filter by: the points' own, without the receiver's. */
export const groupableKeys = (keys: readonly string[]): string[] => keys.filter((key) => !ORIGIN_KEYS.includes(key));

/** The group a point belongs to: the value of `by` (service and instance too), as text. */
export function groupOf(point: StoredPoint, by: string | undefined): string {
  if (by === undefined) return 'all';
  if (by === SERVICE_KEY) return point.service;
  if (by === INSTANCE_KEY) return point.instance;
  const value = point.attributes[by];
  return value === undefined ? NO_VALUE : String(value);
}

/** The grid of a window: whole steps ending at the last step boundary before now. */
export function windowGrid(
  window: MetricWindow,
  nowMs: number,
): { grid: Step[]; fromMs: number; toMs: number; stepMs: number } {
  const { windowMs, stepMs } = WINDOW_STEPS[window];
  const toMs = Math.floor(nowMs / stepMs) * stepMs;
  const fromMs = toMs - windowMs;
  return { grid: steps(fromMs, toMs, stepMs), fromMs, toMs, stepMs };
}

interface Grouped {
  readonly group: string;
  /** What ranks the group among the others (its size): the table's first figure. */
  readonly weight: number;
  readonly values: (number | null)[];
  readonly figures: (number | null)[];
}

/**
 * The explorer's answer for one instrument's points, read since `windowGrid(…).fromMs - BASE_MARGIN_MS`
 * (the horizon its counters are counted from).
 */
export function explore(
  points: readonly StoredPoint[],
  exploration: Exploration,
): Omit<MetricSeriesResponse, 'name' | 'generatedAt'> {
  const { grid, fromMs, toMs } = windowGrid(exploration.window, exploration.nowMs);
  const horizonMs = fromMs - BASE_MARGIN_MS;
  const groups = groupBy(points, (point) => groupOf(point, exploration.by));
  const unit = exploration.unit;
  let measured: { statistic: string; chartUnit: string; columns: MetricSeriesResponse['columns']; rows: Grouped[] };
  switch (exploration.kind) {
    case 'counter':
      measured = counters(groups, { grid, fromMs, toMs, horizonMs, unit });
      break;
    case 'histogram':
      measured = histograms(groups, { grid, fromMs, toMs, horizonMs, unit, stat: exploration.stat });
      break;
    case 'gauge':
      measured = gauges(groups, { grid, unit, agg: exploration.agg });
      break;
  }
  const ranked = [...measured.rows].sort((a, b) => b.weight - a.weight || a.group.localeCompare(b.group));
  const chart: Chart = {
    title: measured.statistic,
    unit: measured.chartUnit,
    times: grid.map((step) => step.endMs / 1000),
    series: ranked.slice(0, MAX_CHART_SERIES).map((row) => ({ label: row.group, values: row.values })),
  };
  return {
    kind: exploration.kind,
    unit,
    by: exploration.by ?? null,
    window: exploration.window,
    stepSeconds: WINDOW_STEPS[exploration.window].stepMs / 1000,
    statistic: measured.statistic,
    chart,
    columns: measured.columns,
    rows: ranked.slice(0, MAX_TABLE_ROWS).map((row) => ({ group: row.group, values: row.figures })),
    groupsOmitted: Math.max(0, ranked.length - MAX_TABLE_ROWS),
  };
}

interface Span {
  readonly grid: readonly Step[];
  readonly fromMs: number;
  readonly toMs: number;
  readonly horizonMs: number;
  readonly unit: string | null;
}

const perSecond = (unit: string | null): string => (unit === null || unit === '' ? 'per second' : `${unit}/s`);
const lastOf = (values: readonly (number | null)[]): number | null =>
  [...values].reverse().find((value): value is number => value !== null) ?? null;

/** A counter: its growth per second in each step, summed over the group's series (rate of increments). */
function counters(groups: Map<string, StoredPoint[]>, span: Span) {
  const seconds = (span.toMs - span.fromMs) / 1000;
  const rows = [...groups].map(([group, points]): Grouped => {
    const grown = increments(points, span.horizonMs);
    const counted = total(grown, span.fromMs, span.toMs);
    const values = ratePerStep(grown, span.grid);
    return { group, weight: counted, values, figures: [counted, counted / seconds, lastOf(values)] };
  });
  return {
    statistic: 'rate per second',
    chartUnit: perSecond(span.unit),
    columns: [
      { label: 'total', unit: span.unit },
      { label: 'rate', unit: perSecond(span.unit) },
      { label: 'last step rate', unit: perSecond(span.unit) },
    ],
    rows,
  };
}

/** A histogram: a percentile of each step's observations (or their rate); the whole window's in the table. */
function histograms(groups: Map<string, StoredPoint[]>, span: Span & { readonly stat: HistogramStat }) {
  const stepSeconds = (step: Step): number => (step.endMs - step.startMs) / 1000;
  const rows = [...groups].map(([group, points]): Grouped => {
    const grown: readonly Increment[] = increments(points, span.horizonMs);
    const perStep = distributionPerStep(grown, span.grid);
    const values = perStep.map((d, i) => {
      if (span.stat === 'rate') return d.count / stepSeconds(span.grid[i] ?? { startMs: 0, endMs: 1000 });
      return quantile(Number(span.stat.slice(1)) / 100, d);
    });
    const whole = distribution(grown, span.fromMs, span.toMs);
    const sum = total(grown, span.fromMs, span.toMs);
    return {
      group,
      weight: whole.count,
      values,
      figures: [
        whole.count,
        whole.count / ((span.toMs - span.fromMs) / 1000),
        quantile(0.5, whole),
        quantile(0.95, whole),
        quantile(0.99, whole),
        whole.count > 0 ? sum / whole.count : null,
      ],
    };
  });
  return {
    statistic: span.stat === 'rate' ? 'observations per second' : `${span.stat} of each step`,
    chartUnit: span.stat === 'rate' ? 'per second' : (span.unit ?? ''),
    columns: [
      { label: 'count', unit: null },
      { label: 'rate', unit: 'per second' },
      { label: 'p50', unit: span.unit },
      { label: 'p95', unit: span.unit },
      { label: 'p99', unit: span.unit },
      { label: 'mean', unit: span.unit },
    ],
    rows,
  };
}

const AGGREGATE: Readonly<Record<GaugeAggregation, (values: readonly number[]) => number>> = {
  sum: (values) => values.reduce((a, b) => a + b, 0),
  max: (values) => Math.max(...values),
  min: (values) => Math.min(...values),
  avg: (values) => values.reduce((a, b) => a + b, 0) / values.length,
};

/**
 * A gauge: each series' newest value in each step (a series is one process's one attribute set;
 * a restarted process continues its series), combined over the group's series by `agg`.
 */
function gauges(
  groups: Map<string, StoredPoint[]>,
  span: { readonly grid: readonly Step[]; readonly unit: string | null; readonly agg: GaugeAggregation },
) {
  const withoutOrigin = (point: StoredPoint): string =>
    JSON.stringify([
      point.service,
      point.instance,
      Object.entries(point.attributes).filter(([key]) => !ORIGIN_KEYS.includes(key)),
    ]);
  const rows = [...groups].map(([group, points]): Grouped => {
    const series = [...groupBy(points, withoutOrigin).values()].map((one) => gaugePerStep(one, span.grid, () => ''));
    const values = span.grid.map((_, i) => {
      const present = series.map((s) => s[i]).filter((v): v is number => v !== null && v !== undefined);
      return present.length === 0 ? null : AGGREGATE[span.agg](present);
    });
    const present = values.filter((v): v is number => v !== null);
    const latest = lastOf(values);
    return {
      group,
      weight: Math.abs(latest ?? 0),
      values,
      figures: [
        latest,
        present.length === 0 ? null : Math.min(...present),
        present.length === 0 ? null : Math.max(...present),
        present.length === 0 ? null : AGGREGATE.avg(present),
      ],
    };
  });
  return {
    statistic: `value (${span.agg} over series)`,
    chartUnit: span.unit ?? '',
    columns: ['latest', 'min', 'max', 'mean'].map((label) => ({ label, unit: span.unit })),
    rows,
  };
}
