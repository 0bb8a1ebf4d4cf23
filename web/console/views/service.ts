import type {
  LogLine,
  ProcessView,
  ServicePage,
  TraceSummary,
  VersionWork,
} from '../../../src/services/console/api-shapes.js';
import { api } from '../api.js';
import { Charts } from '../charts.js';
import { block, h, link, replaceKeepingFocus } from '../dom.js';
import { clockTime, count, dateTime, duration, percent, perSecond, shortId } from '../format.js';
import { poll, type Poller } from '../live.js';
import { RESOURCE_COLUMNS, resourceRow } from '../resources.js';
import { hrefOf } from '../router.js';
import { serviceHref, serviceLink, shortName } from '../service-link.js';
import { cell, dataTable, rowsOf } from '../table.js';
import { WORK_COLUMNS, workCells } from '../work-cells.js';
import { EVENT_COLUMNS, eventRow } from './events.js';
import type { View, ViewContext } from './view.js';

/** The page gathers a lot (charts, traces, logs): asked for every 5 s, as the processes export. */
const SERVICE_REFRESH_MS = 5000;

const VERSION_COLUMNS = [{ label: 'Version' }, { label: 'Processes' }, ...WORK_COLUMNS];
const PROCESS_COLUMNS = [
  { label: 'Process' },
  { label: 'State' },
  { label: 'Version' },
  { label: 'Host' },
  { label: 'pid', class: 'num' },
  { label: 'Started (UTC)' },
  { label: 'Restarts', class: 'num' },
  { label: 'Last exit' },
];
const TRACE_COLUMNS = [
  { label: 'Root' },
  { label: 'Start (UTC)' },
  { label: 'Duration', class: 'num' },
  { label: 'Spans', class: 'num' },
  { label: 'Errors', class: 'num' },
];
const LOG_COLUMNS = [{ label: 'Time (UTC)' }, { label: 'Process' }, { label: 'Level' }, { label: 'Message' }];

/**
 * One service's page, or one process's (`#/service?name=worker&instance=worker-2`): its work (side
 * by side per version while two run, so a canary is judged at a glance), its processes, charts with
 * deploys marked, resources, events, latest logs, slowest and failing traces. Refreshes every 5 s.
 */
export function serviceView({ status }: ViewContext): View {
  const heading = h('h2', { attrs: { tabindex: '-1' } }, 'Service');
  const facts = h('p', { class: 'summary service-facts' });
  const goTo = h('p', { class: 'actions' });
  const versionsNote = h('p', { class: 'muted versions-note' });
  const versions = dataTable('Versions', VERSION_COLUMNS);
  const processes = dataTable('Processes', PROCESS_COLUMNS);
  const resources = dataTable('Resources', RESOURCE_COLUMNS);
  const events = dataTable('Events', EVENT_COLUMNS);
  const logs = dataTable('Logs', LOG_COLUMNS);
  const slowest = dataTable('Slowest traces', TRACE_COLUMNS);
  const failing = dataTable('Failing traces', TRACE_COLUMNS);
  const charts = new Charts();
  const scroll = (table: HTMLTableElement): HTMLElement => h('div', { class: 'scroll' }, table);
  const root = h(
    'section',
    { class: 'view service' },
    heading,
    facts,
    goTo,
    block('versions-title', 'Versions', versionsNote, scroll(versions.table)),
    block('processes-title', 'Processes', scroll(processes.table)),
    block('service-charts-title', 'Last 15 minutes', charts.element),
    block('service-resources-title', 'Resources', scroll(resources.table)),
    h(
      'div',
      { class: 'columns' },
      block('slowest-title', 'Slowest traces', scroll(slowest.table)),
      block('failing-title', 'Failing traces', scroll(failing.table)),
    ),
    block('service-events-title', 'Events', scroll(events.table)),
    block('service-logs-title', 'Latest logs', scroll(logs.table)),
  );

  const draw = (page: ServicePage): void => {
    const name = page.shortName;
    heading.replaceChildren(
      page.instance === null
        ? `Service ${name}`
        : h('span', {}, `Process ${page.instance} of `, link(serviceHref(page.service), name)),
    );
    const s = page.summary;
    facts.replaceChildren(
      `${page.service} · running ${s.running} / ${s.wanted ?? '–'} · restarts ${count(s.restarts)} · ${perSecond(s.ratePerSecond)}/s · errors ${percent(s.errorRate)} · p99 ${duration(s.latencyMs?.p99)}`,
    );
    goTo.replaceChildren(
      link(hrefOf('logs', { service: name, instance: page.instance ?? undefined }), 'All its logs', {
        class: 'button-link',
      }),
      ' ',
      link(hrefOf('traces', { service: name }), 'All its traces', { class: 'button-link' }),
    );
    const side = page.versions.length > 1;
    versionsNote.textContent = side
      ? `${page.versions.length} versions run side by side: compare their rate, errors and latency (last minute).`
      : 'One version runs (last minute).';
    versions.table.dataset['versions'] = String(page.versions.length);
    replaceKeepingFocus(
      versions.body,
      ...rowsOf(page.versions, versionRow, VERSION_COLUMNS.length, 'Nothing measured in the last minute.'),
    );
    replaceKeepingFocus(
      processes.body,
      ...rowsOf(
        page.processes,
        (p) => processRow(page.service, p),
        PROCESS_COLUMNS.length,
        'No process of this service has reported.',
      ),
    );
    charts.update(page.charts);
    replaceKeepingFocus(
      resources.body,
      ...rowsOf(page.resources, resourceRow, RESOURCE_COLUMNS.length, 'No process has reported its resources.'),
    );
    replaceKeepingFocus(
      events.body,
      ...rowsOf(page.events, eventRow, EVENT_COLUMNS.length, 'No events of this service.'),
    );
    replaceKeepingFocus(
      logs.body,
      ...rowsOf(page.logs, (line) => logRow(page.service, line), LOG_COLUMNS.length, 'No log lines.'),
    );
    replaceKeepingFocus(
      slowest.body,
      ...rowsOf(page.slowestTraces, traceRow, TRACE_COLUMNS.length, 'No traces of this service.'),
    );
    replaceKeepingFocus(
      failing.body,
      ...rowsOf(page.failingTraces, traceRow, TRACE_COLUMNS.length, 'No failing traces: good.'),
    );
  };

  let poller: Poller | undefined;
  return {
    root,
    show: (params) => {
      const name = params.get('name') ?? '';
      const instance = params.get('instance') ?? '';
      const query = new URLSearchParams(instance === '' ? [] : [['instance', instance]]);
      heading.textContent = instance === '' ? `Service ${shortName(name)}` : `Process ${instance}`;
      poller?.stop();
      poller = poll({
        intervalMs: SERVICE_REFRESH_MS,
        task: async (signal) => {
          draw(await api.service(name, query, signal));
          status.refreshed(`Service ${shortName(name)}`);
        },
        onError: (error) => status.failed(`service ${name}`, error, true),
      });
    },
    stop: () => {
      poller?.stop();
      charts.destroy();
    },
  };
}

