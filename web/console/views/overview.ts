import type {
  HostSummary,
  InstanceSummary,
  Overview,
  QueueSummary,
  ServiceSummary,
} from '../../../src/services/console/api-shapes.js';
import { ALERTS_REFRESH_MS, alertsPanel } from '../alerts.js';
import { api } from '../api.js';
import { canaryPanel } from '../canary.js';
import { Charts } from '../charts.js';
import { block, h, replaceKeepingFocus } from '../dom.js';
import { age, clockTime, count, perSecond } from '../format.js';
import { poll, REFRESH_MS, type Poller } from '../live.js';
import { OBJECTIVES_REFRESH_MS, objectivesTable } from '../objectives.js';
import { RESOURCES_REFRESH_MS, resourcesPanel } from '../resources.js';
import { serviceLink } from '../service-link.js';
import { cell, dataTable, rowsOf } from '../table.js';
import { WORK_COLUMNS, workCells } from '../work-cells.js';
import type { View, ViewContext } from './view.js';

const SERVICE_COLUMNS = [
  { label: 'Service' },
  { label: 'Running / wanted' },
  { label: 'Restarts', class: 'num' },
  ...WORK_COLUMNS,
  { label: 'Instances' },
];
const HOST_COLUMNS = [{ label: 'Host' }, { label: 'Running / wanted' }, { label: 'Processes' }];
const QUEUE_COLUMNS = [
  { label: 'Queue' },
  { label: 'Ready', class: 'num' },
  { label: 'In flight', class: 'num' },
  { label: 'Delayed', class: 'num' },
  { label: 'Dead', class: 'num' },
  { label: 'Oldest', class: 'num' },
];

