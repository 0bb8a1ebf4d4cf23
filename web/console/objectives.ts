import type { SloBudget } from '../../src/services/console/api-shapes.js';
import { h } from './dom.js';
import { count } from './format.js';
import { cell, dataTable, rowsOf } from './table.js';

const COLUMNS = [
  { label: 'Objective' },
  { label: 'Target', class: 'num' },
  { label: 'Measured', class: 'num' },
  { label: 'Events (good / all)', class: 'num' },
  { label: 'Error budget left' },
];

/** How often the budgets are asked for: they move slowly and cost the console a day of points. */
export const OBJECTIVES_REFRESH_MS = 30_000;

/** The SLOs' table: target, what was measured, and how much error budget is left, in words and a meter. */
export function objectivesTable(): { element: HTMLElement; draw(slos: readonly SloBudget[]): void } {
  const { table, body } = dataTable('Objectives', COLUMNS);
  const note = h(
    'p',
    { class: 'muted' },
    'Over the telemetry the console keeps; Prometheus alerts on the full window (deploy/prometheus).',
  );
  return {
    element: h('div', {}, note, h('div', { class: 'scroll' }, table)),
    draw: (slos) => {
      const window = slos[0]?.windowMs;
      note.textContent = `Over the last ${window === undefined ? '–' : hours(window)} the console keeps; Prometheus alerts on each objective's full window (deploy/prometheus).`;
      body.replaceChildren(...rowsOf(slos, row, COLUMNS.length, 'No objectives (slo/ not found).'));
    },
  };
}

function row(slo: SloBudget): HTMLTableRowElement {
  const left = slo.budgetLeft;
  const state = left === null ? 'no events yet' : left <= 0 ? 'spent' : left < 0.25 ? 'low' : 'ok';
  return h(
    'tr',
    { class: `slo ${state === 'spent' ? 'dead' : ''}`, attrs: { 'data-slo': slo.name } },
    h('th', { attrs: { scope: 'row' } }, slo.displayName),
    cell(percentOf(slo.target), 'num'),
    cell(slo.sli === null ? '–' : percentOf(slo.sli), 'num'),
    cell(`${count(slo.good)} / ${count(slo.total)}`, 'num'),
    cell(
      slo.problem !== undefined
        ? h('span', { class: 'warn' }, slo.problem)
        : [
            h('meter', {
              attrs: {
                min: '0',
                max: '1',
                low: '0.25',
                optimum: '1',
                value: String(Math.max(0, left ?? 1)),
                'aria-label': `${slo.displayName}: budget left`,
              },
            }),
            ` ${left === null ? state : `${(left * 100).toFixed(1)} % (${state})`}`,
          ],
      state === 'spent' || state === 'low' ? 'warn' : '',
    ),
  );
}

/** Targets like 99.9 % need more digits than the usual one. */
function percentOf(share: number): string {
  return `${(share * 100).toFixed(share >= 0.99 ? 2 : 1)} %`;
}

function hours(ms: number): string {
  return ms >= 3_600_000 ? `${Math.round(ms / 3_600_000)} h` : `${Math.round(ms / 60_000)} min`;
}
