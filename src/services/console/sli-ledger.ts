import type { StoredPoint, TelemetryStore } from '../../ports/index.js';
import { groupBy, increments, seriesKey, type Increment } from './metric-math.js';
import type { Readings } from './readings.js';
import { eventsOf, type SloDefinition } from './slo-budgets.js';

/** Good and all events an SLO's selectors counted in some time. */
export interface SliCounts {
  readonly good: number;
  readonly total: number;
  /** Where the first step with events begins (null: none): how much of the time the counts cover. */
  readonly firstMs: number | null;
}

/**
 * A late export is still read if it arrives within this much of the last read: each read starts this
 * far back, and a series' points already counted are skipped. (A later one is not lost either: the
 * series' next cumulative point carries its counts, only placed later.)
 */
const OVERLAP_MS = 30_000;

/** The end of a window that holds every increment (a finite one: the step arithmetic needs it). */
const EVER = Number.MAX_SAFE_INTEGER;

/**
 * Each SLO's good and total events per time step, kept up to date by reading only what arrived since
 * the last update, so that evaluating burn rates over hours every few seconds costs the console a few
 * seconds of points, not hours of them. The counting is slo-budgets.ts's (`eventsOf`: the selectors
 * applied to the increments of metric-math.ts), step by step; the first update reads everything kept.
 */
export class SliLedger {
  /** Per metric: each series' newest point counted (the base its next point grows from). */
  private readonly last = new Map<string, Map<string, StoredPoint>>();
  /** Per SLO: counts per step index (step start = index × stepMs). */
  private readonly steps = new Map<string, Map<number, { good: number; total: number }>>();
  private readonly problems = new Map<string, string>();
  /** Since when every point is held (the first read): a series that began after it counts from zero. */
  private horizonMs: number | undefined;
  private readFromMs = 0;

  constructor(
    private readonly store: TelemetryStore,
    private readonly slos: readonly SloDefinition[],
    private readonly options: { readonly stepMs: number; readonly keepMs: number },
  ) {}

  /** Takes in what the store received since the last update (the first: the last `keepMs`). */
  update(nowMs: number): void {
    const { stepMs, keepMs } = this.options;
    const horizonMs = (this.horizonMs ??= nowMs - keepMs);
    const fromMs = Math.max(horizonMs, this.readFromMs - OVERLAP_MS);
    this.readFromMs = nowMs;
    // The new increments of each metric the selectors name, read once however many name it.
    const fresh = new Map<string, Increment[]>();
    const incrementsOf = (name: string): Increment[] => {
      let found = fresh.get(name);
      if (found === undefined) fresh.set(name, (found = this.newIncrements(name, fromMs, horizonMs)));
      return found;
    };
    // Grouped by step: a selector is then counted over each step's increments alone.
    const byStep = new Map<number, Map<string, Increment[]>>();
    const stepReadings = (step: number): Readings => ({
      sinceMs: horizonMs,
      points: () => [],
      increments: (name) => byStep.get(step)?.get(name) ?? [],
      instances: () => [],
    });
    for (const slo of this.slos) {
      // Which metrics the selectors name, and whether they can be read at all: asked of no data.
      const naming: Readings = {
        sinceMs: horizonMs,
        points: () => [],
        increments: (name) => {
          incrementsOf(name);
          return [];
        },
        instances: () => [],
      };
      const problem = eventsOf(naming, slo.good, 0, EVER).problem ?? eventsOf(naming, slo.total, 0, EVER).problem;
      if (problem === undefined) this.problems.delete(slo.name);
      else this.problems.set(slo.name, problem);
    }
    for (const [name, grown] of fresh)
      for (const [step, list] of groupBy(grown, (increment) => String(Math.floor(increment.timeMs / stepMs)))) {
        const names = byStep.get(Number(step)) ?? new Map<string, Increment[]>();
        names.set(name, list);
        byStep.set(Number(step), names);
      }
    for (const slo of this.slos) {
      if (this.problems.has(slo.name)) continue;
      const counts = this.steps.get(slo.name) ?? new Map<number, { good: number; total: number }>();
      this.steps.set(slo.name, counts);
      for (const step of byStep.keys()) {
        const read = stepReadings(step);
        const good = eventsOf(read, slo.good, 0, EVER).events;
        const total = eventsOf(read, slo.total, 0, EVER).events;
        if (good === 0 && total === 0) continue;
        const into = counts.get(step) ?? { good: 0, total: 0 };
        counts.set(step, { good: into.good + good, total: into.total + total });
      }
    }
    this.forget(nowMs - keepMs);
  }

  /** An SLO's counts over the steps that start in [fromMs, toMs); undefined with a problem. */
  counts(slo: string, fromMs: number, toMs: number): SliCounts | undefined {
    if (this.problems.has(slo)) return undefined;
    let good = 0;
    let total = 0;
    let firstMs: number | null = null;
    for (const [step, counted] of this.steps.get(slo) ?? []) {
      const startMs = step * this.options.stepMs;
      if (startMs < fromMs || startMs >= toMs) continue;
      good += counted.good;
      total += counted.total;
      if (counted.total > 0 && (firstMs === null || startMs < firstMs)) firstMs = startMs;
    }
    return { good, total, firstMs };
  }

  /** Why an SLO's selectors cannot be counted here (as slo-budgets.ts says it), if they cannot. */
  problem(slo: string): string | undefined {
    return this.problems.get(slo);
  }

  /**
   * What each series of a metric counted in its points since `fromMs` that are newer than the last
   * one counted: from that one, or (a series not seen yet) from zero if it began after the horizon.
   */
  private newIncrements(name: string, fromMs: number, horizonMs: number): Increment[] {
    const seen = this.last.get(name) ?? new Map<string, StoredPoint>();
    this.last.set(name, seen);
    const out: Increment[] = [];
    for (const [key, series] of groupBy(this.store.points([name], fromMs), seriesKey)) {
      const base = seen.get(key);
      const newer = series.filter((point) => base === undefined || point.timeMs > base.timeMs);
      if (newer.length === 0) continue;
      newer.sort((a, b) => a.timeMs - b.timeMs);
      // With a base, only growth between points (an infinite horizon: the base is never counted from zero).
      out.push(...(base === undefined ? increments(newer, horizonMs) : increments([base, ...newer], Infinity)));
      seen.set(key, newer[newer.length - 1] as StoredPoint);
    }
    return out;
  }

  /** Drops steps and series bases older than what is kept: the ledger stays as small as its longest window. */
  private forget(beforeMs: number): void {
    const firstStep = Math.floor(beforeMs / this.options.stepMs);
    for (const counts of this.steps.values())
      for (const step of counts.keys()) if (step < firstStep) counts.delete(step);
    for (const series of this.last.values())
      for (const [key, point] of series) if (point.timeMs < beforeMs) series.delete(key);
  }
}