/** Services, queues, wishes and the last 15 minutes' charts; refreshes every 2 s. */
export function overviewView({ status }: ViewContext): View {
  const services = dataTable('Services', SERVICE_COLUMNS);
  const queues = dataTable('Queues', QUEUE_COLUMNS);
  const hosts = dataTable('Hosts', HOST_COLUMNS);
  const stoppedHosts = h('ul', { class: 'host-alerts', attrs: { 'aria-label': 'Hosts with nothing running' } });
  const wishes = h('dl', { class: 'figures', attrs: { 'aria-label': 'Wishes per second' } });
  const tally = h('dl', { class: 'figures tally', attrs: { 'aria-label': 'Tally' } });
  const charts = new Charts();
  const objectives = objectivesTable();
  const alerts = alertsPanel();
  /** The SLO a link named (`#/overview?slo=…`, from Failure modes): its alert and objective rows are marked. */
  let markedSlo: string | null = null;
  let scrollToSlo = false;
  const markSlo = (): void => {
    if (markedSlo === null) return;
    const rows = root.querySelectorAll<HTMLElement>(`tr[data-slo="${CSS.escape(markedSlo)}"]`);
    for (const marked of rows) marked.classList.add('marked');
  };
  const resources = resourcesPanel();
  const canary = canaryPanel();
  /** Services whose instance list is open: a refresh redraws the rows but keeps them open. */
  const openInstances = new Set<string>();

  const root = h(
    'section',
    { class: 'view overview' },
    h('h2', { attrs: { tabindex: '-1' } }, 'Overview'),
    block('alerts-title', 'Alerts', alerts.element),
    block('services-title', 'Services', h('div', { class: 'scroll' }, services.table)),
    block('hosts-title', 'Hosts', stoppedHosts, h('div', { class: 'scroll' }, hosts.table)),
    block('canary-title', 'Canary', canary.element),
    h(
      'div',
      { class: 'columns' },
      block('queues-title', 'Queues', h('div', { class: 'scroll' }, queues.table)),
      block(
        'wishes-title',
        'Wishes',
        h('p', { class: 'muted' }, 'Per second over the last minute, by outcome'),
        wishes,
        h('p', { class: 'muted' }, 'On the wall, by destination'),
        tally,
      ),
    ),
    block('resources-title', 'Resources', resources.element),
    block('objectives-title', 'Objectives', objectives.element),
    block('charts-title', 'Last 15 minutes', charts.element),
  );

  const draw = (overview: Overview): void => {
    const serviceRows = rowsOf(
      overview.services,
      (s) => serviceRow(s, openInstances),
      SERVICE_COLUMNS.length,
      'No service has reported yet.',
    );
    replaceKeepingFocus(services.body, ...serviceRows);
    // A host whose processes all stopped is said in words above the table, not only marked in it.
    stoppedHosts.replaceChildren(
      ...overview.hosts
        .filter((host) => host.allStopped)
        .map((host) =>
          h('li', { class: 'warn', attrs: { 'data-host': host.host } }, `running processes = 0 on host ${host.host}`),
        ),
    );
    replaceKeepingFocus(
      hosts.body,
      ...rowsOf(overview.hosts, hostRow, HOST_COLUMNS.length, 'No process has said where it runs yet.'),
    );
    replaceKeepingFocus(
      queues.body,
      ...rowsOf(overview.queues, queueRow, QUEUE_COLUMNS.length, 'No queue has reported yet.'),
    );
    const w = overview.wishesPerSecond;
    wishes.replaceChildren(
      ...figure('Accepted', perSecond(w.accepted)),
      ...figure('Stored', perSecond(w.stored)),
      ...figure('Superseded', perSecond(w.superseded)),
      ...figure('Rejected', perSecond(w.rejected)),
    );
    const t = overview.tally;
    if (t === null) tally.replaceChildren(...figure('Tally', 'not reported yet'));
    else
      tally.replaceChildren(
        ...figure('Mars', count(t.mars), 'tally-mars'),
        ...figure('Europa', count(t.europa), 'tally-europa'),
      );
    charts.update(overview.charts);
  };

  let poller: Poller | undefined;
  let sloPoller: Poller | undefined;
  let resourcesPoller: Poller | undefined;
  let canaryPoller: Poller | undefined;
  let alertsPoller: Poller | undefined;
  return {
    root,
    show: (params) => {
      // `#/overview?focus=queues`: a link to a figure takes the reader to its block.
      const focus = params.get('focus');
      if (focus !== null) root.querySelector(`#${CSS.escape(focus)}-title`)?.scrollIntoView({ block: 'start' });
      markedSlo = params.get('slo');
      scrollToSlo = markedSlo !== null;
      for (const marked of root.querySelectorAll('tr.marked')) marked.classList.remove('marked');
      markSlo();
      sloPoller?.now();
      alertsPoller ??= poll({
        intervalMs: ALERTS_REFRESH_MS,
        task: async (signal) => {
          alerts.draw(await api.alerts(signal));
          markSlo();
        },
        onError: (error) => status.failed('the alerts', error, true),
      });
      poller ??= poll({
        intervalMs: REFRESH_MS,
        task: async (signal) => {
          draw(await api.overview(signal));
          status.refreshed('Overview');
        },
        onError: (error) => status.failed('the overview', error, true),
      });
      sloPoller ??= poll({
        intervalMs: OBJECTIVES_REFRESH_MS,
        task: async (signal) => {
          objectives.draw((await api.slos(signal)).slos);
          markSlo();
          // Once per link followed, not at every refresh: the reader may have scrolled on.
          if (scrollToSlo) root.querySelector('tr.slo.marked')?.scrollIntoView({ block: 'center' });
          scrollToSlo = false;
        },
        onError: (error) => status.failed('the objectives', error, true),
      });
      resourcesPoller ??= poll({
        intervalMs: RESOURCES_REFRESH_MS,
        task: async (signal) => resources.draw(await api.resources(signal)),
        onError: (error) => status.failed('the resources', error, true),
      });
      canaryPoller ??= poll({
        intervalMs: REFRESH_MS,
        task: async (signal) => canary.draw(await api.canary(signal)),
        onError: (error) => status.failed('the canary', error, true),
      });
    },
    stop: () => {
      poller?.stop();
      sloPoller?.stop();
      resourcesPoller?.stop();
      canaryPoller?.stop();
      alertsPoller?.stop();
      charts.destroy();
    },
  };
}

function figure(term: string, value: string, id?: string): HTMLElement[] {
  return [h('dt', {}, term), h('dd', { attrs: id === undefined ? {} : { id } }, value)];
}