function versionRow(work: VersionWork): HTMLTableRowElement {
  return h(
    'tr',
    { attrs: { 'data-version': work.version } },
    h('th', { class: 'mono', attrs: { scope: 'row' } }, work.version),
    cell(work.instances.join(', '), 'mono'),
    ...workCells(work),
  );
}

function processRow(service: string, p: ProcessView): HTMLTableRowElement {
  const state = p.crashLoop !== null ? `crash loop (${p.crashLoop.exits} exits)` : p.up ? 'running' : 'not running';
  const exit = p.lastExit;
  return h(
    'tr',
    { class: p.up ? '' : 'down', attrs: { 'data-instance': p.instance } },
    h('th', { class: 'mono', attrs: { scope: 'row' } }, serviceLink(service, { instance: p.instance })),
    cell(state, p.up && p.crashLoop === null ? 'state-cell' : 'state-cell warn'),
    cell(p.version ?? '–', 'mono version'),
    cell([p.host ?? '–', p.pod === null ? '' : ` pod ${p.pod}`, p.node === null ? '' : ` node ${p.node}`], 'mono host'),
    cell(p.pid === null ? '–' : String(p.pid), 'num pid'),
    cell(p.startedAt === null ? '–' : dateTime(p.startedAt), 'mono started'),
    cell(count(p.restarts), p.restarts > 0 ? 'num warn' : 'num'),
    cell(
      exit === null
        ? '–'
        : [
            `${clockTime(exit.at)} `,
            exit.planned
              ? 'stopped as told'
              : exit.signal !== null
                ? `killed (${exit.signal})`
                : `code ${exit.code ?? '?'}`,
          ],
      exit !== null && !exit.planned ? 'last-exit warn' : 'last-exit',
    ),
  );
}

function logRow(service: string, line: LogLine): HTMLTableRowElement {
  const loud = line.level === 'warn' || line.level === 'error' || line.level === 'fatal';
  return h(
    'tr',
    { class: loud ? `level-${line.level === 'warn' ? 'warn' : 'error'}` : '', attrs: { 'data-level': line.level } },
    cell(h('time', { attrs: { datetime: line.time, title: line.time } }, clockTime(line.time)), 'mono nowrap'),
    cell(serviceLink(service, { instance: line.instance }), 'mono nowrap'),
    cell(line.level, 'level'),
    cell(line.message, 'message'),
  );
}

function traceRow(trace: TraceSummary): HTMLTableRowElement {
  return h(
    'tr',
    { attrs: { 'data-trace-id': trace.traceId } },
    h(
      'th',
      { attrs: { scope: 'row' } },
      link(hrefOf('traces', { trace: trace.traceId, open: trace.traceId }), trace.rootName || shortId(trace.traceId), {
        class: 'trace-link',
      }),
    ),
    cell(dateTime(trace.start), 'mono'),
    cell(duration(trace.durationMs), 'num'),
    cell(String(trace.spanCount), 'num'),
    cell(String(trace.errorCount), trace.errorCount > 0 ? 'num error' : 'num'),
  );
}
