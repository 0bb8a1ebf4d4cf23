import { spokenDuration } from '../../src/domain/browser.js';
import type { AlertsResponse, AlertView } from '../../src/services/console/api-shapes.js';
import { h, link } from './dom.js';
import { age, clockTime, duration, percent } from './format.js';
import { hrefOf } from './router.js';
import { cell, dataTable, rowsOf } from './table.js';

const COLUMNS = [
  { label: 'Objective' },
  { label: 'Severity' },
  { label: 'State' },
  { label: 'Since (UTC)' },
  { label: 'Burning', class: 'num' },
  { label: 'Budget burnt', class: 'num' },
  { label: 'Events' },
];

/** The console evaluates every 15 s and keeps the answer: asking every few seconds costs it nothing. */
export const ALERTS_REFRESH_MS = 5000;

/**
 * The alerts that fire (and those about to: pending), with since when, how fast the budget burns and
 * what share of the 30-day budget the window burnt; a line says what was evaluated when none does.
 */
export function alertsPanel(): { element: HTMLElement; draw(answer: AlertsResponse): void } {
  const { table, body } = dataTable('Alerts', COLUMNS);
  const note = h('p', { class: 'muted alerts-note' });
  return {
    element: h('div', {}, note, h('div', { class: 'scroll' }, table)),
    draw: (answer) => {
      const active = answer.alerts.filter((alert) => alert.state !== 'inactive');
      const slos = new Set(answer.alerts.map((alert) => alert.slo)).size;
      const when = answer.evaluatedAt === null ? 'not yet' : `last at ${clockTime(answer.evaluatedAt)}`;
      const scaled =
        answer.speedup === 1 ? '' : ` Windows divided by ${answer.speedup} (EXODUS_CONSOLE_ALERT_SPEEDUP).`;
      note.textContent = `${answer.alerts.length} burn-rate alerts on ${slos} objectives, evaluated every ${duration(answer.everyMs)} over what the console keeps (${when}); Prometheus evaluates the full windows (deploy/prometheus).${scaled}`;
      body.replaceChildren(
        ...rowsOf(active, (alert) => row(alert, answer.speedup), COLUMNS.length, 'No alert is firing.'),
      );
    },
  };
}

function row(alert: AlertView, speedup: number): HTMLTableRowElement {
  const firing = alert.state === 'firing';
  const since = alert.since;
  return h(
    'tr',
    {
      class: `alert ${alert.state} ${firing ? 'notable' : ''}`,
      attrs: { 'data-slo': alert.slo, 'data-alert': alert.alert, 'data-state': alert.state },
    },
    h('th', { attrs: { scope: 'row' } }, alert.sloDisplayName, h('span', { class: 'mono muted' }, ` ${alert.alert}`)),
    cell(alert.severity, alert.severity === 'page' ? 'warn' : ''),
    cell(firing ? 'firing' : `pending (fires after ${duration(alert.forMs)})`, firing ? 'warn state' : 'state'),
    cell(
      since === null
        ? '–'
        : [
            h('time', { attrs: { datetime: since } }, clockTime(since)),
            ` (${age((Date.now() - Date.parse(since)) / 1000)} ago)`,
          ],
      'nowrap',
    ),
    cell(
      alert.burnRate === null ? '–' : `${alert.burnRate.toFixed(1)}× over ${windowText(alert, speedup)}`,
      'num burn-rate',
    ),
    cell(alert.budgetBurnt === null ? '–' : `${percent(alert.budgetBurnt)} of 30 days' budget`, 'num budget-burnt'),
    cell(
      link(hrefOf('events', { kind: firing ? 'alert.firing' : 'alert.resolved' }), 'events', {
        key: `alert-events:${alert.slo}:${alert.alert}`,
        label: `Alert events of ${alert.sloDisplayName}`,
      }),
    ),
  );
}

/** `1 h`, or `1 h (1.0 min)` when the windows are scaled down. */
function windowText(alert: AlertView, speedup: number): string {
  const pair = alert.pairs.find((candidate) => candidate.long.window === alert.window);
  const spoken = spokenDuration(alert.window);
  return speedup === 1 || pair === undefined ? spoken : `${spoken} (${duration(pair.long.windowMs)})`;
}