function serviceRow(service: ServiceSummary, openInstances: Set<string>): HTMLTableRowElement {
  const { running, wanted } = service;
  // Down: nothing runs, or fewer than the supervisor wants. Said in words, not only in red.
  const short = wanted !== null && running < wanted;
  const looping = service.instances.filter((instance) => instance.crashLoop !== null).length;
  const down = running === 0 || short || looping > 0;
  // A crash loop is named: a restart loop must never look like a few flat restarts.
  const health =
    looping > 0
      ? `crash loop (${looping === 1 ? 'one process' : `${looping} processes`})`
      : running === 0
        ? 'down'
        : short
          ? `${wanted - running} missing`
          : '';
  // A dependency outage is named on the row of whoever is waiting for it, with what it holds.
  const waiting = service.waitingFor.map(({ dependency, held }) => `waiting for ${dependency} (${count(held)} held)`);
  const state = [health, ...waiting].filter((part) => part !== '').join(' · ');
  return h(
    'tr',
    { attrs: { 'data-service': service.name } },
    h('th', { class: 'mono', attrs: { scope: 'row' } }, serviceLink(service.name, { key: `service:${service.name}` })),
    cell(
      [`${running} / ${wanted ?? '–'}`, state === '' ? null : h('span', { class: 'state' }, ` · ${state}`)],
      down || waiting.length > 0 ? 'running down' : 'running',
    ),
    cell(count(service.restarts), service.restarts > 0 ? 'num warn' : 'num'),
    ...workCells(service),
    cell(instancesOf(service, openInstances)),
  );
}

function instancesOf(service: ServiceSummary, openInstances: Set<string>): HTMLElement {
  const up = service.instances.filter((instance) => instance.up).length;
  const details = h(
    'details',
    { class: 'instances' },
    h(
      'summary',
      { attrs: { 'data-focus-key': `instances:${service.name}` } },
      `${service.instances.length} (${up} up)`,
    ),
    h('ul', {}, ...service.instances.map((instance) => instanceItem(service.name, instance, service.wanted !== null))),
  );
  details.open = openInstances.has(service.name);
  details.addEventListener('toggle', () => {
    if (details.open) openInstances.add(service.name);
    else openInstances.delete(service.name);
  });
  return details;
}

/** A supervised process is running or not, as its supervisor says; any other is up or silent, as its telemetry says. */
function instanceItem(service: string, instance: InstanceSummary, supervised: boolean): HTMLLIElement {
  const state = supervised ? (instance.up ? ' running' : ' not running') : instance.up ? ' up' : ' silent';
  return h(
    'li',
    { class: instance.up ? 'up' : 'down', attrs: { 'data-instance': instance.instance } },
    h('span', { class: 'mono' }, serviceLink(service, { instance: instance.instance })),
    instance.pid === null ? '' : h('span', { class: 'pid' }, ` pid ${instance.pid}`),
    instance.version === null ? '' : h('span', { class: 'version' }, ` v${instance.version}`),
    instance.host === null ? '' : h('span', { class: 'host' }, ` on ${instance.host}`),
    h('span', { class: 'state' }, state),
    instance.crashLoop === null
      ? ''
      : h(
          'span',
          { class: 'crash-loop warn' },
          ` · crash loop: ${instance.crashLoop.exits} exits in a row, backing off${instance.crashLoop.nextTryAt === null ? '' : `, next try ${clockTime(instance.crashLoop.nextTryAt)}`}`,
        ),
    instance.lastSeen === null ? ' · sends no telemetry' : ` · last seen ${clockTime(instance.lastSeen)}`,
  );
}

function hostRow(host: HostSummary): HTMLTableRowElement {
  const versions = (p: HostSummary['processes'][number]): string => (p.version === null ? '' : ` v${p.version}`);
  return h(
    'tr',
    { class: host.allStopped ? 'all-stopped' : '', attrs: { 'data-host': host.host } },
    h('th', { class: 'mono', attrs: { scope: 'row' } }, host.host),
    cell(
      [
        `${host.running} / ${host.wanted}`,
        host.allStopped ? h('span', { class: 'state' }, ' · nothing running') : null,
      ],
      host.allStopped || host.running < host.wanted ? 'running down' : 'running',
    ),
    cell(
      host.processes.flatMap((p, i) => [
        i === 0 ? '' : ', ',
        serviceLink(p.service, { instance: p.instance, class: p.up ? 'service-link' : 'service-link down' }),
        versions(p),
      ]),
      'mono',
    ),
  );
}

function queueRow(queue: QueueSummary): HTMLTableRowElement {
  return h(
    'tr',
    { class: queue.dead > 0 ? 'has-dead' : '', attrs: { 'data-queue': queue.name } },
    h('th', { class: 'mono', attrs: { scope: 'row' } }, queue.name),
    cell(count(queue.ready), 'num'),
    cell(count(queue.inFlight), 'num'),
    cell(count(queue.delayed), 'num'),
    cell(queue.dead > 0 ? h('strong', {}, count(queue.dead)) : count(queue.dead), queue.dead > 0 ? 'num dead' : 'num'),
    cell(age(queue.oldestAgeSeconds), 'num'),
  );
}
