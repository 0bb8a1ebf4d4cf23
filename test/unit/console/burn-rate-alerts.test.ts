import { describe, expect, it } from 'vitest';
import { BURN_RATE_ALERTS, durationMs, type BurnWindow } from '../../../src/domain/index.js';
import {
  alertRules,
  evaluateAlert,
  nextStanding,
  NOT_ACTIVE,
  type AlertRule,
  type AlertStanding,
} from '../../../src/services/console/burn-rate-alerts.js';
import type { SloDefinition } from '../../../src/services/console/slo-budgets.js';

/**
 * The console's burn-rate alerts are the Prometheus rules' (src/domain/burn-rate.ts), evaluated over
 * counts: a pair burns only when BOTH its windows' error ratios exceed factor × budget; an alert is
 * pending, then fires after its `for`, and resolves at the first evaluation where no pair burns.
 */

const SLO: SloDefinition = {
  name: 'wish-acceptance-availability',
  displayName: 'Handing in a wish works',
  target: 0.999, // budget 0.001: 14.4× is an error ratio above 1.44 %
  good: 'good_total',
  total: 'all_total',
};
const NOW = Date.UTC(2045, 0, 1, 12);
const [PAGE, TICKET] = alertRules([SLO], 1) as [AlertRule, AlertRule];

/** Counts over a window as a function of its length: `ratios[window]` is that window's error ratio, over 10,000 events. */
const countsOf =
  (ratios: Partial<Record<BurnWindow, number>>, speedup = 1) =>
  (fromMs: number, toMs: number) => {
    const window = (Object.keys(ratios) as BurnWindow[]).find((w) => durationMs(w) / speedup === toMs - fromMs);
    const ratio = window === undefined ? 0 : (ratios[window] ?? 0);
    return { good: Math.round(10_000 * (1 - ratio)), total: 10_000, firstMs: fromMs };
  };

const evaluate = (
  rule: AlertRule,
  ratios: Partial<Record<BurnWindow, number>>,
  previous: AlertStanding = NOT_ACTIVE,
  nowMs = NOW,
) => evaluateAlert({ rule, previous, nowMs, speedup: 1, counts: countsOf(ratios) });

