import type { InstanceResources, ResourcesResponse, Suggestion } from '../../src/services/console/api-shapes.js';
import { h } from './dom.js';
import { duration, percent } from './format.js';
import { serviceLink } from './service-link.js';
import { cell, dataTable, rowsOf } from './table.js';

export const RESOURCE_COLUMNS = [
  { label: 'Process' },
  { label: 'pid', class: 'num' },
  { label: 'CPU (cores)', class: 'num' },
  { label: 'RSS', class: 'num' },
  { label: 'Heap', class: 'num' },
  { label: 'Loop delay p99', class: 'num' },
  { label: 'Loop busy', class: 'num' },
];

/** How often resources are asked for: processes export every 5 s, and the rules judge minutes. */
export const RESOURCES_REFRESH_MS = 5000;

/** What each process uses now, and the right-sizing suggestions in words (the rules are in the README). */
export function resourcesPanel(): { element: HTMLElement; draw(resources: ResourcesResponse): void } {
  const { table, body } = dataTable('Resources', RESOURCE_COLUMNS);
  const suggestions = h('ul', { class: 'suggestions', attrs: { 'aria-label': 'Right-sizing suggestions' } });
  return {
    element: h(
      'div',
      {},
      h('p', { class: 'muted' }, 'Right-sizing, judged on the last 15 minutes:'),
      suggestions,
      h('div', { class: 'scroll' }, table),
    ),
    draw: (resources) => {
      suggestions.replaceChildren(
        ...(resources.suggestions.length === 0
          ? [h('li', { class: 'muted' }, 'Nothing to change: every service has what it uses.')]
          : resources.suggestions.map(suggestionItem)),
      );
      body.replaceChildren(
        ...rowsOf(resources.instances, resourceRow, RESOURCE_COLUMNS.length, 'No process has reported yet.'),
      );
    },
  };
}

function suggestionItem(suggestion: Suggestion): HTMLLIElement {
  return h(
    'li',
    { class: suggestion.rule === 'fewer-would-do' ? '' : 'warn', attrs: { 'data-rule': suggestion.rule } },
    suggestion.text,
  );
}

/** One process's resources; its name leads to its page. */
export function resourceRow(process: InstanceResources): HTMLTableRowElement {
  return h(
    'tr',
    { attrs: { 'data-instance': process.instance } },
    h('th', { class: 'mono', attrs: { scope: 'row' } }, serviceLink(process.service, { instance: process.instance })),
    cell(process.pid === null ? '–' : String(process.pid), 'num'),
    cell(process.cpuCores === null ? '–' : process.cpuCores.toFixed(3), 'num cpu'),
    cell(megabytes(process.rssBytes), 'num rss'),
    cell(process.heapBytes === null ? '–' : megabytes(process.heapBytes), 'num'),
    cell(duration(process.eventLoopDelayP99Ms), 'num'),
    cell(process.eventLoopUtilization === null ? '–' : percent(process.eventLoopUtilization), 'num'),
  );
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(0)} MB`;
}
