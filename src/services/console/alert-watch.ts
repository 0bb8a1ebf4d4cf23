import { BURN_RATE_ALERTS, BURN_WINDOWS, durationMs } from '../../domain/index.js';
import type { StoredLog, TelemetryStore } from '../../ports/index.js';
import { ATTRIBUTE, EVENT, type Logger } from '../../runtime/index.js';
import type { AlertsResponse, AlertView } from './api-shapes.js';
import {
  alertRules,
  evaluateAlert,
  NOT_ACTIVE,
  type AlertRule,
  type AlertStanding,
  type AlertTransition,
} from './burn-rate-alerts.js';
import { SliLedger } from './sli-ledger.js';
import type { SloDefinition } from './slo-budgets.js';

/** How often the console evaluates the alerts (Prometheus's usual evaluation interval), divided by the speedup, never under 1 s. */
export const EVALUATE_EVERY_MS = 15_000;
const MIN_EVERY_MS = 1000;

/** Severity numbers of the events it writes (OTLP: 9 info, 13 warn, 17 error): a page is an error, a ticket a warning. */
const SEVERITY = { page: 17, ticket: 13, resolved: 9 } as const;

export interface AlertWatchOptions {
  readonly store: TelemetryStore;
  readonly slos: readonly SloDefinition[];
  /** How long the store keeps telemetry: a window longer than this is evaluated over this. */
  readonly retentionMs: number;
  /** Windows and `for` divided by this (a demo, a test); default 1. */
  readonly speedup?: number;
  readonly logger: Logger;
  /** The console's own process name, on the events it writes. */
  readonly instance: string;
}

/**
 * The ops console's alerting: every SLO's burn-rate alerts evaluated every 15 s inside the console
 * process over the telemetry it keeps, whether or not anyone looks, and an `alert.firing` /
 * `alert.resolved` event written into its own store (so they are listed under Events like the
 * supervisor's) and logged when one fires or resolves. A console restarted while an alert fires
 * takes that up from its events instead of firing it again.
 */
