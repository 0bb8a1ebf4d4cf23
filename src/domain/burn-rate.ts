/**
 * The multi-window, multi-burn-rate alerts on an SLO's error budget, as the SRE workbook sets them
 * for a 30-day budget (chapter 5, "Alerting on SLOs"): page when 14.4× the budget burns over 1 h
 * (and still over 5 m) or 6× over 6 h (and 30 m); open a ticket when 1× burns over 3 d (and 6 h).
 * A pair fires only when BOTH its windows burn faster than its factor: the long window says enough
 * budget went to matter, the short one that it is still going (so the alert resolves soon after the
 * burning stops). One source for both evaluators: `exodus slo rules` writes these as Prometheus
 * rules (src/ops/slo-rules.ts), the ops console evaluates them over what it keeps
 * (src/services/console/burn-rate-alerts.ts).
 */

/** The windows the rules hold each SLO's error ratio over, in Prometheus's duration notation. */
export const BURN_WINDOWS = ['5m', '30m', '1h', '6h', '3d'] as const;
export type BurnWindow = (typeof BURN_WINDOWS)[number];

/** The budget these factors are set for: 14.4× over 1 h spends 2 % of a 30-day budget. */
export const BUDGET_PERIOD = '30d';

/** Both windows must burn faster than `factor` × the budget (1 − target). */
export interface BurnPair {
  readonly factor: number;
  readonly long: BurnWindow;
  readonly short: BurnWindow;
}

export type AlertSeverity = 'page' | 'ticket';

export interface BurnRateAlert {
  /** The Prometheus alert's name. */
  readonly alert: string;
  readonly severity: AlertSeverity;
  /** How long the condition must hold before the alert fires (Prometheus's `for`). */
  readonly for: string;
  /** Any pair burning makes the condition true. */
  readonly pairs: readonly BurnPair[];
  /** The alert's summary after the SLO's name. */
  readonly summary: string;
}

export const BURN_RATE_ALERTS = [
  {
    alert: 'SLOErrorBudgetBurningFast',
    severity: 'page',
    for: '2m',
    pairs: [
      { factor: 14.4, long: '1h', short: '5m' },
      { factor: 6, long: '6h', short: '30m' },
    ],
    summary: 'the 30-day error budget is burning fast',
  },
  {
    alert: 'SLOErrorBudgetBurning',
    severity: 'ticket',
    for: '30m',
    pairs: [{ factor: 1, long: '3d', short: '6h' }],
    summary: 'the 30-day error budget is being spent',
  },
] as const satisfies readonly BurnRateAlert[];

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `5m` → 300000; the notation of BURN_WINDOWS, `for` and BUDGET_PERIOD (a number and one of s, m, h, d). */
export function durationMs(duration: string): number {
  const match = /^(\d+)([smhd])$/.exec(duration);
  if (match === null) throw new Error(`not a duration like 5m: ${duration}`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** `1h` → `1 h`: how the rules' descriptions and the console write a window. */
export function spokenDuration(duration: string): string {
  return duration.replace(/^(\d+)([smhd])$/, '$1 $2');
}

/** The error budget of a target: the share of events allowed to fail (0.999 → 0.001, rounded as the rules write it). */
export function errorBudget(target: number): number {
  return Number((1 - target).toPrecision(6));
}

/**
 * Does a pair burn? Both windows' error ratios above `factor` × the budget. A window without events
 * (null: no ratio) never burns, as in Prometheus, where 0/0 is NaN and NaN > x is false.
 */
export function pairBurns(pair: BurnPair, budget: number, errorRatio: (window: BurnWindow) => number | null): boolean {
  const threshold = pair.factor * budget;
  const long = errorRatio(pair.long);
  const short = errorRatio(pair.short);
  return long !== null && short !== null && long > threshold && short > threshold;
}

/** The alert's description of its pairs: `14.4× the budget over 1 h, or 6× over 6 h`; `the budget burns at its own rate over 3 d`. */
export function describePairs(pairs: readonly BurnPair[]): string {
  return pairs
    .map(({ factor, long }, i) =>
      factor === 1 && pairs.length === 1
        ? `the budget burns at its own rate over ${spokenDuration(long)}`
        : `${factor}×${i === 0 ? ' the budget' : ''} over ${spokenDuration(long)}`,
    )
    .join(', or ');
}
