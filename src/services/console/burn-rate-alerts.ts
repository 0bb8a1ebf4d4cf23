import {
  BUDGET_PERIOD,
  BURN_RATE_ALERTS,
  durationMs,
  errorBudget,
  pairBurns,
  type BurnRateAlert,
  type BurnWindow,
} from '../../domain/index.js';
import type { AlertView, AlertWindow } from './api-shapes.js';
import type { SliCounts } from './sli-ledger.js';
import type { SloDefinition } from './slo-budgets.js';

/**
 * The burn-rate alerts of src/domain/burn-rate.ts evaluated as Prometheus evaluates the rules that
 * `exodus slo rules` writes from them: each window's error ratio is 1 − good ÷ all over that window
 * (none without events), a pair burns when both its windows exceed factor × budget, the alert is
 * pending while any pair burns and fires once that has held for its `for`; it resolves at the first
 * evaluation where no pair burns. The budget a window burnt is its burn rate × the time its events
 * cover ÷ 30 days (the workbook's "14.4× over 1 h spends 2 %"): a window longer than the telemetry
 * is counted over the telemetry, never over the time before it. `speedup` divides every window and
 * `for` (a demo or a test sees in a minute what takes an hour), and the 30-day period with them, so
 * the budget shares stay the same.
 */

export type AlertState = 'inactive' | 'pending' | 'firing';

/** Where one alert of one SLO stands: its state and since when (null: inactive since the console started). */
export interface AlertStanding {
  readonly state: AlertState;
  readonly sinceMs: number | null;
}

export const NOT_ACTIVE: AlertStanding = { state: 'inactive', sinceMs: null };

/** What changed at an evaluation that someone must hear about: Alertmanager hears of firing and resolving only. */
export type AlertTransition = 'fired' | 'resolved';

/**
 * One evaluation of one alert: the next standing from the last one and whether the condition holds
 * now. Pending → inactive tells no one (it never fired); an alert with `for` 0 fires at once.
 */
export function nextStanding(
  previous: AlertStanding,
  burning: boolean,
  nowMs: number,
  forMs: number,
): { standing: AlertStanding; transition: AlertTransition | null } {
  if (!burning)
    return previous.state === 'firing'
      ? { standing: { state: 'inactive', sinceMs: nowMs }, transition: 'resolved' }
      : { standing: previous.state === 'pending' ? { state: 'inactive', sinceMs: nowMs } : previous, transition: null };
  if (previous.state === 'firing') return { standing: previous, transition: null };
  const activeMs = previous.state === 'pending' ? (previous.sinceMs ?? nowMs) : nowMs;
  return nowMs - activeMs >= forMs
    ? { standing: { state: 'firing', sinceMs: nowMs }, transition: 'fired' }
    : { standing: { state: 'pending', sinceMs: activeMs }, transition: null };
}

/** The alerts every SLO gets, with its windows and `for` scaled by `speedup`. */
export interface AlertRule {
  readonly slo: SloDefinition;
  readonly alert: BurnRateAlert;
  readonly forMs: number;
}

export function alertRules(slos: readonly SloDefinition[], speedup: number): AlertRule[] {
  return slos.flatMap((slo) =>
    BURN_RATE_ALERTS.map((alert) => ({ slo, alert, forMs: durationMs(alert.for) / speedup })),
  );
}

/**
 * Evaluates one alert at `nowMs` from the SLO's counts over a time (undefined: its selectors cannot
 * be read here, `problem` says why): its pairs' figures, whether any burns, and its next standing.
 */
export function evaluateAlert(input: {
  readonly rule: AlertRule;
  readonly previous: AlertStanding;
  readonly nowMs: number;
  readonly speedup: number;
  readonly counts: (fromMs: number, toMs: number) => SliCounts | undefined;
  readonly problem?: string | undefined;
}): { view: AlertView; transition: AlertTransition | null; standing: AlertStanding } {
  const { rule, previous, nowMs, speedup } = input;
  const budget = errorBudget(rule.slo.target);
  const figures = new Map<BurnWindow, AlertWindow>();
  const windowOf = (window: BurnWindow): AlertWindow => {
    let found = figures.get(window);
    if (found === undefined) {
      const windowMs = durationMs(window) / speedup;
      const counts = input.counts(nowMs - windowMs, nowMs);
      const errorRatio =
        counts === undefined || counts.total <= 0 ? null : 1 - Math.min(counts.good, counts.total) / counts.total;
      const firstMs = counts?.firstMs ?? null;
      found = {
        window,
        windowMs,
        coveredMs: firstMs === null ? 0 : Math.min(windowMs, nowMs - firstMs),
        good: counts?.good ?? 0,
        total: counts?.total ?? 0,
        errorRatio,
        burnRate: errorRatio === null ? null : errorRatio / budget,
      };
      figures.set(window, found);
    }
    return found;
  };
  const pairs = rule.alert.pairs.map((pair) => ({
    factor: pair.factor,
    long: windowOf(pair.long),
    short: windowOf(pair.short),
    burning: pairBurns(pair, budget, (window) => windowOf(window).errorRatio),
  }));
  const burning = input.problem === undefined && pairs.some((pair) => pair.burning);
  const { standing, transition } = nextStanding(previous, burning, nowMs, rule.forMs);
  // The figures are the first burning pair's (the fastest: the one that pages first); when none burns,
  // the pair nearest to it: whose slower window burns most against its factor. (Every alert has a pair.)
  const nearest =
    pairs.find((pair) => pair.burning) ?? pairs.reduce((best, pair) => (nearness(pair) > nearness(best) ? pair : best));
  const burnRate = nearest.long.burnRate;
  const periodMs = durationMs(BUDGET_PERIOD) / speedup;
  return {
    standing,
    transition,
    view: {
      slo: rule.slo.name,
      sloDisplayName: rule.slo.displayName,
      alert: rule.alert.alert,
      severity: rule.alert.severity,
      state: standing.state,
      since: standing.sinceMs === null ? null : new Date(standing.sinceMs).toISOString(),
      forMs: rule.forMs,
      window: nearest.long.window,
      burnRate,
      budgetBurnt: burnRate === null ? null : (burnRate * nearest.long.coveredMs) / periodMs,
      pairs,
      ...(input.problem === undefined ? {} : { problem: input.problem }),
    },
  };
}

function nearness(pair: { factor: number; long: AlertWindow; short: AlertWindow }): number {
  return Math.min(pair.long.burnRate ?? -1, pair.short.burnRate ?? -1) / pair.factor;
}