describe('burn-rate alerts in the console', () => {
  it('every SLO gets the alerts the Prometheus rules have: a page and a ticket, with their for', () => {
    expect(alertRules([SLO], 1).map((rule) => [rule.alert.alert, rule.alert.severity, rule.forMs])).toEqual([
      ['SLOErrorBudgetBurningFast', 'page', 120_000],
      ['SLOErrorBudgetBurning', 'ticket', 1_800_000],
    ]);
    expect(alertRules([SLO], 60).map((rule) => rule.forMs)).toEqual([2000, 30_000]);
    expect(BURN_RATE_ALERTS.map((alert) => alert.pairs)).toEqual([
      [
        { factor: 14.4, long: '1h', short: '5m' },
        { factor: 6, long: '6h', short: '30m' },
      ],
      [{ factor: 1, long: '3d', short: '6h' }],
    ]);
  });

  it('a pair burns only when both its windows exceed its factor', () => {
    // 14.4 × 0.001 = 1.44 %: 2 % over 1 h and 5 m burns; either alone does not.
    expect(evaluate(PAGE, { '1h': 0.02, '5m': 0.02 }).view.pairs[0]?.burning).toBe(true);
    expect(evaluate(PAGE, { '1h': 0.02, '5m': 0.01 }).view.pairs[0]?.burning).toBe(false);
    expect(evaluate(PAGE, { '1h': 0.01, '5m': 0.5 }).view.pairs[0]?.burning).toBe(false);
    // Exactly at the factor is not above it.
    expect(evaluate(PAGE, { '1h': 0.0144, '5m': 0.0144 }).view.state).toBe('inactive');
    // The slower pair: 6× (0.6 %) over 6 h and 30 m.
    const slow = evaluate(PAGE, { '6h': 0.007, '30m': 0.007 });
    expect(slow.view.pairs.map((pair) => pair.burning)).toEqual([false, true]);
    expect(slow.view.state).toBe('pending');
    expect(evaluate(PAGE, { '6h': 0.007, '30m': 0.005 }).view.state).toBe('inactive');
  });

  it('a window without events never burns (as NaN never exceeds anything in Prometheus)', () => {
    const none = evaluateAlert({
      rule: PAGE,
      previous: NOT_ACTIVE,
      nowMs: NOW,
      speedup: 1,
      counts: () => ({ good: 0, total: 0, firstMs: null }),
    });
    expect(none.view.state).toBe('inactive');
    expect(none.view.burnRate).toBeNull();
    expect(none.view.pairs[0]?.long).toMatchObject({ errorRatio: null, burnRate: null, total: 0 });
  });

  it('is pending while a pair burns, fires once it has burnt for its for, and says so once', () => {
    const burning = { '1h': 0.05, '5m': 0.05 };
    const first = evaluate(PAGE, burning);
    expect(first.standing).toEqual({ state: 'pending', sinceMs: NOW });
    expect(first.transition).toBeNull();
    const still = evaluate(PAGE, burning, first.standing, NOW + 119_999);
    expect(still.standing).toEqual({ state: 'pending', sinceMs: NOW });
    const fired = evaluate(PAGE, burning, still.standing, NOW + 120_000);
    expect(fired.transition).toBe('fired');
    expect(fired.view).toMatchObject({ state: 'firing', since: new Date(NOW + 120_000).toISOString() });
    const again = evaluate(PAGE, burning, fired.standing, NOW + 135_000);
    expect(again.transition).toBeNull();
    expect(again.view.since).toBe(new Date(NOW + 120_000).toISOString());
  });

  it('resolves at the first evaluation where no pair burns; a pending alert that stops tells no one', () => {
    const firing: AlertStanding = { state: 'firing', sinceMs: NOW - 60_000 };
    const resolved = evaluate(PAGE, { '1h': 0.05, '5m': 0 }, firing);
    expect(resolved.transition).toBe('resolved');
    expect(resolved.standing).toEqual({ state: 'inactive', sinceMs: NOW });
    const dropped = evaluate(PAGE, {}, { state: 'pending', sinceMs: NOW - 1000 });
    expect(dropped.transition).toBeNull();
    expect(dropped.standing.state).toBe('inactive');
    expect(nextStanding(NOT_ACTIVE, false, NOW, 0)).toEqual({ standing: NOT_ACTIVE, transition: null });
    // No `for`: it fires at the first evaluation that burns.
    expect(nextStanding(NOT_ACTIVE, true, NOW, 0).transition).toBe('fired');
  });

  it('pages on a fast burn, opens a ticket on a slow one: 0.2 % errors (2×) is a ticket, never a page', () => {
    const trickle = { '5m': 0.002, '30m': 0.002, '1h': 0.002, '6h': 0.002, '3d': 0.002 };
    expect(evaluate(PAGE, trickle).view.state).toBe('inactive');
    const ticket = evaluate(TICKET, trickle, { state: 'pending', sinceMs: NOW - 1_800_000 });
    expect(ticket.view).toMatchObject({ severity: 'ticket', state: 'firing', window: '3d' });
    expect(ticket.view.burnRate).toBeCloseTo(2);
    const fast = { '5m': 0.09, '30m': 0.09, '1h': 0.09, '6h': 0.09, '3d': 0.09 };
    expect(evaluate(PAGE, fast, { state: 'pending', sinceMs: NOW - 120_000 }).view).toMatchObject({
      severity: 'page',
      state: 'firing',
    });
  });

  it('says how fast the budget burns and what share of the 30-day budget its window burnt', () => {
    // 1.44 % over 1 h and 5 m: 14.4×, which burns 2 % of a 30-day budget in that hour (the workbook's figure).
    const { view } = evaluate(PAGE, { '1h': 0.0145, '5m': 0.03 });
    expect(view.window).toBe('1h');
    expect(view.burnRate).toBeCloseTo(14.5);
    expect(view.budgetBurnt).toBeCloseTo((14.5 * 3_600_000) / (30 * 86_400_000));
    expect(view.pairs[0]?.short.burnRate).toBeCloseTo(30);
    // The pair nearest to firing is the one reported: here the 6-hour one.
    const slow = evaluate(PAGE, { '1h': 0.001, '5m': 0.001, '6h': 0.0065, '30m': 0.007 }).view;
    expect(slow.window).toBe('6h');
    expect(slow.budgetBurnt).toBeCloseTo((6.5 * 6) / (30 * 24));
  });

  it('a window longer than the telemetry burns only over the time its events cover', () => {
    // The console has seen 10 minutes of events, 14.5× the budget: 10 min of it, not a whole hour.
    const { view } = evaluateAlert({
      rule: PAGE,
      previous: NOT_ACTIVE,
      nowMs: NOW,
      speedup: 1,
      counts: (fromMs, toMs) => ({ good: 9855, total: 10_000, firstMs: Math.max(fromMs, toMs - 600_000) }),
    });
    expect(view.pairs[0]?.long).toMatchObject({ windowMs: 3_600_000, coveredMs: 600_000 });
    expect(view.budgetBurnt).toBeCloseTo((14.5 * 600_000) / (30 * 86_400_000));
  });

  it('a speedup divides every window and for, and leaves the budget shares as they were', () => {
    const [fast] = alertRules([SLO], 60) as [AlertRule];
    const result = evaluateAlert({
      rule: fast,
      previous: NOT_ACTIVE,
      nowMs: NOW,
      speedup: 60,
      counts: countsOf({ '1h': 0.0145, '5m': 0.03 }, 60),
    });
    expect(result.view.pairs[0]?.long.windowMs).toBe(60_000);
    expect(result.view.pairs[0]?.short.windowMs).toBe(5000);
    expect(result.view.forMs).toBe(2000);
    expect(result.view.budgetBurnt).toBeCloseTo((14.5 * 3_600_000) / (30 * 86_400_000));
  });

  it('an SLO the console cannot read never fires, and says why', () => {
    const result = evaluateAlert({
      rule: PAGE,
      previous: NOT_ACTIVE,
      nowMs: NOW,
      speedup: 1,
      counts: () => undefined,
      problem: 'no metric the console knows as x',
    });
    expect(result.view).toMatchObject({ state: 'inactive', problem: 'no metric the console knows as x' });
  });
});
