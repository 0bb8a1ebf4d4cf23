import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTelemetryStore } from '../../../src/engines/index.js';
import type { StoredPoint, TelemetryStore } from '../../../src/ports/index.js';
import { EVENT } from '../../../src/runtime/index.js';
import { AlertWatch } from '../../../src/services/console/alert-watch.js';
import { searchEvents } from '../../../src/services/console/search.js';
import { sloBudgets, type SloDefinition } from '../../../src/services/console/slo-budgets.js';
import { tempDir } from '../../../testkit/index.js';

/**
 * The console's alerting over what it stored: the same counts as its SLO view (read a little at a
 * time instead of all at once), an event into its own store when an alert fires and when it
 * resolves, and a restart that takes up a firing alert instead of firing it again.
 */

const AVAILABILITY: SloDefinition = {
  name: 'wish-acceptance-availability',
  displayName: 'Handing in a wish works',
  target: 0.999,
  good: 'http_server_request_duration_count{http_route="/api/wishes",http_request_method="POST",http_response_status_code=~"202|429|503"}',
  total:
    'http_server_request_duration_count{http_route="/api/wishes",http_request_method="POST",http_response_status_code!~"400|401|413|415|422"}',
};
const T0 = Date.UTC(2045, 0, 1, 12);
const SPEEDUP = 60; // 1 h is a minute, 5 m five seconds, the page's `for` two seconds

/** The frontend's cumulative request histogram, one series per status, exported every second. */
class Frontend {
  private readonly counts = new Map<number, number>();
  constructor(private readonly store: TelemetryStore) {}
  /** `n` more requests answered `status`. */
  answer(status: number, n: number): void {
    this.counts.set(status, (this.counts.get(status) ?? 0) + n);
  }
  export(timeMs: number): void {
    const points: StoredPoint[] = [...this.counts].map(([status, count]) => ({
      timeMs,
      service: 'exodus-frontend',
      instance: 'frontend-1',
      name: 'http.server.request.duration',
      attributes: {
        'http.route': '/api/wishes',
        'http.request.method': 'POST',
        'http.response.status_code': status,
        'exodus.series.start_ms': T0 - 600_000,
      },
      kind: 'histogram',
      value: count * 0.01,
      count,
      bounds: [0.25],
      buckets: [count, 0],
    }));
    this.store.record({ points });
  }
}

describe('the console evaluates burn-rate alerts over what it stored', () => {
  let store: TelemetryStore;
  let dir: string;
  beforeEach(() => {
    dir = tempDir('exodus-alerts-');
    store = openTelemetryStore(dir);
  });
  afterEach(() => store.close());

  const watch = () =>
    new AlertWatch({
      store,
      slos: [AVAILABILITY],
      retentionMs: 86_400_000,
      speedup: SPEEDUP,
      logger: pino({ level: 'silent' }),
      instance: 'console-1',
    });
  const page = (answer: ReturnType<AlertWatch['evaluate']>) =>
    answer.alerts.find((alert) => alert.slo === AVAILABILITY.name && alert.severity === 'page');

  it('a burst of 5xx fires the page with an event, and it resolves with another once the burst is over', () => {
    const frontend = new Frontend(store);
    const alerts = watch();
    expect(alerts.everyMs).toBe(1000);
    const states: string[] = [];
    let t = T0 - 120_000;
    const second = (accepted: number, failed: number): ReturnType<AlertWatch['evaluate']> => {
      frontend.answer(202, accepted);
      if (failed > 0) frontend.answer(500, failed);
      frontend.export(t);
      const answer = alerts.evaluate(t + 500);
      const state = page(answer)?.state ?? 'missing';
      if (states.at(-1) !== state) states.push(state);
      t += 1000;
      return answer;
    };
    for (let i = 0; i < 120; i++) second(10, 0); // two minutes of good traffic
    let firing: ReturnType<AlertWatch['evaluate']> | undefined;
    for (let i = 0; i < 10; i++) firing = second(10, 10); // ten seconds: half of them fail
    const during = firing === undefined ? undefined : page(firing);
    expect(during).toMatchObject({ state: 'firing', window: expect.any(String) as unknown });
    expect(during?.burnRate).toBeGreaterThan(14.4);
    expect(during?.budgetBurnt).toBeGreaterThan(0);
    for (let i = 0; i < 60; i++) second(10, 0);
    expect(states).toEqual(['inactive', 'pending', 'firing', 'inactive']);

    const all = searchEvents(store, { limit: 10 }).reverse();
    const events = all.filter((event) => event.detail['severity'] === 'page');
    expect(events.map((event) => event.kind)).toEqual([EVENT.alertFiring, EVENT.alertResolved]);
    // 100 failures in 1,900 are 5 % of the 3-day window (72 min at 60×) too: 50× the budget, a ticket
    // after its 30 minutes (30 s), still firing, since the 6-hour window (6 min) still holds the burst.
    expect(all.filter((event) => event.detail['severity'] === 'ticket').map((event) => event.kind)).toEqual([
      EVENT.alertFiring,
    ]);
    expect(events[0]).toMatchObject({
      service: 'exodus-console',
      process: 'console-1',
      detail: { slo: AVAILABILITY.name, alert: 'SLOErrorBudgetBurningFast', severity: 'page' },
    });
    expect(events[1]?.detail['fired_at']).toBe(events[0]?.time);
  });

  it('counts what the SLO view counts, though it reads a few seconds at a time', () => {
    const frontend = new Frontend(store);
    const alerts = watch();
    let t = T0 - 300_000;
    for (let i = 0; i < 300; i++) {
      frontend.answer(202, 7);
      frontend.answer(503, i % 3);
      frontend.answer(500, i % 7 === 0 ? 1 : 0);
      frontend.answer(422, 1); // the caller's mistake: in neither
      frontend.export(t);
      if (i % 4 === 0) alerts.evaluate(t + 10);
      t += 1000;
    }
    const answer = alerts.evaluate(t);
    const hour = page(answer)?.pairs[0]?.long;
    // The SLO view over the same minute (the 1-hour window at 60×), from every point at once.
    const [budget] = sloBudgets(store, [AVAILABILITY], t, 60_000);
    expect(hour?.windowMs).toBe(60_000);
    expect({ good: hour?.good, total: hour?.total }).toEqual({ good: budget?.good, total: budget?.total });
    expect(hour?.total).toBeGreaterThan(0);
  });

  it('a console restarted while an alert fires takes it up from its events: no second firing', () => {
    const frontend = new Frontend(store);
    const first = watch();
    let t = T0;
    for (let i = 0; i < 10; i++) {
      frontend.answer(500, 10);
      frontend.export(t);
      first.evaluate(t + 500);
      t += 1000;
    }
    expect(searchEvents(store, { kind: EVENT.alertFiring, limit: 10 })).toHaveLength(1);
    const firedAt = searchEvents(store, { kind: EVENT.alertFiring, limit: 1 })[0]?.time;
    const second = watch();
    frontend.answer(500, 10);
    frontend.export(t);
    expect(page(second.evaluate(t + 500))).toMatchObject({ state: 'firing', since: firedAt });
    expect(searchEvents(store, { kind: EVENT.alertFiring, limit: 10 })).toHaveLength(1);
  });
});