export class AlertWatch {
  readonly everyMs: number;
  readonly speedup: number;
  private readonly rules: AlertRule[];
  private readonly ledger: SliLedger;
  private readonly standings = new Map<string, AlertStanding>();
  private answer: AlertsResponse;
  private timer: ReturnType<typeof setInterval> | undefined;
  private first: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: AlertWatchOptions) {
    this.speedup = options.speedup ?? 1;
    this.everyMs = Math.max(MIN_EVERY_MS, EVALUATE_EVERY_MS / this.speedup);
    this.rules = alertRules(options.slos, this.speedup);
    const longestMs = Math.max(...BURN_WINDOWS.map(durationMs)) / this.speedup;
    this.ledger = new SliLedger(options.store, options.slos, {
      stepMs: this.everyMs,
      keepMs: Math.min(longestMs, options.retentionMs),
    });
    this.restoreFromEvents();
    this.answer = {
      alerts: [],
      evaluatedAt: null,
      everyMs: this.everyMs,
      speedup: this.speedup,
    };
  }

  /**
   * Evaluates at once (after the caller's turn: the console listens first, since the first run reads
   * all it keeps) and then every `everyMs` until stopped; the timers never keep the process up.
   */
  start(): void {
    const run = (): void => {
      try {
        this.evaluate(Date.now());
      } catch (error) {
        this.options.logger.error({ err: error }, 'alert evaluation failed; trying again at the next');
      }
    };
    this.first = setTimeout(run, 0);
    this.first.unref();
    this.timer = setInterval(run, this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.first);
    clearInterval(this.timer);
  }

  /** The last evaluation's answer (`GET /api/v1/alerts`). */
  current(): AlertsResponse {
    return this.answer;
  }

  /** One evaluation at `nowMs`: reads what arrived, moves every alert, tells of those that fired or resolved. */
  evaluate(nowMs: number): AlertsResponse {
    this.ledger.update(nowMs);
    const views: AlertView[] = [];
    const told: StoredLog[] = [];
    for (const rule of this.rules) {
      const key = keyOf(rule.slo.name, rule.alert.alert);
      const { view, transition, standing } = evaluateAlert({
        rule,
        previous: this.standings.get(key) ?? NOT_ACTIVE,
        nowMs,
        speedup: this.speedup,
        counts: (fromMs, toMs) => this.ledger.counts(rule.slo.name, fromMs, toMs),
        problem: this.ledger.problem(rule.slo.name),
      });
      if (transition !== null) told.push(this.tell(view, transition, nowMs, this.standings.get(key)));
      this.standings.set(key, standing);
      views.push(view);
    }
    if (told.length > 0) this.options.store.record({ logs: told });
    this.answer = {
      alerts: views.sort(byUrgency),
      evaluatedAt: new Date(nowMs).toISOString(),
      everyMs: this.everyMs,
      speedup: this.speedup,
    };
    return this.answer;
  }

  /** The event of a transition, logged too (the console exports nothing: its store is where events live). */
  private tell(
    view: AlertView,
    transition: AlertTransition,
    nowMs: number,
    previous: AlertStanding | undefined,
  ): StoredLog {
    const fired = transition === 'fired';
    const kind = fired ? EVENT.alertFiring : EVENT.alertResolved;
    const rate = view.burnRate === null ? 'no events' : `${view.burnRate.toFixed(1)}× over ${view.window}`;
    const body = fired
      ? `alert firing: ${view.sloDisplayName}: ${view.alert} (${view.severity}; burning ${rate})`
      : `alert resolved: ${view.sloDisplayName}: ${view.alert} (${view.severity})`;
    const detail = {
      slo: view.slo,
      alert: view.alert,
      severity: view.severity,
      window: view.window,
      ...(view.burnRate === null ? {} : { burn_rate: round(view.burnRate, 2) }),
      ...(view.budgetBurnt === null ? {} : { budget_burnt: round(view.budgetBurnt, 4) }),
      ...(!fired && typeof previous?.sinceMs === 'number'
        ? { fired_at: new Date(previous.sinceMs).toISOString() }
        : {}),
    };
    const { logger, instance } = this.options;
    if (fired) logger.warn({ event: kind, ...detail }, body);
    else logger.info({ event: kind, ...detail }, body);
    return {
      timeMs: nowMs,
      service: CONSOLE_SERVICE,
      instance,
      severity: fired ? SEVERITY[view.severity] : SEVERITY.resolved,
      body,
      traceId: null,
      spanId: null,
      attributes: {
        ...detail,
        [ATTRIBUTE.eventName]: kind,
        [ATTRIBUTE.service]: CONSOLE_SERVICE,
        [ATTRIBUTE.process]: instance,
      },
      eventName: kind,
    };
  }

  /** Alerts that fired and never resolved, as the console's last events say: still firing, since then. */
  private restoreFromEvents(): void {
    const newest = new Map<string, StoredLog>();
    for (const kind of [EVENT.alertFiring, EVENT.alertResolved])
      for (const log of this.options.store.logs({
        events: { kind },
        newestFirst: true,
        limit: 10 * this.rules.length,
      })) {
        const key = keyOf(String(log.attributes['slo']), String(log.attributes['alert']));
        const seen = newest.get(key);
        if (seen === undefined || seen.timeMs < log.timeMs) newest.set(key, log);
      }
    for (const [key, log] of newest)
      if (log.eventName === EVENT.alertFiring) this.standings.set(key, { state: 'firing', sinceMs: log.timeMs });
  }
}

const CONSOLE_SERVICE = 'exodus-console';

const keyOf = (slo: string, alert: string): string => `${slo}\u0000${alert}`;

const STATE_ORDER = { firing: 0, pending: 1, inactive: 2 } as const;
const SEVERITY_ORDER = Object.fromEntries(BURN_RATE_ALERTS.map((alert, i) => [alert.severity, i]));

function byUrgency(a: AlertView, b: AlertView): number {
  return (
    STATE_ORDER[a.state] - STATE_ORDER[b.state] ||
    (SEVERITY_ORDER[a.severity] ?? 0) - (SEVERITY_ORDER[b.severity] ?? 0) ||
    a.slo.localeCompare(b.slo)
  );
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}
